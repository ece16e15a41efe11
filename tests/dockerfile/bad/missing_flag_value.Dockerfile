# expect: :3: missing a value on flag: --network
FROM a
RUN --network ls

# expect: :3: WORKDIR requires at least one argument
FROM a
WORKDIR

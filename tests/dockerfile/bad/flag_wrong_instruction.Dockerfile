# expect: :3: unknown flag: --from for RUN
FROM a
RUN --from=x ls

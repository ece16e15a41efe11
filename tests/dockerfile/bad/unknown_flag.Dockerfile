# expect: :3: unknown flag: --form for COPY
FROM a
COPY --form=x a b

# expect: :3: ONBUILD ONBUILD isn't allowed
FROM a
ONBUILD ONBUILD RUN x

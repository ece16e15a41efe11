# expect: :3: HEALTHCHECK NONE takes no arguments
FROM a
HEALTHCHECK NONE x

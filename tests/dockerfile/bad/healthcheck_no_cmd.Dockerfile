# expect: :3: missing command after HEALTHCHECK CMD
FROM a
HEALTHCHECK CMD

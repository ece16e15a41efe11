# expect: :3: unknown type "PING" in HEALTHCHECK (try CMD)
FROM a
HEALTHCHECK PING x

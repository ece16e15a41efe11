# expect: :3: unknown instruction: BOGUS
FROM a
ONBUILD BOGUS x

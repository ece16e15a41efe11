# expect: :3: unknown instruction: CPY
FROM a
CPY \
  a b

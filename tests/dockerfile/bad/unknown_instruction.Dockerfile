# expect: :3: unknown instruction: FOO
FROM a
FOO bar

# expect: :3: LABEL names can not be blank
FROM a
LABEL =x

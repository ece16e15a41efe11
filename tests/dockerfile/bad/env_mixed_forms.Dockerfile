# expect: :3: syntax error - can't find = in "c"
FROM a
ENV a=b c

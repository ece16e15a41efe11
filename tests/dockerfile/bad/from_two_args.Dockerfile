# expect: :2: FROM requires either one or three arguments
FROM a b

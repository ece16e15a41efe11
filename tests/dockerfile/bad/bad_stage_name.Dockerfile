# expect: :2: invalid name for build stage: "9x"
FROM a AS 9x

# syntax=a
# SYNTAX=b
FROM a

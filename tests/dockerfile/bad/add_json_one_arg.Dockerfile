# expect: :3: ADD requires at least two arguments
FROM a
ADD ["x"]

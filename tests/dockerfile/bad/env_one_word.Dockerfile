# expect: :3: ENV must have two arguments
FROM a
ENV X

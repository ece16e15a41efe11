# expect: :3: ARG names can not be blank
FROM a
ARG =x

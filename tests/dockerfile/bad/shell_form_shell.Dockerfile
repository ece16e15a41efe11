# expect: :3: SHELL requires the arguments to be in JSON form
FROM a
SHELL /bin/sh -c

# expect: :3: MAINTAINER isn't allowed as an ONBUILD trigger
FROM a
ONBUILD MAINTAINER me

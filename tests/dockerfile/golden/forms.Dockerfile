FROM busybox
RUN ["echo", "exec form"]
RUN [ "sh", "-c", "echo $HOME" ]
RUN ["c:\windows\system32\tasklist.exe"]
RUN ["c:\\windows\\system32\\tasklist.exe"]
RUN [not json
CMD ["--port", "80"]
CMD []
CMD echo shell form
ENTRYPOINT ["/bin/sh", "-c"]
ENTRYPOINT exec top -b
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN ["a", "b"] trailing
VOLUME ["/data", "/logs"]
VOLUME /var/log /var/db

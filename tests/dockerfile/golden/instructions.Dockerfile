ARG BASE=busybox:latest
FROM ${BASE} AS base
MAINTAINER Jane Doe <jane@example.com>
LABEL version="1.0" description="a \"quoted\" value"
ENV APP_HOME=/app
WORKDIR $APP_HOME
USER app:app
ADD https://example.com/archive.tar.gz /tmp/
COPY src/ ./src/
EXPOSE 80/tcp 443 53/udp
VOLUME /data
STOPSIGNAL SIGTERM
HEALTHCHECK CMD wget -q -O- http://localhost/ || exit 1
ONBUILD COPY . /app/src
SHELL ["/bin/sh", "-eu", "-c"]
RUN make
CMD ["app"]
ENTRYPOINT ["/entry.sh"]

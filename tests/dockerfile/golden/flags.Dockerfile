FROM --platform=$BUILDPLATFORM golang:1.22 AS build
RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=bind,source=.,target=/src \
    --network=none --security=sandbox go build ./...
RUN --network=host --device=/dev/fuse echo hi
COPY --from=build --chown=app:app --chmod=0755 --link /out/app /usr/bin/app
COPY --link=false --parents=true --exclude=*.md --exclude="docs/**" ./x/a.txt ./y/ /dst/
ADD --keep-git-dir=true --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/repo.git#v1 /src
ADD --chown=1:2 --chmod=644 --link --unpack=false --exclude=*.tmp archive.tar.gz /opt/
HEALTHCHECK --interval=5m --timeout=3s --start-period=10s --start-interval=2s --retries=4 CMD ["curl", "-f", "http://localhost/"]
RUN -- --not-a-flag

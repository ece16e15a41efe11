#!/usr/bin/env bash
# Multi-stage + multi-platform: one command builds three platforms; the index lists them with
# the right platform objects; each image's files come from its own architecture's RUN; a
# FROM --platform=$BUILDPLATFORM stage runs natively; --target builds a middle stage; unused
# stages are not built; --format docker writes a manifest list; --metadata-file; ONBUILD.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_root "namespaces, binfmt_misc"
command -v umoci >/dev/null && command -v skopeo >/dev/null || { echo "1..0 # SKIP umoci/skopeo missing"; exit 0; }

check "binfmt handlers" "$XBUILD" binfmt --install arm64 arm/v7
if ! XB_BASE_CACHE=${XB_BASE_CACHE:-$top_srcdir/tests/.cache/base-images} \
    "$top_srcdir/scripts/make-base-images.sh" --multi amd64 arm64 armhf >"$T/bases.log" 2>&1; then
    fail "base images"; sed 's/^/#   /' "$T/bases.log" | tail -5; done_testing; exit 1
fi
ok "busybox:latest index for amd64, arm64, arm/v7"

C=$T/ctx
mkdir -p "$C"
echo "source" >"$C/src.txt"
cat >"$C/Dockerfile" <<'DF'
ARG BASE=busybox:latest
FROM --platform=$BUILDPLATFORM ${BASE} AS tools
ARG TARGETARCH
ARG BUILDPLATFORM
RUN echo "tools on $(uname -m) for ${TARGETARCH} from ${BUILDPLATFORM}" > /tools.txt

FROM ${BASE} AS build
ARG TARGETPLATFORM
ARG TARGETVARIANT
COPY src.txt /src/
RUN uname -m > /arch && echo "${TARGETPLATFORM}|${TARGETVARIANT}" > /platform

FROM ${BASE} AS unused
RUN echo this stage must not be built && exit 3

FROM scratch
COPY --from=build /arch /platform /src/src.txt /
COPY --from=tools /tools.txt /
CMD ["/arch"]
DF
out=$("$XBUILD" bud --platform linux/amd64,linux/arm64,linux/arm/v7 -t multi:1 \
    --metadata-file "$T/meta.json" "$C" 2>&1)
rc=$?
check "three-platform build" test $rc -eq 0
[ $rc -eq 0 ] || printf '%s\n' "$out" | sed 's/^/#   /' | tail -10
digest=$(printf '%s\n' "$out" | tail -1)
check_fails "the unused stage is not built" grep -q "must not be built" <<<"$out"
unused_steps=$(printf '%s\n' "$out" | grep -c "AS unused" || true)
is "no step of the unused stage was printed" "$unused_steps" 0

raw=$(skopeo inspect --raw "oci:$XB_ROOT:multi:1")
py() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$raw"; }
is "an OCI index" "$(py x 'd["mediaType"]')" "application/vnd.oci.image.index.v1+json"
is "platforms in the index" "$(py x '" ".join(m["platform"]["os"]+"/"+m["platform"]["architecture"]+("/"+m["platform"]["variant"] if "variant" in m["platform"] else "") for m in d["manifests"])')" \
    "linux/amd64 linux/arm64 linux/arm/v7"
is "metadata-file digest" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["containerimage.digest"])' "$T/meta.json")" "$digest"
is "metadata-file lists the manifests" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["manifests"]))' "$T/meta.json")" 3

while read -r arch variant want plat; do
    args=(--override-arch "$arch")
    [ "$variant" = - ] || args+=(--override-variant "$variant")
    rm -rf "$T/x" "$T/u"
    if ! skopeo copy -q "${args[@]}" "oci:$XB_ROOT:multi:1" "oci:$T/x:img" >/dev/null 2>&1 ||
        ! umoci unpack --image "$T/x:img" "$T/u" >/dev/null 2>&1; then
        fail "$plat: image unpacks"; continue
    fi
    is "$plat: RUN ran on its own architecture" "$(cat "$T/u/rootfs/arch")" "$want"
    is "$plat: TARGETPLATFORM/TARGETVARIANT" "$(cat "$T/u/rootfs/platform")" "$plat|${variant#-}"
    is "$plat: BUILDPLATFORM stage ran natively" "$(cat "$T/u/rootfs/tools.txt")" "tools on x86_64 for $arch from linux/amd64"
    is "$plat: COPY --from" "$(cat "$T/u/rootfs/src.txt")" source
done <<'P'
amd64 - x86_64 linux/amd64
arm64 - aarch64 linux/arm64
arm v7 armv7l linux/arm/v7
P

# --target: a middle stage only
out=$("$XBUILD" bud --platform linux/arm64 --target build -t mid:1 "$C" 2>&1)
check "--target build" test $? -eq 0
check_fails "--target: later stages not built" grep -q "tools.txt /" <<<"$out"
rm -rf "$T/u"
umoci unpack --image "$XB_ROOT:mid:1" "$T/u" >/dev/null 2>&1
is "--target image has the stage's files" "$(cat "$T/u/rootfs/arch" 2>&1)" aarch64
check "--target image has the base's files" test -x "$T/u/rootfs/bin/busybox"

# --format docker: schema2 manifests and a manifest list
d=$("$XBUILD" bud -q --format docker --platform linux/amd64,linux/arm64 -t dock:1 "$C" 2>&1)
check "--format docker build" test $? -eq 0
# (skopeo's oci: transport only reads OCI media types in index.json: read the store directly)
raw=$(cat "$XB_ROOT/blobs/sha256/${d#sha256:}")
is "--format docker: manifest list" "$(py x 'd["mediaType"]')" "application/vnd.docker.distribution.manifest.list.v2+json"
m0=$(py x 'd["manifests"][0]["digest"]')
man=$(cat "$XB_ROOT/blobs/sha256/${m0#sha256:}")
like "--format docker: schema2 manifest and config" "$man" 'application/vnd.docker.container.image.v1\+json'
like "--format docker: docker layer types" "$man" 'application/vnd.docker.image.rootfs.diff.tar.gzip'

# independent stages build at the same time (--jobs): each stage marks a shared cache dir and
# waits (up to 20 s) for the other's mark, so each sees the other only when both run at once
# (no timing assertion); one at a time or in parallel, the same image
mkdir -p "$T/par" "$T/par2"
cat >"$T/par/Dockerfile" <<'DF'
FROM busybox:amd64 AS a
ARG RUNID
RUN --mount=type=cache,id=par-$RUNID,target=/sync touch /sync/a && \
    for i in $(seq 200); do [ -e /sync/b ] && break; sleep 0.1; done; \
    if [ -e /sync/b ]; then echo together; else echo alone; fi > /a
FROM busybox:amd64 AS b
ARG RUNID
RUN --mount=type=cache,id=par-$RUNID,target=/sync touch /sync/b && \
    for i in $(seq 200); do [ -e /sync/a ] && break; sleep 0.1; done; \
    if [ -e /sync/a ]; then echo together; else echo alone; fi > /b
FROM scratch
COPY --from=a /a /
COPY --from=b /b /
DF
"$XBUILD" bud -q --no-cache --jobs 2 --build-arg RUNID=$$ -t par:2 "$T/par" >/dev/null 2>&1
is "with --jobs 2 the two stages ran at the same time: a saw b running" \
    "$(layer_cat "$(img_layers par:2 | tail -2 | head -1)" a)" together
is "... and b saw a" "$(layer_cat "$(img_layers par:2 | tail -1)" b)" together
printf 'FROM busybox:amd64 AS a\nRUN echo a > /a\nFROM busybox:amd64 AS b\nRUN echo b > /b\nFROM scratch\nCOPY --from=a /a /\nCOPY --from=b /b /\n' >"$T/par2/Dockerfile"
p1=$("$XBUILD" bud -q --no-cache --jobs 2 --timestamp 7 "$T/par2" 2>&1)
p2=$("$XBUILD" bud -q --no-cache --jobs 1 --timestamp 7 "$T/par2" 2>&1)
is "parallel and sequential stage builds give the same image" "$p1" "$p2"

# --all-platforms: every platform of the base image's index
mkdir -p "$T/all"
printf 'FROM busybox:latest AS base\nFROM base\nRUN uname -m > /m\n' >"$T/all/Dockerfile"
d=$("$XBUILD" bud -q --all-platforms -t allp:1 "$T/all" 2>&1)
raw=$(skopeo inspect --raw "oci:$XB_ROOT:allp:1" 2>&1)
is "--all-platforms: the base's three platforms" "$(py x 'len(d["manifests"])' 2>&1)" 3
check_fails "--all-platforms with a scratch base is an error" "$XBUILD" bud -q --all-platforms "$C"

# ONBUILD triggers run at the child's FROM
mkdir -p "$T/ob"
echo "from the child context" >"$T/ob/child.txt"
cat >"$T/ob/Dockerfile.base" <<'DF'
FROM busybox:amd64
ONBUILD COPY child.txt /onbuild/child.txt
ONBUILD RUN echo "trigger ran on $(uname -m)" > /onbuild/ran
DF
cat >"$T/ob/Dockerfile" <<'DF'
FROM obbase:1
CMD ["cat", "/onbuild/ran"]
DF
check "ONBUILD base" "$XBUILD" bud -q -t obbase:1 -f "$T/ob/Dockerfile.base" "$T/ob"
cfg=$(skopeo inspect --config --raw "oci:$XB_ROOT:obbase:1")
like "OnBuild stored in the config" "$cfg" '"OnBuild":\["COPY child.txt /onbuild/child.txt","RUN echo'
check "child of an ONBUILD image" "$XBUILD" bud -q -t obchild:1 "$T/ob"
rm -rf "$T/u"
umoci unpack --image "$XB_ROOT:obchild:1" "$T/u" >/dev/null 2>&1
is "ONBUILD COPY ran" "$(cat "$T/u/rootfs/onbuild/child.txt" 2>&1)" "from the child context"
is "ONBUILD RUN ran" "$(cat "$T/u/rootfs/onbuild/ran" 2>&1)" "trigger ran on x86_64"
cfg=$(skopeo inspect --config --raw "oci:$XB_ROOT:obchild:1")
check_fails "triggers are not inherited further" grep -q OnBuild <<<"$cfg"
check "fsck" "$XBUILD" fsck
# a local image of another platform, built without --platform: the error says so first
printf 'FROM busybox:arm64\nRUN true\n' >"$T/Dockerfile.otherplat"
out=$("$XBUILD" bud -q --platform linux/amd64 -f "$T/Dockerfile.otherplat" "$C" 2>&1)
is "FROM a local arm64-only image for amd64 fails" "$?" 1
like "... naming the file and line" "$out" "Dockerfile.otherplat:1: FROM busybox:arm64"
like "... saying the local image is linux/arm64, not linux/amd64" "$out" "is for platform linux/arm64, not linux/amd64 \\(use --platform"
done_testing

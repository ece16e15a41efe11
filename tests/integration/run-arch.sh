#!/usr/bin/env bash
# RUN on each architecture (qemu via binfmt_misc) on the base images of
# scripts/make-base-images.sh: the output lands in the layer, and
# `xbuild run` of the arm64 image prints aarch64.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_root "namespaces, binfmt_misc"

check "binfmt handlers installed" "$XBUILD" binfmt --install arm64 arm/v7 ppc64le s390x
# debian arch, OCI platform, expected uname -m
while read -r deb plat want; do
    if ! "$top_srcdir/scripts/make-base-images.sh" "$deb" >/dev/null; then
        fail "$plat: base image from busybox-static:$deb"
        continue
    fi
    C=$T/ctx-$deb
    mkdir -p "$C"
    cat >"$C/Dockerfile" <<'DF'
FROM base
RUN uname -m > /arch && echo "written on $(uname -m)" > /tmp/note && busybox | head -1 > /bbver
DF
    sed -i "s|FROM base|FROM busybox:$deb|" "$C/Dockerfile"
    if ! out=$("$XBUILD" bud -q --platform "$plat" -t "t-$deb" "$C" 2>&1); then
        fail "$plat: RUN builds"; printf '%s\n' "$out" | sed 's/^/#   /' | tail -5
        continue
    fi
    top=$(img_layers "t-$deb" | tail -1)
    is "$plat: uname -m in the layer" "$(layer_cat "$top" arch)" "$want"
    is "$plat: file under /tmp in the layer" "$(layer_cat "$top" tmp/note)" "written on $want"
    like "$plat: layer holds only the step's changes" "$(layer_list "$top" | awk '{print $4}' | sort | tr '\n' ' ')" '^arch bbver tmp/? tmp/note $'
    is "$plat: xbuild run" "$("$XBUILD" run --platform "$plat" "t-$deb" cat /arch 2>&1)" "$want"
done <<'ARCHES'
amd64 linux/amd64 x86_64
arm64 linux/arm64 aarch64
armhf linux/arm/v7 armv7l
ppc64el linux/ppc64le ppc64le
s390x linux/s390x s390x
i386 linux/386 i686
ARCHES
is "xbuild run --platform linux/arm64 of the arm64 image prints aarch64" \
    "$("$XBUILD" run --platform linux/arm64 busybox:arm64 uname -m 2>&1)" aarch64
check "xbuild run without a command runs the image's CMD (/bin/sh)" "$XBUILD" run busybox:arm64
# a multi-platform build runs RUN per platform (in parallel); cache mounts are per platform
mkdir -p "$T/multi"
cat >"$T/multi/Dockerfile" <<'DF'
FROM busybox:$TARGETARCH
ARG TARGETARCH
RUN --mount=type=cache,target=/c echo $TARGETARCH >> /c/log && cp /c/log /log && uname -m > /arch
DF
for i in 1 2; do
    "$XBUILD" bud -q --no-cache --jobs 2 --platform linux/amd64,linux/arm64 -t "multi$i" "$T/multi" >/dev/null 2>&1
done
is "arm64 RUN of a parallel multi-platform build" "$(layer_cat "$(img_layers multi2 linux/arm64 | tail -1)" arch)" aarch64
is "amd64 RUN of a parallel multi-platform build" "$(layer_cat "$(img_layers multi2 linux/amd64 | tail -1)" arch)" x86_64
is "arm64 cache mount holds only arm64 runs" "$(layer_cat "$(img_layers multi2 linux/arm64 | tail -1)" log | tr '\n' ' ')" "arm64 arm64 "
is "amd64 cache mount holds only amd64 runs" "$(layer_cat "$(img_layers multi2 linux/amd64 | tail -1)" log | tr '\n' ' ')" "amd64 amd64 "
done_testing

#!/usr/bin/env bash
# --root (and XBUILD_ROOT) given as a relative path: the CLI makes it absolute once, so
# `xbuild run` (overlay mounted in the sandbox) works as bud does (issue 13, part 6).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_root "namespaces and overlay mounts"
[ "$(uname -m)" = x86_64 ] || { echo "1..0 # SKIP the amd64 busybox base runs natively on x86-64 only"; exit 0; }

W=$T/work
mkdir -p "$W/ctx"
bb_rootfs_tar amd64 "$W/ctx/rootfs.tar" || { echo "Bail out! no busybox rootfs"; exit 1; }
printf 'FROM scratch\nADD rootfs.tar /\nRUN echo built > /built\n' >"$W/ctx/Dockerfile"
cd "$W" || exit 1
unset XBUILD_ROOT
check "bud --root relstore (relative)" "$XBUILD" --root relstore bud -q -t rel:1 ctx
check "the store is below the working directory" test -f "$W/relstore/index.json"
out=$("$XBUILD" --root relstore run rel:1 true 2>&1)
is "xbuild --root relstore run IMAGE true" "$?:$out" "0:"
is "run sees the image's files" "$("$XBUILD" --root relstore run rel:1 cat /built 2>&1)" built
is "--root=./relstore form" "$("$XBUILD" --root=./relstore run rel:1 cat /built 2>&1)" built
is "XBUILD_ROOT=relstore (relative) too" "$(XBUILD_ROOT=relstore "$XBUILD" run rel:1 cat /built 2>&1)" built
mkdir -p "$W/sub"
is "from another directory the relative root names another store" \
    "$(cd "$W/sub" && "$XBUILD" --root relstore images -q 2>&1 | wc -l)" 0
check "no overlay mount left below the store" sh -c "! grep -q '$W/relstore' /proc/self/mountinfo"
done_testing

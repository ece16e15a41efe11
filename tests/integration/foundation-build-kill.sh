#!/usr/bin/env bash
# A build killed without warning (SIGXFSZ at a file-size limit, as abrupt as SIGKILL) in the
# middle of a large COPY leaves a healthy store (fsck) and
# no half blob; the next build works and prune clears the leftovers.
. "$top_srcdir/tests/lib/common.sh"

C=$T/ctx
mkdir -p "$C"
head -c 150M /dev/urandom >"$C/big"
printf 'FROM scratch\nCOPY big /big\n' >"$C/Dockerfile"
printf 'FROM scratch\nCOPY Dockerfile.small /f\n' >"$C/Dockerfile.small"
check "a small build first" "$XBUILD" bud -q -t small:1 -f "$C/Dockerfile.small" "$C"
# killed at a deterministic point, not after a guessed time: the file-size limit ends the
# process with SIGXFSZ (no handler, like SIGKILL) when the layer blob being written reaches 40 MB
(ulimit -f 40960; exec "$XBUILD" bud -q -t big:1 "$C") >/dev/null 2>&1
rc=$?
is "the build died mid-COPY (SIGXFSZ)" "$rc" $((128 + 25))
check "fsck passes after the kill" "$XBUILD" fsck
bad=0
for f in "$XB_ROOT"/blobs/sha256/*; do
    h=$(sha256sum "$f" | cut -d' ' -f1)
    [ "$h" = "$(basename "$f")" ] || bad=$((bad + 1))
done
is "every blob under its final name is complete" "$bad" 0
check_fails "the killed build left no tag" "$XBUILD" inspect big:1
check "earlier image intact" "$XBUILD" inspect small:1
check "prune after the crash" "$XBUILD" prune
check "fsck after prune" "$XBUILD" fsck
check "the build completes when not killed" "$XBUILD" bud -q -t big:1 "$C"
check "fsck after the full build" "$XBUILD" fsck
done_testing

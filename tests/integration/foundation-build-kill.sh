#!/usr/bin/env bash
# A build killed with SIGKILL in the middle of a large COPY leaves a healthy store (fsck) and
# no half blob; the next build works and prune clears the leftovers.
. "$top_srcdir/tests/lib/common.sh"

C=$T/ctx
mkdir -p "$C"
head -c 150M /dev/urandom >"$C/big"
printf 'FROM scratch\nCOPY big /big\n' >"$C/Dockerfile"
printf 'FROM scratch\nCOPY Dockerfile.small /f\n' >"$C/Dockerfile.small"
check "a small build first" "$XBUILD" bud -q -t small:1 -f "$C/Dockerfile.small" "$C"
"$XBUILD" bud -q -t big:1 "$C" >/dev/null 2>&1 &
pid=$!
sleep 1.5
kill -0 "$pid" 2>/dev/null
check "build still running after 1.5s" test $? -eq 0
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "fsck passes after SIGKILL" "$XBUILD" fsck
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

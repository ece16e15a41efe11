#!/usr/bin/env bash
# Hostile inputs never leave their root (issue 14): a context directory swapped for a symlink
# to a host directory while an earlier RUN sleeps (after a COPY scanned the context) cannot
# put a host file into the image (the COPY fails, naming the file: what was scanned is gone); RUN --mount=type=bind of the context shows exactly what COPY
# sees (the .dockerignore'd files are hidden, as BuildKit mounts the filtered context); a
# layer whose files add up to more than --max-layer-size is refused before anything is
# written, sparse files counted by their apparent size (a 10 TiB sparse file in a 10 KB layer:
# FROM + RUN, COPY --from, ADD of the tar; a raised limit; small limits with a 2 MiB file).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_root "RUN needs namespaces"
bb_image amd64 bb:amd64 linux/amd64 || { echo "Bail out! no base image"; exit 1; }

# unpack IMAGE DIR: the image's rootfs, read by umoci (an independent reader)
unpack() { rm -rf "$2"; umoci unpack --image "$XB_ROOT:$1" "$2" >"$T/umoci.log" 2>&1 || diag "$(tail -3 "$T/umoci.log")"; }

# --- a context directory swapped for a symlink to a host directory during RUN sleep ---
H=$T/host
mkdir -p "$H"
echo host-secret >"$H/f"
echo host-secret >"$H/marker"
C=$T/swap
mkdir -p "$C/dir"
echo original >"$C/dir/f"
# the first COPY scans the context; the second opens its files after the swap
printf 'FROM bb:amd64\nCOPY dir/f /early\nRUN sleep 3\nCOPY dir/ /x/\n' >"$C/Dockerfile"
( sleep 1.5; mv "$C/dir" "$C/dir.orig" && ln -s "$H" "$C/dir" ) &
SW=$!
out=$("$XBUILD" bud -t swap:t "$C" 2>&1)
rc=$?
wait $SW
check "the swap happened while RUN slept" test -L "$C/dir"
check "the build fails (the scanned directory is gone)" test $rc -ne 0
like "... naming the file and that it was replaced" "$out" \
    "cannot open dir/f inside $C.*replaced during the build"
if "$XBUILD" inspect swap:t >/dev/null 2>&1 && unpack swap:t "$T/u-swap"; then
    check_fails "... and no image holds the host's file" grep -rq host-secret "$T/u-swap/rootfs/x"
else
    ok "... and no image holds the host's file (no image)"
fi
# the same with a relative link climbing out of the context
rm "$C/dir"; mv "$C/dir.orig" "$C/dir"
( sleep 1.5; mv "$C/dir" "$C/dir.orig" && ln -s "../../../../../../../../..$H" "$C/dir" ) &
SW=$!
out=$("$XBUILD" bud --no-cache -t swap2:t "$C" 2>&1)
rc=$?
wait $SW
check "a relative link climbing out: the build fails too" test $rc -ne 0
check_fails "... no image" "$XBUILD" inspect swap2:t
rm "$C/dir"; mv "$C/dir.orig" "$C/dir"

# --- RUN --mount=type=bind of the context: the .dockerignore-filtered context ---
C=$T/bind
mkdir -p "$C/keep" "$C/ignored-dir" "$C/mixed"
echo k >"$C/keep/k.txt"
echo s >"$C/secret.txt"
echo i >"$C/ignored-dir/i.txt"
echo a >"$C/mixed/a.log"
echo b >"$C/mixed/b.txt"
printf 'secret.txt\nignored-dir\nmixed/*.log\n' >"$C/.dockerignore"
cat >"$C/Dockerfile" <<'DF'
FROM bb:amd64
RUN --mount=type=bind,target=/c sh -c 'cd /c && find . | sort > /ro.txt'
RUN --mount=type=bind,target=/c,rw sh -c 'cd /c && find . | sort > /rw.txt; echo x > /c/new; rm -f /c/keep/k.txt'
RUN --mount=type=bind,source=mixed,target=/m sh -c 'ls -A /m > /sub.txt'
COPY . /copied/
RUN cd /copied && find . | sort > /copy.txt
DF
out=$("$XBUILD" bud -t bind:t "$C" 2>&1)
check "build with bind mounts of a context with a .dockerignore" test $? -eq 0 || diag "$out"
unpack bind:t "$T/u-bind"
want='.
./.dockerignore
./Dockerfile
./keep
./keep/k.txt
./mixed
./mixed/b.txt'
is "the read-only bind shows the filtered context" "$(cat "$T/u-bind/rootfs/ro.txt")" "$want"
is "... exactly what COPY sees" "$(cat "$T/u-bind/rootfs/copy.txt")" "$want"
is "a rw bind shows the same" "$(cat "$T/u-bind/rootfs/rw.txt")" "$want"
is "a bind of a subdirectory: its ignored file hidden" "$(cat "$T/u-bind/rootfs/sub.txt")" "b.txt"
check "the rw bind's writes never reach the context" test -f "$C/keep/k.txt" -a ! -e "$C/new"
check "the ignored files are still in the context" test -f "$C/secret.txt" -a -f "$C/mixed/a.log"

# --- layer size limit: a 10 TiB sparse file in a 10 KB layer ---
mkdir -p "$T/sp"
truncate -s 10T "$T/sp/big"
tar -C "$T/sp" --sparse -cf "$T/sparse.tar" big
rm -f "$T/sp/big"
check "the sparse layer tar is small" test "$(stat -c %s "$T/sparse.tar")" -lt 100000
skopeo copy -q "oci:$XB_ROOT:bb:amd64" "oci:$T/oci:bb" &&
    umoci raw add-layer --image "$T/oci:bb" --tag big "$T/sparse.tar" &&
    skopeo copy -q "oci:$T/oci:big" "oci:$XB_ROOT:sparse:1" || fail "an image with the sparse layer"
C=$T/lim
mkdir -p "$C"
printf 'FROM sparse:1\nRUN true\n' >"$C/Dockerfile"
out=$(timeout 120 "$XBUILD" bud -t lim-run:t "$C" 2>&1)
check "FROM an image with a 10 TiB sparse file + RUN: refused" test $? -eq 1
like "... naming the layer, the limit, the file and how to change it" "$out" \
    "layer sha256:[0-9a-f]{64}.*more than the limit of 68719476736 bytes \(big: 10995116277760 bytes.*--max-layer-size SIZE or XBUILD_MAX_LAYER_SIZE"
check "... nothing of it left in the store's layers" \
    test -z "$(ls -A "$XB_ROOT/xbuild/layers" 2>/dev/null | grep -v '^[0-9a-f]\{64\}$')"
printf 'FROM sparse:1 AS s\nFROM scratch\nCOPY --from=s /big /big\n' >"$C/Dockerfile.copy"
out=$(timeout 120 "$XBUILD" bud -t lim-copy:t -f "$C/Dockerfile.copy" "$C" 2>&1)
check "COPY --from of the 10 TiB sparse file: refused" test $? -eq 1
like "... naming the layer" "$out" "layer sha256:[0-9a-f]{64}: its files add up to more than the limit"
cp "$T/sparse.tar" "$C/"
printf 'FROM scratch\nADD sparse.tar /x/\n' >"$C/Dockerfile.add"
out=$(timeout 120 "$XBUILD" bud -t lim-add:t -f "$C/Dockerfile.add" "$C" 2>&1)
check "ADD of a tar holding it: refused" test $? -eq 1
like "... naming the archive" "$out" "archive sparse.tar: its files add up to more than the limit"
printf 'FROM sparse:1\nRUN test -f /big && echo ok > /seen\n' >"$C/Dockerfile.raise"
out=$(timeout 120 "$XBUILD" bud --max-layer-size 11T -t lim-raised:t -f "$C/Dockerfile.raise" "$C" 2>&1)
check "--max-layer-size 11T: the sparse layer is extracted (sparse on disk) and RUN sees it" \
    test $? -eq 0 || diag "$out"
check "... using little disk" test "$(du -sk "$XB_ROOT" | cut -f1)" -lt 100000
# small numbers: a 2 MiB file against 1M, the env, and a raised limit
head -c 2097152 /dev/urandom >"$T/sp/two"
tar -C "$T/sp" -cf "$C/two.tar" two
printf 'FROM scratch\nADD two.tar /\n' >"$C/Dockerfile.two"
out=$("$XBUILD" bud --max-layer-size 1M -t two:t -f "$C/Dockerfile.two" "$C" 2>&1)
check "--max-layer-size 1M refuses a 2 MiB file" test $? -eq 1
like "... saying so" "$out" "more than the limit of 1048576 bytes \(two: 2097152 bytes"
out=$(XBUILD_MAX_LAYER_SIZE=1M "$XBUILD" bud -t two:t -f "$C/Dockerfile.two" "$C" 2>&1)
check "XBUILD_MAX_LAYER_SIZE=1M too" test $? -eq 1
check "--max-layer-size 3M accepts it" "$XBUILD" bud -q --max-layer-size 3M -t two:t -f "$C/Dockerfile.two" "$C"
out=$("$XBUILD" bud --max-layer-size 12x -t two:t -f "$C/Dockerfile.two" "$C" 2>&1)
is "a bad size is a usage error" "$?" 2
like "... naming the flag" "$out" "--max-layer-size takes a size"
printf 'FROM two:t\n' >"$C/Dockerfile.from"
out=$("$XBUILD" run --max-layer-size 1M two:t /two 2>&1)
check "xbuild run --max-layer-size 1M refuses the image's layer" test $? -ne 0
like "... saying so" "$out" "more than the limit of 1048576 bytes"

done_testing

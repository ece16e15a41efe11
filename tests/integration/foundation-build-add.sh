#!/usr/bin/env bash
# xbuild bud: ADD of local tar archives (plain, gzip, xz, zstd, bzip2; hostile names) and URLs.
. "$top_srcdir/tests/lib/common.sh"
command -v umoci >/dev/null || { echo "1..0 # SKIP umoci missing"; exit 0; }

C=$T/ctx
mkdir -p "$C" "$T/src/root/bin" "$T/src/root/etc"
echo '#!/bin/sh' >"$T/src/root/bin/tool"; chmod 4755 "$T/src/root/bin/tool"
ln -s tool "$T/src/root/bin/tool-link"
echo conf >"$T/src/root/etc/conf"
chown -R 7:8 "$T/src/root/etc"
tar -C "$T/src/root" --numeric-owner -cf "$C/root.tar" .
gzip -9 -c "$C/root.tar" >"$C/root.tar.gz"
xz -c "$C/root.tar" >"$C/root.tar.xz"
zstd -q -c "$C/root.tar" >"$C/root.tar.zst"
bzip2 -c "$C/root.tar" >"$C/root.tar.bz2"
echo "not an archive" >"$C/plain.tar.gz"
python3 - "$C/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name in ["../../escape.txt", "/abs.txt", "ok/../../up.txt"]:
        data = b"x\n"
        ti = tarfile.TarInfo(name); ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
PY
# an HTTP server for ADD <url>
mkdir -p "$T/www"
echo "downloaded" >"$T/www/file.txt"
touch -d @1600000000 "$T/www/file.txt"
tar -C "$T/src/root" -czf "$T/www/remote.tar.gz" .
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$T/www" && exec python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
srv=$!
at_exit "kill $srv"
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/file.txt" >/dev/null && break; sleep 0.1; done
sum=$(sha256sum "$T/www/file.txt" | cut -d' ' -f1)

cat >"$C/Dockerfile" <<DF
FROM scratch
ADD root.tar /
ADD root.tar.gz /gz
ADD root.tar.xz /xz/
ADD root.tar.zst /zst
ADD root.tar.bz2 /bz2
ADD plain.tar.gz /plain/
ADD evil.tar /evil/
ADD --checksum=sha256:$sum http://127.0.0.1:$port/file.txt /dl/
ADD http://127.0.0.1:$port/remote.tar.gz /dl/remote.tar.gz
ADD --chown=5:6 http://127.0.0.1:$port/file.txt /dl/renamed
DF
check "build with ADD" "$XBUILD" bud -q -t add:test "$C"
check "umoci unpack" umoci unpack --image "$XB_ROOT:add:test" "$T/b"
R=$T/b/rootfs
for d in "" gz xz zst bz2; do
    is "extracted ${d:-plain} tar: setuid mode kept" "$(stat -c '%a %u:%g' "$R/$d/bin/tool")" "4755 0:0"
    is "extracted ${d:-plain} tar: symlink" "$(readlink "$R/$d/bin/tool-link")" tool
    is "extracted ${d:-plain} tar: owner from the archive" "$(stat -c '%u:%g' "$R/$d/etc/conf")" "7:8"
done
is "not-an-archive copied as a file" "$(cat "$R/plain/plain.tar.gz")" "not an archive"
check "hostile ../ entry kept inside the dest" test -f "$R/evil/escape.txt"
check "absolute entry kept inside the dest" test -f "$R/evil/abs.txt"
check "nothing escaped to /" test ! -e "$R/escape.txt" -a ! -e "$R/abs.txt" -a ! -e "$R/up.txt"
is "URL downloaded, mode 0600" "$(stat -c '%a %u:%g' "$R/dl/file.txt")" "600 0:0"
is "URL content" "$(cat "$R/dl/file.txt")" downloaded
is "URL mtime from Last-Modified" "$(stat -c %Y "$R/dl/file.txt")" 1600000000
check "URL archive not extracted" test -f "$R/dl/remote.tar.gz"
is "URL with --chown" "$(stat -c '%a %u:%g' "$R/dl/renamed")" "600 5:6"

cat >"$C/Dockerfile.bad" <<DF
FROM scratch
ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 http://127.0.0.1:$port/file.txt /x
DF
out=$($XBUILD bud -q -f "$C/Dockerfile.bad" "$C" 2>&1)
check "wrong checksum fails" test $? -ne 0
like "checksum error names file:line" "$out" 'Dockerfile.bad:2: .*digest mismatch'
cat >"$C/Dockerfile.404" <<DF
FROM scratch
ADD http://127.0.0.1:$port/missing /x
DF
out=$($XBUILD bud -q -f "$C/Dockerfile.404" "$C" 2>&1)
like "HTTP 404 is an error" "$out" 'Dockerfile.404:2: .*404'
done_testing

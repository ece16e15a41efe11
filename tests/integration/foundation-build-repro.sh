#!/usr/bin/env bash
# Reproducible builds: SOURCE_DATE_EPOCH / --timestamp give the same manifest digest, byte for
# byte, across stores, touched files and compressions.
. "$top_srcdir/tests/lib/common.sh"

C=$T/ctx
mkdir -p "$C/d"
echo a >"$C/a"; echo b >"$C/d/b"; ln -s a "$C/l"
tar -C "$C/d" -czf "$C/d.tgz" .
cat >"$C/Dockerfile" <<'DF'
FROM scratch
COPY a l /x/
COPY --chown=1:2 d /d
ADD d.tgz /t/
COPY <<EOF /h
heredoc
EOF
ENV A=1
CMD ["/x/a"]
DF
d1=$(SOURCE_DATE_EPOCH=1700000000 "$XBUILD" --root "$T/s1" bud -q -t r:1 "$C")
check "first build" test -n "$d1"
touch "$C/a" "$C/d/b"
d2=$(SOURCE_DATE_EPOCH=1700000000 "$XBUILD" --root "$T/s2" bud -q -t r:1 "$C")
is "same digest in another store after touching sources" "$d2" "$d1"
d3=$("$XBUILD" --root "$T/s1" bud -q --timestamp 1700000000 -t r:2 "$C")
is "--timestamp equals SOURCE_DATE_EPOCH" "$d3" "$d1"
d4=$(SOURCE_DATE_EPOCH=1700000001 "$XBUILD" --root "$T/s1" bud -q "$C")
check "another epoch gives another digest" test "$d4" != "$d1"
z1=$("$XBUILD" --root "$T/s1" bud -q --timestamp 5 --compression zstd "$C")
z2=$("$XBUILD" --root "$T/s2" bud -q --timestamp 5 --compression zstd "$C")
is "zstd layers reproducible" "$z2" "$z1"
check "zstd differs from gzip" test "$z1" != "$d1"
cmp -s "$T/s1/blobs/sha256/${d1#sha256:}" "$T/s2/blobs/sha256/${d1#sha256:}"
check "manifest blobs identical" test $? -eq 0
echo changed >"$C/a"
d5=$(SOURCE_DATE_EPOCH=1700000000 "$XBUILD" --root "$T/s1" bud -q "$C")
check "changed content changes the digest" test "$d5" != "$d1"
done_testing

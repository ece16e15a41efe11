#!/usr/bin/env bash
# libarchive and libcurl are loaded on first use (src/lazy): the binary does not need them at
# start-up, a command that uses neither runs even when they cannot be loaded, and a command that
# needs one fails with exit 127 and a message naming the library and the function.
. "$top_srcdir/tests/lib/common.sh"

needed=$(readelf -d "$XBUILD" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
diag "NEEDED: $needed"
check_fails "the binary does not link libcurl" grep -q libcurl <<<"$needed"
check_fails "the binary does not link libarchive" grep -q libarchive <<<"$needed"

# broken stand-ins for both libraries, found first through LD_LIBRARY_PATH
mkdir -p "$T/lib"
echo 'int xb_not_curl(void) { return 0; }' >"$T/empty.c"
cc -shared -fPIC -o "$T/lib/libcurl.so.4" "$T/empty.c" || fail "build a stand-in library"
cp "$T/lib/libcurl.so.4" "$T/lib/libarchive.so.13"
broken() { LD_LIBRARY_PATH=$T/lib "$XBUILD" "$@"; }

check "images runs with unloadable libcurl and libarchive" broken images
check "inspect of a missing image still answers normally" test "$(broken inspect nope >/dev/null 2>&1; echo $?)" = 1

mkdir -p "$T/ctx"
echo data >"$T/ctx/f"
printf 'FROM scratch\nCOPY f /f\n' >"$T/ctx/Dockerfile"
out=$(broken bud -q -t lazy:1 "$T/ctx" 2>&1)
is "a build (which writes layers with libarchive) exits 127" "$?" 127
like "... naming libarchive and the function" "$out" "cannot load archive_[a-z_]+ from libarchive.so.13"
out=$(broken pull --tls-verify=false 127.0.0.1:9/x/y:1 2>&1)
is "a pull exits 127" "$?" 127
like "... naming libcurl and the function" "$out" "cannot load curl_[a-z_]+ from libcurl.so.4"
check "with the real libraries the build works" "$XBUILD" bud -q -t lazy:1 "$T/ctx"
check "and the image is there" "$XBUILD" inspect lazy:1
done_testing

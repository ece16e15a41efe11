#!/usr/bin/env bash
# libarchive and libcurl are loaded on first use (src/lazy): the binary does not need them at
# start-up but declares them in a .note.dlopen ELF note, a command that uses neither runs even
# when they cannot be loaded, and a command that needs one fails cleanly (exit 1) with an error
# naming the library, what is wrong with it and the Debian package to install.
. "$top_srcdir/tests/lib/common.sh"

needed=$(readelf -d "$XBUILD" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
diag "NEEDED: $needed"
check_fails "the binary does not link libcurl" grep -q libcurl <<<"$needed"
check_fails "the binary does not link libarchive" grep -q libarchive <<<"$needed"
# the .note.dlopen note (FDO, type 0x407c0c0a): a JSON list of the dlopen()ed sonames
note=$(python3 - "$XBUILD" <<'EOF2'
import json, struct, subprocess, sys
out = subprocess.run(["objcopy", "-O", "binary", "--only-section=.note.dlopen", sys.argv[1], "/dev/stdout"],
                     capture_output=True, check=True).stdout
names = []
while len(out) >= 12:
    nsz, dsz, typ = struct.unpack("<III", out[:12])
    name = out[12:12 + nsz].rstrip(b"\0").decode()
    off = 12 + ((nsz + 3) & ~3)
    desc = out[off:off + dsz].rstrip(b"\0").decode()
    if name == "FDO" and typ == 0x407c0c0a:
        for d in json.loads(desc):
            names += d["soname"]
    out = out[off + ((dsz + 3) & ~3):]
print(" ".join(sorted(names)))
EOF2
)
is ".note.dlopen lists libarchive and libcurl" "$note" "libarchive.so.13 libcurl.so.4"

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
is "a build (which writes layers with libarchive) fails with exit 1" "$?" 1
like "... naming libarchive, the missing function and the package" "$out" \
    "libarchive.so.13 cannot be loaded: it has no function archive_[a-z_]+ .*install the Debian package libarchive13"
out=$(broken pull --tls-verify=false 127.0.0.1:9/x/y:1 2>&1)
is "a pull fails with exit 1" "$?" 1
like "... naming libcurl and the package" "$out" "libcurl.so.4 cannot be loaded: .*install the Debian package libcurl4"
check "with the real libraries the build works" "$XBUILD" bud -q -t lazy:1 "$T/ctx"
check "and the image is there" "$XBUILD" inspect lazy:1
done_testing

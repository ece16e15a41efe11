#!/usr/bin/env bash
# xbuild's own image: the root Containerfile built by xbuild for linux/amd64 and linux/arm64 from
# Debian bases that xbuild assembles from mmdebstrap rootfs tarballs (scripts/make-debian-bases.sh;
# the tarballs are cached in $XB_TEST_CACHE/debian, the first run downloads ~250 MB of .debs).
# The arm64 binary is cross-compiled in a `FROM --platform=$BUILDPLATFORM` stage; the arm64 image
# then runs under qemu and prints its version. The times are reported as diagnostics.
. "$top_srcdir/tests/lib/common.sh"
require_root "mmdebstrap's root mode and RUN steps need root"
require_tools mmdebstrap file
[ "$(dpkg --print-architecture)" = amd64 ] ||
    { echo "1..0 # SKIP the build base is made for an amd64 build machine (crossbuild-essential-arm64)"; exit 0; }
require_emulator arm64 aarch64 "the arm64 runtime rootfs and xbuild run"
: "${XB_TEST_CACHE:=$top_srcdir/tests/.cache}"
export XB_TEST_CACHE
now() { date +%s; }

t0=$(now)
if out=$(XBUILD_ROOT=$XB_ROOT "$top_srcdir/scripts/make-debian-bases.sh" amd64 arm64 2>&1); then
    ok "make-debian-bases.sh: build and runtime bases from Debian packages"
else
    fail "make-debian-bases.sh: build and runtime bases from Debian packages"
    printf '%s\n' "$out" | sed 's/^/#   /' | tail -20
fi
t1=$(now)
diag "bases (mmdebstrap tarballs cached in $XB_TEST_CACHE/debian, imported by xbuild): $((t1 - t0)) s"
like "... the build base is the host's platform" "$(printf '%s\n' "$out")" "xbuild-build-base:bookworm linux/amd64 sha256:"
like "... the runtime base is an index of both" "$(printf '%s\n' "$out")" "xbuild-runtime-base:bookworm linux/amd64,linux/arm64 sha256:"

# the source tree may hold a configured in-tree build (objects for this machine): .dockerignore
# must keep them out, or the arm64 link would fail
xb bud --platform linux/amd64,linux/arm64 -t xbuild:test "$top_srcdir" >"$T/bud.log" 2>&1
rc=$?
t2=$(now)
is "xbuild bud --platform linux/amd64,linux/arm64 of the root Containerfile" "$rc" 0
[ $rc -eq 0 ] || sed 's/^/#   /' "$T/bud.log" | tail -30
diag "bud of both platforms (two compiles in the build stage, both native-speed): $((t2 - t1)) s"
like "the arm64 build used the cross toolchain" "$(cat "$T/bud.log")" "checking for aarch64-linux-gnu-strip\.\.\. aarch64-linux-gnu-strip"
unlike() { if printf '%s' "$2" | grep -Eq -- "$3"; then fail "$1"; else ok "$1"; fi; }
unlike "... and copied no object file of the checkout" "$(cat "$T/bud.log")" "is up to date|Nothing to be done"

plats=$(xb inspect --json xbuild:test 2>/dev/null | python3 -c '
import json, sys
m = json.load(sys.stdin).get("index") or {}
print(" ".join(sorted(e["platform"]["os"] + "/" + e["platform"]["architecture"] for e in m.get("manifests", []))))' 2>/dev/null)
is "xbuild:test is an index of linux/amd64 and linux/arm64" "$plats" "linux/amd64 linux/arm64"

want=$("$XBUILD" --version)
is "xbuild run --platform linux/arm64 xbuild:test --version (under qemu)" \
    "$(xb run --platform linux/arm64 xbuild:test --version 2>&1)" "$want"
is "... and linux/amd64" "$(xb run --platform linux/amd64 xbuild:test --version 2>&1)" "$want"
is "the arm64 image runs as aarch64 (qemu)" \
    "$(xb run --platform linux/arm64 --entrypoint /bin/uname xbuild:test -m 2>&1)" aarch64
mkdir -p "$T/out"
xb run --platform linux/arm64 -v "$T/out:/out" --entrypoint /bin/cp xbuild:test /usr/bin/xbuild /out/xbuild-arm64 >/dev/null 2>&1
like "the arm64 binary is an aarch64 ELF" "$(file -b "$T/out/xbuild-arm64" 2>&1)" "ELF 64-bit LSB .*ARM aarch64"
check "the arm64 image has the libraries xbuild loads at run time (libarchive, libcurl)" \
    xb run --platform linux/arm64 --entrypoint /bin/ls xbuild:test \
    /usr/lib/aarch64-linux-gnu/libarchive.so.13 /usr/lib/aarch64-linux-gnu/libcurl.so.4
like "... and the arm64 xbuild works in it (binfmt status)" \
    "$(xb run --platform linux/arm64 xbuild:test binfmt --status 2>&1)" "arm64 +native"

# a second build is all cache
xb bud --platform linux/amd64,linux/arm64 -t xbuild:test2 "$top_srcdir" >"$T/bud2.log" 2>&1
rc=$?
t3=$(now)
is "a rebuild succeeds" "$rc" 0
steps=$(grep -c 'STEP [0-9]*/[0-9]*: \(COPY\|RUN\)' "$T/bud2.log")
hits=$(grep -c 'Using cache' "$T/bud2.log")
[ "$steps" -ge 6 ] && [ "$hits" -ge "$steps" ] && ok "... every COPY and RUN of both platforms is a cache hit ($hits hits, $steps COPY/RUN)" ||
    fail "... every COPY and RUN of both platforms is a cache hit ($hits hits, $steps COPY/RUN)"
unlike "... no compiler ran" "$(cat "$T/bud2.log")" "^ *CC |checking for"
diag "rebuild from the cache: $((t3 - t2)) s"
done_testing

#!/usr/bin/env bash
# RUN on each architecture (qemu via binfmt_misc) on the base images of
# scripts/make-base-images.sh: the output lands in the layer, and
# `xbuild run` of the arm64 image prints aarch64.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_root "namespaces, binfmt_misc"

# 386 runs natively only where the kernel has its 32-bit syscall entry on (CONFIG_IA32_EMULATION,
# not ia32_emulation=0): xbuild probes it by running a tiny embedded i386 binary. Our own copy of
# such a probe (e_ident padding 'x', which no qemu binfmt mask accepts) tells what to expect.
python3 - "$T/probe386" <<'PY'
import struct, sys
code = bytes([0xb8, 1, 0, 0, 0, 0x31, 0xdb, 0xcd, 0x80])  # exit(0)
eh = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(7) + b"x"
eh += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x08048054, 52, 0, 0, 52, 32, 1, 0, 0, 0)
ph = struct.pack("<IIIIIIII", 1, 0, 0x08048000, 0x08048000, 93, 93, 5, 0x1000)
open(sys.argv[1], "wb").write(eh + ph + code)
PY
chmod +x "$T/probe386"
if "$T/probe386" 2>/dev/null; then native386="probe ran"; else native386="probe failed"; fi
diag "this kernel: 386 $native386"
st386=$("$XBUILD" binfmt --status --json | python3 -c 'import json,sys; print([a["native"] for a in json.load(sys.stdin) if a["arch"] == "386"][0])')
is "binfmt --status reports what the 386 probe found" "$st386" "$native386"
like "binfmt --status shows it in the NATIVE column" "$("$XBUILD" binfmt --status | grep '^386 ')" "$native386"
check "binfmt handlers installed" "$XBUILD" binfmt --install arm64 arm/v7 ppc64le s390x 386
if [ "$native386" = "probe ran" ]; then
    is "386: nothing registered where the kernel runs it" "$("$XBUILD" binfmt --install 386)" "386: native, nothing to register"
else
    like "386: qemu registered where the kernel refuses it" "$("$XBUILD" binfmt --status | grep '^386 ')" '^386 +emulated +probe failed +qemu-i386'
fi
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
# The fallback, on any machine: a store whose per-boot probe answer says 386 does not run
# natively (what a kernel without ia32 support answers) runs 386 steps under qemu-i386. The
# exe link of another process (here the parent shell: qemu hides only its own /proc/PID) is the
# emulator under qemu (a file of qemu-i386-static's size; its
# path reads "/" when xbuild registered it from a read-only bind mount), /bin/busybox when native.
S2=$T/store-no386
mkdir -p "$S2/xbuild"
printf 'boot %s\n386 emulated\n' "$(cat /proc/sys/kernel/random/boot_id)" >"$S2/xbuild/arch-probe"
like "a per-boot answer 'emulated' is reported" "$("$XBUILD" --root "$S2" binfmt --status | grep '^386 ')" '^386 +(emulated|missing) +probe failed'
if [ "$native386" = "probe ran" ] && ! "$XBUILD" binfmt --status | grep -q '^386 .*qemu-i386'; then
    at_exit "'$XBUILD' binfmt --uninstall 386"  # leave a kernel that runs 386 natively as it was
fi
check "the fallback registers qemu-i386" "$XBUILD" --root "$S2" binfmt --install 386
mkdir -p "$T/fb"
printf 'FROM busybox:i386\nRUN sh -c '"'"'stat -L -c %%s /proc/$PPID/exe'"'"' > /exe 2>&1; uname -m > /arch\n' >"$T/fb/Dockerfile"
if XBUILD_ROOT=$S2 "$top_srcdir/scripts/make-base-images.sh" i386 >/dev/null 2>&1 &&
    out=$("$XBUILD" --root "$S2" bud -q --platform linux/386 -t fb "$T/fb" 2>&1); then
    ok "fallback: the 386 RUN builds under qemu"
    top=$(XB_ROOT=$S2 img_layers fb | tail -1)
    exe=$(layer_cat "$top" exe)
    is "fallback: the step's processes ran qemu-i386-static, not busybox (size of /proc/PID/exe)" "$exe" "$(stat -L -c %s /usr/bin/qemu-i386-static)"
    is "fallback: uname -m under qemu-i386" "$(layer_cat "$top" arch)" i686
else
    fail "fallback: the 386 RUN builds under qemu"; printf '%s\n' "${out:-base image failed}" | sed 's/^/#   /' | tail -5
fi
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

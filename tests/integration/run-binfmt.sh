#!/usr/bin/env bash
# xbuild binfmt: status (text/JSON), install/uninstall, a foreign entry without F and one with a
# dynamically linked interpreter are diagnosed; RUN/run without a handler stops with the fix.
# Uses mips64le and loong64 only, so parallel tests (arm64, arm, ppc64le, s390x) are unaffected.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_root "binfmt_misc"
[ -x /usr/bin/qemu-mips64el-static ] || { echo "1..0 # SKIP qemu-user-static missing"; exit 0; }
BM=/proc/sys/fs/binfmt_misc
restore() { [ ! -e $BM/xbtest-exposed-mips64el ] || echo -1 >$BM/xbtest-exposed-mips64el; "$XBUILD" binfmt --uninstall loong64 mips64le >/dev/null 2>&1; "$XBUILD" binfmt --install mips64le >/dev/null 2>&1; }
at_exit restore

check "--help" "$XBUILD" binfmt --help
check_fails "unknown architecture is a usage error" "$XBUILD" binfmt --install sparc
out=$("$XBUILD" binfmt --status)
like "status lists amd64 as native" "$out" '^amd64 +native'
json=$("$XBUILD" binfmt --status --json)
is "JSON has 10 architectures" "$(printf '%s' "$json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 10

check "uninstall mips64le" "$XBUILD" binfmt --uninstall mips64le
like "mips64le missing" "$("$XBUILD" binfmt --status)" '^mips64le +missing'
check "install mips64le" "$XBUILD" binfmt --install mips64le
st=$(cat $BM/qemu-mips64el 2>/dev/null)
like "registered with the -binfmt-P wrapper" "$st" 'interpreter /usr/libexec/qemu-binfmt/mips64el-binfmt-P'
like "flags include P and F" "$st" 'flags: P?O?C?F'
like "status: emulated, static" "$("$XBUILD" binfmt --status)" '^mips64le +emulated +foreign +qemu-mips64el +/usr/libexec/qemu-binfmt/mips64el-binfmt-P +POCF +static'
is "install again is a no-op" "$("$XBUILD" binfmt --install mips64le)" "mips64le: already registered"

# RUN/run of a platform without a handler
if bb_image mips64el bb:mips64 linux/mips64le 2>/dev/null; then
    "$XBUILD" binfmt --uninstall mips64le >/dev/null
    out=$("$XBUILD" run --platform linux/mips64le bb:mips64 uname -m 2>&1)
    like "run without a handler: actionable error" "$out" "no binfmt_misc handler for mips64le: run 'xbuild binfmt --install mips64le' or pass --install-binfmt"
    mkdir -p "$T/c"; printf 'FROM bb:mips64\nRUN true\n' >"$T/c/Dockerfile"
    out=$("$XBUILD" bud --platform linux/mips64le "$T/c" 2>&1)
    like "bud without a handler: actionable error with the line" "$out" "Dockerfile:2.*no binfmt_misc handler for mips64le"
    "$XBUILD" bud -q --install-binfmt --platform linux/mips64le "$T/c" >/dev/null 2>&1
    like "bud --install-binfmt registers on the fly" "$("$XBUILD" binfmt --status)" '^mips64le +emulated'
    "$XBUILD" binfmt --uninstall mips64le >/dev/null
    is "run --install-binfmt registers on the fly" "$("$XBUILD" run --install-binfmt --platform linux/mips64le bb:mips64 uname -m 2>/dev/null)" mips64
    # argv[0] preserved (busybox applet through a symlink needs P)
    is "argv[0] preserved for busybox applets" "$("$XBUILD" run --platform linux/mips64le bb:mips64 sh -c 'echo ok')" ok
    # xbuild registers with F through a read-only bind mount of the interpreter: an emulated
    # process's /proc/PID/exe leads through it. An O_TRUNC open checks the mount before the
    # file's busy state, so this never modifies qemu (ETXTBSY stops a writable one first).
    out=$("$XBUILD" run --platform linux/mips64le bb:mips64 sh -c 'sleep 20 & p=$!; sleep 1
        (exec 3>/proc/$p/exe) 2>&1; (exec 3>/proc/./self/exe) 2>&1; kill $p' 2>&1)
    like "qemu registered by xbuild is on a read-only mount for RUN: /proc/PID/exe" "$out" "/proc/[0-9]+/exe: Read-only file system"
    like "... and /proc/self/exe (past qemu's own interception)" "$out" "/proc/./self/exe: Read-only file system"

    # GUARD: which emulator the kernel really starts, and whether a RUN step could chmod/chown
    # it. A registration made the ordinary way (Debian's update-binfmts, tonistiigi/binfmt) keeps
    # a read-write file; a copy of qemu stands in for it, in front of xbuild's entry.
    like "xbuild's registration: GUARD read-only" "$("$XBUILD" binfmt --status)" '^mips64le +emulated .* static +read-only'
    cp /usr/bin/qemu-mips64el-static "$T/mips64el-binfmt-P" && chmod 755 "$T/mips64el-binfmt-P"
    hexesc() { sed -n "s/^$1 //p" $BM/qemu-mips64el | sed 's/../\\x&/g'; }
    printf ':xbtest-exposed-mips64el:M::%s:%s:%s:POCF' "$(hexesc magic)" "$(hexesc mask)" "$T/mips64el-binfmt-P" >$BM/register
    like "a plain F registration in front: status exposed, GUARD EXPOSED" "$("$XBUILD" binfmt --status)" '^mips64le +exposed .* static +EXPOSED +# RUN steps could chmod/chown the emulator'
    like "... JSON names the emulator it found" "$("$XBUILD" binfmt --status --json)" "\"arch\":\"mips64le\"[^}]*\"guard\":\"EXPOSED\",\"guard_reason\":\"$T/mips64el-binfmt-P is reachable read-write"
    # ... and it is: root in a chroot of the mips64 busybox changes the copy's mode through the
    # /proc/PID/exe of an emulated child (qemu intercepts only its own /proc/self)
    mkdir -p "$T/mroot" && bb_rootfs_tar mips64el "$T/mips.tar" && tar -C "$T/mroot" -xf "$T/mips.tar" && mkdir -p "$T/mroot/proc" "$T/mroot/dev" &&
        mknod -m 666 "$T/mroot/dev/null" c 1 3
    chroot_chmod() { unshare -m -p -f --mount-proc="$T/mroot/proc" chroot "$T/mroot" /bin/sh -c \
        "sleep 5 & p=\$!; sleep 0.5; chmod $1 /proc/\$p/exe && echo CHMOD-OK; kill \$p" 2>&1; }
    out=$(chroot_chmod 700)
    like "... a chroot's root changed the exposed emulator's mode (test of the probe)" "$out" CHMOD-OK
    is "... (its mode on the host)" "$(stat -c %a "$T/mips64el-binfmt-P")" 700
    chmod 755 "$T/mips64el-binfmt-P"
    out=$("$XBUILD" bud --no-cache --platform linux/mips64le "$T/c" 2>&1)
    like "bud (root) swaps an exposed registration for a read-only one before RUN" "$out" 'mips64le: re-registered read-only'
    like "... then GUARD read-only" "$("$XBUILD" binfmt --status)" '^mips64le +emulated .* static +read-only'
    # same mode as before: if the guard were wrong this would not change the real qemu's mode
    like "... and the chroot's chmod through /proc/PID/exe now fails" "$(chroot_chmod 755)" 'Read-only file system'
    echo -1 >$BM/xbtest-exposed-mips64el
else
    for i in $(seq 15); do skip "no busybox-static:mips64el (Debian's package for the RUN checks)"; done
fi

# foreign registrations: loong64 without F, then with a dynamically linked interpreter
"$XBUILD" binfmt --uninstall loong64 >/dev/null
magic='\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x02\x01'
mask='\xff\xff\xff\xff\xff\xff\xff\xfc\x00\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
echo ":xbtest-loong:M::$magic:$mask:/usr/bin/qemu-loongarch64-static:" >$BM/register
out=$("$XBUILD" binfmt --status)
like "foreign entry without F reported" "$out" '^loong64 +broken +foreign +xbtest-loong .*no F flag'
out=$("$XBUILD" binfmt --install loong64 2>&1)
like "install registers in front of the foreign entry" "$out" 'loong64: registered \(in front of another entry\)'
like "then emulated" "$("$XBUILD" binfmt --status)" '^loong64 +emulated +foreign +qemu-loongarch64'
"$XBUILD" binfmt --uninstall loong64 >/dev/null
is "uninstall removes both entries" "$(ls $BM | grep -c -e xbtest-loong -e qemu-loongarch64)" 0
echo ":xbtest-loong:M::$magic:$mask:/bin/true:F" >$BM/register
like "dynamically linked interpreter with F diagnosed" "$("$XBUILD" binfmt --status)" '^loong64 +broken .*dynamic .*dynamically linked'
like "JSON problem field" "$("$XBUILD" binfmt --status --json)" '"arch":"loong64"[^}]*"static":false[^}]*"problem":"interpreter dynamically linked'
done_testing

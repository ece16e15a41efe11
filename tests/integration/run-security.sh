#!/usr/bin/env bash
# The hardened sandbox against a hostile RUN step or image (issue: host block devices, TIOCSTI,
# the emulator binary, packet sockets) and the peripherals `xbuild run` gives on request
# (--device, -v, -t, -i, --privileged, --cap-add, --security-opt). See docs/design/run.md.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_root "namespaces, loop devices"
bb_image amd64 bb:amd64 linux/amd64 || { echo "Bail out! no base image"; exit 1; }
R() { "$XBUILD" run bb:amd64 "$@"; }

# a static probe (TIOCSTI, AF_PACKET, seccomp'd calls), copied into images by COPY
mkdir -p "$T/c"
gcc -static -O1 -o "$T/c/probe" "$top_srcdir/tests/integration/run-security-probe.c" ||
    { echo "Bail out! cannot build the static probe (gcc -static, libc6-dev)"; exit 1; }
printf 'FROM bb:amd64\nCOPY probe /probe\n' >"$T/c/Dockerfile"
"$XBUILD" bud -q -t probe "$T/c" >/dev/null || { echo "Bail out! cannot build the probe image"; exit 1; }

# --- host block devices: a loop device over a file with a known header ---
HDR=XBUILD-LOOP-HEADER-0123456 # 26 bytes
{ printf '%s' "$HDR"; head -c 65536 /dev/zero; } >"$T/disk.img"
LOOP=$(losetup -f --show "$T/disk.img") || { echo "Bail out! losetup failed"; exit 1; }
at_exit "losetup -d $LOOP"
MIN=$(stat -c '%T' "$LOOP"); MIN=$((16#$MIN))
is "the host can read the loop device (test setup)" "$(head -c 26 "$LOOP")" "$HDR"
printf 'FROM bb:amd64\nRUN mknod /tmp/d b 7 %s && head -c 26 /tmp/d\n' "$MIN" >"$T/c/Dockerfile"
out=$("$XBUILD" bud "$T/c" 2>&1); rc=$?
check "RUN mknod + read of a host loop device fails" test "$rc" -ne 0
like "... it is refused (no CAP_MKNOD)" "$out" 'mknod: /tmp/d: Operation not permitted'
check "... and nothing of the device reached the build log" test "${out#*"$HDR"}" = "$out"
out=$("$XBUILD" run --cap-add MKNOD bb:amd64 sh -c "mknod /tmp/d b 7 $MIN && echo made && head -c 26 /tmp/d" 2>&1)
like "with --cap-add MKNOD the node is made, but the nodev rootfs refuses to open it" "$out" 'head: /tmp/d: Permission denied'
check "... and nothing was read" test "${out#*"$HDR"}" = "$out"
out=$("$XBUILD" run --cap-add MKNOD bb:amd64 sh -c "mknod /dev/d b 7 $MIN && echo made && head -c 26 /dev/d" 2>&1)
like "a node made on /dev (a nodev tmpfs) cannot be opened either" "$out" 'head: /dev/d: Permission denied'

# an image that ships a 0666 block-device node, read by a RUN as uid 1000
python3 - "$T/c/dev.tar" "$MIN" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("blk"); i.type = tarfile.BLKTYPE; i.mode = 0o666
    i.devmajor = 7; i.devminor = int(sys.argv[2]); t.addfile(i)
PY
printf 'FROM bb:amd64\nADD dev.tar /\n' >"$T/c/Dockerfile"
"$XBUILD" bud -q -t devimg "$T/c" >/dev/null 2>&1
like "the image carries a 0666 block-device node (test setup)" "$("$XBUILD" run devimg ls -l /blk 2>&1)" '^brw-rw-rw-'
out=$("$XBUILD" run --user 1000 devimg head -c 26 /blk 2>&1)
like "a RUN as uid 1000 cannot read the image's 0666 block device" "$out" 'Permission denied|Operation not permitted'
check "... and nothing was read" test "${out#*"$HDR"}" = "$out"
printf 'FROM devimg\nUSER 1000\nRUN head -c 26 /blk\n' >"$T/c/Dockerfile"
out=$("$XBUILD" bud "$T/c" 2>&1)
check "... nor in a build's RUN step" test "${out#*"$HDR"}" = "$out"

# --device: on request only
is "--device makes the loop device readable" "$("$XBUILD" run --device "$LOOP" bb:amd64 head -c 26 "$LOOP" 2>&1)" "$HDR"
is "--device HOST:CTR renames it" "$("$XBUILD" run --device "$LOOP:/dev/xdisk" bb:amd64 head -c 26 /dev/xdisk 2>&1)" "$HDR"
like "--device HOST:CTR:r is refused (only a device cgroup could enforce it)" "$("$XBUILD" run --device "$LOOP:/dev/xdisk:r" bb:amd64 true 2>&1)" 'read-only device needs a device cgroup'
like "without --device the loop device is not there" "$(R head -c 26 "$LOOP" 2>&1)" 'No such file'
like "--device of a regular file is refused" "$("$XBUILD" run --device "$T/disk.img" bb:amd64 true 2>&1)" 'is not a device node'

# --- TIOCSTI: no keystrokes into the user's terminal ---
if script -qc true /dev/null >/dev/null 2>&1; then
    printf 'FROM probe\nRUN /probe tiocsti\n' >"$T/c/Dockerfile"
    cat >"$T/outer.sh" <<SH
"$XBUILD" bud --no-cache "$T/c" >"$T/tiocsti.log" 2>&1
read -t 2 line; echo "AFTER[\$line]"
SH
    # script's stdin stays open (an EOF would be sent to the pty as ^D ahead of the input)
    out=$(sleep 8 | script -qc "bash $T/outer.sh" /dev/null 2>&1)
    like "the step ran under a terminal (test setup)" "$(cat "$T/tiocsti.log")" 'tiocsti: '
    like "TIOCSTI from RUN pushes nothing into the outer terminal" "$out" 'AFTER\[\]'
    like "... the probe reached no terminal" "$(cat "$T/tiocsti.log")" 'tiocsti: (Inappropriate ioctl|Operation not permitted|No such device)'
    like "with -t (its own pty) TIOCSTI is refused by the seccomp filter" "$("$XBUILD" run -t probe /probe tiocsti 2>&1)" 'tiocsti: Operation not permitted'
else
    for i in 1 2 3 4; do skip "util-linux script cannot allocate a pty here"; done
fi

# --- seccomp, also for the i386 ABI and for ioctl requests with high bits ---
out=$("$XBUILD" run probe /probe keyctl bpf userns ioctl-high-bits userns-i386 2>&1)
like "keyctl refused" "$out" 'keyctl: Operation not permitted'
like "bpf refused" "$out" 'bpf: Operation not permitted'
like "a new user namespace refused" "$out" 'userns: Operation not permitted'
if grep -q 'userns-i386:' <<<"$out"; then
    like "... also through the i386 system call ABI" "$out" 'userns-i386: Operation not permitted'
else
    skip "this kernel has no i386 system call ABI (int \$0x80 killed the probe)"
fi
like "TIOCSTI with high bits set in the request refused" "$out" 'ioctl-high-bits: Operation not permitted'
like "--security-opt seccomp=unconfined lifts the filter" "$("$XBUILD" run --security-opt seccomp=unconfined probe /probe ioctl-high-bits 2>&1)" 'ioctl-high-bits: Inappropriate ioctl'

# --- the emulator: an emulated step cannot open any qemu binary for writing ---
if bb_image arm64 bb:arm64 linux/arm64 2>/dev/null && "$XBUILD" run bb:arm64 true 2>/dev/null; then
    out=$("$XBUILD" run bb:arm64 sh -c 'sleep 30 & p=$!; sleep 1
        echo "exe-size=$(stat -L -c %s /proc/$p/exe)"
        (exec 3<>/proc/$p/exe) 2>/dev/null && echo "pid-exe: WRITABLE"
        (exec 3<>/proc/./self/exe) 2>/dev/null && echo "self-exe: WRITABLE"
        for f in /proc/$p/map_files/*; do (exec 3<>"$f") 2>/dev/null && echo "map_files: WRITABLE"; done
        busybox swapoff /nonexistent 2>&1
        kill $p; echo done' 2>&1)
    like "an emulated step sees qemu behind /proc/PID/exe (test setup: its size)" "$out" "exe-size=$(stat -L -c %s "$(command -v qemu-aarch64-static)")"
    like "... and ran to the end under the seccomp filter and Landlock" "$out" '^done'
    check "... /proc/PID/exe, /proc/./self/exe and map_files of qemu cannot be opened for writing" test "${out#*WRITABLE}" = "$out"
    # swapoff of a missing file: EPERM from the filter before the kernel looks at the path
    like "the seccomp filter refuses swapoff under qemu (it sees qemu's host calls)" "$("$XBUILD" run --cap-add SYS_ADMIN bb:arm64 busybox swapoff /nonexistent 2>&1)" 'Operation not permitted'
    like "... the kernel's own answer with --security-opt seccomp=unconfined" "$("$XBUILD" run --cap-add SYS_ADMIN --security-opt seccomp=unconfined bb:arm64 busybox swapoff /nonexistent 2>&1)" 'No such file'
    like "... and with --cap-add SYS_ADMIN natively too" "$("$XBUILD" run --cap-add SYS_ADMIN bb:amd64 busybox swapoff /nonexistent 2>&1)" 'Operation not permitted'
    # Without ETXTBSY in the way: a copy of qemu (never the real binary) that a host process
    # holds open in the step's PID namespace, reopened for writing through /proc/PID/fd, and
    # a host directory through /proc/PID/cwd. Landlock refuses both (the old sandbox did not).
    cp "$(command -v qemu-aarch64-static)" "$T/qemu-copy"
    sum=$(sha256sum <"$T/qemu-copy")
    mkdir -p "$T/hostcwd"
    "$XBUILD" run bb:arm64 sh -c ': XBFIND; i=0; while [ $i -lt 450 ]; do
        for p in /proc/[0-9]*; do grep -q XB""HOLDER $p/cmdline 2>/dev/null || continue
            (exec 3<>$p/fd/7) 2>&1 && echo "fd: WRITABLE"
            (echo x > $p/cwd/escaped) 2>&1 && echo "cwd: WRITABLE"
            echo found; exit 0
        done; sleep 0.2; i=$((i+1)); done; echo NOTFOUND' >"$T/esc.out" 2>&1 &
    runner=$!
    sb=
    host_ns=$(readlink /proc/self/ns/pid)
    for i in $(seq 600); do # a loaded machine can take a while to start the step
        # the step's init (named xbuild-init): the parent of the step's shell, in another PID
        # namespace, its own parent in ours
        for c in $(pgrep -f XBFIND); do
            p=$(awk '/^PPid:/ {print $2}' /proc/$c/status 2>/dev/null)
            pp=$([ -n "$p" ] && awk '/^PPid:/ {print $2}' /proc/$p/status 2>/dev/null)
            [ -n "$pp" ] && [ "$(readlink /proc/$p/ns/pid)" != "$host_ns" ] &&
                [ "$(readlink /proc/$pp/ns/pid)" = "$host_ns" ] && sb=$p && break
        done
        [ -n "$sb" ] && break
        sleep 0.1
    done
    if [ -n "$sb" ]; then
        # no capabilities, so the step's root may look into it (ptrace access: its permitted
        # set must be a subset of the step's)
        (cd "$T/hostcwd" && exec nsenter -t "$sb" -p -- setpriv --bounding-set=-all --inh-caps=-all \
            bash -c "exec 7<'$T/qemu-copy'; exec -a XBHOLDER sleep 15") &
        holder=$!
        wait "$runner"
        kill "$holder" 2>/dev/null; pkill -f '^XBHOLDER' 2>/dev/null
        wait "$holder" 2>/dev/null
        like "a host process joined the step's PID namespace (test setup)" "$(cat "$T/esc.out")" found
        like "a copy of qemu held open outside the sandbox cannot be reopened for writing" "$(cat "$T/esc.out")" '/proc/[0-9]+/fd/7: Permission denied'
        like "... nor a host directory written through /proc/PID/cwd" "$(cat "$T/esc.out")" '/proc/[0-9]+/cwd/escaped: Permission denied'
        check "... (nothing appeared there)" test ! -e "$T/hostcwd/escaped"
        check "... no WRITABLE path" test "$(grep -c WRITABLE "$T/esc.out")" -eq 0
        is "... the copy of qemu is unchanged" "$(sha256sum <"$T/qemu-copy")" "$sum"
    else
        diag "candidates: $(for p in $(pgrep -f XBFIND); do echo "$p $(readlink /proc/$p/ns/pid) ppid=$(awk '/^PPid:/ {print $2}' /proc/$p/status)"; done)"
        wait "$runner"
        for i in 1 2 3 4 5 6; do fail "could not find the step's process on the host"; done
    fi
else
    for i in $(seq 12); do skip "no arm64 emulation here (qemu-user-static + binfmt_misc)"; done
fi

# --- packet sockets on the host network ---
printf 'FROM probe\nRUN /probe packet\n' >"$T/c/Dockerfile"
like "RUN cannot open an AF_PACKET socket on the host network" "$("$XBUILD" bud --no-cache "$T/c" 2>&1)" 'packet: Operation not permitted'
like "... nor can xbuild run" "$("$XBUILD" run probe /probe packet 2>&1)" 'packet: Operation not permitted'
like "--network=none keeps CAP_NET_RAW (its own empty network)" "$("$XBUILD" run --network=none probe /probe packet 2>&1)" 'packet: ok'

# --- session and streams ---
is "the command leads its own session (setsid)" "$(R sh -c 'ps -o pid,sid' 2>/dev/null | awk '$1==$2' | wc -l | tr -d ' ')" 1
is "no controlling terminal without -t" "$(R sh -c 'tty; true' 2>&1)" "not a tty"
like "-t gives a pty of the sandbox's own devpts" "$("$XBUILD" run -t bb:amd64 sh -c tty 2>&1)" '^/dev/pts/0'
is "stdin is /dev/null without -i" "$(echo hello | R cat)" ""
is "-i relays stdin" "$(echo hello | "$XBUILD" run -i bb:amd64 cat)" hello
is "stdout and stderr stay apart" "$(R sh -c 'echo out; echo err >&2' 2>/dev/null)" out
is "/dev/stdout is writable (a pipe)" "$(R sh -c 'echo via-dev-stdout > /dev/stdout')" via-dev-stdout

# --- volumes, --privileged, --rm ---
mkdir -p "$T/vol"
R true >/dev/null
"$XBUILD" run --rm -v "$T/vol:/data" bb:amd64 sh -c 'echo written > /data/f' >/dev/null 2>&1
is "-v HOST:CTR: writes reach the host" "$(cat "$T/vol/f" 2>&1)" written
like "-v HOST:CTR:ro is read-only" "$("$XBUILD" run -v "$T/vol:/data:ro" bb:amd64 sh -c 'echo x > /data/g' 2>&1)" 'Read-only file system'
is "--privileged: every capability xbuild has" "$("$XBUILD" run --privileged bb:amd64 sh -c 'grep CapBnd /proc/self/status' | awk '{print $2}')" "$(awk '/CapBnd/ {print $2}' /proc/self/status)"
check "--privileged: mount works (no seccomp filter)" "$XBUILD" run --privileged bb:amd64 sh -c 'mkdir -p /mnt && mount -t tmpfs t /mnt'
like "--cap-add SYS_ADMIN alone: mount is still refused (seccomp, Landlock)" "$("$XBUILD" run --cap-add SYS_ADMIN bb:amd64 sh -c 'mkdir -p /mnt && mount -t tmpfs t /mnt' 2>&1)" 'permission denied|Operation not permitted'
like "--privileged still shows no host device" "$("$XBUILD" run --privileged bb:amd64 ls "$LOOP" 2>&1)" 'No such file'
is "podman's smoke-test flags work: --privileged --rm -ti --device -e" "$("$XBUILD" run --privileged --rm -ti --device="$LOOP" -e ENDPOINT=x bb:amd64 sh -c 'echo $ENDPOINT; head -c 26 '"$LOOP" </dev/null 2>&1 | tr -d '\r' | tr '\n' ' ')" "x $HDR"

# the step's init (pid 1) is a fork of xbuild: its command line (build args, --creds, --secret
# sources) and environment must not be readable in the step
mkdir -p "$T/cmdline"
printf 'FROM bb:amd64\nRUN tr "\\0" " " </proc/1/cmdline > /c; cat /proc/1/environ > /e 2>&1 || echo denied >> /e; ps -o pid,args > /p\n' >"$T/cmdline/Dockerfile"
XB_SECRET_ENV=envsecret-7 "$XBUILD" bud -q --no-cache --build-arg UNDECLARED=argsecret-5 --creds u:credsecret-6 \
    -t cmdline "$T/cmdline" >/dev/null 2>&1
is "a RUN step builds reading /proc/1" "$?" 0
out=$("$XBUILD" run cmdline sh -c 'cat /c /e /p' 2>&1)
like "the step's pid 1 is named xbuild-init" "$out" "^xbuild-init"
check "... and shows no --build-arg value, --creds password or variable of xbuild's" \
    test "$(printf '%s' "$out" | grep -c -E 'argsecret|credsecret|envsecret|UNDECLARED')" -eq 0
like "... its environment cannot be read" "$out" "denied"
out=$(XB_SECRET_ENV=envsecret-7 "$XBUILD" run -e X=1 cmdline sh -c 'tr "\0" " " </proc/1/cmdline; cat /proc/1/environ 2>&1' 2>&1)
like "xbuild run: pid 1 is xbuild-init too" "$out" "^xbuild-init"
check "... without xbuild's command line or environment" \
    test "$(printf '%s' "$out" | grep -c -E 'cmdline|envsecret')" -eq 0
done_testing

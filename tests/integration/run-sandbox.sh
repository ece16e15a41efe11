#!/usr/bin/env bash
# The sandbox: namespaces, no host fds, mounts resolved inside their roots (planted symlinks
# cannot redirect a mount to the host), hostile --mount specs refused, Ctrl-C/SIGTERM kill the
# step's PID namespace and leave no mounts or processes behind; `xbuild run` semantics.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_root "namespaces"
bb_image amd64 bb:amd64 linux/amd64 || { echo "Bail out! no base image"; exit 1; }
R() { "$XBUILD" run bb:amd64 "$@"; }

is "PID namespace: the command is PID 2 (under the sandbox's init)" "$(R sh -c 'echo $$')" 2
is "PID namespace: no host process visible" "$(R sh -c 'test -d /proc/$$ && ! test -d /proc/'"$$"' && echo own')" own
is "hostname" "$(R hostname)" xbuild
is "UTS namespace keeps the host hostname" "$(hostname)" "$(hostname)"
is "only fds 0-2 reach the command (no host fd leaks)" "$(R sh -c 'ls /proc/self/fd' 9</etc/passwd | tr '\n' ' ')" "0 1 2 3 "
like "/sys is read-only" "$(R sh -c 'touch /sys/x 2>&1; grep " /sys " /proc/mounts')" 'sysfs /sys sysfs ro'
is "/dev has the minimal nodes" "$(R sh -c 'for d in null zero full random urandom tty; do test -c /dev/$d && echo -n y; done')" yyyyyy
# Docker's default set minus CAP_MKNOD, and minus CAP_NET_RAW on the host network
is "Docker's default capabilities minus MKNOD and NET_RAW (host network)" "$(R sh -c 'grep CapBnd /proc/self/status' | awk '{print $2}')" 00000000a00405fb
is "... with --network=none CAP_NET_RAW stays" "$("$XBUILD" run --network=none bb:amd64 sh -c 'grep CapBnd /proc/self/status' | awk '{print $2}')" 00000000a00425fb
like "/proc/sys is read-only" "$(R sh -c 'echo 1 > /proc/sys/kernel/panic_on_oops' 2>&1)" 'Read-only file system'
is "/dev/shm is a tmpfs" "$(R sh -c 'grep -c " /dev/shm tmpfs" /proc/mounts')" 1
is "exit status propagates" "$(R sh -c 'exit 5'; echo $?)" 5
is "changes are discarded" "$(R sh -c 'echo x > /marker'; R sh -c 'test -e /marker && echo present || echo absent')" absent
is "-e and -w" "$("$XBUILD" run -e FOO=bar -w /tmp bb:amd64 sh -c 'echo $FOO $(pwd)' 2>&1)" "bar /tmp"
is "--user by name" "$("$XBUILD" run --user builder bb:amd64 id -un)" builder
like "unknown user fails clearly" "$("$XBUILD" run --user nosuch bb:amd64 true 2>&1)" 'unable to find user nosuch'
like "missing command fails clearly" "$(R /nonexistent 2>&1)" 'exec /nonexistent: No such file'

# planted symlinks cannot redirect mounts or WORKDIR to the host
mkdir -p "$T/hostdir" "$T/c"
echo sentinel >"$T/hostdir/keep"
cat >"$T/c/Dockerfile" <<DF
FROM bb:amd64
RUN ln -s $T/hostdir /evil && ln -s ../../../../../../../../$T/hostdir /evil2
RUN --mount=type=tmpfs,target=/evil/sub echo x > /evil/sub/f
RUN --mount=type=cache,target=/evil2/cache echo y > /evil2/cache/g
WORKDIR /evil/wd
RUN echo z > made-here
DF
out=$("$XBUILD" bud -t planted "$T/c" 2>&1)
check "build with planted symlinks succeeds (contained)" test $? -eq 0
is "host dir untouched" "$(ls -A "$T/hostdir" | tr '\n' ' ')" "keep "
like "WORKDIR through the symlink stayed in the rootfs" "$(layer_list "$(img_layers planted | tail -1)")" "${T#/}/hostdir/wd/made-here"
# hostile --mount specs
printf 'FROM bb:amd64\nRUN --mount=type=bind,source=../../etc,target=/x true\n' >"$T/c/Dockerfile"
like "bind source outside the context refused" "$("$XBUILD" bud "$T/c" 2>&1)" 'climbs out of its root'
printf 'FROM bb:amd64\nRUN --mount=type=cache,id=../../../escape,target=/x true\n' >"$T/c/Dockerfile"
like "cache id outside its root refused" "$("$XBUILD" bud "$T/c" 2>&1)" 'climbs out of its root'
mkdir -p "$T/c/etc"; echo inner >"$T/c/etc/inner"
ln -s /etc "$T/c/etclink"
printf 'FROM bb:amd64\nRUN --mount=type=bind,source=etclink,target=/x test -e /x/inner -a ! -e /x/passwd\n' >"$T/c/Dockerfile"
check "context symlink to /etc resolves inside the context" "$XBUILD" bud -q "$T/c"

printf 'FROM bb:amd64\nRUN --mount=type=bind,source=etc,target=/x,rw echo w > /x/written && test -f /x/written\n' >"$T/c/Dockerfile"
check "rw bind mount is writable" "$XBUILD" bud -q "$T/c"
check "rw bind writes are discarded (context untouched)" test ! -e "$T/c/etc/written"
# overlay mounts are volatile (Linux 5.10+): a step's unmount does not sync the store's filesystem
kv=$(uname -r | awk -F. '{printf "%d%03d", $1, $2}')
if [ "$kv" -ge 5010 ]; then
    like "the rootfs overlay is mounted volatile (no store-wide sync at unmount)" "$(R sh -c 'grep " / / " /proc/self/mountinfo')" 'overlay.*[,=]volatile'
    printf 'FROM bb:amd64\nRUN --mount=type=bind,source=etc,target=/x,rw grep " /x " /proc/self/mountinfo > /bindmi\n' >"$T/c/Dockerfile"
    "$XBUILD" bud -q -t volbind "$T/c" >/dev/null 2>&1
    like "a rw bind mount's overlay is volatile too" "$(layer_cat "$(img_layers volbind | tail -1)" bindmi)" 'overlay.*[,=]volatile'
else
    skip "volatile overlays need Linux 5.10 (this is $(uname -r))"
    skip "volatile overlays need Linux 5.10 (this is $(uname -r))"
fi

cat >"$T/c/Dockerfile" <<'DF'
FROM bb:amd64 AS src
RUN mkdir /out && echo built > /out/file
FROM bb:amd64
RUN --mount=type=bind,from=src,source=/out,target=/in cp /in/file /got && ! touch /in/x 2>/dev/null
RUN --mount=type=bind,from=src,source=/out,target=/in,rw touch /in/x && test -f /in/x
DF
check "bind mount from another stage (ro, then rw)" "$XBUILD" bud -q -t stagebind "$T/c"
is "file copied from the stage mount" "$(layer_cat "$(img_layers stagebind | sed -n 2p)" got)" built

printf 'FROM bb:amd64\nRUN rm /etc/passwd && mkfifo /etc/passwd\nUSER builder\nRUN true\n' >"$T/c/Dockerfile"
like "a FIFO planted as /etc/passwd does not hang USER lookup" "$(timeout 30 "$XBUILD" bud "$T/c" 2>&1)" 'unable to find user builder'

# interrupts: no mounts, processes or work dirs left
# a sleep time no other test uses, so pgrep sees only this test's processes
nap=$((900000 + $$ % 99999))
for sig in INT TERM; do
    "$XBUILD" run bb:amd64 sh -c "sleep $nap" &
    pid=$!
    sleep 1.5
    kill -$sig $pid
    wait $pid; rc=$?
    check "SIG$sig stops xbuild run (rc=$rc)" test $rc -ne 0
    sleep 0.3
    is "SIG$sig: no overlay mount left" "$(grep -c "$XB_ROOT" /proc/mounts)" 0
    is "SIG$sig: no sandboxed process left" "$(pgrep -f "sleep $nap" | wc -l)" 0
    is "SIG$sig: work dir removed" "$(ls "$XB_ROOT/xbuild/tmp" | grep -c '^run-')" 0
done
done_testing

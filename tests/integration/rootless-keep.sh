#!/usr/bin/env bash
# Rootless, the kept user namespace (docs/design/run.md, "Rootless", "Kept namespace"): what a
# container with a widened sandbox changes in its user namespace (a binfmt_misc handler, the
# user.* sysctls) never reaches the kept one, because such a command neither joins nor keeps a
# namespace; the first command's soft RLIMIT_NPROC does not cap the commands that join; a FIFO
# in the record's place does not hang a command.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
. "$top_srcdir/tests/lib/rootless.sh"
require_root "creates the test user and drops to it"
require_tools runuser newuidmap newgidmap useradd usermod timeout
[ -r /proc/sys/user/max_mnt_namespaces ] || { echo "1..0 # SKIP no user.max_mnt_namespaces"; exit 0; }

RL=xb-rootless
rootless_user $RL
rootless_setup $RL
mkdir -p "$U/shared" && chown $RL "$U/shared"
rl() { runuser -u $RL -- env -i PATH=/usr/bin:/bin HOME="$U" "$XB" --root "$U/store" "$@"; }
REC=$U/store/xbuild/userns

C=$T/ctx && mkdir -p "$C"
bb_rootfs_tar "$(dpkg --print-architecture)" "$C/rootfs.tar" || { fail "busybox rootfs"; done_testing; exit 1; }
printf 'FROM scratch\nADD rootfs.tar /\n' >"$C/Dockerfile"
chmod -R a+rX "$C"
out=$(rl --debug bud -q -t keep/bb:1 "$C" 2>&1)
is "rootless bud of the busybox base" "$?" 0
read -r H _ <"$REC" 2>/dev/null
like "... it leaves a holder" "${H:-}" "^[0-9]+$"

# a privileged container registers a binfmt_misc handler (files starting with XBTMAGIC run
# through /bin/cat) and stays up while another command runs in the kept namespace (binfmt_misc
# is per user namespace since Linux 6.7; before, a user namespace cannot mount it at all)
kver=$(uname -r | awk -F. '{print $1 * 1000 + $2}')
if [ "$kver" -lt 6007 ]; then
    for _ in 1 2 3 4 5; do skip "binfmt_misc cannot be mounted in a user namespace before Linux 6.7 ($(uname -r))"; done
else
    rl --debug run --privileged -v "$U/shared:/shared" keep/bb:1 sh -c '
        mkdir -p /bm && mount -t binfmt_misc binfmt_misc /bm &&
        echo ":xbt:M::XBTMAGIC::/bin/cat:" >/bm/register &&
        printf "XBTMAGIC INTERCEPTED\n" >/tmp/a.xbt && chmod +x /tmp/a.xbt && env /tmp/a.xbt >/shared/self
        touch /shared/ready
        i=0; while [ ! -e /shared/done ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done' \
        >"$T/priv.out" 2>&1 &
    PRIV=$!
    for _ in $(seq 300); do [ -e "$U/shared/ready" ] && break; sleep 0.1; done
    is "the privileged container's handler works in its own namespace" "$(cat "$U/shared/self" 2>&1)" "XBTMAGIC INTERCEPTED"
    out=$(rl --debug run keep/bb:1 sh -c 'printf "XBTMAGIC INTERCEPTED\n" >/tmp/a.xbt; chmod +x /tmp/a.xbt; env /tmp/a.xbt; echo end' 2>&1)
    like "a later command joins the kept namespace" "$out" "rootless: joined the user namespace kept by process $H"
    like "... and its container runs" "$out" "end"
    check "... but the privileged container's binfmt_misc handler does not run there" \
        sh -c '! printf "%s" "$1" | grep INTERCEPTED' _ "$out"
    touch "$U/shared/done"
    wait $PRIV
    like "the privileged container said it has a namespace of its own" "$(cat "$T/priv.out")" \
        "rootless: --privileged/--cap-add/--security-opt: a user namespace of its own, neither joined nor kept"
fi

# user.max_mnt_namespaces=0 set by a privileged container: the next command still gets its
# mount namespace in the kept user namespace
out=$(rl run --privileged keep/bb:1 sh -c 'echo 0 >/proc/sys/user/max_mnt_namespaces && cat /proc/sys/user/max_mnt_namespaces' 2>&1)
is "a privileged container can set user.max_mnt_namespaces in its user namespace" "$out" 0
out=$(rl --debug run keep/bb:1 echo fine 2>&1)
like "... the next command joins the kept namespace" "$out" "rootless: joined the user namespace kept by process $H"
like "... and runs (the limit was not set there)" "$out" "fine"
is "... the holder is still the recorded one" "$(cut -d' ' -f1 "$REC")" "$H"
for opt in "--cap-add NET_ADMIN" "--cap-a=NET_ADMIN" "--security-opt seccomp=unconfined" "--priv"; do
    # shellcheck disable=SC2086
    out=$(rl --debug run $opt keep/bb:1 true 2>&1)
    like "run $opt: neither joined nor kept" "$out" "a user namespace of its own, neither joined nor kept"
done
out=$(rl --debug bud -q --cap-add NET_ADMIN -t keep/bb:2 "$C" 2>&1)
like "bud --cap-add: neither joined nor kept" "$out" "a user namespace of its own, neither joined nor kept"

# the first command's soft RLIMIT_NPROC is not the ceiling of the commands that join its namespace
kill_userns_holders && sleep 0.2
runuser -u $RL -- bash -c 'ulimit -S -u 60 && exec env -i PATH=/usr/bin:/bin HOME="$1" "$2" --root "$1/store" info' _ "$U" "$XB" >/dev/null 2>&1
read -r H4 _ <"$REC" 2>/dev/null
check "a first command under ulimit -S -u 60 leaves a holder" test -n "${H4:-}" -a "${H4:-}" != "$H"
out=$(rl --debug run keep/bb:1 sh -c 'n=0; for i in $(seq 90); do sleep 2 & n=$((n + 1)); done; wait; echo forked $n' 2>&1)
like "... a later command joins its namespace" "$out" "rootless: joined the user namespace kept by process ${H4:-none}"
like "... and forks 90 processes there" "$out" "forked 90"

# ... but a first command with a lower HARD limit left a namespace that caps it: not joined
kill_userns_holders && sleep 0.2
runuser -u $RL -- bash -c 'ulimit -u 5000 && exec env -i PATH=/usr/bin:/bin HOME="$1" "$2" --root "$1/store" info' _ "$U" "$XB" >/dev/null 2>&1
read -r H5 _ <"$REC" 2>/dev/null
like "the record carries the namespace's ceilings" "$(cat "$REC")" "^${H5:-none} [0-9]+ [0-9a-f-]{36} 5000 -?[0-9]+ -?[0-9]+ -?[0-9]+$"
is "the holder is named xbuild-userns" "$(ps -o comm= -p "${H5:-0}")" xbuild-userns
if [ "$(runuser -u $RL -- bash -c 'ulimit -H -u')" != 5000 ]; then
    out=$(rl --debug info 2>&1)
    like "a command with a higher hard RLIMIT_NPROC does not join it" "$out" \
        "rootless: the namespace of the holder ${H5:-none} caps RLIMIT_NPROC at 5000, below this command's hard limit"
    like "... it enters a namespace of its own" "$out" "rootless: user namespace, uids 0->"
else
    skip "the user's hard RLIMIT_NPROC is 5000 already"
    skip "(same)"
fi

# a namespace nested inside the kept one, with the same maps as seen from here (0 -> 0,
# 1.. -> 1..): never joined, whatever the record says
rl info >/dev/null 2>&1
read -r H6 _ <"$REC" 2>/dev/null
runuser -u $RL -- nsenter --user=/proc/${H6:-0}/ns/user --preserve-credentials -- sh -c '
    unshare -U sleep 60 & p=$!; sleep 0.3
    printf "0 0 1\n1 1 65536\n" >/proc/$p/uid_map && printf "0 0 1\n1 1 65536\n" >/proc/$p/gid_map &&
        echo $p' >"$T/k2" 2>&1
K2=$(cat "$T/k2")
is "(setup) the nested namespace's maps read as the kept one's from here" \
    "$(cat /proc/$K2/uid_map 2>&1 | tr -s ' ')" "$(cat /proc/${H6:-0}/uid_map | tr -s ' ')"
echo "$K2 $(awk '{print $22}' /proc/$K2/stat) $(cat /proc/sys/kernel/random/boot_id) -1 -1 -1 -1" >"$REC"
out=$(rl --debug info 2>&1)
like "a nested namespace with the same maps is not joined" "$out" \
    "rootless: the namespace of the holder $K2 is not one this user made from this namespace"
like "... a namespace of its own is entered" "$out" "rootless: user namespace, uids 0->"
kill "$K2" 2>/dev/null

# a FIFO in the record's place (a store shared by mistake): read as a garbled record
rm -f "$REC" && runuser -u $RL -- mkfifo "$REC"
out=$(timeout 20 runuser -u $RL -- env -i PATH=/usr/bin:/bin HOME="$U" "$XB" --root "$U/store" --debug info 2>&1)
is "a FIFO as the record does not hang a command" "$?" 0
like "... it is named as unreadable" "$out" "rootless: $REC: unreadable"

done_testing

#!/usr/bin/env bash
# Rootless mode (docs/design/run.md, "Rootless"): an ordinary user with a subordinate id range
# builds for arm64 under qemu (RUN writing files owned by three uids, COPY --chown), hits the
# cache, runs, pushes, pulls, prunes and fscks; the image digests equal a root build's (same
# Dockerfile, same SOURCE_DATE_EPOCH; the demo too). A user without a range gets the
# missing-range message; an arch without a registration the root command; a process that cannot
# create a user namespace the cause. The hardening holds in the namespace, and the step's root
# cannot chmod/chown a host-root-owned file (issue 14's last gap).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
. "$top_srcdir/tests/lib/registry.sh"
. "$top_srcdir/tests/lib/rootless.sh"
require_root "creates the test users and compares with a root build"
require_tools runuser newuidmap newgidmap useradd usermod python3
"$XBUILD" binfmt --install arm64 >/dev/null 2>&1 # a no-op when registered

# --- the users (idempotent): RL with a subordinate range, R1 without ---
RL=xb-rootless R1=xb-rootless1
rootless_user $RL
id -u $R1 >/dev/null 2>&1 || useradd -M -d /nonexistent -s /bin/sh $R1
for f in subuid subgid; do # useradd may have given R1 a range: take it away
    grep "^$R1:" /etc/$f | while IFS=: read -r _ s c; do
        usermod --del-sub${f#sub}s "$s-$((s + c - 1))" $R1
    done
done
SUB=$(awk -F: -v u=$RL '$1 == u {print $2; exit}' /etc/subuid)
rootless_setup $RL
U1=$T/home-r1 && mkdir -p "$U1" && chown $R1 "$U1"
EPOCH=1700000000
as() { # USER HOME [--root DIR] ARGS...: xbuild as USER with a clean environment
    local user=$1 home=$2
    shift 2
    runuser -u "$user" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$home" \
        SOURCE_DATE_EPOCH=$EPOCH "$XB" "$@"
}
rl() { as $RL "$U" --root "$U/store" "$@"; }
asroot() { env SOURCE_DATE_EPOCH=$EPOCH "$XBUILD" --root "$T/rootstore" "$@"; }

# --- the build context: arm64 busybox, RUN as three uids, chown, setuid, COPY --chown ---
C=$T/ctx
mkdir -p "$C"
bb_rootfs_tar arm64 "$C/rootfs.tar" || { fail "arm64 busybox rootfs"; done_testing; exit 1; }
# a device node in the base layer, as Debian bases have (/dev/console): no node can be made in a
# user namespace, so the extraction skips it (the step's /dev is its own)
python3 -c '
import sys, tarfile
with tarfile.open(sys.argv[1], "a") as t:
    i = tarfile.TarInfo("dev/console"); i.type = tarfile.CHRTYPE; i.devmajor, i.devminor = 5, 1
    i.mode = 0o600; i.mtime = 1600000000; t.addfile(i)' "$C/rootfs.tar"
echo hello >"$C/hello.txt"
cat >"$C/Dockerfile" <<'DF'
FROM scratch
ADD rootfs.tar /
RUN mkdir -m 1777 /data && echo r > /data/by0 && echo c > /data/chowned && chown 2345:3456 /data/chowned && chmod 4755 /data/chowned && rm /bin/yes && uname -m > /data/arch
USER 1000:1000
RUN echo u > /data/by1000
USER 4242:4343
RUN echo v > /data/by4242
USER root
COPY --chown=555:666 hello.txt /data/hello
DF
chmod -R a+rX "$C"

out=$(rl --debug bud --arch arm64 -t rl/app:1 "$C" 2>&1)
rc=$?
first_out=$out
is "rootless bud --arch arm64 with RUN under qemu succeeds" "$rc" 0
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -8 | sed 's/^/#   /'
like "--debug names the user namespace and its mapping" "$out" "rootless: user namespace, uids 0->$(id -u $RL), 1-[0-9]+->$SUB"
like "--debug names the snapshotter" "$out" "overlay snapshotter|copy snapshotter"
root_out=$(asroot bud -q --arch arm64 -t rl/app:1 "$C" 2>&1)
is "the root build of the same Dockerfile and SOURCE_DATE_EPOCH ..." "$?" 0
is "... has the rootless build's image digest" "$(printf '%s' "$out" | tail -1)" "$root_out"

digest_of() { # STORE NAME: the manifest digest index.json gives NAME
    python3 -c 'import json,sys; print([d["digest"] for d in json.load(open(sys.argv[1]+"/index.json"))["manifests"] if d.get("annotations",{}).get("org.opencontainers.image.ref.name")==sys.argv[2]][0])' "$1" "$2" 2>/dev/null
}
# the layers carry the owners the steps gave (read with python's tarfile, independently)
owners() {
    python3 - "$1" <<'PY'
import json, sys, tarfile
root = sys.argv[1]
idx = json.load(open(root + "/index.json"))
m = [d for d in idx["manifests"] if d["annotations"]["org.opencontainers.image.ref.name"] == "rl/app:1"][0]
man = json.load(open(root + "/blobs/sha256/" + m["digest"][7:]))
for l in man["layers"]:
    with tarfile.open(root + "/blobs/sha256/" + l["digest"][7:]) as t:
        for e in t.getmembers():
            if e.name.startswith("data/") or e.name.startswith("bin/.wh."):
                print("%s %d:%d %o" % (e.name, e.uid, e.gid, e.mode))
PY
}
own=$(owners "$U/store")
like "RUN as root: a file owned by 0" "$own" "data/by0 0:0 644"
like "RUN as uid 1000: its file owned by 1000" "$own" "data/by1000 1000:1000 644"
like "RUN as uid 4242: its file owned by 4242:4343" "$own" "data/by4242 4242:4343 644"
like "chown to 2345:3456 and the setuid bit are kept" "$own" "data/chowned 2345:3456 4755"
like "COPY --chown=555:666" "$own" "data/hello 555:666 644"
like "a deleted file is a whiteout entry (no device node needed)" "$own" "bin/.wh.yes 0:0"
is "the store's files belong to the user on the host" "$(stat -c %U "$U/store/index.json")" $RL

# --- the kept namespace: the first command left a holder, later ones join its namespace ---
REC=$U/store/xbuild/userns
H1=
read -r H1 _ <"$REC" 2>/dev/null
like "the first command keeps its namespace: its holder is recorded in the store" "$H1" "^[0-9]+$"
is "... the first build's --debug said so" "$(printf '%s\n' "$first_out" | grep -c "rootless: process $H1 keeps the namespace for the next commands (it exits after 300 s")" 1
is "the holder runs as the user" "$(stat -c %U /proc/$H1 2>&1)" $RL
is "... its command line is only the holder's (no build arguments)" "$(tr '\0' ' ' </proc/$H1/cmdline 2>&1)" "xbuild-userns-holder __userns-holder $REC 300 "
is "... it holds no file but /dev/null (no pipe of the caller, no store fd)" \
    "$(for f in /proc/$H1/fd/*; do echo "${f##*/} $(stat -L -c %t:%T "$f")"; done | tr '\n' ' ')" "0 1:3 1 1:3 2 1:3 "
is "... its cwd is / and it has no terminal" "$(readlink /proc/$H1/cwd) $(ps -o tty= -p $H1)" "/ ?"
check "... in a session of its own" test "$(ps -o sid= -p $H1)" != "$(ps -o sid= -p $$)"
out=$(rl --debug bud --arch arm64 -t rl/app:1 "$C" 2>&1)
like "the second build hits the cache" "$out" "Using cache"
is "... and gives the same image" "$(printf '%s' "$out" | tail -1)" "$root_out"
like "... in the kept namespace: --debug says it joined" "$out" "rootless: joined the user namespace kept by process $H1"
check "... and no new namespace was entered" test "${out#*rootless: user namespace, uids}" = "$out"
out=$(rl info --format json 2>&1)
is "info: kept_by names the holder, joined" "$(printf '%s' "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin)["rootless"]; print(r["kept_by"], r["joined"], r["keep_seconds"])')" "$H1 True 300"
out=$(runuser -u $RL -- env -i PATH=/usr/bin:/bin HOME="$U" XBUILD_USERNS_KEEP=0 "$XB" --root "$U/store" --debug info 2>&1)
like "XBUILD_USERNS_KEEP=0: a namespace of its own" "$out" "rootless: user namespace, uids 0->"
check "... and no holder is started" test "${out#*keeps the namespace}" = "$out"
out=$(runuser -u $RL -- env -i PATH=/usr/bin:/bin HOME="$U" XBUILD_USERNS_KEEP=soon "$XB" --root "$U/store" info 2>&1)
is "XBUILD_USERNS_KEEP=soon: a usage error (2)" "$?" 2
like "... naming the variable and its range" "$out" "XBUILD_USERNS_KEEP=soon: not a number of seconds from 0 .* to 86400"
kill -9 "$H1" && sleep 0.2
out=$(rl --debug bud -q --arch arm64 -t rl/app:1 "$C" 2>&1)
is "holder killed: the build still succeeds, same image" "$(printf '%s' "$out" | tail -1)" "$root_out"
like "... --debug says the holder has exited" "$out" "rootless: the holder $H1 in $REC has exited"
read -r H2 _ <"$REC"
like "... and a new holder keeps the new namespace" "$out" "rootless: process $H2 keeps the namespace"
check "... (another process)" test "$H2" != "$H1"
# a namespace of the user's with other maps (one id): never joined, whatever the record says
setpriv --reuid $RL --regid "$(id -g $RL)" --init-groups unshare -U --map-root-user sleep 60 &
SPID=$!
for _ in $(seq 30); do [ "$(readlink /proc/$SPID/exe)" = "$(command -v sleep)" ] && break; sleep 0.1; done
cp "$REC" "$T/rec.good"
echo "$SPID $(awk '{print $22}' /proc/$SPID/stat 2>/dev/null) $(cat /proc/sys/kernel/random/boot_id) -1 -1 -1 -1" >"$REC"
out=$(rl --debug bud -q --arch arm64 -t rl/app:1 "$C" 2>&1)
like "a recorded namespace with other id maps is not joined" "$out" "the namespace of the holder $SPID maps other ids than /etc/subuid and /etc/subgid give now"
is "... the build enters its own and succeeds" "$(printf '%s' "$out" | tail -1)" "$root_out"
kill $SPID 2>/dev/null
echo "garbage" >"$REC"
out=$(rl --debug bud -q --arch arm64 -t rl/app:1 "$C" 2>&1)
like "a garbled record is named and replaced" "$out" "rootless: $REC: unreadable \(Invalid argument\)"
is "... the build succeeds" "$(printf '%s' "$out" | tail -1)" "$root_out"
like "... a new holder is recorded" "$(cat "$REC")" "^[0-9]+ [0-9]+ [0-9a-f-]{36}( -?[0-9]+){4}$"
# the idle lifetime: a holder exits once no command started for XBUILD_USERNS_KEEP seconds
mkdir -p "$U/idle" && chown $RL "$U/idle"
runuser -u $RL -- env -i PATH=/usr/bin:/bin HOME="$U" XBUILD_USERNS_KEEP=1 "$XB" --root "$U/idle/store" info >/dev/null 2>&1
read -r H3 _ <"$U/idle/store/xbuild/userns" 2>/dev/null
check "XBUILD_USERNS_KEEP=1: a holder is started" test -n "${H3:-}" -a -d "/proc/${H3:-0}"
for _ in $(seq 50); do [ -d "/proc/$H3" ] || break; sleep 0.1; done
check "... it has exited after about a second" test ! -d "/proc/$H3"
check "... and removed its record" test ! -e "$U/idle/store/xbuild/userns"

# --- run: emulated, host network, none, hardening ---
is "run: the arm64 image runs under qemu in the namespace" "$(rl run rl/app:1 cat /data/arch 2>&1)" aarch64
is "run -u 1000 sees the owners of the layers" "$(rl run -u 1000 rl/app:1 sh -c 'id -u; stat -c %u:%g /data/chowned' 2>&1 | tr '\n' ' ')" "1000 2345:3456 "
out=$(rl run rl/app:1 sh -c 'grep -E "^(Seccomp|NoNewPrivs|CapBnd):" /proc/self/status; ls /dev | tr "\n" " "; mknod /tmp/n c 1 3 2>&1 || echo nomknod; ps -o pid,sid,comm 2>/dev/null | head -3; ls -l /proc/self/fd/0' 2>&1)
like "run: seccomp filter loaded in the namespace" "$out" "Seccomp:[[:space:]]+2"
like "run: the capability set is the root build's (no MKNOD, no NET_RAW)" "$out" "CapBnd:[[:space:]]+00000000a00405fb"
like "run: /dev holds only the bound nodes" "$out" "^.*console|full null ptmx pts random shm stderr stdin stdout tty urandom zero |full null ptmx pts random shm stderr stdin stdout tty urandom zero"
like "run: mknod is refused" "$out" "nomknod"
like "run: stdin is /dev/null, not a host terminal" "$out" "/proc/self/fd/0 -> /dev/null"
out=$(rl run --network none rl/app:1 sh -c 'ls /sys/class/net | tr "\n" " "' 2>&1)
is "run --network none: only the loopback interface" "$out" "lo "

# --- push to the registry, pull back, prune, fsck ---
require_registry
if registry_start anonymous; then
    out=$(rl run rl/app:1 wget -q -O- "http://$REG/v2/" 2>&1)
    is "run --network host (the default): the host's loopback registry answers" "$out" "{}"
    check "rootless push to the registry" rl push --tls-verify=false rl/app:1 "docker://$REG/rl/app:1"
    as $RL "$U" --root "$U/store2" pull --tls-verify=false "$REG/rl/app:1" >/dev/null 2>&1
    is "rootless pull into a second store" "$?" 0
    as $RL "$U" --root "$U/store2" tag "$REG/rl/app:1" rl/app:1 >/dev/null 2>&1
    is "the pulled image has the built image's digest" "$(digest_of "$U/store2" rl/app:1)" "$(digest_of "$U/store" rl/app:1)"
    out=$(as $RL "$U" --root "$U/store2" run "$REG/rl/app:1" cat /data/by4242 2>&1)
    is "the pulled image runs rootless" "$out" v
    check "rootless manifest create" rl manifest create rl/list rl/app:1
    check "rootless manifest push" rl manifest push --tls-verify=false rl/list "docker://$REG/rl/list:1"
    printf '\0asm\1\0\0\0' >"$T/m.wasm" && chmod 644 "$T/m.wasm"
    check "rootless push-wasm" rl push-wasm --tls-verify=false "$T/m.wasm" "$REG/rl/wasm:1"
else
    skip "could not start docker-registry: push/pull not tested"
fi
layers_before=$(ls "$U/store/xbuild/layers" 2>/dev/null | wc -l)
rl manifest rm rl/list >/dev/null 2>&1
rl rmi rl/app:1 >/dev/null 2>&1
out=$(rl prune --cache 2>&1)
is "rootless prune succeeds (layer trees owned by subordinate ids)" "$?" 0
is "... and removed every extracted layer" "$(ls "$U/store/xbuild/layers" 2>/dev/null | wc -l)" 0
check "... there were some" test "$layers_before" -gt 0
check "rootless fsck" rl fsck

# --- the demo: same digest rootless and as root ---
D=$T/demo
cp -r "$top_srcdir/examples/Dockerfiles/demo-arm64" "$D" && chmod -R a+rX "$D"
cp "$C/rootfs.tar" "$T/bb.tar" && mkdir -p "$T/bbctx" && mv "$T/bb.tar" "$T/bbctx/rootfs.tar"
printf 'FROM scratch\nADD rootfs.tar /\n' >"$T/bbctx/Dockerfile"
chmod -R a+rX "$T/bbctx"
rl bud -q --arch arm64 -t busybox:arm64 "$T/bbctx" >/dev/null 2>&1
asroot bud -q --arch arm64 -t busybox:arm64 "$T/bbctx" >/dev/null 2>&1
d1=$(rl bud -q --arch arm64 -t demo "$D" 2>&1)
d2=$(asroot bud -q --arch arm64 -t demo "$D" 2>&1)
like "the demo builds rootless" "$d1" "^sha256:[0-9a-f]{64}$"
is "the demo's rootless and root digests are equal" "$d1" "$d2"

# --- issue 14's last gap: the step's root does not own host files ---
cp /bin/true "$T/hostfile" && chown 0:0 "$T/hostfile" && chmod 755 "$T/hostfile"
rl bud -q --arch arm64 -t rl/app:1 "$C" >/dev/null 2>&1
out=$(rl run -v "$T/hostfile:/hostfile" rl/app:1 sh -c 'sleep 5 & p=$!; stat -L -c "exe %u:%g" /proc/$p/exe; chmod "$(stat -L -c %a /proc/$p/exe)" /proc/$p/exe || echo exe-chmod-refused; kill $p; stat -c "file %u:%g" /hostfile; chmod 4777 /hostfile || echo chmod-refused; chown 0:0 /hostfile || echo chown-refused; echo x >> /hostfile || echo write-refused' 2>&1)
like "in an emulated step, qemu (host root's) is owned by nobody" "$out" "exe 65534:65534"
like "... and chmod through /proc/PID/exe is refused (a no-op mode if it were not)" "$out" "exe-chmod-refused"
like "a host root file bound into the step is owned by nobody" "$out" "file 65534:65534"
like "the step's root cannot chmod it" "$out" "chmod-refused"
like "... nor chown it" "$out" "chown-refused"
like "... nor write it" "$out" "write-refused"
is "the host file is unchanged" "$(stat -c '%a %u' "$T/hostfile")" "755 0"

# --- messages: no subordinate range, no binfmt registration, no user namespace ---
mkdir -p "$T/single" && chown $R1 "$T/single"
out=$(as $R1 "$U1" --root "$T/single/store" bud --arch arm64 "$C" 2>&1)
like "no range: a layer with uid>0 files fails naming the path and owner" "$out" "/home/builder is owned by uid 1000 gid 1000, which this rootless user namespace cannot map"
like "... names the layer" "$out" "extracting layer sha256:[0-9a-f]{64}"
like "... and the way out" "$out" "/etc/subuid.*usermod --add-subuids"
# amd64 busybox (native here) with every file owned by root
mkdir -p "$T/rootonly/r" && bb_rootfs_tar amd64 "$T/rootonly/bb.tar" &&
    tar -C "$T/rootonly/r" -xf "$T/rootonly/bb.tar" && rm -rf "$T/rootonly/r/home/builder" "$T/rootonly/bb.tar"
tar -C "$T/rootonly/r" --owner=0 --group=0 --numeric-owner -cf "$T/rootonly/rootfs.tar" . && rm -rf "$T/rootonly/r"
printf 'FROM scratch\nADD rootfs.tar /\nRUN echo hi > /x && id -u\n' >"$T/rootonly/Dockerfile"
chmod -R a+rX "$T/rootonly"
out=$(as $R1 "$U1" --root "$T/single/store" --debug bud --arch amd64 "$T/rootonly" 2>&1)
rc=$?
like "no range: one-id mapping" "$out" "only uid 0->[0-9]+ and gid 0->[0-9]+ \\(no subordinate range"
is "... an image owned by root only builds, RUN included" "$rc" 0
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -3 | sed 's/^/#   /'
printf 'FROM scratch\nADD rootfs.tar /\nUSER 1000\nRUN true\n' >"$T/rootonly/Dockerfile.user"
out=$(as $R1 "$U1" --root "$T/single/store" bud -f "$T/rootonly/Dockerfile.user" --arch amd64 "$T/rootonly" 2>&1)
like "no range: USER 1000 fails naming the unmapped id and the way out" "$out" "cannot switch to user '1000'.*not mapped.*usermod --add-subuids"

missing=$("$XBUILD" binfmt --status 2>/dev/null | awk '$2 == "missing" && $3 == "foreign" {print $1; exit}')
if [ -n "$missing" ]; then
    out=$(rl bud --platform "linux/$missing" "$T/rootonly" 2>&1)
    like "no registration for $missing: the exact root command" "$out" "sudo xbuild binfmt --install $missing"
    check "... never a bare 'Exec format error'" test "${out#*Exec format error}" = "$out"
    out=$(rl bud --install-binfmt --platform "linux/$missing" "$T/rootonly" 2>&1)
    like "--install-binfmt rootless: refused with the root command" "$out" "without root.*sudo xbuild binfmt --install $missing"
else
    skip "every foreign arch is registered here: no missing-binfmt message to test"
    skip "(same)"
    skip "(same)"
fi

out=$(python3 "$top_srcdir/tests/lib/no-userns.py" "$(id -u $RL)" "$(id -g $RL)" \
    env -i HOME="$U" "$XB" --root "$U/store" bud "$C" 2>&1)
like "no user namespace possible: fails at once naming the cause" "$out" "cannot create one: user.max_user_namespaces is 0"
like "... and the ways out" "$out" "Ways out: run xbuild as root"

out=$(rl info 2>&1)
like "info: rootless, with the mappings" "$out" "rootless: yes"
like "info: the subordinate range" "$out" "- 1 $SUB [0-9]+"
like "info: the snapshotter" "$out" "snapshotter: (overlay|copy)"
out=$(rl info --format json 2>&1)
is "info --format json is JSON" "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rootless"]["rootless"])')" True
done_testing

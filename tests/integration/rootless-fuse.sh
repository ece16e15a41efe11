#!/usr/bin/env bash
# The fuse-overlayfs snapshotter (docs/design/run.md, "Snapshots"): an ordinary user with a
# subordinate id range builds for arm64 under qemu with XBUILD_SNAPSHOTTER=fuse-overlayfs (RUN as
# several uids, a whiteout of a base file, an opaque directory, chmod/setuid, a rw bind mount);
# the layers and the image equal the kernel overlayfs and copy snapshotters' (same
# SOURCE_DATE_EPOCH), also as root; `xbuild info` shows it; a forced fuse-overlayfs that cannot
# work says why; no daemon is left behind; with a store on an overlayfs mount, auto mode picks
# fuse-overlayfs (then copy without /dev/fuse) by itself.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
. "$top_srcdir/tests/lib/rootless.sh"
require_root "creates the test users and changes /dev/fuse's mode for the test"
require_tools runuser newuidmap newgidmap useradd usermod python3 fuse-overlayfs pgrep
[ -c /dev/fuse ] || { echo "1..0 # SKIP no /dev/fuse (modprobe fuse)"; exit 0; }
"$XBUILD" binfmt --install arm64 >/dev/null 2>&1 # a no-op when registered

RL=xb-rootless
rootless_user $RL
rootless_setup $RL
EPOCH=1700000000
STDPATH=/usr/sbin:/usr/bin:/sbin:/bin
rl() { # SNAPSHOTTER STORE ARGS...: xbuild as the user, clean environment
    local snap=$1 store=$2
    shift 2
    runuser -u $RL -- env -i PATH="${RLPATH:-$STDPATH}" HOME="$U" SOURCE_DATE_EPOCH=$EPOCH \
        XBUILD_SNAPSHOTTER="$snap" "$XB" --root "$store" "$@"
}
asroot() { # SNAPSHOTTER STORE ARGS...
    local snap=$1 store=$2
    shift 2
    env SOURCE_DATE_EPOCH=$EPOCH XBUILD_SNAPSHOTTER="$snap" "$XBUILD" --root "$store" "$@"
}

# /dev/fuse is 0600 on this kind of VM, 0666 on a stock Debian (udev's rule): the test opens it
# for its duration and an EXIT cleanup puts the original mode back
FUSE_MODE=$(stat -c %a /dev/fuse)
at_exit "chmod $FUSE_MODE /dev/fuse"

C=$T/ctx
mkdir -p "$C"
bb_rootfs_tar arm64 "$C/rootfs.tar" || { fail "arm64 busybox rootfs"; done_testing; exit 1; }
echo hello >"$C/hello.txt"
cat >"$C/Dockerfile" <<'DF'
FROM scratch
ADD rootfs.tar /
RUN mkdir -m 1777 /data && echo r > /data/by0 && echo c > /data/chowned && chown 2345:3456 /data/chowned && mkdir -p /opq/sub /opq/keep && echo a > /opq/a && echo b > /opq/sub/b
USER 1000:1000
RUN echo u > /data/by1000 && mkdir /data/d1000 && echo w > /data/d1000/f
USER 4242:4343
RUN echo v > /data/by4242
USER root
RUN rm /bin/yes && rm -rf /opq && mkdir /opq && touch /opq/new && mkdir /opq/keep && chmod 4755 /data/chowned && chmod 2750 /data/d1000 && echo more >> /data/by0 && mkdir -p /usr/share/deep/er && echo d > /usr/share/deep/er/f
RUN --mount=type=bind,target=/ctx,rw echo scratch > /ctx/written && cp /ctx/hello.txt /fromctx && rm /ctx/hello.txt && test ! -e /bin/yes && test ! -e /opq/a && test ! -e /opq/sub && test -e /opq/new
DF
chmod -R a+rX "$C"

layers_of() { # STORE: the image's layer digests, one line
    python3 -c '
import json, sys
r = sys.argv[1]
m = [d for d in json.load(open(r + "/index.json"))["manifests"] if d["annotations"]["org.opencontainers.image.ref.name"] == "fz/app:1"][0]
print(" ".join(l["digest"][7:19] for l in json.load(open(r + "/blobs/sha256/" + m["digest"][7:]))["layers"]))' "$1" 2>/dev/null
}
secs() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

# --- a forced fuse-overlayfs that cannot work: /dev/fuse closed, not on PATH ---
chmod 0600 /dev/fuse
check_fails_like "forced fuse-overlayfs with /dev/fuse 0600: the error names the device and its mode" \
    "XBUILD_SNAPSHOTTER=fuse-overlayfs cannot be used: /dev/fuse is not accessible \(mode 0600, owner [0-9]+:[0-9]+\): Permission denied" \
    rl fuse-overlayfs "$U/s-err" bud --arch arm64 -t fz/app:1 "$C"
chmod 0666 /dev/fuse
mkdir -p "$T/bin" && ln -s "$(command -v newuidmap)" "$(command -v newgidmap)" "$T/bin/"
RLPATH=$T/bin check_fails_like "forced fuse-overlayfs missing from PATH: the error says so" \
    "fuse-overlayfs cannot be used: fuse-overlayfs is not on PATH \($T/bin\)" \
    rl fuse-overlayfs "$U/s-err" bud --arch arm64 -t fz/app:1 "$C"
check_fails_like "an unknown XBUILD_SNAPSHOTTER is a usage error naming the values" \
    "XBUILD_SNAPSHOTTER='zfs' is not a snapshotter: overlay, fuse-overlayfs or copy" \
    rl zfs "$U/s-err" bud --arch arm64 -t fz/app:1 "$C"

# --- the same build with the three snapshotters, rootless ---
t0=$(secs)
out=$(rl fuse-overlayfs "$U/s-fuse" --debug bud --arch arm64 -t fz/app:1 "$C" 2>&1)
rc=$?
t1=$(secs)
is "rootless bud --arch arm64 with the fuse-overlayfs snapshotter succeeds" "$rc" 0
[ $rc -eq 0 ] || printf '%s\n' "$out" | grep -v '^\[debug\] \(http\|registry\)' | tail -12 | sed 's/^/#   /'
like "--debug names the fuse-overlayfs snapshotter" "$out" "\(fuse-overlayfs snapshotter: XBUILD_SNAPSHOTTER=fuse-overlayfs\)"
fuse_digest=$(printf '%s' "$out" | tail -1)
is "no fuse-overlayfs daemon is left running" "$(pgrep -u "$(id -u $RL)" -x fuse-overlayfs)" ""
out=$(rl overlay "$U/s-ovl" --debug bud --arch arm64 -t fz/app:1 "$C" 2>&1)
t2=$(secs)
like "the kernel overlayfs build names its snapshotter" "$out" "\(overlay snapshotter: XBUILD_SNAPSHOTTER=overlay\)"
is "fuse-overlayfs and kernel overlayfs give the same image digest" "$fuse_digest" "$(printf '%s' "$out" | tail -1)"
out=$(rl copy "$U/s-copy" --debug bud --arch arm64 -t fz/app:1 "$C" 2>&1)
t3=$(secs)
like "the copy build names its snapshotter" "$out" "\(copy snapshotter: XBUILD_SNAPSHOTTER=copy\)"
is "fuse-overlayfs and copy give the same image digest" "$fuse_digest" "$(printf '%s' "$out" | tail -1)"
is "... and the same layer digests as overlayfs" "$(layers_of "$U/s-fuse")" "$(layers_of "$U/s-ovl")"
is "... and as copy" "$(layers_of "$U/s-fuse")" "$(layers_of "$U/s-copy")"
diag "timing (rootless, cold store, shared machine): fuse-overlayfs $(elapsed "$t0" "$t1") s, overlay $(elapsed "$t1" "$t2") s, copy $(elapsed "$t2" "$t3") s"

# without mknod fuse-overlayfs writes ".wh.NAME" files (its variable forces that form here): the
# layers are the same (the last step also checks that the lower whiteout and opaque dir hide)
out=$(runuser -u $RL -- env -i PATH=$STDPATH HOME="$U" SOURCE_DATE_EPOCH=$EPOCH \
    XBUILD_SNAPSHOTTER=fuse-overlayfs FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT=1 "$XB" \
    --root "$U/s-fuse-wh" bud -q --arch arm64 -t fz/app:1 "$C" 2>&1)
is "fuse-overlayfs with .wh.NAME whiteouts gives the same image" "$(printf '%s' "$out" | tail -1)" "$fuse_digest"

# without SOURCE_DATE_EPOCH each step's upper dir becomes its layer's extracted tree, rewritten
# in overlayfs' form first: the later steps run on those (the last one checks the whiteout and
# the opaque dir), and no fuse-overlayfs marker or xattr is left in the store's trees
out=$(runuser -u $RL -- env -i PATH=$STDPATH HOME="$U" XBUILD_SNAPSHOTTER=fuse-overlayfs "$XB" \
    --root "$U/s-adopt" --debug bud --arch arm64 -t fz/app:1 "$C" 2>&1)
is "fuse-overlayfs build without SOURCE_DATE_EPOCH" "$?" 0
is "... every RUN step's upper dir was adopted" "$(printf '%s\n' "$out" | grep -c "adopted from the step's upper dir")" 5
left=$(python3 - "$U/s-adopt/xbuild/layers" <<'PY'
import os, sys
for root, dirs, files in os.walk(sys.argv[1]):
    for n in dirs + files:
        p = os.path.join(root, n)
        if n.startswith(".wh."):
            print(p)
        try:
            xs = os.listxattr(p, follow_symlinks=False)
        except OSError:
            xs = []
        for x in xs:
            if x.startswith("user.fuseoverlayfs."):
                print(p, x)
PY
)
is "... no .wh.* file and no user.fuseoverlayfs.* xattr in the extracted trees" "$left" ""

# the layers hold what the steps did, read with python's tarfile
entries() {
    python3 - "$1" <<'PY'
import json, sys, tarfile
r = sys.argv[1]
m = [d for d in json.load(open(r + "/index.json"))["manifests"] if d["annotations"]["org.opencontainers.image.ref.name"] == "fz/app:1"][0]
for l in json.load(open(r + "/blobs/sha256/" + m["digest"][7:]))["layers"][1:]:
    with tarfile.open(r + "/blobs/sha256/" + l["digest"][7:]) as t:
        for e in t.getmembers():
            print("%s %d:%d %o %s" % (e.name, e.uid, e.gid, e.mode, " ".join(sorted(e.pax_headers))))
PY
}
ent=$(entries "$U/s-fuse")
like "uid 1000's file and directory" "$ent" "data/d1000/f 1000:1000 644"
like "uid 4242's file" "$ent" "data/by4242 4242:4343 644"
like "a deleted base file is a whiteout" "$ent" "bin/.wh.yes 0:0"
like "the replaced directory is opaque" "$ent" "opq/.wh..wh..opq"
like "setuid after chown kept" "$ent" "data/chowned 2345:3456 4755"
like "setgid directory" "$ent" "data/d1000 1000:1000 2750"
if printf '%s' "$ent" | grep -q 'fuseoverlayfs\|overlay\.'; then
    fail "no fuse-overlayfs or overlay xattr in a layer"
    printf '%s\n' "$ent" | grep 'fuseoverlayfs\|overlay\.' | sed 's/^/#   /'
else ok "no fuse-overlayfs or overlay xattr in a layer"; fi
if printf '%s' "$ent" | grep -q 'opq/keep/.wh..wh..opq\|data/d1000/.wh..wh..opq\|usr/share/deep/.wh..wh..opq\|\.wh\.\.wh\.\.wh'; then
    fail "new directories carry no opaque marker (only the replaced one)"
    printf '%s\n' "$ent" | grep 'wh\.\.wh' | sed 's/^/#   /'
else ok "new directories carry no opaque marker (only the replaced one)"; fi
unlike_ctx=$(printf '%s' "$ent" | grep -c '^ctx')
is "the rw bind mount's writes reach no layer" "$unlike_ctx" 0
is "the rw bind mount's writes stay off the host context" "$(ls "$C" | tr '\n' ' ')" "Dockerfile hello.txt rootfs.tar "

# --- xbuild run: the rootfs daemon lives outside the step's PID namespace ---
out=$(rl fuse-overlayfs "$U/s-fuse" run fz/app:1 sh -c 'cat /fromctx; grep " / " /proc/mounts' 2>&1)
like "run with fuse-overlayfs: the image's files" "$out" "^hello"
like "run: the rootfs is a fuse-overlayfs mount, nodev" "$out" "fuse-overlayfs / fuse.fuse-overlayfs rw,nodev"
# every process the step sees, by its command line (the step's init is a fork of xbuild)
out=$(rl fuse-overlayfs "$U/s-fuse" run fz/app:1 sh -c 'for p in /proc/[0-9]*; do tr "\0" " " <$p/cmdline; echo; done' 2>&1)
if printf '%s' "$out" | grep -q '^fuse-overlayfs -f'; then fail "run: the step does not see the daemon"
elif ! printf '%s' "$out" | grep -q 'xbuild'; then fail "run: the step does not see the daemon (no process listed)"; printf '%s\n' "$out" | sed 's/^/#   /'
else ok "run: the step does not see the daemon"; fi

# --- xbuild info ---
out=$(rl fuse-overlayfs "$U/s-fuse" info 2>&1)
like "info: fuse-overlayfs and why" "$out" "snapshotter: fuse-overlayfs"
like "info: its reason" "$out" "snapshotter_reason: XBUILD_SNAPSHOTTER=fuse-overlayfs"
out=$(rl fuse-overlayfs "$U/s-fuse" info --format json 2>&1)
is "info --format json: snapshotter and binary" "$(printf '%s' "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin)["store"]; print(s["snapshotter"], s["fuse_overlayfs"])' 2>&1)" "fuse-overlayfs $(command -v fuse-overlayfs)"
chmod 0600 /dev/fuse
out=$(rl fuse-overlayfs "$U/s-fuse" info 2>&1)
like "info: a forced fuse-overlayfs that cannot work is shown with the reason" "$out" "snapshotter: unusable.*|snapshotter_reason: .*/dev/fuse is not accessible"
chmod 0666 /dev/fuse

# --- as root, forced: the same image as the root kernel overlayfs build ---
out=$(asroot fuse-overlayfs "$T/root-fuse" --debug bud --arch arm64 -t fz/app:1 "$C" 2>&1)
like "root bud with a forced fuse-overlayfs" "$out" "\(fuse-overlayfs snapshotter"
root_fuse=$(printf '%s' "$out" | tail -1)
out=$(asroot "" "$T/root-ovl" bud -q --arch arm64 -t fz/app:1 "$C" 2>&1)
is "root: fuse-overlayfs and kernel overlayfs give the same image" "$root_fuse" "$(printf '%s' "$out" | tail -1)"
is "root and rootless fuse-overlayfs builds give the same image" "$root_fuse" "$fuse_digest"
is "no fuse-overlayfs daemon is left running (root)" "$(pgrep -u 0 -x fuse-overlayfs)" ""

# --- the automatic choice: a store on an overlayfs mount (a CI job in a container whose root
# filesystem is overlayfs) cannot hold a kernel overlay's upper dir ("not supported as
# upperdir"), so auto mode falls back to fuse-overlayfs, rootless and as root, and to the copy
# snapshotter without /dev/fuse (first a Dockerfile without deletions, then the one above) ---
C2=$T/ctx2 && mkdir -p "$C2" && cp "$C/rootfs.tar" "$C2/"
cat >"$C2/Dockerfile" <<'DF'
FROM scratch
ADD rootfs.tar /
RUN mkdir -m 1777 /data && echo r > /data/by0 && echo c > /data/c && chown 2345:3456 /data/c
USER 1000:1000
RUN echo u > /data/by1000
USER root
RUN chmod 4755 /data/c && echo more >> /data/by0
DF
chmod -R a+rX "$C2"
out=$(rl overlay "$U/s-ovl2" bud -q --arch arm64 -t fz/two:1 "$C2" 2>&1)
ovl2=$(printf '%s' "$out" | tail -1)
like "the second Dockerfile builds with kernel overlayfs" "$ovl2" "^sha256:"
O=$T/ovl && mkdir -p "$O/l" "$O/u" "$O/w" "$O/m"
if mount -t overlay overlay -o "lowerdir=$O/l,upperdir=$O/u,workdir=$O/w" "$O/m"; then
    at_exit "umount -l '$O/m'"
    mkdir -p "$O/m/rl" && chown $RL "$O/m/rl"
    chmod 755 "$O/m"
    out=$(rl "" "$O/m/rl/store" --debug bud --arch arm64 -t fz/two:1 "$C2" 2>&1)
    like "auto, rootless, store on overlayfs: fuse-overlayfs is chosen, with the reason" "$out" \
        "\(fuse-overlayfs snapshotter: kernel overlayfs cannot be mounted here \([^)]*\); fuse-overlayfs can\)"
    is "... and gives the same image as the kernel overlayfs build" "$(printf '%s' "$out" | tail -1)" "$ovl2"
    like "... and xbuild info says so" "$(rl "" "$O/m/rl/store" info 2>&1)" "snapshotter: fuse-overlayfs"
    out=$(asroot "" "$O/m/root-store" --debug bud --arch arm64 -t fz/two:1 "$C2" 2>&1)
    like "auto, root, store on overlayfs: fuse-overlayfs is chosen" "$out" "\(fuse-overlayfs snapshotter: kernel overlayfs cannot"
    is "... and gives the same image" "$(printf '%s' "$out" | tail -1)" "$ovl2"
    chmod 0600 /dev/fuse
    out=$(rl "" "$O/m/rl/store" --debug bud --no-cache --arch arm64 -t fz/two:2 "$C2" 2>&1)
    like "auto, rootless, no usable /dev/fuse either: the copy snapshotter" "$out" "\(copy snapshotter"
    is "... and still the same image" "$(printf '%s' "$out" | tail -1)" "$ovl2"
    chmod 0666 /dev/fuse
    is "no fuse-overlayfs daemon is left running (auto)" "$(pgrep -x fuse-overlayfs)" ""
    # whiteouts in a store on overlayfs: overlayfs refuses the 0/0 whiteout devices (and the
    # overlay opaque xattr) that extracting a layer with deletions makes, so extraction writes
    # fuse-overlayfs' file form (.wh.NAME, .wh..wh..opq: layer/whiteout.h) in those trees;
    # fuse-overlayfs reads it, and so does every reader of extracted layers (the diff's lower
    # lookup, the stage view, adoption of an upper dir). The images are the same as with
    # kernel overlayfs in a normal store
    out=$(asroot "" "$O/m/root-store" --debug bud --arch arm64 -t fz/app:1 "$C" 2>&1)
    like "the whiteout Dockerfile's reference image (kernel overlayfs) is a digest" "$root_fuse" "^sha256:"
    like "store on overlayfs, root, whiteouts and opaque dirs: fuse-overlayfs is chosen" "$out" \
        "\(fuse-overlayfs snapshotter: kernel overlayfs cannot"
    is "... and the build (rw bind mount included) gives the same image as kernel overlayfs" \
        "$(printf '%s' "$out" | tail -1)" "$root_fuse"
    [ "$(printf '%s' "$out" | tail -1)" = "$root_fuse" ] ||
        printf '%s\n' "$out" | grep -v '^\[debug\] \(http\|registry\)' | tail -8 | sed 's/^/#   /'
    wh=$(find "$O/m/root-store/xbuild/layers" -path '*/bin/.wh.yes' -type f 2>/dev/null | head -1)
    like "... the extracted layer holds the deletion as an empty .wh.yes file" "$wh" "/bin/\.wh\.yes$"
    # the opaque dir: a .wh..wh..opq file where overlayfs refuses trusted.overlay.opaque
    # (before Linux 6.7), the xattr where it stores it escaped (nested overlayfs, 6.7 on)
    opq=$(python3 - "$O/m/root-store/xbuild/layers" <<'PY'
import os, sys
for l in sorted(os.listdir(sys.argv[1])):
    d = os.path.join(sys.argv[1], l, "opq")
    if not os.path.isdir(d) or os.path.exists(os.path.join(d, "new")) is False:
        continue
    try:
        x = os.getxattr(d, "trusted.overlay.opaque")
    except OSError:
        x = b""
    print("marker" if os.path.isfile(os.path.join(d, ".wh..wh..opq")) else "xattr" if x == b"y" else "none")
PY
)
    like "... and the replaced directory as opaque (marker file or xattr)" "$opq" "^(marker|xattr)$"
    out=$(rl "" "$O/m/rl/store" bud -q --arch arm64 -t fz/app:1 "$C" 2>&1)
    is "store on overlayfs, rootless, whiteouts and opaque dirs: the same image" \
        "$(printf '%s' "$out" | tail -1)" "$root_fuse"
    # a deleted file stays deleted in xbuild run, over the file form
    out=$(asroot "" "$O/m/root-store" run fz/app:1 sh -c 'test -e /bin/yes && echo yes-back; test -e /opq/a && echo a-back; test -e /opq/sub && echo sub-back; ls /opq | tr "\n" " "; cat /fromctx' 2>&1)
    is "... xbuild run (fuse-overlayfs): deleted files stay deleted, the opaque dir hides" \
        "$out" "keep new hello"
    out=$(rl "" "$O/m/rl/store" run fz/app:1 sh -c 'test -e /bin/yes && echo yes-back; test -e /opq/a && echo a-back; ls /opq | tr "\n" " "' 2>&1)
    is "... and rootless" "$out" "keep new "
    # an upper dir adopted as its layer's tree (no SOURCE_DATE_EPOCH) is rewritten into the file
    # form where the store refuses the devices; the later steps run on it
    out=$(runuser -u $RL -- env -i PATH=$STDPATH HOME="$U" "$XB" --root "$O/m/rl/adopt" --debug \
        bud --arch arm64 -t fz/app:1 "$C" 2>&1)
    is "store on overlayfs, rootless, no SOURCE_DATE_EPOCH: the build succeeds" "$?" 0
    is "... every RUN step's upper dir was adopted" \
        "$(printf '%s\n' "$out" | grep -c "adopted from the step's upper dir")" 5
    # a --mount from= stage is a fuse-overlayfs mount of extracted trees in the file form: its
    # deletions and replaced directory hide there too
    C4=$T/ctx4 && mkdir -p "$C4" && cp "$C/rootfs.tar" "$C4/"
    cat >"$C4/Dockerfile" <<'DF'
FROM scratch AS base
ADD rootfs.tar /
RUN rm /bin/yes && mkdir /d && touch /d/x
FROM base AS st
RUN rm -rf /d && mkdir /d && touch /d/y
FROM base
RUN --mount=type=bind,from=st,target=/s ls /s/d > /seen && if test -e /s/bin/yes; then echo yes-back >> /seen; fi
DF
    chmod -R a+rX "$C4"
    # ovl_same NAME CTX WHAT: NAME built from CTX with kernel overlayfs elsewhere, then in the
    # store on overlayfs: the same image; SEEN: what /seen holds in the latter
    ovl_same() {
        local name=$1 ctx=$2 what=$3 want out
        want=$(asroot "" "$T/root-ovl" bud -q --arch arm64 -t "$name" "$ctx" 2>&1 | tail -1)
        like "the $what Dockerfile builds with kernel overlayfs" "$want" "^sha256:"
        out=$(asroot "" "$O/m/root-store" bud -q --arch arm64 -t "$name" "$ctx" 2>&1)
        is "store on overlayfs: the $what Dockerfile gives kernel overlayfs' image" \
            "$(printf '%s' "$out" | tail -1)" "$want"
        SEEN=$(asroot "" "$O/m/root-store" run "$name" cat /seen 2>&1)
    }
    ovl_same fz/four:1 "$C4" "RUN --mount from= a stage with deletions"
    is "... the stage's deleted file and replaced directory's old content stay hidden" "$SEEN" "y"
    # the .dockerignore mask of a context bind mount: .wh. files there too, read by
    # fuse-overlayfs (the ignored file stays hidden)
    C5=$T/ctx5 && mkdir -p "$C5" && cp "$C/rootfs.tar" "$C5/" && echo s >"$C5/secret"
    echo secret >"$C5/.dockerignore"
    printf 'FROM scratch\nADD rootfs.tar /\nRUN --mount=type=bind,target=/c ls -A /c > /seen\n' >"$C5/Dockerfile"
    chmod -R a+rX "$C5"
    ovl_same fz/five:1 "$C5" "context bind mount with a .dockerignore"
    is "... the ignored file stays hidden, the others are there" "$(printf '%s' "$SEEN" | tr '\n' ' ')" \
        ".dockerignore Dockerfile rootfs.tar"
    # under the copy snapshotter such mounts would be kernel overlays, which do not read .wh.
    # files: an error naming the mount
    like "... with XBUILD_SNAPSHOTTER=copy, a --mount from= stage is an error naming it" \
        "$(asroot copy "$O/m/root-store" bud -q --no-cache --arch arm64 -t fz/four:2 "$C4" 2>&1)" \
        "Dockerfile:7: --mount=type=bind,from=st on /s: the store's filesystem refuses whiteout devices .*only fuse-overlayfs reads"
    like "... and so is the filtered context" \
        "$(asroot copy "$O/m/root-store" bud -q --no-cache --arch arm64 -t fz/five:2 "$C5" 2>&1)" \
        "Dockerfile:3: --mount=type=bind on /c: .*the deletions in the .dockerignore'd context are .wh. files"
    # the copy snapshotter: layers are applied from their blobs, but a Dockerfile with a rw bind
    # mount needs an overlay for its writes: an error naming it, never a silent read-only bind
    cp_out=$(asroot copy "$O/m/root-store" bud -q --no-cache --arch arm64 -t fz/app:1 "$C" 2>&1)
    like "... with XBUILD_SNAPSHOTTER=copy, the rw bind mount is an error naming it" "$cp_out" \
        "Dockerfile:10: --mount=type=bind,rw on /ctx: the overlay that takes its writes cannot be mounted here"
    # the same steps without the bind mount, with copy (and /dev/fuse closed: auto picks copy)
    C3=$T/ctx3 && mkdir -p "$C3" && cp "$C/rootfs.tar" "$C/hello.txt" "$C3/"
    sed '$d' "$C/Dockerfile" >"$C3/Dockerfile"
    echo 'RUN test ! -e /bin/yes && test ! -e /opq/a && test ! -e /opq/sub && test -e /opq/new && echo ok > /checked' >>"$C3/Dockerfile"
    chmod -R a+rX "$C3"
    ovl3=$(asroot "" "$T/root-ovl" bud -q --arch arm64 -t fz/three:1 "$C3" 2>&1 | tail -1)
    like "the Dockerfile without the bind mount builds with kernel overlayfs" "$ovl3" "^sha256:"
    out=$(asroot copy "$O/m/root-store" bud -q --no-cache --arch arm64 -t fz/three:1 "$C3" 2>&1)
    is "store on overlayfs, root, XBUILD_SNAPSHOTTER=copy: the same image" "$(printf '%s' "$out" | tail -1)" "$ovl3"
    out=$(asroot "" "$O/m/root-store" bud -q --no-cache --arch arm64 -t fz/three:2 "$C3" 2>&1)
    is "... and with fuse-overlayfs" "$(printf '%s' "$out" | tail -1)" "$ovl3"
    chmod 0600 /dev/fuse
    out=$(rl "" "$O/m/rl/store" --debug bud --no-cache --arch arm64 -t fz/three:1 "$C3" 2>&1)
    like "store on overlayfs, rootless, no /dev/fuse: the copy snapshotter" "$out" "\(copy snapshotter"
    is "... and the same image" "$(printf '%s' "$out" | tail -1)" "$ovl3"
    out=$(rl "" "$O/m/rl/store" run fz/three:1 sh -c 'test -e /bin/yes && echo yes-back; test -e /opq/a && echo a-back; ls /opq | tr "\n" " "; cat /checked' 2>&1)
    is "... xbuild run (copy): deleted files stay deleted" "$out" "keep new ok"
    chmod 0666 /dev/fuse
    is "no fuse-overlayfs daemon is left running (store on overlayfs)" "$(pgrep -x fuse-overlayfs)" ""
else
    fail "mount an overlayfs to hold the store (the auto-fallback cases)"
fi

done_testing

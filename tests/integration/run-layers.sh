#!/usr/bin/env bash
# RUN layers: files, deletions (whiteouts), rm -rf + mkdir (opaque), owners, modes, setuid,
# hardlinks, USER/WORKDIR; secrets and the bind-mounted /etc files never reach a layer; a
# failing RUN names its line and exit code; overlay and copy snapshotters give the same
# diffIDs; --mount cache/tmpfs/bind and --network=none; a layer carries its entries' unchanged
# parent directories (same under overlay, copy and fuse-overlayfs).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_root "namespaces, binfmt_misc"
command -v umoci >/dev/null || { echo "1..0 # SKIP umoci missing"; exit 0; }

"$XBUILD" binfmt --install arm64 >/dev/null
bb_image arm64 bb:arm64 linux/arm64 || { echo "Bail out! no base image"; exit 1; }
C=$T/ctx
mkdir -p "$C/data"
echo ctxfile >"$C/data/in-context"
echo "s3cr3t-VALUE-42" >"$T/secret.txt"
cat >"$C/Dockerfile" <<'DF'
FROM bb:arm64
RUN mkdir -p /d/sub && echo a > /d/sub/f && echo keep > /keep && echo del > /del && touch /d/old
RUN rm /del && rm -rf /d && mkdir /d && echo new > /d/new && echo hl > /h1 && ln /h1 /h2 \
    && chown 1000:10 /h1 && chmod 4755 /h1 && mkdir -m 1777 /sticky && mknod /fifo p
USER builder
RUN id > /tmp/id.txt
USER 1000:10
RUN id -u > /tmp/uid && id -g > /tmp/gid
USER root
WORKDIR /work/dir
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /dev/null && pwd > /pwd \
    && cat /etc/resolv.conf /etc/hosts /etc/hostname > /dev/null && test -c /dev/null
RUN --mount=type=cache,target=/var/cache/x echo run >> /var/cache/x/count && cp /var/cache/x/count /count
RUN --mount=type=tmpfs,target=/scratch echo t > /scratch/t && test -f /scratch/t
RUN --mount=type=bind,source=data,target=/ctx cp /ctx/in-context /copied && ! touch /ctx/w 2>/dev/null
RUN --network=none cat /proc/net/dev | grep -c ':' > /ifaces
DF
out=$("$XBUILD" bud --platform linux/arm64 --secret "id=tok,src=$T/secret.txt" --timestamp 1700000000 -t lay "$C" 2>&1)
check "build with RUN steps succeeds" test $? -eq 0 || printf '%s\n' "$out" | tail -5 | sed 's/^/#   /'
mapfile -t L < <(img_layers lay)
is "one layer per RUN that changed something, one for WORKDIR's new dirs (+ base)" "${#L[@]}" 10
l2=$(layer_list "${L[2]}")
like "deletion became a whiteout" "$l2" '^f 0000 0:0 \.wh\.del$'
like "rm -rf + mkdir became an opaque dir" "$l2" 'd/\.wh\.\.wh\.\.opq'
like "recreated dir content" "$l2" ' d/new$'
! printf '%s\n' "$l2" | grep -q 'd/old\|d/sub' && ok "old dir content not in the layer" || fail "old dir content in the layer"
like "setuid and owner kept" "$l2" '^f 4755 1000:10 h1$'
like "hardlink entry" "$l2" '^h [0-7]+ 1000:10 h2 -> h1$'
like "sticky dir" "$l2" '^d 1777 0:0 sticky/?$'
like "fifo" "$l2" '^p [0-7]+ 0:0 fifo$'
like "USER name: uid/gid/groups" "$(layer_cat "${L[3]}" tmp/id.txt)" 'uid=1000\(builder\) gid=1000\(builder\) groups=.*10\(wheel\)'
is "USER uid:gid" "$(layer_cat "${L[4]}" tmp/uid)/$(layer_cat "${L[4]}" tmp/gid)" "1000/10"
like "WORKDIR's directories in a layer of their own (BuildKit)" "$(layer_list "${L[5]}")" '^d 0?755 0:0 work/dir/?$'
is "WORKDIR created and used" "$(layer_cat "${L[6]}" pwd)" "/work/dir"
like "tmpfs step left no layer (history only)" "$("$XBUILD" inspect lay)" 'scratch/t.*no layer'
is "bind mount from the context, read-only" "$(layer_cat "${L[8]}" copied)" "ctxfile"
is "--network=none: only lo" "$(layer_cat "${L[9]}" ifaces)" 1
# nothing of the sandbox's own mounts or the secret in any layer
bad=""
for l in "${L[@]:1}"; do
    bad+=$(layer_list "$l" | awk '{print $4}' | grep -E '^(run/secrets|etc/resolv.conf|etc/hosts|etc/hostname|proc|dev|sys|scratch|ctx|var/cache/x)(/|$)')
    python3 -c 'import sys,gzip; sys.exit(0 if b"s3cr3t-VALUE-42" in gzip.open(sys.argv[1]).read() else 1)' "$l" && bad+=" secret-content"
done
is "no secret, resolv.conf, hosts, mount points in any layer" "$bad" ""
leak=$(python3 - "$XB_ROOT" <<'PY'
import gzip, os, sys
d = sys.argv[1] + "/blobs/sha256"
for n in os.listdir(d):
    b = open(os.path.join(d, n), "rb").read()
    if b[:2] == b"\x1f\x8b":
        b = gzip.decompress(b)
    if b"s3cr3t-VALUE-42" in b:
        print(n)
PY
)
is "the secret value is in no blob of the store (layers, configs, manifests)" "$leak" ""
# umoci as an independent reader
rm -rf "$T/u"
if umoci unpack --image "$XB_ROOT:lay:latest" "$T/u" >/dev/null 2>&1; then
    R=$T/u/rootfs
    check "umoci: deleted file gone" test ! -e "$R/del"
    check "umoci: old dir content gone" test ! -e "$R/d/old" -a ! -e "$R/d/sub"
    is "umoci: h1 mode/owner/links" "$(stat -c '%a %u:%g %h' "$R/h1")" "4755 1000:10 2"
    is "umoci: hardlink shares the inode" "$(stat -c %i "$R/h1")" "$(stat -c %i "$R/h2")"
    is "umoci: sticky" "$(stat -c %a "$R/sticky")" 1777
    check "umoci: no resolv.conf" test ! -e "$R/etc/resolv.conf"
else
    fail "umoci unpack"
fi
# cache mount persists between builds of the same platform
"$XBUILD" bud -q --no-cache --platform linux/arm64 --secret "id=tok,src=$T/secret.txt" -t lay2 "$C" >/dev/null 2>&1
mapfile -t L2 < <(img_layers lay2)
is "cache mount content persisted" "$(layer_cat "${L2[7]}" count | wc -l)" 2
# failing RUN: line and exit code
mkdir -p "$T/bad"
printf 'FROM bb:arm64\nRUN true\nRUN echo out; exit 7\n' >"$T/bad/Dockerfile"
out=$("$XBUILD" bud --platform linux/arm64 -t bad "$T/bad" 2>&1)
rc=$?
check "failing RUN fails the build" test $rc -ne 0
like "error names Dockerfile:3 and exit code 7" "$out" 'Dockerfile:3.*(code|status) 7'
# same diffIDs with both snapshotters
printf 'FROM bb:arm64\nRUN mkdir -p /a/b && echo x > /a/b/c && rm /bin/yes && ln -s /a /link\nRUN rm -rf /a && mkdir /a && echo y > /a/y && ln /a/y /a/z\nRUN echo x > /f\nRUN rm /f\nRUN echo x > /f\nRUN cat /f > /g\n' >"$T/bad/Dockerfile"
"$XBUILD" bud -q --no-cache --platform linux/arm64 --timestamp 1700000000 -t snap-ovl "$T/bad" >/dev/null 2>&1
XBUILD_SNAPSHOTTER=copy "$XBUILD" bud -q --no-cache --platform linux/arm64 --timestamp 1700000000 -t snap-copy "$T/bad" >/dev/null 2>&1
a=$(img_diff_ids snap-ovl); b=$(img_diff_ids snap-copy)
like "overlay build has 7 layers (one repeated: duplicate lowerdirs handled)" "$a" '^(sha256:[0-9a-f]{64} ){6}sha256:[0-9a-f]{64}$'
is "overlay and copy snapshotters give the same diffIDs" "$b" "$a"
# parents: a RUN layer carries the unchanged parent directories of its entries (containerd's
# ChangeWriter with parent dirs, as BuildKit writes), so an extracted layer (--timestamp: the
# upper dir is not adopted) or another tool never makes them 0755 root
mkdir -p "$T/par"
cat >"$T/par/Dockerfile" <<'DF'
FROM bb:arm64
RUN mkdir -m 1777 /data && echo a > /data/f && mkdir -p /k/sub && chmod 750 /k/sub && echo k > /k/sub/x \
    && touch -t 202001010000 /k/sub
RUN chmod 600 /data/f && rm /k/sub/x && touch -t 202001010000 /k/sub
RUN stat -c %a /data > /mode && stat -c %a /k/sub > /mode2
DF
snaps="overlay copy"
command -v fuse-overlayfs >/dev/null && [ -c /dev/fuse ] && snaps+=" fuse-overlayfs"
[ "$snaps" = "overlay copy" ] && skip "fuse-overlayfs: no fuse-overlayfs or /dev/fuse"
ids=""
for s in $snaps; do
    XBUILD_SNAPSHOTTER=$s "$XBUILD" bud -q --no-cache --platform linux/arm64 --timestamp 1700000000 \
        -t "par-$s" "$T/par" >/dev/null 2>&1
    check "$s: parents build succeeds" test $? -eq 0
    mapfile -t P < <(img_layers "par-$s")
    is "$s: the next step sees /data 1777 and /k/sub 750" \
        "$(layer_cat "${P[3]}" mode) $(layer_cat "${P[3]}" mode2)" "1777 750"
    is "$s: the chmod/rm layer carries the unchanged parents data/, k/, k/sub/ (whiteout's)" \
        "$(layer_list "${P[2]}" | sed 's#/$##' | tr '\n' ';')" \
        "d 1777 0:0 data;f 0600 0:0 data/f;d 0755 0:0 k;d 0750 0:0 k/sub;f 0000 0:0 k/sub/.wh.x;"
    ids+="$(img_diff_ids "par-$s")|"
done
is "all snapshotters give the same diffIDs with parents" \
    "$(printf '%s' "$ids" | tr '|' '\n' | sort -u | grep -c .)" 1
# --mount=type=bind,from=STAGE under every snapshotter: the stage's lowerdirs are relative to
# the layers dir (the copy snapshotter failed with "cannot mount stage 'st' for /m: No such
# file or directory"); the stage's deletions stay deleted in the mount
mkdir -p "$T/from"
cat >"$T/from/Dockerfile" <<'DF'
FROM bb:arm64 AS st
RUN mkdir /s && echo fromstage > /s/f && rm /bin/yes
FROM bb:arm64
RUN --mount=type=bind,from=st,source=/s,target=/m cat /m/f > /got
RUN --mount=type=bind,from=st,target=/m test ! -e /m/bin/yes && test -e /m/bin/sh && echo hidden > /hidden
DF
ids=""
for s in $snaps; do
    out=$(XBUILD_SNAPSHOTTER=$s "$XBUILD" bud -q --no-cache --platform linux/arm64 --timestamp 1700000000 \
        -t "from-$s" "$T/from" 2>&1)
    like "$s: RUN --mount=type=bind,from=STAGE builds" "$out" "^sha256:"
    mapfile -t P < <(img_layers "from-$s")
    is "$s: ... the stage's file is read, its deletion stays deleted" \
        "$(layer_cat "${P[1]}" got) $(layer_cat "${P[2]}" hidden)" "fromstage hidden"
    ids+="$(img_diff_ids "from-$s")|"
done
is "all snapshotters give the same diffIDs with a from= mount" \
    "$(printf '%s' "$ids" | tr '|' '\n' | sort -u | grep -c .)" 1
rm -rf "$T/up"
if umoci unpack --image "$XB_ROOT:par-overlay:latest" "$T/up" >/dev/null 2>&1; then
    is "umoci: /data 1777, /k/sub 750" "$(stat -c %a "$T/up/rootfs/data" "$T/up/rootfs/k/sub" | xargs)" "1777 750"
else
    fail "umoci unpack par-overlay"
fi
done_testing

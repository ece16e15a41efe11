#!/usr/bin/env bash
# xbuild bud: hard links and extended attributes survive COPY/ADD. Names of one inode in the
# context, in an earlier stage or in an ADDed archive become one file plus tar hard links (as
# BuildKit and buildah write them); xattrs of ADDed archive entries (SCHILY.xattr and
# LIBARCHIVE.xattr records) and of stage files are kept in the layer. Layers are read with
# python's tarfile, images unpacked with umoci, and (as root, with the busybox base) seen by a
# later RUN through xbuild's own extraction.
. "$top_srcdir/tests/lib/common.sh"
command -v umoci >/dev/null || { echo "1..0 # SKIP umoci missing"; exit 0; }

# lay NAME [N] -> "kind mode uid:gid name[ => link]" lines of layer N (default: the last) of
# NAME; kind f (file), h (hard link), d, l; then the SCHILY.xattr records as name=hex
lay() {
    python3 - "$XB_ROOT" "$1" "${2:--1}" <<'PY'
import json, sys, tarfile
root, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
idx = json.load(open(root + "/index.json"))
d = [m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == name][0]
m = json.load(open(root + "/blobs/sha256/" + d["digest"][7:]))
with tarfile.open(root + "/blobs/sha256/" + m["layers"][n]["digest"][7:]) as t:
    for x in t:
        kind = "h" if x.islnk() else "d" if x.isdir() else "l" if x.issym() else "f"
        xs = sorted((k[len("SCHILY.xattr."):], v.encode("utf-8", "surrogateescape").hex())
                    for k, v in x.pax_headers.items() if k.startswith("SCHILY.xattr."))
        line = "%s %o %d:%d %s" % (kind, x.mode, x.uid, x.gid, x.name)
        if x.islnk():
            line += " => " + x.linkname
        if xs:
            line += " " + ",".join("%s=%s" % kv for kv in xs)
        print(line)
PY
}

C=$T/ctx
mkdir -p "$C/d/sub"
echo shared >"$C/d/a"
ln "$C/d/a" "$C/d/b"
ln "$C/d/a" "$C/d/sub/c"
echo alone >"$C/d/x"
echo hidden >"$C/d/0ignored"
ln "$C/d/0ignored" "$C/d/zz"
printf 'd/0ignored\n' >"$C/.dockerignore"

# --- hard links from the context -----------------------------------------------------------
cat >"$C/Dockerfile" <<'DF'
FROM scratch
COPY --chown=5:6 --chmod=750 d /d/
COPY --exclude=a d /e/
DF
check "build with hard-linked context files" "$XBUILD" bud -q -t links:ctx "$C"
l=$(lay links:ctx -2)
is "context: one file, the other names hard links to it (owner, mode agree)" \
    "$(printf '%s\n' "$l" | grep ' d/[abs]')" \
    "f 750 5:6 d/a
h 750 5:6 d/b => d/a
d 750 5:6 d/sub
h 750 5:6 d/sub/c => d/a"
like "a name whose sibling is .dockerignored is a plain file" "$l" '^f 750 5:6 d/zz$'
like "an unlinked file stays a file" "$l" '^f 750 5:6 d/x$'
is "--exclude drops the first name: the next keeps the content" \
    "$(lay links:ctx -1 | grep -E ' e/(a|b|sub/c)')" \
    "f 644 0:0 e/b
h 644 0:0 e/sub/c => e/b"
check "umoci unpack" umoci unpack --image "$XB_ROOT:links:ctx" "$T/u1"
R=$T/u1/rootfs
is "unpacked: the names share one inode" "$(stat -c %i "$R/d/b" "$R/d/sub/c" | sort -u | wc -l)" 1
is "unpacked: same inode as d/a" "$(stat -c %i "$R/d/b")" "$(stat -c %i "$R/d/a")"
is "unpacked: link count 3, owner and mode from --chown/--chmod" \
    "$(stat -c '%h %a %u:%g' "$R/d/a")" "3 750 5:6"
is "unpacked: content" "$(cat "$R/d/sub/c")" shared
is "unpacked: the .dockerignore fallback is its own inode" "$(stat -c %h "$R/d/zz")" 1

# --- the cache key tells a hard link from a copy ---------------------------------------------
printf 'FROM scratch\nCOPY d /d/\n' >"$C/Dockerfile.cache"
"$XBUILD" bud -q -t links:c1 -f "$C/Dockerfile.cache" "$C" >/dev/null 2>&1
rm "$C/d/b" && cp -p "$C/d/a" "$C/d/b"
out=$("$XBUILD" bud -t links:c2 -f "$C/Dockerfile.cache" "$C" 2>&1)
check "a copy instead of a hard link is a cache miss" test "${out#*Using cache}" = "$out"
like "... and the layer has two files" "$(lay links:c2)" '^f 644 0:0 d/b$'
rm "$C/d/b" && ln "$C/d/a" "$C/d/b"
out=$("$XBUILD" bud -t links:c3 -f "$C/Dockerfile.cache" "$C" 2>&1)
like "the hard link again: the first build's entry is hit" "$out" 'Using cache'

# --- ADD of an archive: hard links and xattrs ------------------------------------------------
# a v2 file capability (cap_net_raw, effective) as the kernel stores it
CAP=0100000200200000000000000000000000000000
python3 - "$C/x.tar" "$CAP" <<'PY'
import base64, io, sys, tarfile
cap = bytes.fromhex(sys.argv[2])
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, data, pax, mode=0o755):
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = mode; ti.pax_headers = pax
        t.addfile(ti, io.BytesIO(data))
    add("bin/ping", b"ping\n", {"SCHILY.xattr.user.test": "v",
                                "SCHILY.xattr.security.capability": cap.decode("latin-1")})
    # libarchive's own record: base64 value, URL-encoded name
    add("bin/other", b"other\n", {"LIBARCHIVE.xattr.user.lib": base64.b64encode(b"lv").decode()})
    ti = tarfile.TarInfo("bin/ping6"); ti.type = tarfile.LNKTYPE; ti.linkname = "bin/ping"
    t.addfile(ti)
    add("usr/lib/real", b"real\n", {"SCHILY.xattr.user.k": "w"}, 0o644)
    ti = tarfile.TarInfo("var/app/real-link"); ti.type = tarfile.LNKTYPE; ti.linkname = "usr/lib/real"
    t.addfile(ti)
PY
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
cat >"$C/Dockerfile.add" <<'DF'
FROM scratch AS base
ADD x.tar /
COPY d /d/
FROM scratch
COPY --from=base /bin /bin/
COPY --from=base /var/app /app/
COPY --from=base /d /d2/
DF
check "build with ADD x.tar and COPY --from" "$XBUILD" bud -q -t links:base --target base -f "$C/Dockerfile.add" "$C"
check "... the final stage" "$XBUILD" bud -q -t links:add -f "$C/Dockerfile.add" "$C"
l=$(lay links:base 0)
is "ADD: security.capability and user.* kept as SCHILY.xattr records" \
    "$(printf '%s\n' "$l" | grep '^f 755 0:0 bin/ping ')" \
    "f 755 0:0 bin/ping security.capability=$CAP,user.test=$(hex v)"
like "ADD: a LIBARCHIVE.xattr record kept (written as SCHILY)" "$l" "^f 755 0:0 bin/other user.lib=$(hex lv)\$"
like "ADD: the archive's hard link stays a hard link" "$l" '^h 755 0:0 bin/ping6 => bin/ping$'
check "umoci unpack of the ADD layer" umoci unpack --image "$XB_ROOT:links:base" "$T/u2"
is "unpacked: archive hard link shares the inode" "$(stat -c %i "$T/u2/rootfs/bin/ping6")" \
    "$(stat -c %i "$T/u2/rootfs/bin/ping")"
is "COPY --from: xattrs of stage files kept" "$(lay links:add 0 | grep -v '^d')" \
    "f 755 0:0 bin/other user.lib=$(hex lv)
f 755 0:0 bin/ping security.capability=$CAP,user.test=$(hex v)
h 755 0:0 bin/ping6 => bin/ping"
is "COPY --from: a link whose target is outside the copied path gets the content" \
    "$(lay links:add 1 | grep -v '^d')" "f 644 0:0 app/real-link user.k=$(hex w)"
is "COPY --from: hard links of a stage" "$(lay links:add 2 | grep -E ' d2/(a|b|sub/c)')" \
    "f 644 0:0 d2/a
h 644 0:0 d2/b => d2/a
h 644 0:0 d2/sub/c => d2/a"
check "umoci unpack of the final image" umoci unpack --image "$XB_ROOT:links:add" "$T/u3"
is "unpacked: content of the link from outside the copied path" "$(cat "$T/u3/rootfs/app/real-link")" real
is "unpacked: stage hard links share the inode" "$(stat -c '%h' "$T/u3/rootfs/d2/a")" 3

# an xattr changed, the content not: the ADD step is not a cache hit
python3 - "$C/x.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("bin/ping"); ti.size = 5; ti.mode = 0o755
    ti.pax_headers = {"SCHILY.xattr.user.test": "changed"}
    t.addfile(ti, io.BytesIO(b"ping\n"))
PY
printf 'FROM scratch\nADD x.tar /\n' >"$C/Dockerfile.x1"
"$XBUILD" bud -q -t links:x1 -f "$C/Dockerfile.x1" "$C" >/dev/null 2>&1
python3 - "$C/x.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("bin/ping"); ti.size = 5; ti.mode = 0o755
    ti.pax_headers = {"SCHILY.xattr.user.test": "again"}
    t.addfile(ti, io.BytesIO(b"ping\n"))
PY
out=$("$XBUILD" bud -t links:x2 -f "$C/Dockerfile.x1" "$C" 2>&1)
check "ADD: an archive whose xattrs changed is a cache miss" test "${out#*Using cache}" = "$out"
is "... and the layer has the new value" "$(lay links:x2 | grep ping)" "f 755 0:0 bin/ping user.test=$(hex again)"

# a context file given a capability after a build: not a cache hit
if command -v setcap >/dev/null && [ "$(id -u)" = 0 ]; then
    mkdir -p "$T/cap"
    cp /bin/true "$T/cap/pinger"
    printf 'FROM scratch\nCOPY pinger /bin/pinger\n' >"$T/cap/Dockerfile"
    "$XBUILD" bud -q -t links:cap1 "$T/cap" >/dev/null 2>&1
    setcap cap_net_raw+ep "$T/cap/pinger"
    "$XBUILD" bud -q -t links:cap2 "$T/cap" >/dev/null 2>&1
    like "a context file's new capability is a cache miss" "$(lay links:cap2)" 'bin/pinger security.capability='
else
    skip "setcap not available (or not root)"
fi

# --- xattrs of context files travel with them (as BuildKit and buildah send them) ------------
mkdir -p "$T/cx/d"
echo f >"$T/cx/d/f"
if python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.color", b"blue")' "$T/cx/d/f" 2>/dev/null; then
    python3 - "$T/cx/d" <<'PY'
import os, sys
d = sys.argv[1]
os.mkdir(d + "/s", 0o755)
os.setxattr(d + "/s", "user.dir", b"yes")
if os.getuid() == 0:
    os.setxattr(d + "/f", "trusted.overlay.origin", b"x")  # overlayfs' own: never carried
PY
    printf 'FROM scratch\nCOPY d /d/\n' >"$T/cx/Dockerfile"
    check "COPY of context files with xattrs" "$XBUILD" bud -q -t links:cx1 "$T/cx"
    is "... a file's user.* xattr is in the layer; overlayfs' own is not" \
        "$(lay links:cx1 | grep ' d/f')" "f 644 0:0 d/f user.color=$(hex blue)"
    # (a directory's below the destination: the destination d itself is made by the COPY, as
    # BuildKit's MkdirAll does, without the source directory's metadata)
    is "... so is a directory's" "$(lay links:cx1 | grep ' d/s')" "d 755 0:0 d/s user.dir=$(hex yes)"
    python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.color", b"red")' "$T/cx/d/f"
    out=$("$XBUILD" bud -t links:cx2 "$T/cx" 2>&1)
    check_fails "a changed xattr is a cache miss" grep -q 'Using cache' <<<"$out"
    is "... and the new value is in the layer" "$(lay links:cx2 | grep ' d/f')" "f 644 0:0 d/f user.color=$(hex red)"
else
    skip "no user xattrs on $T's filesystem"
    skip "no user xattrs on $T's filesystem"
    skip "no user xattrs on $T's filesystem"
    skip "no user xattrs on $T's filesystem"
    skip "no user xattrs on $T's filesystem"
fi

# --- many and large xattrs: all kept, or a clear error; never some silently dropped ----------
python3 - "$T/xa" <<'PY'
import io, sys, tarfile
def mk(path, name, pax):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo(name); ti.size = 2; ti.mode = 0o644; ti.pax_headers = pax
        t.addfile(ti, io.BytesIO(b"x\n"))
import os; os.makedirs(sys.argv[1], exist_ok=True)
mk(sys.argv[1] + "/x40.tar", "many/f", {"SCHILY.xattr.user.a%02d" % i: "v%d" % i for i in range(40)})
mk(sys.argv[1] + "/x300.tar", "many/g", {"SCHILY.xattr.user.b%03d" % i: "v" for i in range(300)})
mk(sys.argv[1] + "/big.tar", "big/h", {"SCHILY.xattr.user.big": "y" * 70000})
PY
printf 'FROM scratch\nADD x40.tar /\n' >"$T/xa/Dockerfile"
check "ADD of an entry with 40 xattrs" "$XBUILD" bud -q -t links:x40 "$T/xa"
is "... all 40 are in the layer" "$(lay links:x40 | grep ' many/f ' | tr ',' '\n' | grep -c '^\(f 644 0:0 many/f \)\?user\.a')" 40
printf 'FROM scratch\nADD x300.tar /\n' >"$T/xa/Dockerfile"
like "ADD of an entry with 300 xattrs: refused, naming the entry" "$("$XBUILD" bud -q "$T/xa" 2>&1)" \
    'many/g: more than 256 xattrs'
printf 'FROM scratch\nADD big.tar /\n' >"$T/xa/Dockerfile"
like "ADD of an entry with a 70000-byte xattr: refused, naming entry and attribute" \
    "$("$XBUILD" bud -q "$T/xa" 2>&1)" 'big/h: xattr user.big has 70000 bytes, more than Linux allows'

# --- a later RUN sees the hard links (xbuild's own layer extraction) -------------------------
if [ "$(id -u)" = 0 ] && XB_BASE_CACHE=${XB_BASE_CACHE:-$top_srcdir/tests/.cache/base-images} \
    "$top_srcdir/scripts/make-base-images.sh" amd64 >"$T/bases.log" 2>&1; then
    cat >"$C/Dockerfile.run" <<'DF'
FROM busybox:amd64
COPY d /d/
RUN stat -c '%h %i' /d/a /d/b /d/sub/c > /links
DF
    check "build with a RUN after the COPY" "$XBUILD" bud -q -t links:run -f "$C/Dockerfile.run" "$C"
    check "umoci unpack" umoci unpack --image "$XB_ROOT:links:run" "$T/u4"
    is "RUN: three names, one inode" "$(sort -u "$T/u4/rootfs/links" | wc -l) $(cut -d' ' -f1 "$T/u4/rootfs/links" | sort -u)" "1 3"
    # a RUN that changes a file with 40 xattrs (overlayfs copies them up): all in its layer
    printf 'FROM busybox:amd64\nADD x40.tar /\nRUN chmod 600 /many/f\n' >"$T/xa/Dockerfile"
    check "RUN on a file with 40 xattrs" "$XBUILD" bud -q -t links:x40run "$T/xa"
    is "... the RUN layer carries all 40" "$(lay links:x40run | grep ' many/f ' | tr ',' '\n' | grep -c 'user\.a')" 40
    like "... with the new mode" "$(lay links:x40run | grep ' many/f ')" '^f 600 '
else
    skip "RUN check needs root and the busybox base image"
    skip "RUN check needs root and the busybox base image"
    skip "RUN check needs root and the busybox base image"
    skip "RUN check needs root and the busybox base image"
fi
done_testing

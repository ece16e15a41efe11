# Busybox base images for the run tests, from Debian's busybox-static (no Docker Hub).
# Source after common.sh. Downloads are cached in $XB_TEST_CACHE (default tests/.cache).
#   bb_rootfs_tar DEBARCH OUT.tar   -> a rootfs tar (bin/busybox + applet links, /etc files)
#   bb_image DEBARCH NAME PLATFORM  -> builds NAME with `xbuild bud` (FROM scratch + ADD)
: "${XB_TEST_CACHE:=$top_srcdir/tests/.cache}"
BB_APPLETS="sh ash ls cat echo mkdir rmdir rm touch uname id ln chmod chown stat test [ sleep
true false env mv cp find wc grep head tail sort tar printf whoami hostname mknod sed awk
dd readlink realpath basename dirname cut tr xargs mount seq yes kill ps nproc
mkfifo truncate cmp diff hexdump wget nc sha256sum md5sum pwd expr tee uniq which base64 od ip"

bb_deb() { # DEBARCH -> path of the cached .deb (shared with scripts/make-base-images.sh's cache)
    local a=$1 dir="$XB_TEST_CACHE/debs" f try
    mkdir -p "$dir"
    f=$(ls "$dir"/busybox-static_*_"$a".deb "$XB_TEST_CACHE"/base-images/deb/busybox-static_*_"$a".deb 2>/dev/null | head -1)
    if [ -z "$f" ]; then
        # apt operations of parallel tests are serialised; apt's own lock may still be held by
        # another tool, so retry a few times
        for try in 1 2 3 4 5; do
            (
                flock 9
                if [ "$a" != "$(dpkg --print-architecture)" ] &&
                    ! dpkg --print-foreign-architectures | grep -qx "$a"; then
                    dpkg --add-architecture "$a" && apt-get update -qq >/dev/null 2>&1
                fi
                cd "$dir" && apt-get download -qq -o APT::Sandbox::User=root "busybox-static:$a" >/dev/null 2>&1 ||
                    { apt-get update -qq >/dev/null 2>&1; apt-get download -qq -o APT::Sandbox::User=root "busybox-static:$a" >/dev/null 2>&1; }
            ) 9>"$XB_TEST_CACHE/.apt.lock"
            f=$(ls "$dir"/busybox-static_*_"$a".deb 2>/dev/null | head -1)
            [ -n "$f" ] && break
            sleep $((try * 2))
        done
    fi
    [ -n "$f" ] && echo "$f"
}

bb_rootfs_tar() { # DEBARCH OUT.tar
    local a=$1 out=$2 deb r
    deb=$(bb_deb "$a") || return 1
    r=$(mktemp -d "$T/bbroot.XXXXXX")
    dpkg-deb -x "$deb" "$r/x" || return 1
    mkdir -p "$r/root/bin" "$r/root/etc" "$r/root/tmp" "$r/root/root" "$r/root/home/builder"
    cp "$r/x/bin/busybox" "$r/root/bin/busybox"
    local app
    for app in $BB_APPLETS; do ln -s busybox "$r/root/bin/$app"; done
    chmod 1777 "$r/root/tmp"; chmod 700 "$r/root/root"
    printf 'root:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1000:builder:/home/builder:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/root/etc/passwd"
    printf 'root:x:0:\nwheel:x:10:builder\nbuilder:x:1000:\nnogroup:x:65534:\n' >"$r/root/etc/group"
    chown 1000:1000 "$r/root/home/builder"
    tar -C "$r/root" --numeric-owner --mtime=@1600000000 --sort=name -cf "$out" .
    rm -rf "$r"
}

bb_image() { # DEBARCH NAME PLATFORM
    local a=$1 name=$2 plat=$3 c
    c=$(mktemp -d "$T/bbctx.XXXXXX")
    bb_rootfs_tar "$a" "$c/rootfs.tar" || return 1
    printf 'FROM scratch\nADD rootfs.tar /\n' >"$c/Dockerfile"
    "$XBUILD" bud -q --platform "$plat" --timestamp 1600000000 -t "$name" "$c" >/dev/null
}

# img_layers NAME [PLATFORM] -> the layer blob paths of NAME (bottom first), one per line
img_layers() {
    python3 - "$XB_ROOT" "$1" "${2:-}" <<'PY'
import json, sys
root, name, plat = sys.argv[1:4]
if ":" not in name.split("/")[-1]:
    name += ":latest"
idx = json.load(open(root + "/index.json"))
d = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == name][0]
def blob(dg): return json.load(open(root + "/blobs/sha256/" + dg[7:]))
m = blob(d["digest"])
if "manifests" in m:
    want = plat.split("/") if plat else None
    for e in m["manifests"]:
        p = e.get("platform", {})
        if want is None or [p.get("os"), p.get("architecture")] + ([p["variant"]] if "variant" in p else []) == want:
            m = blob(e["digest"]); break
for l in m["layers"]:
    print(root + "/blobs/sha256/" + l["digest"][7:])
PY
}
# img_diff_ids NAME -> the config's diff_ids joined with spaces
img_diff_ids() {
    python3 - "$XB_ROOT" "$1" <<'PY'
import json, sys
root, name = sys.argv[1:3]
if ":" not in name.split("/")[-1]:
    name += ":latest"
idx = json.load(open(root + "/index.json"))
d = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == name][0]
def blob(dg): return json.load(open(root + "/blobs/sha256/" + dg[7:]))
m = blob(d["digest"])
print(" ".join(blob(m["config"]["digest"])["rootfs"]["diff_ids"]))
PY
}
# layer_list BLOB -> "type mode uid:gid name[ -> target]" lines of a layer tar
layer_list() {
    python3 - "$1" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        kind = "d" if m.isdir() else "l" if m.issym() else "h" if m.islnk() else "c" if m.ischr() else "p" if m.isfifo() else "f"
        extra = " -> " + m.linkname if (m.issym() or m.islnk()) else ""
        print("%s %04o %d:%d %s%s" % (kind, m.mode, m.uid, m.gid, m.name, extra))
PY
}
# layer_cat BLOB PATH -> content of PATH in the layer
layer_cat() {
    python3 - "$1" "$2" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        if m.name.strip("./") == sys.argv[2].strip("/"):
            sys.stdout.write(t.extractfile(m).read().decode()); break
PY
}

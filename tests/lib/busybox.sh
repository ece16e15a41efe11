# Busybox base images for the run tests, from Debian's busybox-static (no Docker Hub).
# Source after common.sh. Downloads are cached in $XB_TEST_CACHE (default tests/.cache).
#   bb_rootfs_tar DEBARCH OUT.tar   -> a rootfs tar (bin/busybox + applet links, /etc files)
#   bb_image DEBARCH NAME PLATFORM  -> builds NAME with `xbuild bud` (FROM scratch + ADD)
: "${XB_TEST_CACHE:=$top_srcdir/tests/.cache}"
BB_APPLETS="sh ash ls cat echo mkdir rmdir rm touch uname id ln chmod chown stat test [ sleep
true false env mv cp find wc grep head tail sort tar printf whoami hostname mknod sed awk
dd readlink realpath basename dirname cut tr xargs mount seq yes kill ps nproc"

bb_deb() { # DEBARCH -> path of the cached .deb
    local a=$1 dir="$XB_TEST_CACHE/debs"
    mkdir -p "$dir"
    local f
    f=$(ls "$dir"/busybox-static_*_"$a".deb 2>/dev/null | head -1)
    if [ -z "$f" ]; then
        if ! dpkg --print-foreign-architectures | grep -qx "$a" && [ "$a" != "$(dpkg --print-architecture)" ]; then
            dpkg --add-architecture "$a" && apt-get update -qq >/dev/null 2>&1
        fi
        (cd "$dir" && apt-get download -qq "busybox-static:$a" >/dev/null 2>&1) || return 1
        f=$(ls "$dir"/busybox-static_*_"$a".deb 2>/dev/null | head -1)
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

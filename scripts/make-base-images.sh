#!/usr/bin/env bash
# Test base images without the internet: busybox from Debian's busybox-static package,
# assembled by xbuild itself (FROM scratch + ADD rootfs.tar / + CMD ["/bin/sh"]).
#
#   scripts/make-base-images.sh [--push REGISTRY] [--multi] [ARCH...]
#
# ARCH: Debian architecture names (amd64 arm64 armhf ppc64el s390x; default: all five).
# Each becomes busybox:ARCH in the store ($XBUILD_ROOT / --root default) for the platform
# linux/<oci arch> (armhf -> linux/arm/v7, ppc64el -> linux/ppc64le). With --multi also
# busybox:latest, an OCI index of the built architectures. With --push REGISTRY each image is
# also pushed to docker://REGISTRY/busybox:ARCH (needs the registry module's `xbuild push`).
# Downloads and rootfs tars are cached in $XB_BASE_CACHE (default tests/.cache/base-images).
# Rootfs contents: /bin/busybox and applet symlinks (/bin/sh, ls, cat, uname, ...), /etc/passwd
# and /etc/group with root, app (1000) and nobody (65534), /tmp and /var/tmp with mode 1777.
# Images are reproducible (--timestamp 0): the same package gives the same digest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
: "${XBUILD:=$top/src/xbuild}"
: "${XB_BASE_CACHE:=$top/tests/.cache/base-images}"
ALL=(amd64 arm64 armhf ppc64el s390x)
push=
multi=
arches=()
while [ $# -gt 0 ]; do
    case $1 in
    --push) push=$2; shift 2 ;;
    --push=*) push=${1#--push=}; shift ;;
    --multi) multi=1; shift ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make-base-images: unknown option $1" >&2; exit 2 ;;
    *) arches+=("$1"); shift ;;
    esac
done
[ ${#arches[@]} -gt 0 ] || arches=("${ALL[@]}")

oci_platform() {
    case $1 in
    amd64 | arm64 | s390x | riscv64) echo "linux/$1" ;;
    armhf) echo linux/arm/v7 ;;
    armel) echo linux/arm/v6 ;;
    ppc64el) echo linux/ppc64le ;;
    i386) echo linux/386 ;;
    *) echo "make-base-images: unsupported architecture $1" >&2; return 1 ;;
    esac
}

# Downloads busybox-static for a Debian architecture into the cache (once).
fetch_deb() {
    local arch=$1 dir="$XB_BASE_CACHE/deb"
    local f
    f=$(ls "$dir"/busybox-static_*_"$arch".deb 2>/dev/null | head -1 || true)
    [ -n "$f" ] && { echo "$f"; return 0; }
    mkdir -p "$dir"
    if [ "$arch" != "$(dpkg --print-architecture)" ] &&
        ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        dpkg --add-architecture "$arch"
        apt-get update -q >/dev/null || apt-get update -q >/dev/null || true
    fi
    (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "busybox-static:$arch" >/dev/null 2>&1) || {
        apt-get update -q >/dev/null || true
        (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "busybox-static:$arch" >/dev/null 2>&1)
    }
    ls "$dir"/busybox-static_*_"$arch".deb | head -1
}

APPLETS_FALLBACK="sh ash ls cat cp mv rm mkdir rmdir echo printf sed grep egrep find xargs wc uname du df
tar gzip gunzip zcat sort uniq head tail touch chmod chown chgrp ln true false test [ env sleep id
date hostname whoami which expr basename dirname readlink realpath pwd mktemp stat cut tr tee awk
vi more less ps kill mount umount ping wget nc sha256sum md5sum adduser addgroup su diff patch"

# Builds the rootfs tar of one architecture (cached, keyed by the .deb name).
make_rootfs() {
    local arch=$1 deb=$2
    local out
    out="$XB_BASE_CACHE/rootfs-$(basename "$deb" .deb).tar"
    [ -s "$out" ] && { echo "$out"; return 0; }
    local w
    w=$(mktemp -d "$XB_BASE_CACHE/work.XXXXXX")
    (
        set -e
        dpkg-deb -x "$deb" "$w/pkg"
        R=$w/root
        mkdir -p "$R/bin" "$R/sbin" "$R/usr/bin" "$R/usr/sbin" "$R/etc" "$R/tmp" "$R/var/tmp" \
            "$R/root" "$R/home/app" "$R/proc" "$R/sys" "$R/dev" "$R/run"
        chmod 1777 "$R/tmp" "$R/var/tmp"
        chmod 700 "$R/root"
        install -m 0755 "$w/pkg/bin/busybox" "$R/bin/busybox"
        local applets
        applets=$(/bin/busybox --list 2>/dev/null || echo "$APPLETS_FALLBACK")
        for a in $applets; do
            case $a in busybox | */*) continue ;; esac
            ln -sf busybox "$R/bin/$a"
        done
        printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'app:x:1000:1000:app:/home/app:/bin/sh' \
            'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$R/etc/passwd"
        printf '%s\n' 'root:x:0:' 'app:x:1000:' 'nogroup:x:65534:' >"$R/etc/group"
        chown 1000:1000 "$R/home/app"
        echo 'xbuild-base' >"$R/etc/hostname"
        tar --sort=name --mtime=@0 --numeric-owner -C "$R" -cf "$out.tmp" .
        mv "$out.tmp" "$out"
    ) || { rm -rf "$w"; return 1; }
    rm -rf "$w"
    echo "$out"
}

mkdir -p "$XB_BASE_CACHE"
built=()
for arch in "${arches[@]}"; do
    platform=$(oci_platform "$arch")
    deb=$(fetch_deb "$arch")
    rootfs=$(make_rootfs "$arch" "$deb")
    ctx=$(mktemp -d "$XB_BASE_CACHE/ctx.XXXXXX")
    ln "$rootfs" "$ctx/rootfs.tar" 2>/dev/null || cp "$rootfs" "$ctx/rootfs.tar"
    cat >"$ctx/Dockerfile" <<DF
FROM scratch
ADD rootfs.tar /
LABEL org.opencontainers.image.title="busybox" \\
      org.opencontainers.image.source="Debian $(basename "$deb" .deb)"
CMD ["/bin/sh"]
DF
    digest=$("$XBUILD" bud -q --timestamp 0 --platform "$platform" -t "busybox:$arch" "$ctx") ||
        { rm -rf "$ctx"; exit 1; }
    rm -rf "$ctx"
    echo "busybox:$arch $platform $digest"
    built+=("$arch")
    if [ -n "$push" ]; then
        "$XBUILD" push "busybox:$arch" "docker://$push/busybox:$arch"
    fi
done

if [ -n "$multi" ] && [ ${#built[@]} -gt 1 ]; then
    # one multi-platform build from the same rootfs tars: ADD picks the tar by TARGETARCH
    ctx=$(mktemp -d "$XB_BASE_CACHE/ctx.XXXXXX")
    plats=()
    for arch in "${built[@]}"; do
        p=$(oci_platform "$arch")
        plats+=("$p")
        key=$(echo "$p" | cut -d/ -f2-3 | tr / -)
        deb=$(fetch_deb "$arch")
        cp "$(make_rootfs "$arch" "$deb")" "$ctx/rootfs-$key.tar"
    done
    cat >"$ctx/Dockerfile" <<'DF'
FROM scratch
ARG TARGETARCH
ARG TARGETVARIANT
ADD rootfs-${TARGETARCH}${TARGETVARIANT:+-}${TARGETVARIANT}.tar /
CMD ["/bin/sh"]
DF
    list=$(IFS=,; echo "${plats[*]}")
    digest=$("$XBUILD" bud -q --timestamp 0 --platform "$list" -t busybox:latest "$ctx") ||
        { rm -rf "$ctx"; exit 1; }
    rm -rf "$ctx"
    echo "busybox:latest $list $digest"
    if [ -n "$push" ]; then
        "$XBUILD" push busybox:latest "docker://$push/busybox:latest"
    fi
fi

# Base images for the benchmark, sourced by bench/run.sh. Built from Debian packages without
# xbuild or buildah (bench/make-image.py), cached in $BENCH_CACHE, pushed to the bench registry
# so both builders pull the very same bytes with FROM $REGISTRY/...
#   bases_busybox_rootfs ARCH   -> $BENCH_CACHE/busybox-ARCH.tar (Debian arch names)
#   bases_debian_rootfs         -> $BENCH_CACHE/debian-arm64.tar (mmdebstrap minbase bookworm)
#   bases_push REGISTRY [debian] -> busybox:arm64, busybox:multi (5 platforms) [, debian:arm64]

: "${BENCH_CACHE:=/var/cache/xbuild-bench}"
BUSYBOX_ARCHES=(amd64 arm64 armhf ppc64el s390x)

# Debian architecture -> OCI platform (architecture[/variant])
oci_arch() {
    case $1 in
    armhf) echo arm/v7 ;;
    ppc64el) echo ppc64le ;;
    *) echo "$1" ;;
    esac
}

bases_busybox_rootfs() {
    local arch=$1 out="$BENCH_CACHE/busybox-$1.tar"
    [ -s "$out" ] && { echo "$out"; return 0; }
    mkdir -p "$BENCH_CACHE"
    local w
    w=$(mktemp -d "$BENCH_CACHE/bb.XXXXXX")
    (
        set -e
        cd "$w"
        if [ "$arch" != "$(dpkg --print-architecture)" ] &&
            ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
            dpkg --add-architecture "$arch"
            apt-get update -q >/dev/null || apt-get update -q >/dev/null || true
        fi
        apt-get download -q "busybox-static:$arch" >/dev/null
        dpkg-deb -x busybox-static_*.deb pkg
        mkdir -p root/bin root/etc root/tmp root/root root/proc root/sys root/dev root/var/tmp root/usr/bin
        chmod 1777 root/tmp root/var/tmp
        cp pkg/bin/busybox root/bin/busybox
        # the applet list is the same on every architecture of one package version
        local applets
        applets=$(/bin/busybox --list 2>/dev/null || true)
        if [ -z "$applets" ]; then
            applets="sh ls cat cp mv rm mkdir echo sed grep find wc uname du tar gzip sort head tail touch chmod ln true false test env sleep id date"
        fi
        for a in $applets; do
            [ "$a" = busybox ] || ln -sf busybox "root/bin/$a"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\n' >root/etc/passwd
        printf 'root:x:0:\n' >root/etc/group
        tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C root -cf "$out.tmp" .
        mv "$out.tmp" "$out"
    ) || { rm -rf "$w"; return 1; }
    rm -rf "$w"
    echo "$out"
}

bases_debian_rootfs() {
    local out="$BENCH_CACHE/debian-arm64.tar"
    [ -s "$out" ] && { echo "$out"; return 0; }
    mkdir -p "$BENCH_CACHE"
    # Debian's mirror through apt's configured sources; arm64 maintainer scripts run under
    # qemu-user-static via binfmt_misc.
    local mirror
    mirror=$(awk '/^URIs:/ && $2 ~ /deb.debian.org\/debian$/ {print $2; exit}' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null)
    : "${mirror:=http://deb.debian.org/debian}"
    mmdebstrap --quiet --format=tar --arch=arm64 --variant=minbase bookworm "$out.tmp" "$mirror" >&2 &&
        mv "$out.tmp" "$out" || { rm -f "$out.tmp"; return 1; }
    echo "$out"
}

# Makes sure binfmt_misc can run the architectures of workload 4 (registers from
# /usr/lib/binfmt.d of qemu-user-static when missing).
bases_binfmt() {
    local q
    for q in aarch64 arm ppc64le s390x; do
        [ -e "/proc/sys/fs/binfmt_misc/qemu-$q" ] && continue
        [ -r "/usr/lib/binfmt.d/qemu-$q.conf" ] || continue
        cat "/usr/lib/binfmt.d/qemu-$q.conf" >/proc/sys/fs/binfmt_misc/register 2>/dev/null ||
            echo "bench: cannot register qemu-$q with binfmt_misc" >&2
    done
}

bases_push() {
    local reg=$1 with_debian=${2:-}
    local layout="$BENCH_CACHE/layout"
    rm -rf "$layout"
    local args=() a tar
    tar=$(bases_busybox_rootfs arm64) || return 1
    python3 "$BENCH_DIR/make-image.py" "$layout" busybox-arm64 arm64 "$tar" >/dev/null || return 1
    for a in "${BUSYBOX_ARCHES[@]}"; do
        tar=$(bases_busybox_rootfs "$a") || return 1
        args+=("$(oci_arch "$a")" "$tar")
    done
    python3 "$BENCH_DIR/make-image.py" "$layout" busybox-multi "${args[@]}" >/dev/null || return 1
    skopeo copy -q --dest-tls-verify=false "oci:$layout:busybox-arm64" \
        "docker://$reg/busybox:arm64" >/dev/null || return 1
    skopeo copy -q --all --dest-tls-verify=false "oci:$layout:busybox-multi" \
        "docker://$reg/busybox:multi" >/dev/null || return 1
    if [ -n "$with_debian" ]; then
        tar=$(bases_debian_rootfs) || return 1
        python3 "$BENCH_DIR/make-image.py" "$layout" debian-arm64 arm64 "$tar" >/dev/null || return 1
        skopeo copy -q --dest-tls-verify=false "oci:$layout:debian-arm64" \
            "docker://$reg/debian:arm64" >/dev/null || return 1
    fi
}

#!/usr/bin/env bash
# Debian base images for the root Containerfile (xbuild's own image), from Debian packages only
# (mmdebstrap), assembled by xbuild itself (FROM scratch + ADD rootfs.tar /). Never Docker Hub.
#
#   scripts/make-debian-bases.sh [--suite S] [--push REGISTRY] ARCH...
#
# ARCH: the target architectures (Debian names, default: amd64 arm64). Builds, in the store
# ($XBUILD_ROOT / --root default):
#   xbuild-build-base:bookworm    for the host's platform only (the Containerfile's
#                                 `FROM --platform=$BUILDPLATFORM` stage): build-essential,
#                                 autotools, the -dev packages of the host and, for every other
#                                 ARCH, crossbuild-essential-ARCH + the ARCH -dev packages
#                                 (a multiarch rootfs), so the other targets are cross-compiled
#                                 at native speed instead of compiled under qemu
#   xbuild-runtime-base:bookworm  an index of ARCH...: minbase + the libraries xbuild loads
# With --push REGISTRY both are also pushed to docker://REGISTRY/xbuild-{build,runtime}-base:S
# (then a Containerfile build can name them with --build-arg BUILD_BASE=... / RUNTIME_BASE=...).
# Rootfs tarballs are cached in $XB_DEBIAN_CACHE (default tests/.cache/debian), keyed by suite and
# architectures; delete them to pick up newer packages. The foreign-architecture rootfs runs its
# maintainer scripts under qemu-user-static (binfmt_misc must know the architecture: `xbuild
# binfmt --install ARCH`). Needs root (mmdebstrap's root mode: chroot, device nodes).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
: "${XBUILD:=$top/src/xbuild}"
: "${XB_DEBIAN_CACHE:=${XB_TEST_CACHE:-$top/tests/.cache}/debian}"
suite=bookworm
push=
arches=()
while [ $# -gt 0 ]; do
    case $1 in
    --suite) suite=$2; shift 2 ;;
    --push) push=$2; shift 2 ;;
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make-debian-bases: unknown option $1" >&2; exit 2 ;;
    *) arches+=("$1"); shift ;;
    esac
done
[ ${#arches[@]} -gt 0 ] || arches=(amd64 arm64)
host=$(dpkg --print-architecture)

# the -dev packages of configure.ac's PKG_CHECK_MODULES, and the libraries xbuild loads at run time
DEV_PKGS="libarchive-dev zlib1g-dev libssl-dev libjansson-dev libcurl4-openssl-dev libzstd-dev libdeflate-dev libseccomp-dev"
RUNTIME_PKGS="libarchive13 zlib1g libssl3 libjansson4 libcurl4 libzstd1 libdeflate0 libseccomp2 ca-certificates"
# no documentation, manual pages or translations in the images
TRIM=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-exclude=/usr/share/info/*')

mirror() {
    local m
    m=$(awk '/^URIs:/ && $2 ~ /\/debian$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    echo "${m:-http://deb.debian.org/debian}"
}

# mmdebstrap_tar OUT ARCHES INCLUDE [MMDEBSTRAP-OPTION...]: a minbase rootfs tar (cached)
mmdebstrap_tar() {
    local out=$1 archs=$2 include=$3
    shift 3
    [ -s "$out" ] && return 0
    mkdir -p "$(dirname "$out")"
    (
        # one writer per tarball (tests of several checkouts share the cache)
        flock 9
        [ -s "$out" ] && exit 0
        echo "make-debian-bases: mmdebstrap $suite ($archs) -> $out" >&2
        mmdebstrap --quiet --mode=root --format=tar --variant=minbase --architectures="$archs" \
            --include="$include" "${TRIM[@]}" "$@" "$suite" "$out.tmp" "$(mirror)" >&2 ||
            { rm -f "$out.tmp"; exit 1; }
        mv "$out.tmp" "$out"
    ) 9>"$out.lock"
}

oci_platform() {
    case $1 in
    amd64 | arm64 | s390x | riscv64) echo "linux/$1" ;;
    armhf) echo linux/arm/v7 ;;
    ppc64el) echo linux/ppc64le ;;
    *) echo "make-debian-bases: unsupported architecture $1" >&2; return 1 ;;
    esac
}

# --- the build stage's base: host tools + cross toolchains + every target's -dev packages ---
all=$host include="build-essential autoconf automake libtool pkgconf dpkg-dev file"
for p in $DEV_PKGS; do include="$include $p:$host"; done
for a in "${arches[@]}"; do
    [ "$a" = "$host" ] && continue
    all="$all,$a"
    include="$include crossbuild-essential-$a"
    for p in $DEV_PKGS; do include="$include $p:$a"; done
done
build_tar="$XB_DEBIAN_CACHE/build-$suite-${all//,/+}.tar"
mmdebstrap_tar "$build_tar" "$all" "${include// /,}"

# --- the runtime base of every target ---
rt_tars=()
# ca-certificates' postinst (update-ca-certificates: an openssl process per certificate) takes
# most of a foreign rootfs's time under qemu (17 of 23 minutes for arm64 on a 2-core VM): a
# foreign runtime gets the host's bundle, which is the same data, instead (6 minutes).
for a in "${arches[@]}"; do
    rt_tars+=("$XB_DEBIAN_CACHE/runtime-$suite-$a.tar")
    if [ "$a" = "$host" ]; then
        mmdebstrap_tar "${rt_tars[-1]}" "$a" "${RUNTIME_PKGS// /,}"
    else
        [ -s /etc/ssl/certs/ca-certificates.crt ] || {
            echo "make-debian-bases: /etc/ssl/certs/ca-certificates.crt is missing (install ca-certificates)" >&2
            exit 1
        }
        pkgs=${RUNTIME_PKGS/ ca-certificates/}
        mmdebstrap_tar "${rt_tars[-1]}" "$a" "${pkgs// /,}" \
            --customize-hook='mkdir -p "$1/etc/ssl/certs"' \
            --customize-hook='copy-in /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs'
    fi
done

# --- imported by xbuild itself ---
ctx=$(mktemp -d "${TMPDIR:-/tmp}/xb-debian-bases.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
ln "$build_tar" "$ctx/build.tar" 2>/dev/null || cp "$build_tar" "$ctx/build.tar"
plats=()
for a in "${arches[@]}"; do
    p=$(oci_platform "$a")
    plats+=("$p")
    key=$(echo "$p" | cut -d/ -f2-3 | tr / -)
    ln "$XB_DEBIAN_CACHE/runtime-$suite-$a.tar" "$ctx/runtime-$key.tar" 2>/dev/null ||
        cp "$XB_DEBIAN_CACHE/runtime-$suite-$a.tar" "$ctx/runtime-$key.tar"
done
cat >"$ctx/Dockerfile.build" <<DF
FROM scratch
ADD build.tar /
LABEL org.opencontainers.image.title="xbuild build base" \\
      org.opencontainers.image.description="Debian $suite: build-essential, autotools, cross toolchains for ${arches[*]}"
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/bash"]
DF
cat >"$ctx/Dockerfile.runtime" <<DF
FROM scratch
ARG TARGETARCH
ARG TARGETVARIANT
ADD runtime-\${TARGETARCH}\${TARGETVARIANT:+-}\${TARGETVARIANT}.tar /
LABEL org.opencontainers.image.title="xbuild runtime base" \\
      org.opencontainers.image.description="Debian $suite minbase with xbuild's run-time libraries"
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/bash"]
DF
# the bases are local inputs, not shipped: uncompressed layers import fastest
d=$("$XBUILD" bud -q -D --timestamp 0 --platform "$(oci_platform "$host")" \
    -f "$ctx/Dockerfile.build" -t "xbuild-build-base:$suite" "$ctx")
echo "xbuild-build-base:$suite $(oci_platform "$host") $d"
list=$(IFS=,; echo "${plats[*]}")
d=$("$XBUILD" bud -q -D --timestamp 0 --platform "$list" -f "$ctx/Dockerfile.runtime" \
    -t "xbuild-runtime-base:$suite" "$ctx")
echo "xbuild-runtime-base:$suite $list $d"
if [ -n "$push" ]; then
    "$XBUILD" push "xbuild-build-base:$suite" "docker://$push/xbuild-build-base:$suite"
    "$XBUILD" push "xbuild-runtime-base:$suite" "docker://$push/xbuild-runtime-base:$suite"
fi

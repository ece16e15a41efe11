#!/usr/bin/env bash
# Idempotent setup: installs every build and test dependency from Debian, then builds xbuild.
#   scripts/bootstrap.sh            install deps, autoreconf, configure, make
#   XB_CONFIGURE_FLAGS=--enable-sanitizers scripts/bootstrap.sh
#   XB_CONFIGURE_FLAGS=--enable-werror scripts/bootstrap.sh   (what CI, .ci/run, does)
set -euo pipefail
cd "$(dirname "$0")/.."

# apt runs as root: directly when we are root (sudo need not be installed), else through sudo;
# the build itself runs as the caller.
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO="$(pwd)/scripts/as-root"
. scripts/apt.sh

BUILD_DEPS=(build-essential autoconf automake libtool pkg-config
    libarchive-dev zlib1g-dev libssl-dev libjansson-dev libcurl4-openssl-dev libzstd-dev libdeflate-dev libseccomp-dev
    clang-format)
TEST_DEPS=(skopeo umoci podman buildah docker-registry qemu-user-static apache2-utils python3
    clang lld wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev nodejs
    xz-utils zstd gzip pigz ca-certificates curl openssl iproute2 util-linux file git
    uidmap passwd)

missing=()
for p in "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_update
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The Debian docker-registry package starts a system service on port 5000; tests run their own
# instances on random loopback ports, so the packaged one is not needed.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
    $SUDO systemctl stop docker-registry || true
fi

# Every tool the tests use must be there: a missing one would turn tests into skips.
for tool in skopeo umoci podman docker-registry qemu-aarch64-static htpasswd clang node python3 \
    openssl pigz zstd xz script setcap mount unshare; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bootstrap: required tool '$tool' is missing" >&2; exit 1; }
done

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
    autoreconf -fi
fi
if [ ! -f Makefile ] || [ configure -nt Makefile ]; then
    ./configure ${XB_CONFIGURE_FLAGS:-}
fi
make -j"$(nproc)"
echo "bootstrap: xbuild built at $(pwd)/src/xbuild"

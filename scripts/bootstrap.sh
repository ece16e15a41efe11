#!/usr/bin/env bash
# Idempotent setup: installs every build and test dependency from Debian, then builds xbuild.
#   scripts/bootstrap.sh            install deps, autoreconf, configure, make
#   XB_CONFIGURE_FLAGS=--enable-sanitizers scripts/bootstrap.sh
#   XB_CONFIGURE_FLAGS=--enable-werror scripts/bootstrap.sh   (what CI, .ci/run, does)
#   scripts/bootstrap.sh --deps build   only what building and running xbuild needs (the build
#                                       dependencies and qemu-user-static, no test tools): what
#                                       the GitHub action (action.yml) installs
set -euo pipefail
cd "$(dirname "$0")/.."
deps=all
case "${1:-}" in
--deps) deps=${2:-}; shift 2 || true ;;
--deps=*) deps=${1#--deps=}; shift ;;
esac
case $deps in all | build) ;; *) echo "bootstrap: --deps all|build, not '$deps'" >&2; exit 2 ;; esac

# apt runs as root: directly when we are root (sudo need not be installed), else through sudo;
# the build itself runs as the caller.
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO="$(pwd)/scripts/as-root"
. scripts/apt.sh

BUILD_DEPS=(build-essential autoconf automake libtool pkg-config
    libarchive-dev zlib1g-dev libssl-dev libjansson-dev libcurl4-openssl-dev libzstd-dev libdeflate-dev libseccomp-dev
    clang-format)
# what xbuild needs at run time besides the libraries: qemu-user-static for RUN steps of other
# architectures (xbuild binfmt --install), CA certificates for registries, uidmap
# (newuidmap/newgidmap: rootless mode maps /etc/subuid ranges), fuse-overlayfs (RUN's
# snapshotter where kernel overlayfs cannot be mounted, e.g. a store on overlayfs)
RUNTIME_DEPS=(qemu-user-static ca-certificates uidmap fuse-overlayfs)
# mmdebstrap: Debian bases of the root Containerfile (scripts/make-debian-bases.sh);
# python3-yaml: tests/ci-runner.py reads the CI recipes; passwd
# (useradd/usermod): tests/integration/rootless.sh
TEST_DEPS=(skopeo umoci podman buildah docker-registry apache2-utils python3 python3-yaml
    clang lld wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev nodejs mmdebstrap
    xz-utils zstd gzip pigz curl openssl iproute2 util-linux file git passwd)
[ "$deps" = all ] || TEST_DEPS=()

missing=()
for p in "${BUILD_DEPS[@]}" "${RUNTIME_DEPS[@]}" ${TEST_DEPS[@]+"${TEST_DEPS[@]}"}; do
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
tools="qemu-aarch64-static"
[ "$deps" = build ] || tools="$tools skopeo umoci podman docker-registry htpasswd clang node python3
    openssl pigz zstd xz script setcap mount unshare mmdebstrap"
for tool in $tools; do
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

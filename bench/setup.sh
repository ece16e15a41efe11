#!/usr/bin/env bash
# Installs what the benchmark needs beyond scripts/bootstrap.sh (not part of CI's bootstrap):
# buildah (the comparison), GNU time (peak RSS), pigz (compression reference), mmdebstrap
# (workload 3's Debian arm64 base), plus the registry and qemu the tests use anyway.
set -euo pipefail
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
. "$(dirname "$0")/../scripts/apt.sh"
PKGS=(buildah time pigz mmdebstrap docker-registry qemu-user-static skopeo
    fuse-overlayfs busybox-static arch-test)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench/setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_update
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
    $SUDO systemctl stop docker-registry || true
fi
echo "bench/setup: ok ($(buildah --version 2>/dev/null || echo 'buildah missing'))"

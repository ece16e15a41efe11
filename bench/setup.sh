#!/usr/bin/env bash
# Installs what the benchmark needs beyond scripts/bootstrap.sh (not part of CI's bootstrap):
# buildah (the comparison), GNU time (peak RSS), pigz (compression reference), mmdebstrap
# (workload 3's Debian arm64 base), plus the registry and qemu the tests use anyway.
set -euo pipefail
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
# apt-get update, retried: a mirror in the middle of a sync answers with index files of the wrong
# size for a while. A failure after the retries is a warning: the indexes that did download (or
# the previous ones) may well hold what we need, and the install says so if they do not.
apt_update() {
    local i
    for i in 1 2 3; do
        $SUDO apt-get update -q "$@" && return 0
        echo "apt-get update failed (attempt $i of 3); retrying in $((i * 10)) s" >&2
        sleep $((i * 10))
    done
    echo "warning: apt-get update kept failing; going on with the package indexes at hand" >&2
    return 0
}
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

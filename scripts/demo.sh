#!/usr/bin/env bash
# The README's first command: set everything up and run a real cross-architecture build.
#   1. install dependencies and build xbuild (scripts/bootstrap.sh)
#   2. assemble the busybox base image for arm64 from Debian's busybox-static package
#   3. register qemu-user-static for arm64 in binfmt_misc
#   4. build examples/Dockerfiles/demo-arm64 for linux/arm64 into the local store
#   5. run the arm64 image (emulated) and show what was built
# It needs root (apt, binfmt_misc, namespaces): run as another user, it re-executes itself
# through sudo (scripts/as-root); as root it never calls sudo. -n prints the steps, runs nothing.
# Store: $XBUILD_ROOT, or /var/lib/xbuild as root (the default).
set -euo pipefail
cd "$(dirname "$0")/.."
dry=0
if [ "${1:-}" = "-n" ] || [ "${1:-}" = "--dry-run" ]; then
    dry=1
fi
if [ "$(id -u)" -ne 0 ] && [ "$dry" = 0 ]; then
    exec scripts/as-root "$(pwd)/scripts/demo.sh" "$@"
fi
run() {
    echo "+ $*"
    [ "$dry" = 1 ] || "$@"
}
store=${XBUILD_ROOT:-/var/lib/xbuild}
config() { skopeo inspect --config "oci:$store:demo/hello:arm64" | head -20; }
XB=src/xbuild
run scripts/bootstrap.sh
run scripts/make-base-images.sh arm64
run "$XB" binfmt --install arm64
run "$XB" bud --platform linux/arm64 -t demo/hello:arm64 examples/Dockerfiles/demo-arm64
echo "--- running the arm64 image:"
run "$XB" run --platform linux/arm64 demo/hello:arm64
echo "--- in the store:"
run "$XB" images
echo "--- read back by skopeo:"
run config

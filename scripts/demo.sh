#!/usr/bin/env bash
# The README's first command: set everything up and run a real cross-architecture build.
#   1. install dependencies and build xbuild (scripts/bootstrap.sh)
#   2. assemble the busybox base image for arm64 from Debian's busybox-static package
#   3. register qemu-user-static for arm64 in binfmt_misc
#   4. build examples/Dockerfiles/demo-arm64 for linux/arm64 into the local store
#   5. run the arm64 image (emulated) and show what was built
# Store: $XBUILD_ROOT, or /var/lib/xbuild as root (the default), ~/.local/share/xbuild otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
XB=src/xbuild
scripts/make-base-images.sh arm64
"$XB" binfmt --install arm64
"$XB" bud --platform linux/arm64 -t demo/hello:arm64 examples/Dockerfiles/demo-arm64
echo "--- running the arm64 image:"
"$XB" run --platform linux/arm64 demo/hello:arm64
echo "--- in the store:"
"$XB" images
echo "--- read back by skopeo:"
skopeo inspect --config "oci:${XBUILD_ROOT:-$([ "$(id -u)" = 0 ] && echo /var/lib/xbuild || echo "$HOME/.local/share/xbuild")}:demo/hello:arm64" | head -20

#!/usr/bin/env bash
# Every example under examples/Dockerfiles/ builds. Examples FROM busybox:<arch> get their base
# from scripts/make-base-images.sh (cached downloads); examples with RUN need the run module and
# binfmt_misc (skipped otherwise).
. "$top_srcdir/tests/lib/common.sh"
command -v umoci >/dev/null || { echo "1..0 # SKIP umoci missing"; exit 0; }

have_base() { # arch
    "$XBUILD" inspect "busybox:$1" >/dev/null 2>&1 && return 0
    XB_BASE_CACHE=${XB_BASE_CACHE:-$top_srcdir/tests/.cache/base-images} \
        "$top_srcdir/scripts/make-base-images.sh" "$1" >/dev/null 2>&1
}

for dir in "$top_srcdir"/examples/Dockerfiles/*/; do
    name=$(basename "$dir")
    df="$dir/Dockerfile"
    [ -f "$df" ] || continue
    args=()
    base=$(grep -Eo 'busybox:[a-z0-9]+' "$df" | head -1 || true)
    if [ -n "$base" ]; then
        arch=${base#busybox:}
        if ! have_base "$arch"; then skip "$name: cannot make the $base base image"; continue; fi
        case $arch in armhf) args+=(--platform linux/arm/v7) ;; ppc64el) args+=(--platform linux/ppc64le) ;; *) args+=(--platform "linux/$arch") ;; esac
    fi
    out=$("$XBUILD" bud -q --timestamp 0 -t "example/$name" "${args[@]}" "$dir" 2>&1)
    rc=$?
    if [ $rc -ne 0 ] && printf '%s' "$out" | grep -qE 'RUN needs the run module|binfmt|qemu'; then
        skip "$name: RUN not available here ($(printf '%s' "$out" | tail -1))"
        continue
    fi
    if [ $rc -eq 0 ]; then ok "example $name builds"; else fail "example $name builds"; printf '%s\n' "$out" | sed 's/^/#   /' | tail -5; continue; fi
    rm -rf "$T/u"
    check "example $name unpacks with umoci" umoci unpack --image "$XB_ROOT:example/$name:latest" "$T/u"
    case $name in
    static-app)
        R=$T/u/rootfs
        is "static-app: binary owner and mode" "$(stat -c '%a %u:%g' "$R/usr/local/bin/static-app")" "755 65534:65534"
        is "static-app: config owned by app (name from the image's /etc/passwd)" "$(stat -c '%u:%g' "$R/etc/static-app/static-app.conf")" "65534:65534"
        check "static-app: .dockerignore keeps the Dockerfile out" test ! -e "$R/Dockerfile"
        cfg=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["process"]; print(c["args"], c["cwd"], c["user"]["uid"])' "$T/u/config.json")
        is "static-app: runtime config" "$cfg" "['/usr/local/bin/static-app', '--listen', ':8080'] /var/lib/static-app 65534"
        ;;
    rootfs-tarball)
        R=$T/u/rootfs
        is "rootfs-tarball: tar extracted" "$(cat "$R/etc/hostname")" rootfs-example
        is "rootfs-tarball: /tmp sticky" "$(stat -c %a "$R/tmp")" 1777
        is "rootfs-tarball: symlink kept" "$(readlink "$R/usr/bin/sh")" ../../bin/sh
        is "rootfs-tarball: second tar into a dir" "$(cat "$R/opt/overlay/share/data.txt")" "overlay data"
        ;;
    multi-stage)
        R=$T/u/rootfs
        is "multi-stage: from a named stage" "$(cat "$R/etc/site/site.conf" | head -1)" 'server_name = "example"'
        is "multi-stage: heredoc expanded with the inherited global ARG" "$(cat "$R/etc/site/name")" example
        check "multi-stage: from a stage index" test -f "$R/srv/www/index.html"
        ;;
    esac
done
done_testing

#!/usr/bin/env bash
# Stitching per-architecture CI jobs: two stores ("machines") each build one platform and push
# it; a third joins them with `manifest create/add/push` by digest; skopeo reads the index.
. "$top_srcdir/tests/lib/common.sh"

for t in docker-registry skopeo python3; do
    command -v "$t" >/dev/null 2>&1 || { echo "1..0 # SKIP $t not installed"; exit 0; }
done
for c in bud login; do
    "$XBUILD" "$c" --help >/dev/null 2>&1 || { echo "1..0 # SKIP xbuild $c not available in this build"; exit 0; }
done
. "$top_srcdir/tests/lib/registry.sh"
require_registry
registry_start anonymous || { echo "1..0 # SKIP could not start docker-registry"; exit 0; }
TLS=--tls-verify=false
# json FILE EXPR: evaluates a Python expression over the parsed JSON document j
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# --- two "machines": each builds and pushes one platform ---
# As root with binfmt_misc for aarch64, each machine starts from a busybox base (Debian's
# busybox-static) and RUNs `uname -m`, so the arm64 image provably comes from an emulated build;
# otherwise FROM scratch + COPY only.
USE_RUN=
if [ "$(id -u)" -eq 0 ] && [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    . "$top_srcdir/tests/lib/busybox.sh"
    USE_RUN=1
fi
build_one() { # NAME ARCH DEBARCH -> digest of the pushed manifest in $T/NAME.digest
    local m=$1 arch=$2 debarch=$3
    mkdir -p "$T/ctx-$m/bin"
    echo "hello from $arch" >"$T/ctx-$m/hello.txt"
    echo "#!/bin/sh" >"$T/ctx-$m/bin/run-$arch"
    if [ -n "$USE_RUN" ]; then
        if XBUILD_ROOT="$T/$m" bb_image "$debarch" "base:$arch" "linux/$arch"; then
            ok "machine $m: busybox base for $arch"
        else
            fail "machine $m: busybox base for $arch"
        fi
        printf 'FROM base:%s\nCOPY hello.txt /hello.txt\nCOPY bin/ /bin/\nRUN uname -m > /arch\n' "$arch" >"$T/ctx-$m/Dockerfile"
    else
        printf 'FROM scratch\nCOPY hello.txt /hello.txt\nCOPY bin/ /bin/\n' >"$T/ctx-$m/Dockerfile"
    fi
    check "machine $m: bud --platform linux/$arch" \
        env XBUILD_ROOT="$T/$m" "$XBUILD" bud --platform "linux/$arch" -t "app:$arch" "$T/ctx-$m"
    check "machine $m: push to the registry" \
        env XBUILD_ROOT="$T/$m" "$XBUILD" push $TLS --digestfile "$T/$m.digest" "app:$arch" \
        "docker://$REG/stitch/app:ci-$arch"
}
build_one a amd64 amd64
build_one b arm64 arm64
DA=$(cat "$T/a.digest" 2>/dev/null)
DB=$(cat "$T/b.digest" 2>/dev/null)
like "amd64 digest recorded" "$DA" '^sha256:[0-9a-f]{64}$'
like "arm64 digest recorded" "$DB" '^sha256:[0-9a-f]{64}$'

# --- the third machine stitches them by digest ---
export XBUILD_ROOT="$T/c"
check "manifest create" xb manifest create app:multi
check "manifest add amd64 by digest (docker://)" xb manifest add app:multi "docker://$REG/stitch/app@$DA" $TLS
check "manifest add arm64 by digest (bare reference)" xb manifest add app:multi "$REG/stitch/app@$DB" $TLS
check_fails "manifest add of an unknown digest fails" \
    xb manifest add app:multi "docker://$REG/stitch/app@sha256:$(printf '0%.0s' $(seq 64))" $TLS
check_fails "manifest create of an existing name fails" xb manifest create app:multi
xb manifest inspect app:multi >"$T/local.json" 2>&1
is "local index lists 2 images" "$(json "$T/local.json" 'len(j["manifests"])')" 2
is "local index: amd64 entry" "$(json "$T/local.json" '[m["platform"]["architecture"] for m in j["manifests"] if m["digest"]=="'"$DA"'"]')" "['amd64']"
is "local index: arm64 entry (platform from the config)" "$(json "$T/local.json" '[m["platform"]["architecture"] for m in j["manifests"] if m["digest"]=="'"$DB"'"]')" "['arm64']"
check "manifest annotate by digest" xb manifest annotate app:multi "$DB" --annotation org.example.ci=job-2
check "store C is complete (fsck)" xb fsck
check "manifest push --digestfile" xb manifest push $TLS --digestfile "$T/index.digest" app:multi "docker://$REG/stitch/app:v1"

# --- an independent reader sees the index ---
skopeo inspect --raw $TLS "docker://$REG/stitch/app:v1" >"$T/remote.json" 2>"$T/skopeo.err"
is "skopeo: OCI image index" "$(json "$T/remote.json" 'j["mediaType"]')" application/vnd.oci.image.index.v1+json
is "skopeo: both platforms with the right digests" \
    "$(json "$T/remote.json" 'sorted(m["platform"]["architecture"]+"="+m["digest"] for m in j["manifests"])')" \
    "$(python3 -c 'import sys; print(sorted(sys.argv[1:]))' "amd64=$DA" "arm64=$DB")"
is "skopeo: annotation pushed" "$(json "$T/remote.json" '[m.get("annotations",{}).get("org.example.ci") for m in j["manifests"] if m["digest"]=="'"$DB"'"]')" "['job-2']"
is "digestfile is the index digest" "$(cat "$T/index.digest" 2>/dev/null)" "sha256:$(sha256sum <"$T/remote.json" | cut -d' ' -f1)"
local_raw_digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$T/c/index.json" 2>/dev/null)
is "pushed bytes are the stored index" "$local_raw_digest" "$(cat "$T/index.digest" 2>/dev/null)"

check "skopeo copy --override-arch arm64 reads it" \
    skopeo copy -q $TLS --src-tls-verify=false --override-arch arm64 "docker://$REG/stitch/app:v1" "oci:$T/out-arm64:x"
arm_manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$T/out-arm64/index.json" 2>/dev/null)
is "... and gets the arm64 image" "${arm_manifest:-none}" "${DB:-missing}"
layer_has_arm=no
for l in "$T"/out-arm64/blobs/sha256/*; do
    tar -xzOf "$l" ./hello.txt hello.txt 2>/dev/null | grep -q "hello from arm64" && layer_has_arm=yes
done
is "... whose files come from machine b" "$layer_has_arm" yes
if [ -n "$USE_RUN" ]; then
    uname_m=
    for l in "$T"/out-arm64/blobs/sha256/*; do
        v=$(tar -xzOf "$l" ./arch arch 2>/dev/null)
        [ -n "$v" ] && uname_m=$v
    done
    is "... built by an emulated RUN (uname -m)" "$uname_m" aarch64
else
    skip "RUN check needs root and binfmt_misc for aarch64"
fi
check "skopeo copy --all reads every image" \
    skopeo copy -q --all --src-tls-verify=false "docker://$REG/stitch/app:v1" "oci:$T/out-all:x"

# --- remote inspect, a second destination, removal ---
xb manifest inspect $TLS "docker://$REG/stitch/app:v1" >"$T/rinspect.json" 2>&1
is "manifest inspect of the remote index" "$(json "$T/rinspect.json" 'len(j["manifests"])')" 2
check "manifest push to another repository of the registry" \
    xb manifest push $TLS app:multi "docker://$REG/other/app:v1"
is "same index digest there" \
    "sha256:$(skopeo inspect --raw --tls-verify=false "docker://$REG/other/app:v1" | sha256sum | cut -d' ' -f1)" \
    "$(cat "$T/index.digest" 2>/dev/null)"

# --- a remote index with --all into a Docker manifest list; remove one entry ---
check "manifest create --format docker with a remote index --all" \
    xb manifest create --format docker app:docker --all "docker://$REG/stitch/app:v1" $TLS
xb manifest inspect app:docker >"$T/docker.json" 2>&1
is "Docker manifest list" "$(json "$T/docker.json" 'j["mediaType"]')" application/vnd.docker.distribution.manifest.list.v2+json
is "... with both images" "$(json "$T/docker.json" 'sorted(m["digest"] for m in j["manifests"])')" \
    "$(python3 -c 'import sys; print(sorted(sys.argv[1:]))' "$DA" "$DB")"
check "manifest remove the amd64 entry" xb manifest remove app:docker "$DA"
check "push the list" xb manifest push $TLS app:docker "docker://$REG/stitch/app:docker"
skopeo inspect --raw $TLS "docker://$REG/stitch/app:docker" >"$T/docker-remote.json" 2>&1
is "skopeo: the list holds only arm64" "$(json "$T/docker-remote.json" '[m["platform"]["architecture"] for m in j["manifests"]]')" "['arm64']"

# --- a registry with Basic auth: the shared registry flags reach manifest push/inspect ---
REG1=$REG
if command -v htpasswd >/dev/null 2>&1 && registry_start htpasswd authreg; then
    if out=$(xb manifest push $TLS app:multi "docker://$REG/secure/app:v1" 2>&1); then
        fail "push to an auth registry without credentials fails"
    else
        like "push to an auth registry without credentials fails (auth error)" "$out" '[Aa]uth|401|credential'
    fi
    check "push with --creds" xb manifest push $TLS --creds "$REG_USER:$REG_PASS" app:multi "docker://$REG/secure/app:v1"
    out=$(xb manifest inspect $TLS --creds "$REG_USER:$REG_PASS" "docker://$REG/secure/app:v1" 2>&1)
    like "inspect with --creds shows the index" "$out" "$DB"
else
    skip "htpasswd registry unavailable"; skip "-"; skip "-"
fi
REG=$REG1

check "manifest rm" xb manifest rm app:multi
check_fails "the index is gone locally" xb manifest annotate app:multi "$DB" --annotation a=b

done_testing

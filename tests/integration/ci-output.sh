#!/usr/bin/env bash
# bud --output / -o (buildx's exporters): how CI jobs get cross-compiled files out of a build.
# A two-stage Dockerfile (busybox build stage, FROM scratch output stage) built for amd64 and
# arm64 (under qemu); every output type written and read back with tar, skopeo and python.
. "$top_srcdir/tests/lib/common.sh"

require_tools docker-registry skopeo python3
require_root "busybox bases are built with ADD as root"
require_emulator arm64 aarch64 "RUN in the arm64 build"
. "$top_srcdir/tests/lib/registry.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_registry
registry_start anonymous || { echo "1..0 # SKIP could not start docker-registry"; exit 0; }
TLS=--tls-verify=false
export XBUILD_ROOT="$T/store"
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

if bb_image amd64 base:amd64 linux/amd64 && bb_image arm64 base:arm64 linux/arm64; then
    ok "busybox bases for amd64 and arm64"
else
    fail "busybox bases for amd64 and arm64"
fi
# one index with both bases, so FROM base picks the target platform's
check "base index" xb manifest create base:multi base:amd64 base:arm64
mkdir -p "$T/ctx"
cat >"$T/ctx/Dockerfile" <<'EOF'
FROM base:multi AS build
RUN mkdir -p /out/bin && echo "app for $(uname -m)" > /out/bin/app && chmod 755 /out/bin/app && ln -s bin/app /out/app-link
FROM scratch AS out
COPY --from=build /out/ /
EOF
B="xb bud -q --pull=never"

# --- type=local ---
check "-o type=local,dest=DIR (one platform)" $B --platform linux/arm64 -o "type=local,dest=$T/local1" "$T/ctx"
is "... the final stage's file" "$(cat "$T/local1/bin/app" 2>/dev/null)" "app for aarch64"
is "... its mode" "$(stat -c %a "$T/local1/bin/app" 2>/dev/null)" 755
is "... the symlink" "$(readlink "$T/local1/app-link" 2>/dev/null)" bin/app
is "... nothing else (no build stage files)" "$(cd "$T/local1" && find . | sort | tr '\n' ' ')" ". ./app-link ./bin ./bin/app "
check "-o DIR (short form)" $B --platform linux/amd64 -o "$T/local2" "$T/ctx"
is "... the amd64 file" "$(cat "$T/local2/bin/app" 2>/dev/null)" "app for x86_64"
check "-o type=local with two platforms" $B --platform linux/amd64,linux/arm64 -o "type=local,dest=$T/local3" "$T/ctx"
is "... linux_amd64/" "$(cat "$T/local3/linux_amd64/bin/app" 2>/dev/null)" "app for x86_64"
is "... linux_arm64/" "$(cat "$T/local3/linux_arm64/bin/app" 2>/dev/null)" "app for aarch64"
is "... only the platform directories" "$(ls "$T/local3" | tr '\n' ' ')" "linux_amd64 linux_arm64 "

# --- type=tar ---
check "-o type=tar,dest=FILE" $B --platform linux/arm64 -o "type=tar,dest=$T/out.tar" "$T/ctx"
is "... lists the files" "$(tar -tf "$T/out.tar" 2>/dev/null | sed 's|^\./||' | sort | tr '\n' ' ')" "app-link bin/ bin/app "
is "... with their content" "$(tar -xOf "$T/out.tar" bin/app 2>/dev/null)" "app for aarch64"
xb bud -q --pull=never --platform linux/amd64 -o "type=tar,dest=-" "$T/ctx" >"$T/stdout.tar" 2>"$T/stdout.err"
is "-o type=tar,dest=- writes only the tar to stdout" "$(tar -xOf "$T/stdout.tar" bin/app 2>/dev/null)" "app for x86_64"
xb bud -q --pull=never --platform linux/amd64 -o - "$T/ctx" >"$T/stdout2.tar" 2>/dev/null
is "-o - (short form) is the same tar" "$(cmp -s "$T/stdout.tar" "$T/stdout2.tar" && echo same)" same
check "-o type=tar with two platforms" $B --platform linux/amd64,linux/arm64 -o "type=tar,dest=$T/multi.tar" "$T/ctx"
is "... one directory per platform" "$(tar -xOf "$T/multi.tar" linux_arm64/bin/app 2>/dev/null)" "app for aarch64"

# --- type=oci, type=docker ---
check "-o type=oci,dest=FILE,name=app:1 (two platforms)" \
    $B --platform linux/amd64,linux/arm64 -o "type=oci,dest=$T/oci.tar,name=app:1" "$T/ctx"
skopeo inspect --raw "oci-archive:$T/oci.tar:app:1" >"$T/oci.json" 2>"$T/skopeo.err"
is "skopeo reads the OCI layout tar: an index of 2" "$(json "$T/oci.json" 'len(j["manifests"])' 2>/dev/null)" 2
check "skopeo copies the arm64 image out of it" \
    skopeo copy -q --override-arch arm64 "oci-archive:$T/oci.tar:app:1" "oci:$T/oci-arm:x"
check "-o type=docker,dest=FILE,name=app:2" \
    $B --platform linux/arm64 -o "type=docker,dest=$T/docker.tar,name=app:2" "$T/ctx"
is "docker save format: manifest.json RepoTags" \
    "$(tar -xOf "$T/docker.tar" manifest.json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RepoTags"])')" \
    "['app:2']"
check "skopeo reads the docker archive" skopeo inspect "docker-archive:$T/docker.tar"
check_fails "type=docker with two platforms is an error" \
    $B --platform linux/amd64,linux/arm64 -o "type=docker,dest=$T/docker2.tar" "$T/ctx"
[ ! -e "$T/docker2.tar" ] && ok "... that leaves no file" || fail "... that leaves no file"

# --- type=image, type=registry ---
check "-o type=image,name=out:img" $B --platform linux/arm64 -o "type=image,name=out:img" "$T/ctx"
check "... the store has it" xb inspect out:img
check "-o type=registry,name=REG/out/app:1" \
    $B $TLS --platform linux/amd64,linux/arm64 -o "type=registry,name=$REG/out/app:1" "$T/ctx"
is "skopeo: the registry has the index" \
    "$(skopeo inspect --raw $TLS "docker://$REG/out/app:1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["manifests"]))')" 2
check "-o type=image,push=true with -t (the default names)" \
    $B $TLS --platform linux/arm64 -t "$REG/out/app:2" -o "type=image,push=true" "$T/ctx"
check "skopeo: tag 2 is there" skopeo inspect --raw $TLS "docker://$REG/out/app:2"
check "several outputs at once" \
    $B --platform linux/arm64 -o "$T/many-dir" -o "type=tar,dest=$T/many.tar" "$T/ctx"
is "... both written" "$(cat "$T/many-dir/bin/app" 2>/dev/null; tar -xOf "$T/many.tar" bin/app 2>/dev/null)" \
    "app for aarch64
app for aarch64"

# --- bad specs ---
for spec in "type=bogus,dest=$T/x" "type=local" "dest=$T/x" "type=local,dest=$T/x,colour=red" \
    "type=tar,dest=$T/x,push=true" "type=local,dest=-" "type=image,push-by-digest=true"; do
    out=$(xb bud -q --pull=never -o "$spec" "$T/ctx" 2>&1)
    rc=$?
    [ $rc -eq 2 ] && ok "-o $spec: usage error" || fail "-o $spec: usage error (rc $rc: $out)"
done
like "the error names the accepted types" "$(xb bud -o type=bogus,dest=x "$T/ctx" 2>&1)" 'local, tar, oci, docker, image, registry'

done_testing

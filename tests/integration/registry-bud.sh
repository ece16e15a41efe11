#!/usr/bin/env bash
# The executor's side: FROM an image in a registry (an index: each platform gets its own
# manifest), and bud --push of the multi-platform result, read back by skopeo.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_registry
for t in skopeo umoci; do command -v $t >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }; done
registry_start anonymous || { echo "1..0 # SKIP could not start docker-registry"; exit 0; }
make_image "$T/oci" amd amd64 "base amd64" 0
make_image "$T/oci" arm arm64 "base arm64" 0
make_index "$T/oci" multi amd arm >/dev/null
skopeo copy -q --all --dest-tls-verify=false "oci:$T/oci:multi" "docker://$REG/base/img:1"
mkdir -p "$T/ctx"
printf 'FROM %s/base/img:1\nCOPY f /f\n' "$REG" >"$T/ctx/Dockerfile"
echo payload >"$T/ctx/f"

check "bud FROM a registry index for two platforms, --push" \
    xb bud -q --platform linux/amd64,linux/arm64 -t "$REG/app/img:1" --push "$T/ctx"
raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/app/img:1" 2>&1)
like "the registry has an index" "$raw" "application/vnd.oci.image.index.v1\+json"
for arch in amd64 arm64; do
    rm -rf "$T/out-$arch"
    check "skopeo copies the $arch image" skopeo copy -q --src-tls-verify=false --override-arch $arch \
        "docker://$REG/app/img:1" "oci:$T/out-$arch:x"
    cfg=$(skopeo inspect --config "oci:$T/out-$arch:x" 2>/dev/null)
    like "... whose config says $arch" "$cfg" "\"architecture\": *\"$arch\""
done
layers=$(skopeo inspect --override-arch arm64 "oci:$T/out-arm64:x" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Layers"]))')
is "the arm64 image has the base layer plus COPY" "$layers" 2
check "fsck after the build" xb fsck
printf 'FROM %s/base/missing:1\n' "$REG" >"$T/ctx/Dockerfile.missing"
check_fails "FROM an image the registry lacks fails" xb bud -q -f "$T/ctx/Dockerfile.missing" "$T/ctx"
printf 'FROM %s/never/img:1\n' "$REG" >"$T/ctx/Dockerfile.never"
skopeo copy -q --dest-tls-verify=false "oci:$T/oci:amd" "docker://$REG/never/img:1"
check_fails "--pull=never does not pull" xb bud -q --pull=never -f "$T/ctx/Dockerfile.never" "$T/ctx"
check "--pull=missing pulls" xb bud -q --pull=missing --platform linux/amd64 -f "$T/ctx/Dockerfile.never" "$T/ctx"

# FROM pulls use bud's registry options: a private registry needs --authfile (or --creds when
# a -t name is on that registry: --creds go only to the -t names' registries)
REG_USER=builder REG_PASS=s3cret-pw
registry_start htpasswd private || { fail "start an htpasswd registry"; done_testing; }
skopeo copy -q --dest-tls-verify=false --dest-creds "$REG_USER:$REG_PASS" "oci:$T/oci:amd" \
    "docker://$REG/priv/img:1"
printf 'FROM %s/priv/img:1\nCOPY f /f\n' "$REG" >"$T/ctx/Dockerfile.priv"
out=$(xb --root "$T/root-priv" bud -q --platform linux/amd64 -f "$T/ctx/Dockerfile.priv" "$T/ctx" 2>&1)
rc=$?
is "FROM a private image without credentials fails" "$rc" 1
like "... with an error naming the registry's refusal" "$out" "401|unauthori[sz]ed|credentials"
check "bud --creds passes the credentials to a FROM pull from a -t name's registry" \
    xb --root "$T/root-priv" bud -q --platform linux/amd64 --creds "$REG_USER:$REG_PASS" \
    -t "$REG/priv/built:1" -f "$T/ctx/Dockerfile.priv" "$T/ctx"
out=$(xb --root "$T/root-priv3" bud -q --platform linux/amd64 --creds "$REG_USER:$REG_PASS" \
    -t priv-creds -f "$T/ctx/Dockerfile.priv" "$T/ctx" 2>&1)
is "... but not to another registry's FROM (-t names docker.io)" "$?" 1
like "... which asks for credentials" "$out" "401|unauthori[sz]ed|credentials"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)" \
    >"$T/auth.json"
check "bud --authfile passes the auth file to the FROM pull" \
    xb --root "$T/root-priv2" bud -q --platform linux/amd64 --authfile "$T/auth.json" \
    -t priv-authfile -f "$T/ctx/Dockerfile.priv" "$T/ctx"
check "... and the image is in the store" xb --root "$T/root-priv2" inspect priv-authfile
done_testing

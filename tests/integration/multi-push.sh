#!/usr/bin/env bash
# bud --push: a multi-platform build pushed as an index (and its manifests) to a registry;
# another store builds FROM the pushed image (pulled per platform through the registry hook).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_registry
command -v skopeo >/dev/null || { echo "1..0 # SKIP skopeo missing"; exit 0; }
registry_start anonymous || { echo "1..0 # SKIP registry did not start"; exit 0; }

C=$T/ctx
mkdir -p "$C"
echo hello >"$C/hello.txt"
cat >"$C/Dockerfile" <<'DF'
FROM scratch
ARG TARGETARCH
COPY hello.txt /hello-${TARGETARCH}.txt
LABEL arch=${TARGETARCH}
DF
out=$("$XBUILD" bud --platform linux/amd64,linux/arm64 -t "$REG/xb/app:1" -t "$REG/xb/app:latest" \
    --push --metadata-file "$T/meta.json" "$C" 2>&1)
check "build and push" test $? -eq 0
digest=$(printf '%s\n' "$out" | grep '^sha256:' | tail -1)
like "push reported" "$out" "pushed $REG/xb/app:1@sha256:"
raw=$(skopeo inspect --tls-verify=false --raw "docker://$REG/xb/app:1")
is "the registry serves the index" "$(printf '%s' "$raw" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["mediaType"], len(d["manifests"]))')" \
    "application/vnd.oci.image.index.v1+json 2"
is "same digest as built" "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" "$digest"
cfg=$(skopeo inspect --tls-verify=false --override-arch arm64 --config "docker://$REG/xb/app:latest")
like "arm64 image config" "$cfg" '"arch": "arm64"'
is "metadata-file lists pushed references" "$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["pushed"]))' "$T/meta.json")" \
    "$REG/xb/app:1 $REG/xb/app:latest"

# a second "machine" builds FROM the pushed image
mkdir -p "$T/c2"
printf 'FROM %s/xb/app:1\nCOPY hello.txt /again.txt\n' "$REG" >"$T/c2/Dockerfile"
cp "$C/hello.txt" "$T/c2/"
check "FROM a registry image (pulled for arm64)" "$XBUILD" --root "$T/other" bud -q --platform linux/arm64 -t child:1 "$T/c2"
cfg=$(skopeo inspect --config "oci:$T/other:child:1")
like "child has the arm64 base" "$cfg" '"arch": "arm64"'
check_fails "--push without -t is a usage error" "$XBUILD" bud --push "$C"
done_testing

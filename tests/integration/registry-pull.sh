#!/usr/bin/env bash
# xbuild pull against Debian's docker-registry: images pushed by skopeo (single-arch and a
# multi-arch index), platform selection, digests, verification of corrupted blobs.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_registry
for t in skopeo umoci; do command -v $t >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }; done

registry_start anonymous || { echo "1..0 # SKIP could not start docker-registry"; exit 0; }
S="--dest-tls-verify=false"
make_image "$T/oci" amd amd64 "hello amd64" 64
make_image "$T/oci" arm arm64 "hello arm64" 64
make_image "$T/oci" armv7 arm "hello armv7" 0
IDX=$(make_index "$T/oci" multi amd arm armv7)
skopeo copy -q $S "oci:$T/oci:amd" "docker://$REG/single/app:1"
skopeo copy -q $S --all "oci:$T/oci:multi" "docker://$REG/multi/app:1"
SINGLE=$(skopeo inspect --raw --tls-verify=false "docker://$REG/single/app:1" | sha256sum | cut -d' ' -f1)

# single manifest
out=$(xb pull "$REG/single/app:1" 2>"$T/err")
is "pull prints the manifest digest" "$out" "sha256:$SINGLE"
like "progress: one line per blob" "$(cat "$T/err")" "Copied blob sha256:[0-9a-f]{12}"
like "images lists the normalised name" "$(xb images)" "$REG/single/app:1"
check "fsck is clean after the pull" xb fsck
out=$(xb pull -q "$REG/single/app:1" 2>&1)
is "-q prints only the digest" "$out" "sha256:$SINGLE"
check "pull by digest" xb pull -q "$REG/single/app@sha256:$SINGLE"
check "pull by tag+digest" xb pull -q "$REG/single/app:1@sha256:$SINGLE"
like "tag+digest is stored under its full name" "$(xb images)" "single/app:1@sha256"

# index: the platform's entry
out=$(xb pull -q --platform linux/arm64 "$REG/multi/app:1" 2>&1)
ARM=$(skopeo inspect --raw --tls-verify=false "docker://$REG/multi/app:1" |
    python3 -c 'import json,sys; print([m["digest"] for m in json.load(sys.stdin)["manifests"] if m["platform"]["architecture"]=="arm64"][0])')
is "--platform linux/arm64 pulls the arm64 manifest" "$out" "$ARM"
arch=$(xb inspect --json "$REG/multi/app:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["architecture"])')
is "the stored image is arm64" "$arch" arm64
out=$(xb pull -q --platform linux/arm64/v8 "$REG/multi/app:1" 2>&1)
is "arm64/v8 is arm64" "$out" "$ARM"
out=$(xb pull -q --platform aarch64 "$REG/multi/app:1" 2>&1)
is "aarch64 is arm64" "$out" "$ARM"
ARMV7=$(skopeo inspect --raw --tls-verify=false "docker://$REG/multi/app:1" |
    python3 -c 'import json,sys; print([m["digest"] for m in json.load(sys.stdin)["manifests"] if m["platform"]["architecture"]=="arm"][0])')
out=$(xb pull -q --platform linux/arm "$REG/multi/app:1" 2>&1)
is "linux/arm is arm/v7" "$out" "$ARMV7"
out=$(xb pull -q --platform linux/s390x "$REG/multi/app:1" 2>&1)
rc=$?
ok_or() { if [ "$1" -ne 0 ]; then ok "$2"; else fail "$2"; fi; }
ok_or $rc "a platform the index lacks fails"
like "... naming the platforms available" "$out" "no image for platform linux/s390x.*available: linux/amd64, linux/arm64, linux/arm/v7"

# Docker schema2 manifest and manifest list
skopeo copy -q $S --format v2s2 "oci:$T/oci:amd" "docker://$REG/docker/img:1"
skopeo copy -q $S --all --format v2s2 "oci:$T/oci:multi" "docker://$REG/docker/list:1"
like "skopeo made a Docker manifest list" "$(skopeo inspect --raw --tls-verify=false "docker://$REG/docker/list:1")" "manifest.list.v2"
out=$(xb pull -q "$REG/docker/img:1")
is "pull a Docker schema2 manifest" "$out" "sha256:$(skopeo inspect --raw --tls-verify=false "docker://$REG/docker/img:1" | sha256sum | cut -d' ' -f1)"
out=$(xb pull -q --platform linux/arm64 "$REG/docker/list:1")
DARM=$(skopeo inspect --raw --tls-verify=false "docker://$REG/docker/list:1" |
    python3 -c 'import json,sys; print([m["digest"] for m in json.load(sys.stdin)["manifests"] if m["platform"]["architecture"]=="arm64"][0])')
is "pull arm64 from a Docker manifest list" "$out" "$DARM"
like "stored with the Docker media type" "$(xb inspect --json "$REG/docker/list:1")" "application/vnd.docker.distribution.manifest.v2\+json"
check "push it back keeps it a Docker manifest" xb push -q "$REG/docker/list:1" "docker://$REG/docker/again:1"
is "... byte for byte" "$(skopeo inspect --raw --tls-verify=false "docker://$REG/docker/again:1" | sha256sum | cut -d' ' -f1)" "${DARM#sha256:}"

# a connection reset in the middle of a blob download is retried from the start
proxy_start "GET /blobs/sha256 cut 2"
rm -rf "$XBUILD_ROOT"
out=$(xb pull -q "$PROXY/single/app:1" 2>&1)
is "pull through blob downloads cut in the middle" "$out" "sha256:$SINGLE"
is "... two were cut" "$(grep -c '"action": "cut"' "$PROXY_LOG")" 2
check "... and the store is clean" xb fsck

# errors
out=$(xb pull "$REG/single/app:nope" 2>&1)
ok_or $? "unknown tag fails"
like "... with the registry's error and the operation" "$out" "GET manifest $REG/single/app:nope: MANIFEST_UNKNOWN"
out=$(xb pull "$REG/Single/App" 2>&1)
ok_or $? "invalid reference fails"
like "... saying why" "$out" "lowercase"
out=$(xb pull "127.0.0.1:1/x:1" 2>&1)
ok_or $? "unreachable registry fails"
like "... clearly" "$out" "cannot reach registry 127.0.0.1:1"

# a corrupted blob in the registry's storage is detected, and nothing is stored
make_image "$T/oci" corrupt amd64 "to be corrupted" 32
skopeo copy -q $S "oci:$T/oci:corrupt" "docker://$REG/bad/app:1"
LAYER=$(skopeo inspect --raw --tls-verify=false "docker://$REG/bad/app:1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
data=$(registry_blob_data "$LAYER")
size=$(stat -c %s "$data")
head -c "$size" /dev/urandom >"$data"
out=$(xb pull "$REG/bad/app:1" 2>&1)
ok_or $? "pulling a corrupted blob fails"
like "... with a digest error naming the blob" "$out" "${LAYER#sha256:}"
hex=${LAYER#sha256:}
if [ -e "$XBUILD_ROOT/blobs/sha256/$hex" ]; then fail "corrupted blob not stored"; else ok "corrupted blob not stored"; fi
if xb images | grep -q "bad/app"; then fail "corrupted image not tagged"; else ok "corrupted image not tagged"; fi
check "fsck is clean after the failed pull" xb fsck
if ls "$XBUILD_ROOT/blobs/sha256/" | grep -q tmp; then fail "no temp files left"; else ok "no temp files left"; fi

# pull policies (the executor's FROM path)
check "--policy never finds a pulled image" xb pull -q --policy never "$PROXY/single/app:1"
check_fails "--policy never fails for a missing one" xb pull -q --policy never "$REG/other/app:1"
done_testing

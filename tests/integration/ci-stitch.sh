#!/usr/bin/env bash
# Per-architecture CI jobs stitched without moving layers. Two stores ("runners") build amd64
# and arm64 from busybox bases and push by digest, untagged (bud -o type=image,push-by-digest and
# push --by-digest); a third, empty store stitches them into one index in the same repository
# through a counting proxy: only manifests and configs travel, the store receives no layer, the
# index is what skopeo sees. Then: a push to another repository mounts the layers, a push to a
# second registry streams them (in small chunks) without the local store, and bad platforms
# fail before anything is pushed.
. "$top_srcdir/tests/lib/common.sh"

require_tools docker-registry skopeo python3
require_root "busybox bases are built with ADD as root"
require_emulator arm64 aarch64 "RUN in the arm64 build"
. "$top_srcdir/tests/lib/registry.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_registry
registry_start anonymous reg2 || { echo "1..0 # SKIP could not start docker-registry"; exit 0; }
REG2=$REG
registry_start anonymous || { echo "1..0 # SKIP could not start docker-registry"; exit 0; }
TLS=--tls-verify=false
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
# blob_count ROOT: files in a store's blobs/sha256; blob_bytes ROOT: their total size
blob_count() { find "$1/blobs/sha256" -type f | wc -l; }
blob_bytes() { find "$1/blobs/sha256" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }
# received [PATH_REGEX]: response body bytes the proxy passed to its clients (since the last reset)
received() {
    python3 - "$PROXY_BYTES" "${1:-.}" <<'PY'
import json, re, sys
n = 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    if re.search(sys.argv[2], e["path"]):
        n += e["received"] + e["sent"]
print(n)
PY
}

# --- two runners: one platform each, pushed by digest ---
build_one() { # STORE ARCH DEBARCH
    local m=$1 arch=$2 deb=$3
    mkdir -p "$T/ctx-$m"
    echo "built for $arch" >"$T/ctx-$m/hello.txt"
    printf 'FROM base:%s\nCOPY hello.txt /hello.txt\nRUN uname -m > /arch && head -c 300000 /dev/urandom > /payload\n' \
        "$arch" >"$T/ctx-$m/Dockerfile"
    if XBUILD_ROOT="$T/$m" bb_image "$deb" "base:$arch" "linux/$arch"; then
        ok "runner $m: busybox base for $arch"
    else
        fail "runner $m: busybox base for $arch"
    fi
}
build_one a amd64 amd64
build_one b arm64 arm64
check "runner a: bud -o type=image,name=REG/ci/app,push=true,push-by-digest=true --metadata-file" \
    env XBUILD_ROOT="$T/a" "$XBUILD" bud -q $TLS --platform linux/amd64 -t app:amd64 \
    -o "type=image,name=$REG/ci/app,push=true,push-by-digest=true" --metadata-file "$T/a.json" "$T/ctx-a"
check "runner b: bud, then push --by-digest --digestfile --metadata-file" \
    env XBUILD_ROOT="$T/b" "$XBUILD" bud -q --platform linux/arm64 -t app:arm64 "$T/ctx-b"
check "runner b: push --by-digest" \
    env XBUILD_ROOT="$T/b" "$XBUILD" push -q $TLS --by-digest --digestfile "$T/b.digest" \
    --metadata-file "$T/b.json" app:arm64 "docker://$REG/ci/app"
DA=$(json "$T/a.json" 'j["containerimage.digest"]' 2>/dev/null)
DB=$(cat "$T/b.digest" 2>/dev/null)
like "a: metadata containerimage.digest" "$DA" '^sha256:[0-9a-f]{64}$'
like "b: digestfile" "$DB" '^sha256:[0-9a-f]{64}$'
is "b: metadata containerimage.digest = digestfile" "$(json "$T/b.json" 'j["containerimage.digest"]' 2>/dev/null)" "$DB"
is "b: metadata image.name is REG/REPO@DIGEST" "$(json "$T/b.json" 'j["image.name"]' 2>/dev/null)" "$REG/ci/app@$DB"
is "a: metadata image.name" "$(json "$T/a.json" 'j["image.name"]' 2>/dev/null)" "$REG/ci/app@$DA"
tags=$(curl -s "http://$REG/v2/ci/app/tags/list" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("tags"))')
is "pushed by digest: the repository has no tag" "$tags" None
check "skopeo reads amd64 by digest" skopeo inspect --raw $TLS "docker://$REG/ci/app@$DA"
check_fails "push --by-digest refuses a tag" \
    env XBUILD_ROOT="$T/b" "$XBUILD" push -q $TLS --by-digest app:arm64 "docker://$REG/ci/app:x"
layers_a=$(skopeo inspect --raw $TLS "docker://$REG/ci/app@$DA" | python3 -c 'import json,sys; print(" ".join(l["digest"] for l in json.load(sys.stdin)["layers"]))')
layers_b=$(skopeo inspect --raw $TLS "docker://$REG/ci/app@$DB" | python3 -c 'import json,sys; print(" ".join(l["digest"] for l in json.load(sys.stdin)["layers"]))')
layer_bytes=$(for d in $layers_a $layers_b; do stat -c %s "$(registry_blob_data "$d")"; done | awk '{s+=$1} END {print s+0}')
diag "the two images' layers: $layer_bytes bytes"

# --- runner c: empty store, stitches through a counting proxy (one-shot, buildx's form) ---
proxy_start
export XBUILD_ROOT="$T/c"
check "c: manifest create --push -t DEST SRC SRC" \
    xb manifest create $TLS --push -t "$PROXY/ci/app:v1" --digestfile "$T/v1.digest" \
    "$PROXY/ci/app@$DA" "docker://$PROXY/ci/app@$DB"
total=$(received)
diag "c transferred $total bytes (the layers are $layer_bytes)"
[ "$total" -gt 0 ] && [ "$total" -lt 65536 ] && ok "c: less than 64 KiB on the wire" ||
    fail "c: less than 64 KiB on the wire ($total bytes)"
nl=0
for d in $layers_a $layers_b; do grep -q "\"GET\", \"path\": \"/v2/ci/app/blobs/$d" "$PROXY_LOG" && nl=$((nl + 1)); done
is "c: 2 blob GETs (the configs)" "$(grep -c '"GET", "path": "/v2/ci/app/blobs/' "$PROXY_LOG")" 2
is "c: no layer was downloaded" "$nl" 0
is "c: the store holds 2 manifests, 2 configs and the index" "$(blob_count "$T/c")" 5
sz=$(blob_bytes "$T/c")
[ "$sz" -lt 65536 ] && ok "c: the store did not grow by the layers ($sz bytes)" || fail "c: store grew to $sz bytes"
skopeo inspect --raw $TLS "docker://$REG/ci/app:v1" >"$T/v1.json" 2>"$T/skopeo.err"
is "index digest = digestfile" "sha256:$(sha256sum <"$T/v1.json" | cut -d' ' -f1)" "$(cat "$T/v1.digest" 2>/dev/null)"
is "skopeo: OCI index with both platforms by digest" \
    "$(json "$T/v1.json" 'sorted(m["platform"]["os"]+"/"+m["platform"]["architecture"]+"="+m["digest"] for m in j["manifests"])')" \
    "$(python3 -c 'import sys; print(sorted(sys.argv[1:]))' "linux/amd64=$DA" "linux/arm64=$DB")"
# every descriptor is what the registry serves for that digest (size and media type)
desc_ok=yes
for d in $DA $DB; do
    skopeo inspect --raw $TLS "docker://$REG/ci/app@$d" >"$T/m.json"
    want="$(wc -c <"$T/m.json") $(json "$T/m.json" 'j["mediaType"]')"
    have=$(json "$T/v1.json" '[str(m["size"])+" "+m["mediaType"] for m in j["manifests"] if m["digest"]=="'"$d"'"][0]')
    [ "$want" = "$have" ] || { desc_ok=no; diag "$d: $have, registry: $want"; }
done
is "skopeo: each descriptor's size and mediaType match the registry's manifest" "$desc_ok" yes
check "skopeo copy --all of the stitched index" \
    skopeo copy -q --all --src-tls-verify=false "docker://$REG/ci/app:v1" "oci:$T/copy-v1:x"
arm=$(for l in "$T"/copy-v1/blobs/sha256/*; do tar -xzOf "$l" arch 2>/dev/null; done)
like "... the arm64 image was built under emulation" "$arm" aarch64

# --- buildah, when installed and usable here, writes the same entries ---
# entries FILE: the sorted "digest size mediaType os/arch[/variant]" lines of an index
entries() { json "$1" '"|".join(sorted("%s %s %s %s/%s%s" % (m["digest"], m["size"], m["mediaType"], m["platform"]["os"], m["platform"]["architecture"], "/"+m["platform"]["variant"] if "variant" in m["platform"] else "") for m in j["manifests"]))'; }
bh() { buildah --root "$T/bh" --runroot "$T/bhrun" --storage-driver vfs "$@"; }
if command -v buildah >/dev/null 2>&1 && bh manifest create bl >/dev/null 2>"$T/bh.err"; then
    bh manifest add --tls-verify=false bl "docker://$REG/ci/app@$DA" >/dev/null 2>>"$T/bh.err" &&
        bh manifest add --tls-verify=false bl "docker://$REG/ci/app@$DB" >/dev/null 2>>"$T/bh.err" &&
        bh manifest push --all --tls-verify=false bl "docker://$REG/ci/app:buildah" >/dev/null 2>>"$T/bh.err"
    rc=$?
    if [ $rc -eq 0 ]; then
        skopeo inspect --raw $TLS "docker://$REG/ci/app:buildah" >"$T/bh.json"
        diag "buildah's index: $(json "$T/bh.json" 'j.get("mediaType")')"
        is "buildah manifest push lists the same descriptors and platforms" "$(entries "$T/v1.json")" "$(entries "$T/bh.json")"
    else
        skip "buildah manifest add/push failed here: $(tail -1 "$T/bh.err")"
    fi
else
    skip "buildah is not installed or cannot create a manifest list here"
fi

# --- the named form (create/add/push) gives the same index ---
: >"$PROXY_BYTES"
check "c: manifest create NAME" xb manifest create app:multi
check "c: manifest add docker://...@amd64" xb manifest add $TLS app:multi "docker://$PROXY/ci/app@$DA"
check "c: manifest add bare ref@arm64" xb manifest add $TLS app:multi "$PROXY/ci/app@$DB"
check "c: manifest push" xb manifest push $TLS --digestfile "$T/v2.digest" app:multi "docker://$PROXY/ci/app:v2"
is "named form: same index digest as the one-shot form" "$(cat "$T/v2.digest" 2>/dev/null)" "$(cat "$T/v1.digest" 2>/dev/null)"
total=$(received)
[ "$total" -lt 65536 ] && ok "named form: less than 64 KiB ($total bytes)" || fail "named form: $total bytes"
check "c: fsck passes (remote-backed layers are not problems)" xb fsck
like "c: fsck counts the remote layers" "$(xb fsck 2>&1)" "$(echo $layers_a $layers_b | wc -w) layers of remote-backed images"

# --- another repository of the same registry: cross-repository mounts ---
: >"$PROXY_LOG"
: >"$PROXY_BYTES"
check "c: push to another repository" xb manifest push $TLS app:multi "docker://$PROXY/other/app:v1"
mounts=$(grep -c 'mount=sha256' "$PROXY_LOG")
is "every layer and config was mounted (POST ?mount=&from=ci/app)" "$mounts" "$(($(echo $layers_a $layers_b | wc -w) + 2))"
like "... from ci/app" "$(grep -m1 'mount=' "$PROXY_LOG")" 'from=ci(/|%2F)app'
total=$(received)
[ "$total" -lt 65536 ] && ok "mounting: less than 64 KiB ($total bytes)" || fail "mounting: $total bytes"
check "skopeo copy --all from the other repository" \
    skopeo copy -q --all --src-tls-verify=false "docker://$REG/other/app:v1" "oci:$T/copy-other:x"

# --- another registry: layers streamed registry to registry, in 64 KiB chunks ---
check "c: push to a second registry (streamed copy)" \
    env XBUILD_CHUNK_SIZE=65536 "$XBUILD" manifest push $TLS app:multi "docker://$REG2/mirror/app:v1"
has=0
for d in $layers_a $layers_b; do [ -e "$T/c/blobs/sha256/${d#sha256:}" ] && has=$((has + 1)); done
is "c: the store still has no layer" "$has" 0
same=yes
for d in $layers_a $layers_b; do
    f=$(REG_STORAGE=$T/reg2/storage registry_blob_data "$d")
    [ -f "$f" ] && [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${d#sha256:}" ] || same=no
done
is "second registry: every layer there, verified" "$same" yes
is "second registry: same index digest" \
    "sha256:$(skopeo inspect --raw $TLS "docker://$REG2/mirror/app:v1" | sha256sum | cut -d' ' -f1)" \
    "$(cat "$T/v1.digest" 2>/dev/null)"
check "skopeo copy --all from the second registry" \
    skopeo copy -q --all --src-tls-verify=false "docker://$REG2/mirror/app:v1" "oci:$T/copy-reg2:x"

# --- bad platforms: a clear error, nothing pushed ---
echo "another amd64 build" >"$T/ctx-a/hello.txt"
check "runner a: a second amd64 image" \
    env XBUILD_ROOT="$T/a" "$XBUILD" bud -q $TLS --platform linux/amd64 -t app:amd64b \
    -o "type=registry,name=$REG/ci/app,push-by-digest=true" --metadata-file "$T/a2.json" "$T/ctx-a"
DA2=$(json "$T/a2.json" 'j["containerimage.digest"]' 2>/dev/null)
out=$(xb manifest create $TLS --push -t "$REG/ci/app:dup" "$REG/ci/app@$DA" "$REG/ci/app@$DA2" 2>&1)
like "duplicated platform: error names it" "$out" 'platform linux/amd64 is listed twice'
check_fails "... and nothing was pushed" skopeo inspect --raw $TLS "docker://$REG/ci/app:dup"
check "unknown platform: annotate an entry with --arch sparc9" \
    xb manifest annotate app:multi "$DA" --arch sparc9
out=$(xb manifest push $TLS app:multi "docker://$REG/ci/app:unknown" 2>&1)
like "unknown platform: error names it" "$out" 'unknown platform linux/sparc9'
check_fails "... and nothing was pushed" skopeo inspect --raw $TLS "docker://$REG/ci/app:unknown"
# an image whose config names no platform, uploaded by hand
python3 - "$REG" >"$T/odd.digest" <<'PY'
import hashlib, json, sys, urllib.request
reg = sys.argv[1]
def put_blob(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    r = urllib.request.urlopen(urllib.request.Request("http://%s/v2/ci/odd/blobs/uploads/" % reg, method="POST"))
    loc = r.headers["Location"]
    loc = (loc if loc.startswith("http") else "http://" + reg + loc) + ("&" if "?" in loc else "?") + "digest=" + d
    urllib.request.urlopen(urllib.request.Request(loc, data=data, method="PUT",
                           headers={"Content-Type": "application/octet-stream"}))
    return d, len(data)
cfg = json.dumps({"rootfs": {"type": "layers", "diff_ids": []}, "config": {}}).encode()
cd, cs = put_blob(cfg)
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
                "layers": []}).encode()
urllib.request.urlopen(urllib.request.Request("http://%s/v2/ci/odd/manifests/v1" % reg, data=m, method="PUT",
                       headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"}))
print("sha256:" + hashlib.sha256(m).hexdigest())
PY
out=$(xb manifest create $TLS --push -t "$REG/ci/app:noplat" "$REG/ci/app@$DB" "$REG/ci/odd:v1" 2>&1)
like "missing platform: error names the entry" "$out" "has no platform"
check_fails "... and nothing was pushed" skopeo inspect --raw $TLS "docker://$REG/ci/app:noplat"

# --- prune keeps the remote-backed index, forgets records nothing reaches ---
check "c: prune" xb prune
check "c: fsck after prune" xb fsck
check "c: manifest rm" xb manifest rm app:multi
check "c: prune again" xb prune
is "c: no record of remote-backed manifests is left" "$(ls "$T/c/xbuild/remote" 2>/dev/null | wc -l)" 0

done_testing

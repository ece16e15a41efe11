#!/bin/bash
# The local store and its commands (images, inspect, tag, rmi, prune, fsck, push to oci:,
# oci-archive:, docker-archive:), checked with independent readers (skopeo, umoci).
# Images are made with umoci (no build executor needed) and copied in with skopeo.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"

for tool in skopeo umoci python3 sha256sum; do
    command -v $tool >/dev/null || { echo "1..0 # SKIP needs $tool"; exit 0; }
done
HELPER=$top_builddir/tests/unit/store_blob_helper
L=$T/layout
S=$XB_ROOT

# jq-less JSON access: pyjson EXPR < json   (d is the parsed document)
pyjson() { python3 -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(json.dumps(r) if isinstance(r,(dict,list)) else r)' "$1"; }
hexof() { sha256sum "$1" | cut -d' ' -f1; }
# every file under DIR/blobs/sha256 with a final (hex) name has that digest
blobs_consistent() {
    local f bad=0
    for f in "$1"/blobs/sha256/*; do
        [ -f "$f" ] || continue
        case ${f##*/} in .tmp-*) continue ;; esac
        [ "$(hexof "$f")" = "${f##*/}" ] || { echo "bad blob $f"; bad=1; }
    done
    return $bad
}

# --- test images: linux/amd64 "amd", linux/arm64 "arm", an index "multi" of both ---
{
    umoci init --layout "$L"
    for a in amd64 arm64; do
        mkdir -p "$T/root-$a/etc"
        echo "hello from $a" >"$T/root-$a/etc/greeting"
        umoci new --image "$L:$a"
        umoci insert --image "$L:$a" "$T/root-$a/etc" /etc
        umoci config --image "$L:$a" --architecture $a --os linux --config.cmd /bin/sh \
            --config.env FOO=bar --config.label org.example.arch=$a
    done
    python3 - "$L" <<'EOF'
import hashlib, json, os, sys
L = sys.argv[1]
idx = json.load(open(f"{L}/index.json"))
byname = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
ents = []
for a in ("amd64", "arm64"):
    m = dict(byname[a]); m.pop("annotations")
    m["platform"] = {"architecture": a, "os": "linux"}
    ents.append(m)
blob = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": ents}).encode()
h = hashlib.sha256(blob).hexdigest()
open(f"{L}/blobs/sha256/{h}", "wb").write(blob)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                         "digest": "sha256:" + h, "size": len(blob),
                         "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(idx, open(f"{L}/index.json", "w"))
EOF
} >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; echo "1..0 # SKIP could not build test images with umoci"; exit 0; }

check "images on a fresh store" xb images
check "oci-layout written" test -f "$S/oci-layout"
check "skopeo copies an image into the store" skopeo copy -q oci:"$L":amd64 oci:"$S":app:1
check "skopeo copies an index into the store" skopeo copy -q --all oci:"$L":multi oci:"$S":localhost:5000/multi:1
check "fsck of a healthy store" xb fsck

# --- images ---
out=$(xb images)
like "images lists app:1 with its platform" "$out" '^app:1 +[0-9a-f]{12} +linux/amd64 '
like "images lists the index with both platforms" "$out" '^localhost:5000/multi:1 +[0-9a-f]{12} +linux/amd64,linux/arm64 '
js=$(xb images --json)
is "images --json: two images" "$(echo "$js" | pyjson 'len(d)')" 2
is "images --json: fields" "$(echo "$js" | pyjson 'sorted(d[0].keys())')" '["created", "digest", "mediaType", "name", "platforms", "size"]'
is "images --json: platforms of the index" "$(echo "$js" | pyjson '[x for x in d if x["name"]=="localhost:5000/multi:1"][0]["platforms"]')" '["linux/amd64", "linux/arm64"]'
APPD=$(echo "$js" | pyjson '[x for x in d if x["name"]=="app:1"][0]["digest"]')
MULTID=$(echo "$js" | pyjson '[x for x in d if x["name"]=="localhost:5000/multi:1"][0]["digest"]')
is "images -q prints short digests" "$(xb images -q | sort | tr '\n' ' ')" "$(printf '%s\n' "${APPD:7:12}" "${MULTID:7:12}" | sort | tr '\n' ' ')"
check "images --help" xb images --help
check_fails "images rejects an unknown option" xb images --bogus

# --- inspect ---
ij=$(xb inspect --json app:1)
is "inspect --json: digest" "$(echo "$ij" | pyjson 'd["digest"]')" "$APPD"
is "inspect --json: config env" "$(echo "$ij" | pyjson '"FOO=bar" in d["config"]["config"]["Env"]')" True
is "inspect --json: one layer" "$(echo "$ij" | pyjson 'len(d["manifest"]["layers"])')" 1
is "inspect --json: no index for a manifest" "$(echo "$ij" | pyjson '"index" in d')" False
mj=$(xb inspect --json --platform linux/arm64 localhost:5000/multi:1)
is "inspect --platform picks arm64 from the index" "$(echo "$mj" | pyjson 'd["config"]["architecture"]')" arm64
is "inspect of an index includes it" "$(echo "$mj" | pyjson 'len(d["index"]["manifests"])')" 2
is "inspect --platform accepts an alias (aarch64)" "$(xb inspect --json --platform aarch64 localhost:5000/multi:1 | pyjson 'd["config"]["architecture"]')" arm64
check_fails "inspect --platform of a missing platform fails" xb inspect --platform linux/s390x localhost:5000/multi:1
check_fails "inspect --platform of a single-platform image checks its config" xb inspect --platform linux/arm64 app:1
check "inspect --platform matching a single-platform image" xb inspect --platform linux/amd64 app:1
is "inspect by 12-hex digest prefix" "$(xb inspect --json "${APPD:7:12}" | pyjson 'd["name"]')" app:1
is "inspect by full digest" "$(xb inspect --json "$APPD" | pyjson 'd["digest"]')" "$APPD"
like "inspect (text) shows the label" "$(xb inspect localhost:5000/multi:1 --platform linux/amd64)" 'org.example.arch=amd64'
check_fails "inspect of an unknown image fails" xb inspect nosuch:1
check_fails "inspect without IMAGE is a usage error" xb inspect

# --- tag / rmi ---
check "tag to two names" xb tag app:1 app2 localhost:5000/team/app:2
out=$(xb images)
like "tag: app2:latest listed" "$out" '^app2:latest '
like "tag: registry-style name listed" "$out" '^localhost:5000/team/app:2 '
check "skopeo reads a store name with / and :" skopeo inspect oci:"$S":localhost:5000/team/app:2
rm -rf "$T/u1"
check "umoci unpacks a store name with / and :" umoci unpack --rootless --image "$S":localhost:5000/team/app:2 "$T/u1"
is "unpacked content" "$(cat "$T/u1/rootfs/etc/greeting" 2>&1)" "hello from amd64"
is "inspect 'app2' finds app2:latest" "$(xb inspect --json app2 | pyjson 'd["name"]')" app2:latest
check_fails "tag to an invalid name fails" xb tag app:1 'bad name'
check "rmi app2" xb rmi app2
check_fails "app2 is gone" xb inspect app2
check "app:1 is still there" xb inspect app:1
check_fails "rmi of an unknown name fails" xb rmi nosuch
check "rmi localhost:5000/team/app:2" xb rmi localhost:5000/team/app:2

# --- exports ---
O=$T/out
check "push to oci:DIR:TAG (tag with / and :)" xb push -q --digestfile "$T/dg" app:1 "oci:$O:localhost:5000/x/app:1"
is "digestfile holds the manifest digest" "$(cat "$T/dg")" "$APPD"
is "skopeo inspect of the exported layout" "$(skopeo inspect oci:"$O":localhost:5000/x/app:1 | pyjson 'd["Digest"]')" "$APPD"
rm -rf "$T/u2"
check "umoci unpacks the exported layout" umoci unpack --rootless --image "$O":localhost:5000/x/app:1 "$T/u2"
is "exported content" "$(cat "$T/u2/rootfs/etc/greeting" 2>&1)" "hello from amd64"
check "push an index to the same layout" xb push -q localhost:5000/multi:1 "oci:$O:multi"
is "layout now has two entries" "$(pyjson 'len(d["manifests"])' <"$O/index.json")" 2
is "skopeo sees the index" "$(skopeo inspect --raw oci:"$O":multi | pyjson 'len(d["manifests"])')" 2
check "push again replaces the tag" xb push -q localhost:5000/multi:1 "oci:$O:multi"
is "still two entries" "$(pyjson 'len(d["manifests"])' <"$O/index.json")" 2
check "exported layout blobs are consistent" blobs_consistent "$O"

check "push to oci-archive" xb push -q app:1 "oci-archive:$T/o.tar:app:1"
is "skopeo inspect oci-archive" "$(skopeo inspect oci-archive:"$T/o.tar":app:1 | pyjson 'd["Digest"]')" "$APPD"
check "push an index to oci-archive" xb push -q localhost:5000/multi:1 "oci-archive:$T/m.tar"
check "skopeo copies the index out of the archive" skopeo copy -q --all oci-archive:"$T/m.tar" oci:"$T/mcopy":m
is "index digest survives" "$(pyjson 'd["manifests"][0]["digest"]' <"$T/mcopy/index.json")" "$MULTID"

check "push to docker-archive" xb push --digestfile "$T/dgd" app:1 "docker-archive:$T/d.tar"
is "docker-archive: skopeo reads the architecture" "$(skopeo inspect docker-archive:"$T/d.tar" | pyjson 'd["Architecture"]')" amd64
is "docker-archive: RepoTags default to the image name" "$(tar xOf "$T/d.tar" manifest.json | pyjson 'd[0]["RepoTags"]')" '["app:1"]'
CFGD=$(xb inspect --json app:1 | pyjson 'd["manifest"]["config"]["digest"]')
is "docker-archive: digestfile holds the image ID (config digest)" "$(cat "$T/dgd")" "$CFGD"
like "docker-archive: repositories file" "$(tar xOf "$T/d.tar" repositories)" '"app": *\{"1":'
DIFF=$(xb inspect --json app:1 | pyjson 'd["config"]["rootfs"]["diff_ids"][0]')
is "docker-archive: uncompressed layer named by its diffID" "$(tar xOf "$T/d.tar" "${DIFF#sha256:}.tar" | sha256sum | cut -d' ' -f1)" "${DIFF#sha256:}"
check "docker-archive round trip through skopeo" skopeo copy -q docker-archive:"$T/d.tar" oci:"$T/back":b
rm -rf "$T/u3"
umoci unpack --rootless --image "$T/back":b "$T/u3" >/dev/null 2>&1
is "docker-archive round trip content" "$(cat "$T/u3/rootfs/etc/greeting" 2>&1)" "hello from amd64"
check "docker-archive of an index picks --platform" xb push -q --platform linux/arm64 localhost:5000/multi:1 "docker-archive:$T/arm.tar:arm:1"
is "docker-archive arm64 architecture" "$(skopeo inspect docker-archive:"$T/arm.tar" | pyjson 'd["Architecture"]')" arm64
is "docker-archive explicit tag" "$(tar xOf "$T/arm.tar" manifest.json | pyjson 'd[0]["RepoTags"]')" '["arm:1"]'
if command -v podman >/dev/null; then
    POD="podman --storage-driver vfs --root $T/pod/root --runroot $T/pod/run"
    like "podman load reads the docker-archive" "$($POD load -i "$T/d.tar" 2>&1)" 'Loaded image: (localhost/)?app:1'
    is "podman: loaded image's layers" "$($POD image inspect localhost/app:1 --format '{{.Architecture}} {{index .RootFS.Layers 0}}' 2>&1)" "amd64 $DIFF"
    like "podman load reads the oci-archive" "$($POD load -i "$T/o.tar" 2>&1)" 'Loaded image'
else
    skip "podman not installed (podman load of docker-archive/oci-archive)"
fi
is "no archive temp files left" "$(ls "$T" | grep -c '\.tmp-')" 0

out=$(xb push app:1 "nosuch:$T/x" 2>&1); rc=$?
is "unknown transport: exit 2" "$rc" 2
like "unknown transport names the supported ones" "$out" 'oci-archive:FILE'
check_fails "docker:// without a reachable registry fails" xb push app:1 docker://127.0.0.1:1/x/y:1
xb push app:1 >/dev/null 2>&1; is "push without DEST needs a registry name (usage error)" $? 2
check "push --help" xb push --help

# --- rmi + prune ---
ARML=$(xb inspect --json --platform linux/arm64 localhost:5000/multi:1 | pyjson 'd["manifest"]["layers"][0]["digest"]')
APPL=$(xb inspect --json app:1 | pyjson 'd["manifest"]["layers"][0]["digest"]')
check "prune with everything referenced" xb prune
check "arm layer kept while referenced" test -f "$S/blobs/sha256/${ARML#sha256:}"
mkdir -p "$S/xbuild/tmp/build-999999999-abcdef" "$S/xbuild/layers/${DIFF#sha256:}" "$S/xbuild/layers/$(printf '%064d' 7)"
check "rmi the index" xb rmi localhost:5000/multi:1
check "blobs stay until prune" test -f "$S/blobs/sha256/${ARML#sha256:}"
out=$(xb prune)
like "prune reports removed blobs" "$out" "removed blobs/sha256/${ARML#sha256:}"
check "arm layer removed" test ! -e "$S/blobs/sha256/${ARML#sha256:}"
check "app:1 layer kept (still referenced)" test -f "$S/blobs/sha256/${APPL#sha256:}"
check "stale work dir removed" test ! -e "$S/xbuild/tmp/build-999999999-abcdef"
check "layer dir of a referenced diffID kept" test -d "$S/xbuild/layers/${DIFF#sha256:}"
check "unreferenced layer dir removed" test ! -e "$S/xbuild/layers/$(printf '%064d' 7)"
check "fsck after prune" xb fsck
is "prune --json when nothing is left to remove" "$(xb prune --json | pyjson 'd["blobs"]')" 0

# --- prune never crosses into a mount left by a crashed build ---
if [ "$(id -u)" = 0 ] && mkdir -p "$S/xbuild/tmp/run-999999997-abcdef/m" "$T/precious" &&
    echo keep >"$T/precious/file" && mount --bind "$T/precious" "$S/xbuild/tmp/run-999999997-abcdef/m" 2>/dev/null; then
    at_exit umount "$S/xbuild/tmp/run-999999997-abcdef/m"
    out=$(xb prune 2>&1)
    like "prune warns about the mount" "$out" 'has mounts below it; left alone'
    is "the mounted content survives" "$(cat "$T/precious/file")" keep
    umount "$S/xbuild/tmp/run-999999997-abcdef/m"
    like "removed once unmounted" "$(xb prune)" 'removed xbuild/tmp/run-999999997-abcdef'
else
    skip "needs root and bind mounts (prune vs. mounts)"
fi

# --- the build cache keeps blobs alive until 'prune --cache' ---
check "copy the arm64 image in" skopeo copy -q oci:"$L":arm64 oci:"$S":arm:1
ARML2=$(xb inspect --json arm:1 | pyjson 'd["manifest"]["layers"][0]["digest"]')
ARMM=$(xb inspect --json arm:1 | pyjson 'd["digest"]')
mkdir -p "$S/xbuild/cache/ab"
echo "{\"key\":\"abcd\",\"layer\":{\"digest\":\"$ARML2\"}}" >"$S/xbuild/cache/ab/abcd.json"
check "rmi arm:1" xb rmi arm:1
out=$(xb prune)
like "prune removes the untagged manifest" "$out" "removed blobs/sha256/${ARMM#sha256:}"
check "a cache-referenced layer survives prune" test -f "$S/blobs/sha256/${ARML2#sha256:}"
out=$(xb prune --cache)
like "prune --cache drops the cache" "$out" 'Dropped 1 build cache entries'
check "the layer goes with the cache" test ! -e "$S/blobs/sha256/${ARML2#sha256:}"
check "app:1 intact after prune --cache" xb fsck

# --- fsck finds damage ---
LB=$S/blobs/sha256/${APPL#sha256:}
cp "$LB" "$T/saved-layer"
printf 'garbage' >"$LB"
out=$(xb fsck 2>&1); rc=$?
is "fsck exits 1 on a corrupt blob" "$rc" 1
like "fsck names the corrupt blob" "$out" "corrupt blob $APPL"
like "fsck names the image that needs it" "$out" "corrupt layer blob $APPL needed by image 'app:1'"
is "fsck --json lists the problems" "$(xb fsck --json 2>/dev/null | pyjson 'len(d["problems"]) >= 2')" True
check_fails "push of a corrupt image fails" xb push -q app:1 "oci:$T/corrupt-out:c"
check "no corrupt blob exported under its final name" test ! -e "$T/corrupt-out/blobs/sha256/${APPL#sha256:}"
cp "$T/saved-layer" "$LB"
CB=$S/blobs/sha256/${CFGD#sha256:}
mv "$CB" "$T/saved-config"
out=$(xb fsck 2>&1); rc=$?
is "fsck exits 1 on a missing blob" "$rc" 1
like "fsck names the missing blob and its image" "$out" "missing config blob $CFGD needed by image 'app:1'"
mv "$T/saved-config" "$CB"
check "fsck clean again" xb fsck

# --- concurrent writers of index.json serialise on xbuild/lock ---
pids=()
for i in $(seq 1 16); do xb tag app:1 "par/img$i:t" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
is "16 concurrent tags all land" "$(xb images | grep -c '^par/img')" 16
check "index.json still valid JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$S/index.json"
check "rmi by digest prefix removes every name of the image" xb rmi "${APPD:7:16}"
is "no name left for app:1's image" "$(xb images | grep -c "${APPD:7:12}")" 0
check "copy app:1 in again" skopeo copy -q oci:"$L":amd64 oci:"$S":app:1
check "rmi --all --prune" xb rmi --all --prune
is "images empty after rmi --all" "$(xb images --json | pyjson 'len(d)')" 0
is "prune emptied the blobs" "$(ls "$S/blobs/sha256" | wc -l)" 0
check "images repopulated for the next steps" skopeo copy -q oci:"$L":amd64 oci:"$S":app:1

# --- kill -9 while a blob is written into the store ---
if [ -x "$HELPER" ]; then
    coproc W { exec "$HELPER" "$S" 64 30000; }
    read -r line <&"${W[0]}"
    kill -9 "$W_PID"; wait "$W_PID" 2>/dev/null
    is "helper was writing" "$line" writing
    is "a temp blob is left behind" "$(ls -A "$S/blobs/sha256" | grep -c '^\.tmp-')" 1
    out=$(xb fsck 2>&1); rc=$?
    is "fsck passes after a killed writer" "$rc" 0
    like "fsck warns about the temp file" "$out" 'warning: temp file blobs/sha256/\.tmp-'
    check "store blobs consistent" blobs_consistent "$S"
    like "prune removes the dead writer's temp file" "$(xb prune)" 'removed blobs/sha256/\.tmp-'
    is "fsck without warnings" "$(xb fsck | grep -c warning)" 0
else
    skip "store_blob_helper not built (run make check)"
fi

# --- a push killed in the middle of a big blob (SIGXFSZ) ---
B=$T/big
mkdir -p "$B/rootfs"
# incompressible: skopeo copy gzips layers into an oci: destination
head -c $((96 * 1024 * 1024)) /dev/urandom >"$B/rootfs/big"
tar -C "$B/rootfs" -cf "$B/layer.tar" big
python3 - "$B" <<'EOF'
import hashlib, json, os, sys, shutil
B = sys.argv[1]; L = B + "/layout"
os.makedirs(L + "/blobs/sha256")
def put(data=None, path=None):
    h = hashlib.sha256()
    if path:
        with open(path, "rb") as f:
            for c in iter(lambda: f.read(1 << 20), b""): h.update(c)
        shutil.copy(path, f"{L}/blobs/sha256/{h.hexdigest()}")
        return "sha256:" + h.hexdigest(), os.path.getsize(path)
    h.update(data); open(f"{L}/blobs/sha256/{h.hexdigest()}", "wb").write(data)
    return "sha256:" + h.hexdigest(), len(data)
ld, ls = put(path=B + "/layer.tar")
cd, cs = put(json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [ld]}}).encode())
md, ms = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}]}).encode())
open(L + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": md, "size": ms, "annotations": {"org.opencontainers.image.ref.name": "big"}}]},
    open(L + "/index.json", "w"))
EOF
check "big image copied into the store" skopeo copy -q oci:"$B/layout":big oci:"$S":big:1
rm -f "$B/layer.tar"
K=$T/kill
caught=0
rm -rf "$K"
xb push -q app:1 "oci:$K:before" >/dev/null
# A file-size limit kills the push (SIGXFSZ) deterministically in the middle of the 96 MB layer.
(ulimit -f 20480; exec "$XBUILD" push -q big:1 "oci:$K:big") >/dev/null 2>&1
rc=$?; diag "killed push exit status: $rc"
[ $rc -gt 128 ] && caught=1
is "push killed mid-blob" "$caught" 1
check "no half blob under a final name in the target" blobs_consistent "$K"
is "target index.json untouched by the killed push" "$(pyjson '[m["annotations"]["org.opencontainers.image.ref.name"] for m in d["manifests"]]' <"$K/index.json")" '["before"]'
check "skopeo still reads the target" skopeo inspect oci:"$K":before
check "store fsck after the killed push" xb fsck
check "push again completes" xb push -q big:1 "oci:$K:big"
check "target consistent after the retry" blobs_consistent "$K"
is "skopeo reads the big image" "$(skopeo inspect oci:"$K":big | pyjson 'd["Architecture"]')" amd64

done_testing

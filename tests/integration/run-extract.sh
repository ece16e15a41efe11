#!/usr/bin/env bash
# Layers of a FROM image pulled for a build with RUN steps are extracted while they download
# (one pass: no second extraction from the stored blob), and only when both the blob digest and
# the layer's diffID check out. A build without RUN extracts nothing; a download cut in the
# middle falls back to extracting the stored blob; an image whose config lies about a diffID is
# refused with an error that says so, leaving no extracted tree behind.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_root "namespaces, overlayfs"
require_registry
command -v umoci >/dev/null || { echo "1..0 # SKIP umoci missing"; exit 0; }
registry_start anonymous || { echo "1..0 # SKIP could not start docker-registry"; exit 0; }

if ! XB_BASE_CACHE=${XB_BASE_CACHE:-$top_srcdir/tests/.cache/base-images} \
    "$top_srcdir/scripts/make-base-images.sh" amd64 >"$T/bases.log" 2>&1; then
    fail "base images"; sed 's/^/#   /' "$T/bases.log" | tail -5; done_testing; exit 1
fi
check "base image pushed to the registry" xb push -q busybox:amd64 "docker://$REG/bb/img:1"
layer=$(xb inspect --json busybox:amd64 | python3 -c 'import json,sys; print(json.load(sys.stdin)["manifest"]["layers"][0]["digest"])')
diffid=$(xb inspect --json busybox:amd64 | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["rootfs"]["diff_ids"][0])')

mkdir -p "$T/ctx"
echo f >"$T/ctx/f"
printf 'FROM %s/bb/img:1\nRUN echo streamed > /out.txt\n' "$REG" >"$T/ctx/Dockerfile.run"
printf 'FROM %s/bb/img:1\nCOPY f /f\n' "$REG" >"$T/ctx/Dockerfile.copy"
layers_dir() { echo "$1/xbuild/layers"; }

R1=$T/root1
out=$(xb --debug --root "$R1" bud --platform linux/amd64 -t s:1 -f "$T/ctx/Dockerfile.run" "$T/ctx" 2>&1)
is "build FROM a registry image with RUN" "$?" 0
like "... the layer was extracted while it downloaded" "$out" "snapshot: extracting $diffid while it downloads"
check_fails "... and not a second time from the stored blob" grep -q "snapshot: extracting $diffid\$" <<<"$out"
check "... the extracted tree is in the store" test -d "$(layers_dir "$R1")/${diffid#sha256:}/bin"
last=$(xb --root "$R1" inspect --json s:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["manifest"]["layers"][-1]["digest"])')
is "... and RUN ran on it" "$(tar -xzOf "$R1/blobs/sha256/${last#sha256:}" out.txt)" streamed

R2=$T/root2
out=$(xb --debug --root "$R2" bud --platform linux/amd64 -t c:1 -f "$T/ctx/Dockerfile.copy" "$T/ctx" 2>&1)
is "build FROM the same image without RUN" "$?" 0
check_fails "... extracts nothing" grep -q "while it downloads" <<<"$out"
is "... no extracted layer in the store" "$(ls "$(layers_dir "$R2")" 2>/dev/null | wc -l)" 0

proxy_start "GET /blobs/$layer cut 1"
R3=$T/root3
printf 'FROM %s/bb/img:1\nRUN echo again > /out.txt\n' "$PROXY" >"$T/ctx/Dockerfile.cut"
out=$(xb --debug --root "$R3" bud --platform linux/amd64 -t cut:1 -f "$T/ctx/Dockerfile.cut" "$T/ctx" 2>&1)
is "a layer download cut in the middle: the build still succeeds" "$?" 0
like "... the half-fed extraction was abandoned" "$out" "$diffid: download restarted"
like "... and the layer extracted from the stored blob" "$out" "snapshot: extracting $diffid"
is "... the proxy cut one download" "$(grep -c '"action": "cut"' "$PROXY_LOG")" 1
check "... fsck" xb --root "$R3" fsck
is "... no temp dir left among the extracted layers" "$(ls -a "$(layers_dir "$R3")" | grep -c '^\.tmp-')" 0

# an image whose config names a wrong diffID for its layer
make_image "$T/oci" liar amd64 "lying" 0 || fail "make_image"
fake=sha256:$(printf 'not the layer' | sha256sum | cut -d' ' -f1)
python3 - "$T/oci" liar "$fake" <<'PY'
import hashlib, json, os, sys
oci, tag, fake = sys.argv[1:]
def blob(d): return os.path.join(oci, "blobs", "sha256", d.split(":")[1])
def put(obj):
    data = json.dumps(obj).encode()
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    open(blob(d), "wb").write(data)
    return d, len(data)
idx = json.load(open(os.path.join(oci, "index.json")))
for m in idx["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
        man = json.load(open(blob(m["digest"])))
        cfg = json.load(open(blob(man["config"]["digest"])))
        cfg["rootfs"]["diff_ids"] = [fake] * len(cfg["rootfs"]["diff_ids"])
        man["config"]["digest"], man["config"]["size"] = put(cfg)
        m["digest"], m["size"] = put(man)
json.dump(idx, open(os.path.join(oci, "index.json"), "w"))
PY
skopeo copy -q --dest-tls-verify=false "oci:$T/oci:liar" "docker://$REG/liar/img:1" ||
    fail "push the lying image"
printf 'FROM %s/liar/img:1\nRUN true\n' "$REG" >"$T/ctx/Dockerfile.liar"
R4=$T/root4
out=$(xb --debug --root "$R4" bud --platform linux/amd64 -f "$T/ctx/Dockerfile.liar" "$T/ctx" 2>&1)
is "FROM an image whose config lies about a diffID, with RUN, fails" "$?" 1
like "... the streamed extraction was refused" "$out" "the layer's content has diffID sha256:[0-9a-f]+, the image config says $fake"
like "... and the build's error says so too, naming the RUN line" "$out" "Dockerfile.liar:2: .*the image config says $fake"
check_fails "... no tree stored under the false diffID" test -e "$(layers_dir "$R4")/${fake#sha256:}"
is "... no temp dir left" "$(ls -a "$(layers_dir "$R4")" 2>/dev/null | grep -c '^\.tmp-')" 0

# a RUN step's overlay upper dir is adopted as its layer's extracted tree: the next step does
# not extract the layer again, and sees exactly what an extraction of the tarball would give
cat >"$T/ctx/Dockerfile.adopt" <<'DF'
FROM busybox:amd64 AS one
RUN mkdir -p /d/sub && echo one >/d/f && ln /d/f /d/hard && ln -s f /d/sym && mkfifo /d/fifo && \
    chmod 4755 /d/f && chown 12:34 /d/sub && rm /etc/group && touch -d @1000000000 /d/old
FROM one
RUN (find /d | sort | xargs stat -c '%n %a %u %g %h %s %y %F'; ls /etc/group 2>&1 || true) >/listing
DF
RA=$T/rootA
XBUILD_ROOT=$RA XB_BASE_CACHE=${XB_BASE_CACHE:-$top_srcdir/tests/.cache/base-images} \
    "$top_srcdir/scripts/make-base-images.sh" amd64 >/dev/null 2>&1 || fail "base image in $RA"
out=$(xb --debug --root "$RA" bud -t adopt:two -f "$T/ctx/Dockerfile.adopt" "$T/ctx" 2>&1)
is "two RUN steps" "$?" 0
one=$(printf '%s\n' "$out" | sed -n 's/.*snapshot: \(sha256:[0-9a-f]*\) adopted from the step.s upper dir/\1/p' | head -1)
like "the first step's upper dir was adopted as its layer's tree" "$one" '^sha256:[0-9a-f]{64}$'
check_fails "... so the second step did not extract that layer" grep -q "snapshot: extracting $one" <<<"$out"
check "... the tree is in the store" test -d "$RA/xbuild/layers/${one#sha256:}/d"
xb --root "$RA" bud -q --target one -t adopt:one -f "$T/ctx/Dockerfile.adopt" "$T/ctx" >/dev/null 2>&1
rm -rf "$RA/xbuild/layers/${one#sha256:}"
printf 'FROM adopt:one\nRUN (find /d | sort | xargs stat -c "%%n %%a %%u %%g %%h %%s %%y %%F"; ls /etc/group 2>&1 || true) >/listing\n' \
    >"$T/ctx/Dockerfile.extracted"
out=$(xb --debug --root "$RA" bud --no-cache -t adopt:ex -f "$T/ctx/Dockerfile.extracted" "$T/ctx" 2>&1)
like "the same layer, extracted from its tarball this time" "$out" "snapshot: extracting $one"
listing() { # IMAGE -> /listing from its top layer
    local l
    l=$(xb --root "$RA" inspect --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["manifest"]["layers"][-1]["digest"])')
    tar -xzOf "$RA/blobs/sha256/${l#sha256:}" listing
}
la=$(listing adopt:two)
lb=$(listing adopt:ex)
like "... the listing shows the hard link and the setuid bit" "$la" '/d/hard 4755 0 0 2 4 '
like "... the owner" "$la" '/d/sub 755 12 34 '
like "... and the deletion" "$la" '/etc/group: No such file'
like "... whole-second times in the adopted tree" "$la" '/d/old 644 0 0 1 0 2001-09-09 01:46:40.000000000'
is "... the adopted tree and the extracted one look the same to a later step" "$la" "$lb"
out=$(xb --debug --root "$RA" bud --no-cache --timestamp 0 -f "$T/ctx/Dockerfile.adopt" "$T/ctx" 2>&1)
check_fails "with --timestamp (clamped layer mtimes) nothing is adopted" grep -q "adopted from the step" <<<"$out"
done_testing

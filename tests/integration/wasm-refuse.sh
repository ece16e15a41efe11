#!/bin/bash
# What push-wasm / pull-wasm refuse, and how clearly: text files, truncated modules, images of
# other platforms, text layers, indexes without a wasm platform. Also: an index that serves
# linux/amd64 and wasm picks the wasm module.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/wasm.sh"
wasm_setup

MOD=$T/hello.wasm
printf 'just some text\nnot wasm\n' >"$T/notes.txt"
head -c 1000 "$MOD" >"$T/truncated.wasm"

# expect_fail DESC CODE REGEX CMD...: exit code CODE and stderr matching REGEX
expect_fail() {
    local d=$1 code=$2 re=$3
    shift 3
    local err rc
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    is "$d: exit code $code" "$rc" "$code"
    like "$d: message" "$err" "$re"
}

# --- push-wasm ---
expect_fail "push-wasm text file" 1 "notes\.txt: not a WebAssembly module" \
    "$XBUILD" push-wasm "$T/notes.txt" "$REG/wasm/bad:v1" --tls-verify=false
expect_fail "push-wasm truncated module" 1 "truncated\.wasm: truncated Wasm module" \
    "$XBUILD" push-wasm "$T/truncated.wasm" "$REG/wasm/bad:v1" --tls-verify=false
expect_fail "push-wasm missing file" 1 "nothere\.wasm" \
    "$XBUILD" push-wasm "$T/nothere.wasm" "$REG/wasm/bad:v1" --tls-verify=false
expect_fail "push-wasm unknown format" 2 "unknown --format 'docker'" \
    "$XBUILD" push-wasm --format docker "$MOD" "$REG/wasm/bad:v1"
expect_fail "push-wasm without REF" 2 "needs MODULE and REF" "$XBUILD" push-wasm "$MOD"
expect_fail "push-wasm bad annotation" 2 "KEY=VALUE" \
    "$XBUILD" push-wasm --annotation novalue "$MOD" "$REG/wasm/bad:v1"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Accept: $ACCEPT_ALL" "http://$REG/v2/wasm/bad/manifests/v1")
is "nothing was pushed for refused modules" "$code" 404
check "push-wasm --help" "$XBUILD" push-wasm --help
check "pull-wasm --help" "$XBUILD" pull-wasm --help

# --- pull-wasm: an ordinary linux/amd64 image ---
if command -v umoci >/dev/null 2>&1 && command -v skopeo >/dev/null 2>&1; then
    umoci init --layout "$T/lin" &&
        umoci new --image "$T/lin:v1" &&
        umoci config --image "$T/lin:v1" --os linux --architecture amd64 --config.entrypoint /bin/sh &&
        printf '#!/bin/sh\necho hi\n' >"$T/sh" && chmod +x "$T/sh" &&
        umoci insert --image "$T/lin:v1" "$T/sh" /bin/sh >/dev/null &&
        skopeo copy --quiet --dest-tls-verify=false "oci:$T/lin:v1" "docker://$REG/wasm/multi:linux" >"$T/skopeo.log" 2>&1
    check "a linux/amd64 image is in the registry" reg_curl wasm/multi/manifests/linux -o /dev/null -H "Accept: $ACCEPT_ALL"
    expect_fail "pull-wasm of a linux/amd64 image" 1 "not a Wasm artifact: an image for linux/amd64" \
        "$XBUILD" pull-wasm "$REG/wasm/multi:linux" -o "$T/out.wasm" --tls-verify=false
    ok_missing() { [ ! -e "$T/out.wasm" ]; }
    check "nothing written" ok_missing

    # an index serving linux/amd64 and wasm
    check "push-wasm --format image into the same repository" \
        "$XBUILD" push-wasm -q --format image "$MOD" "$REG/wasm/multi:wasm" --tls-verify=false
    raw_manifest wasm/multi linux "$T/lin.json"
    raw_manifest wasm/multi wasm "$T/wasm.json"
    python3 - "$T/lin.json" "$T/wasm.json" >"$T/index.json" <<'EOF'
import hashlib, json, os, sys
def desc(path, os_, arch):
    b = open(path, 'rb').read()
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + hashlib.sha256(b).hexdigest(), "size": len(b),
            "platform": {"architecture": arch, "os": os_}}
print(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": [desc(sys.argv[1], "linux", "amd64"),
                                desc(sys.argv[2], "wasip1", "wasm")]}))
EOF
    check "PUT an index of linux/amd64 + wasip1/wasm" put_manifest wasm/multi v1 application/vnd.oci.image.index.v1+json "$T/index.json"
    check "pull-wasm of the index" "$XBUILD" pull-wasm "$REG/wasm/multi:v1" -o "$T/fromindex.wasm" --tls-verify=false
    check "index: the wasm platform's module" cmp "$MOD" "$T/fromindex.wasm"
    is "index: module runs" "$(run_wasi "$T/fromindex.wasm" 2>&1)" "hello from wasm32-wasi, world!"

    python3 - "$T/lin.json" >"$T/index2.json" <<'EOF'
import hashlib, json, sys
b = open(sys.argv[1], 'rb').read()
print(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                 "digest": "sha256:" + hashlib.sha256(b).hexdigest(), "size": len(b),
                                 "platform": {"architecture": "amd64", "os": "linux"}}]}))
EOF
    put_manifest wasm/multi linuxonly application/vnd.oci.image.index.v1+json "$T/index2.json"
    expect_fail "pull-wasm of an index without wasm" 1 "no wasm platform \(it has: linux/amd64\)" \
        "$XBUILD" pull-wasm "$REG/wasm/multi:linuxonly" -o "$T/out.wasm" --tls-verify=false
else
    skip "umoci/skopeo not installed: no linux image to refuse"
fi

# --- pull-wasm: artifacts whose layer is not Wasm ---
empty=$T/empty.json
printf '{}' >"$empty"
cfg=$(put_blob wasm/txt "$empty")
txt=$(put_blob wasm/txt "$T/notes.txt")
tr=$(put_blob wasm/txt "$T/truncated.wasm")
size_of() { stat -c %s "$1"; }
mk_manifest() { # config-mediatype layer-mediatype layer-digest layer-size
    printf '{"schemaVersion":2,"config":{"mediaType":"%s","digest":"%s","size":2},"layers":[{"mediaType":"%s","digest":"%s","size":%s}]}' \
        "$1" "$cfg" "$2" "$3" "$4"
}
mk_manifest application/vnd.wasm.config.v1+json application/vnd.wasm.content.layer.v1+wasm "$txt" "$(size_of "$T/notes.txt")" >"$T/m1.json"
put_manifest wasm/txt wasmtext application/vnd.oci.image.manifest.v1+json "$T/m1.json"
expect_fail "pull-wasm of a wasm-to-oci artifact holding text" 1 "not a WebAssembly module" \
    "$XBUILD" pull-wasm "$REG/wasm/txt:wasmtext" -o "$T/out.wasm" --tls-verify=false
check "nothing written" test ! -e "$T/out.wasm"

mk_manifest application/vnd.oci.empty.v1+json text/plain "$txt" "$(size_of "$T/notes.txt")" >"$T/m2.json"
put_manifest wasm/txt text application/vnd.oci.image.manifest.v1+json "$T/m2.json"
expect_fail "pull-wasm of a text artifact" 1 "not a Wasm artifact.*text/plain" \
    "$XBUILD" pull-wasm "$REG/wasm/txt:text" -o "$T/out.wasm" --tls-verify=false

mk_manifest application/vnd.wasm.config.v0+json application/wasm "$tr" "$(size_of "$T/truncated.wasm")" >"$T/m3.json"
put_manifest wasm/txt truncated application/vnd.oci.image.manifest.v1+json "$T/m3.json"
expect_fail "pull-wasm of a truncated module" 1 "truncated Wasm module" \
    "$XBUILD" pull-wasm "$REG/wasm/txt:truncated" -o "$T/out.wasm" --tls-verify=false

# a descriptor whose size disagrees with the blob
mk_manifest application/vnd.wasm.config.v1+json application/vnd.wasm.content.layer.v1+wasm "$txt" 5 >"$T/m4.json"
put_manifest wasm/txt badsize application/vnd.oci.image.manifest.v1+json "$T/m4.json"
expect_fail "pull-wasm of a layer whose size is wrong" 1 "bytes|size" \
    "$XBUILD" pull-wasm "$REG/wasm/txt:badsize" -o "$T/out.wasm" --tls-verify=false
check "nothing written" test ! -e "$T/out.wasm"

expect_fail "pull-wasm of a missing tag" 1 "wasm/txt" \
    "$XBUILD" pull-wasm "$REG/wasm/txt:nothere" -o "$T/out.wasm" --tls-verify=false
expect_fail "pull-wasm without -o" 2 "needs -o FILE" "$XBUILD" pull-wasm "$REG/wasm/txt:text"

# an existing file is left alone on failure
echo keep >"$T/keep.wasm"
"$XBUILD" pull-wasm "$REG/wasm/txt:wasmtext" -o "$T/keep.wasm" --tls-verify=false >/dev/null 2>&1
is "failed pull leaves an existing FILE untouched" "$(cat "$T/keep.wasm")" keep

done_testing

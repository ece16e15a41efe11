#!/bin/bash
# Wasm in builds and indexes: `bud --platform wasi/wasm` (and wasip1/wasm) of FROM scratch +
# COPY module.wasm needs no emulation and gives an image whose platform says wasm; one build
# for linux/amd64,linux/arm64,wasi/wasm gives one index; `manifest add` of a wasm image pushed
# with push-wasm --format image joins a linux image in one index; pull-wasm of those indexes
# finds the module, which runs.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/wasm.sh"
wasm_setup

MOD=$T/hello.wasm
CTX=$T/ctx
mkdir -p "$CTX"
cp "$MOD" "$CTX/hello.wasm"
cat >"$CTX/Dockerfile" <<'EOF'
FROM scratch
COPY hello.wasm /hello.wasm
ENTRYPOINT ["/hello.wasm"]
EOF

# config_of IMAGE: exports IMAGE to an OCI layout and prints its (first) manifest's config file
layout_manifest_rel() { # DIR -> path (relative to DIR) of the single manifest in the layout
    python3 -c 'import json,sys; d=sys.argv[1]; m=json.load(open(d+"/index.json"))["manifests"][0]; print("blobs/sha256/"+m["digest"].split(":")[1])' "$1"
}
layout_config() { # DIR -> config path of the single manifest in the layout
    python3 - "$1" <<'EOF'
import json, sys
d = sys.argv[1]
blob = lambda dg: f"{d}/blobs/sha256/{dg.split(':')[1]}"
idx = json.load(open(f"{d}/index.json"))
m = json.load(open(blob(idx["manifests"][0]["digest"])))
if "manifests" in m:
    m = json.load(open(blob(m["manifests"][0]["digest"])))
print(blob(m["config"]["digest"]))
EOF
}

# push_image IMAGE DEST: xbuild push to the registry; when this build cannot push to registries
# yet, export an OCI layout and let skopeo copy it (the test is about what pull-wasm reads).
push_image() {
    local out
    if out=$("$XBUILD" push -q "$1" "docker://$2" --tls-verify=false 2>&1); then
        return 0
    fi
    case $out in
    *"not in this build"*)
        diag "xbuild push has no registry support here: copying $1 with skopeo"
        rm -rf "$T/push-lay"
        "$XBUILD" push -q "$1" "oci:$T/push-lay:x" &&
            skopeo copy --quiet --all --dest-tls-verify=false "oci:$T/push-lay:x" "docker://$2"
        ;;
    *) echo "$out" >&2; return 1 ;;
    esac
}

for plat in wasi/wasm wasip1/wasm; do
    tag=hello-${plat%%/*}:1
    check "bud --platform $plat" "$XBUILD" bud --platform "$plat" -t "$tag" "$CTX"
    rm -rf "$T/lay"
    check "$plat: export to an OCI layout" "$XBUILD" push -q "$tag" "oci:$T/lay:x"
    cfg=$(layout_config "$T/lay")
    is "$plat: config os" "$(jpy "$cfg" 'd["os"]')" "${plat%%/*}"
    is "$plat: config architecture" "$(jpy "$cfg" 'd["architecture"]')" wasm
    is "$plat: Entrypoint" "$(jpy "$cfg" 'd["config"]["Entrypoint"]')" '["/hello.wasm"]'
    is "$plat: manifest annotation module.wasm.image/variant=compat" \
        "$(jpy "${cfg%/blobs/*}/$(layout_manifest_rel "$T/lay")" 'd["annotations"]["module.wasm.image/variant"]')" compat
done

# the wasi/wasm image through a registry, back with pull-wasm
check "push the bud-built wasm image" push_image hello-wasi:1 "$REG/wasm/bud:wasi"
check "pull-wasm of the bud-built image" "$XBUILD" pull-wasm "$REG/wasm/bud:wasi" -o "$T/bud.wasm" --tls-verify=false
check "bud image: bytes = module" cmp "$MOD" "$T/bud.wasm"
is "bud image: module runs" "$(run_wasi "$T/bud.wasm" 2>&1)" "hello from wasm32-wasi, world!"

# one build, three platforms, one index
check "bud --platform linux/amd64,linux/arm64,wasi/wasm" \
    "$XBUILD" bud --platform linux/amd64,linux/arm64,wasi/wasm -t hello-multi:1 "$CTX"
rm -rf "$T/multi"
check "export the index" "$XBUILD" push -q hello-multi:1 "oci:$T/multi:x"
idx=$(python3 -c 'import json,sys; i=json.load(open(sys.argv[1]+"/index.json")); print(sys.argv[1]+"/blobs/sha256/"+i["manifests"][0]["digest"].split(":")[1])' "$T/multi")
is "one index with three platforms" \
    "$(jpy "$idx" '" ".join(m["platform"]["os"]+"/"+m["platform"]["architecture"] for m in d["manifests"])')" \
    "linux/amd64 linux/arm64 wasi/wasm"
is "index media type" "$(jpy "$idx" 'd.get("mediaType")')" application/vnd.oci.image.index.v1+json
check "push the index" push_image hello-multi:1 "$REG/wasm/bud:multi"
check "pull-wasm of the three-platform index" "$XBUILD" pull-wasm "$REG/wasm/bud:multi" -o "$T/multi.wasm" --tls-verify=false
check "index: bytes = module" cmp "$MOD" "$T/multi.wasm"
if command -v skopeo >/dev/null 2>&1; then
    raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/wasm/bud:multi")
    like "skopeo sees the wasi/wasm entry in the registry's index" "$raw" '"os":"wasi"'
    check "skopeo copy of the wasm platform" skopeo copy --quiet --src-tls-verify=false \
        --override-os wasi --override-arch wasm "docker://$REG/wasm/bud:multi" "oci:$T/sk:x"
fi

# manifest add: a wasm image pushed by push-wasm joins a linux image in one index
printf 'FROM scratch\nCOPY hello.wasm /not-a-linux-binary\n' >"$CTX/Dockerfile.linux"
check "bud a linux/amd64 image" "$XBUILD" bud --platform linux/amd64 -f "$CTX/Dockerfile.linux" -t lin:1 "$CTX"
check "push-wasm --format image" "$XBUILD" push-wasm -q --format image "$MOD" "$REG/wasm/img:v1" --tls-verify=false
check "manifest create" "$XBUILD" manifest create both:1
check "manifest add the linux image" "$XBUILD" manifest add both:1 lin:1
if ! out=$("$XBUILD" manifest add both:1 "docker://$REG/wasm/img:v1" --tls-verify=false 2>&1); then
    case $out in
    *"no registry support"*)
        skip "manifest add of a remote wasm image: this build has no registry support ($out)"
        done_testing
        exit $?
        ;;
    esac
    fail "manifest add the pushed wasm image"
    diag "$out"
else
    ok "manifest add the pushed wasm image"
fi
out=$("$XBUILD" manifest inspect both:1 2>&1)
like "index lists wasip1/wasm" "$out" '"os": ?"wasip1"'
like "index lists linux/amd64" "$out" '"os": ?"linux"'
check "manifest push" "$XBUILD" manifest push both:1 "docker://$REG/wasm/both:v1" --tls-verify=false
check "pull-wasm of the manifest-add index" "$XBUILD" pull-wasm "$REG/wasm/both:v1" -o "$T/both.wasm" --tls-verify=false
check "manifest-add index: bytes = module" cmp "$MOD" "$T/both.wasm"
is "manifest-add index: module runs" "$(WHO=index run_wasi "$T/both.wasm" 2>&1)" "hello from wasm32-wasi, index!"

done_testing

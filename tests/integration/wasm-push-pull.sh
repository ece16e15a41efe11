#!/bin/bash
# push-wasm in each format to a real registry, every manifest/config field checked in the raw
# JSON the registry serves, pulled back with pull-wasm and with skopeo, bytes compared, and the
# pulled module run under Node's WASI.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/wasm.sh"
wasm_setup

MOD=$T/hello.wasm
MODSIZE=$(stat -c %s "$MOD")
MODDIG=$(sha256_of "$MOD")
like "compiled hello.wasm is a core Wasm module" "$(head -c 8 "$MOD" | od -An -tx1 | tr -d ' \n')" '^0061736d01000000$'
is "the module runs under node" "$(run_wasi "$MOD" 2>&1)" "hello from wasm32-wasi, world!"

for fmt in wasm-to-oci oci-artifact image; do
    repo=wasm/hello-$fmt
    ref=$REG/$repo:v1
    out=$("$XBUILD" push-wasm "$MOD" "$ref" --format "$fmt" --annotation org.example.built-by=xbuild-test \
        --tls-verify=false --digestfile "$T/$fmt.digest" 2>"$T/$fmt.push.err")
    rc=$?
    is "$fmt: push-wasm exits 0" "$rc" 0
    [ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/$fmt.push.err"
    dig=$(cat "$T/$fmt.digest" 2>/dev/null)
    like "$fmt: digest file holds a digest" "$dig" '^sha256:[0-9a-f]{64}$'
    is "$fmt: stdout is the digest" "$out" "$dig"

    raw_manifest "$repo" v1 "$T/$fmt.manifest.json"
    is "$fmt: registry's manifest digest = printed digest" "$(sha256_of "$T/$fmt.manifest.json")" "$dig"
    M=$T/$fmt.manifest.json
    cfgdig=$(jpy "$M" 'd["config"]["digest"]')
    raw_blob "$repo" "$cfgdig" "$T/$fmt.config.json"
    C=$T/$fmt.config.json
    is "$fmt: config size field" "$(jpy "$M" 'd["config"]["size"]')" "$(stat -c %s "$C")"
    is "$fmt: schemaVersion" "$(jpy "$M" 'd["schemaVersion"]')" 2
    is "$fmt: one layer" "$(jpy "$M" 'len(d["layers"])')" 1
    is "$fmt: --annotation on the manifest" "$(jpy "$M" 'd["annotations"]["org.example.built-by"]')" xbuild-test
    overhead=$(($(stat -c %s "$M") + $(stat -c %s "$C")))

    case $fmt in
    wasm-to-oci)
        is "$fmt: no top-level mediaType" "$(jpy "$M" '"mediaType" in d')" False
        is "$fmt: config media type" "$(jpy "$M" 'd["config"]["mediaType"]')" application/vnd.wasm.config.v1+json
        is "$fmt: config content {}" "$(cat "$C")" "{}"
        is "$fmt: layer media type" "$(jpy "$M" 'd["layers"][0]["mediaType"]')" application/vnd.wasm.content.layer.v1+wasm
        is "$fmt: layer title = file name" "$(jpy "$M" 'd["layers"][0]["annotations"]["org.opencontainers.image.title"]')" hello.wasm
        is "$fmt: layer digest = module" "$(jpy "$M" 'd["layers"][0]["digest"]')" "$MODDIG"
        is "$fmt: layer size = module" "$(jpy "$M" 'd["layers"][0]["size"]')" "$MODSIZE"
        hdr=$(reg_curl "$repo/manifests/v1" -I -H "Accept: $ACCEPT_ALL" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Tt]ype: //p')
        is "$fmt: stored as an OCI manifest" "$hdr" application/vnd.oci.image.manifest.v1+json
        diag "$fmt: overhead manifest+config = $overhead bytes"
        [ "$overhead" -le 1024 ] && ok "$fmt: overhead <= 1 KiB" || fail "$fmt: overhead $overhead > 1 KiB"
        ;;
    oci-artifact)
        is "$fmt: mediaType" "$(jpy "$M" 'd["mediaType"]')" application/vnd.oci.image.manifest.v1+json
        is "$fmt: config media type" "$(jpy "$M" 'd["config"]["mediaType"]')" application/vnd.wasm.config.v0+json
        is "$fmt: layer media type" "$(jpy "$M" 'd["layers"][0]["mediaType"]')" application/wasm
        is "$fmt: layer digest = module" "$(jpy "$M" 'd["layers"][0]["digest"]')" "$MODDIG"
        is "$fmt: layer size = module" "$(jpy "$M" 'd["layers"][0]["size"]')" "$MODSIZE"
        is "$fmt: config architecture" "$(jpy "$C" 'd["architecture"]')" wasm
        is "$fmt: config os (core module)" "$(jpy "$C" 'd["os"]')" wasip1
        is "$fmt: config layerDigests" "$(jpy "$C" 'd["layerDigests"]')" "[\"$MODDIG\"]"
        like "$fmt: config created (RFC 3339)" "$(jpy "$C" 'd["created"]')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
        is "$fmt: no component section for a core module" "$(jpy "$C" '"component" in d')" False
        diag "$fmt: overhead manifest+config = $overhead bytes"
        [ "$overhead" -le 1024 ] && ok "$fmt: overhead <= 1 KiB" || fail "$fmt: overhead $overhead > 1 KiB"
        ;;
    image)
        is "$fmt: mediaType" "$(jpy "$M" 'd["mediaType"]')" application/vnd.oci.image.manifest.v1+json
        is "$fmt: config media type" "$(jpy "$M" 'd["config"]["mediaType"]')" application/vnd.oci.image.config.v1+json
        is "$fmt: layer media type" "$(jpy "$M" 'd["layers"][0]["mediaType"]')" application/vnd.oci.image.layer.v1.tar+gzip
        is "$fmt: variant annotation" "$(jpy "$M" 'd["annotations"]["module.wasm.image/variant"]')" compat
        is "$fmt: platform os" "$(jpy "$C" 'd["os"]')" wasip1
        is "$fmt: platform architecture" "$(jpy "$C" 'd["architecture"]')" wasm
        is "$fmt: Entrypoint" "$(jpy "$C" 'd["config"]["Entrypoint"]')" '["/hello.wasm"]'
        raw_blob "$repo" "$(jpy "$M" 'd["layers"][0]["digest"]')" "$T/image.layer.tgz"
        is "$fmt: layer lists only the module" "$(tar -tzf "$T/image.layer.tgz")" hello.wasm
        is "$fmt: diff_id = sha256 of the tar" "$(jpy "$C" 'd["rootfs"]["diff_ids"][0]')" \
            "sha256:$(gzip -dc "$T/image.layer.tgz" | sha256sum | cut -d' ' -f1)"
        ;;
    esac

    # back with pull-wasm
    rm -f "$T/pulled.wasm"
    check "$fmt: pull-wasm" "$XBUILD" pull-wasm "$ref" -o "$T/pulled.wasm" --tls-verify=false
    check "$fmt: pull-wasm bytes = module" cmp "$MOD" "$T/pulled.wasm"
    is "$fmt: pulled module runs" "$(WHO=$fmt run_wasi "$T/pulled.wasm" arg 2>&1)" "hello from wasm32-wasi, $fmt!
arg 1: arg"
    rm -f "$T/pulled.wasm"
    check "$fmt: pull-wasm by digest" "$XBUILD" pull-wasm "$REG/$repo@$dig" -o "$T/pulled.wasm" -q --tls-verify=false
    check "$fmt: by digest: bytes = module" cmp "$MOD" "$T/pulled.wasm"

    # back with skopeo (an independent reader)
    if command -v skopeo >/dev/null 2>&1; then
        rm -rf "$T/oci-$fmt"
        if skopeo copy --quiet --src-tls-verify=false "docker://$ref" "oci:$T/oci-$fmt:v1" >"$T/skopeo.log" 2>&1; then
            ok "$fmt: skopeo copy to an OCI layout"
            ldig=$(jpy "$M" 'd["layers"][0]["digest"]')
            blob=$T/oci-$fmt/blobs/sha256/${ldig#sha256:}
            if [ "$fmt" = image ]; then
                mkdir -p "$T/x-$fmt" && tar -xzf "$blob" -C "$T/x-$fmt"
                check "$fmt: skopeo's copy of the layer holds the module" cmp "$MOD" "$T/x-$fmt/hello.wasm"
            else
                check "$fmt: skopeo's copy of the layer = module" cmp "$MOD" "$blob"
            fi
            is "$fmt: skopeo kept the manifest bytes" "$(sha256_of "$T/oci-$fmt/blobs/sha256/${dig#sha256:}")" "$dig"
        else
            fail "$fmt: skopeo copy to an OCI layout"
            sed 's/^/#   /' "$T/skopeo.log" | tail -5
        fi
    else
        skip "$fmt: skopeo not installed"
    fi
done

# a component (oci-artifact): os wasip2 and the component's imports/exports in the config.
# Made by jco (npm @bytecodealliance/jco: `jco new --wasi-command`) when it is installed,
# else a minimal component written here byte by byte.
COMP=$T/component.wasm
JCO=${JCO:-$(command -v jco 2>/dev/null)}
if [ -n "$JCO" ] && "$JCO" new "$MOD" --wasi-command -o "$COMP" >/dev/null 2>&1; then
    diag "component made by $JCO"
    want_export=$(python3 -c 'print("wasi:cli/run@0.2")')
else
    python3 - "$COMP" <<'EOF2'
import sys
def name(s): return bytes([len(s)]) + s.encode()
imp = b"\x01" + b"\x00" + name("wasi:cli/environment@0.2.0") + b"\x04\x00"
exp = b"\x01" + b"\x00" + name("wasi:cli/run@0.2.0") + b"\x05\x00\x00"
open(sys.argv[1], "wb").write(b"\x00asm\x0d\x00\x01\x00" + b"\x0a" + bytes([len(imp)]) + imp
                             + b"\x0b" + bytes([len(exp)]) + exp)
EOF2
    want_export="wasi:cli/run@0.2.0"
fi
if out=$("$XBUILD" push-wasm --format oci-artifact "$COMP" "$REG/wasm/component:v1" --tls-verify=false 2>&1); then
    ok "component: push-wasm --format oci-artifact"
    raw_manifest wasm/component v1 "$T/c.manifest.json"
    raw_blob wasm/component "$(jpy "$T/c.manifest.json" 'd["config"]["digest"]')" "$T/c.config.json"
    is "component: config os" "$(jpy "$T/c.config.json" 'd["os"]')" wasip2
    like "component: exports" "$(jpy "$T/c.config.json" 'd["component"]["exports"]')" "\"$want_export"
    like "component: imports" "$(jpy "$T/c.config.json" 'd["component"]["imports"]')" '"wasi:cli/environment@0\.2\.[0-9]+"'
    is "component: layerDigests" "$(jpy "$T/c.config.json" 'd["layerDigests"][0]')" "$(sha256_of "$COMP")"
    overhead=$(($(stat -c %s "$T/c.manifest.json") + $(stat -c %s "$T/c.config.json")))
    names=$(jpy "$T/c.config.json" 'len(json.dumps(d["component"], separators=(",", ":")))')
    diag "component: overhead manifest+config = $overhead bytes, $names of them the component's import/export list"
    [ $((overhead - names)) -le 1024 ] && ok "component: overhead beyond its import/export list <= 1 KiB" ||
        fail "component: overhead $overhead - $names > 1 KiB"
    check "component: pull-wasm" "$XBUILD" pull-wasm "$REG/wasm/component:v1" -o "$T/c.wasm" --tls-verify=false
    check "component: bytes = component" cmp "$COMP" "$T/c.wasm"
else
    fail "component: push-wasm --format oci-artifact"
    diag "$out"
fi

# pushing again uploads nothing new and gives the same digest for the artifact formats
out=$("$XBUILD" push-wasm "$MOD" "$REG/wasm/hello-wasm-to-oci:v2" --annotation org.example.built-by=xbuild-test \
    --tls-verify=false 2>"$T/again.err")
is "re-push (wasm-to-oci is the default format): same digest" "$out" "$(cat "$T/wasm-to-oci.digest")"
like "re-push: blobs skipped" "$(cat "$T/again.err")" 'skipped: already exists'

# -q prints nothing
out=$("$XBUILD" push-wasm -q "$MOD" "$REG/wasm/quiet:v1" --tls-verify=false 2>&1)
is "push-wasm -q is quiet" "$out" ""

done_testing

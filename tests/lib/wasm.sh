# Helpers for the wasm integration tests (sourced after tests/lib/common.sh).
#   wasm_setup            compiles tests/wasm/hello.c to $T/hello.wasm (skips the file when the
#                         wasm32-wasi toolchain or node is missing) and starts a registry ($REG)
#   reg_curl PATH [ARGS]  curl against http://$REG/v2/PATH (fails on HTTP errors)
#   raw_manifest REPO REF FILE   raw manifest bytes as the registry stores them
#   raw_blob REPO DIGEST FILE
#   put_blob REPO FILE    monolithic upload; prints the digest
#   put_manifest REPO REF MEDIATYPE FILE
#   jpy FILE EXPR         python3: prints eval(EXPR) with d = the JSON in FILE
#   run_wasi MODULE ARGS  runs a module under Node's WASI

WASM_SRC="$top_srcdir/tests/wasm"

wasm_setup() {
    for tool in clang node python3 curl; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "1..0 # SKIP $tool not installed"
            exit 0
        fi
    done
    if ! clang --target=wasm32-wasi -O2 -o "$T/hello.wasm" "$WASM_SRC/hello.c" 2>"$T/clang.err"; then
        echo "1..0 # SKIP cannot compile for wasm32-wasi: $(head -1 "$T/clang.err")"
        exit 0
    fi
    start_test_registry
}

# The registry: tests/lib/registry.sh (Debian's docker-registry on a free loopback port).
start_test_registry() {
    . "$top_srcdir/tests/lib/registry.sh"
    require_registry
    if ! registry_start anonymous wasmreg; then
        echo "1..0 # SKIP the test registry did not start"
        exit 0
    fi
}

ACCEPT_ALL='application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json'

reg_curl() {
    local path=$1
    shift
    curl -sSf "$@" "http://$REG/v2/$path"
}

raw_manifest() { reg_curl "$1/manifests/$2" -H "Accept: $ACCEPT_ALL" -o "$3"; }
raw_blob() { reg_curl "$1/blobs/$2" -L -o "$3"; }

put_blob() {
    local repo=$1 file=$2 digest loc
    digest=$(sha256_of "$file")
    loc=$(curl -sSf -X POST -D - -o /dev/null "http://$REG/v2/$repo/blobs/uploads/" |
        tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    case "$loc" in http*) ;; *) loc="http://$REG$loc" ;; esac
    case "$loc" in *\?*) loc="$loc&digest=$digest" ;; *) loc="$loc?digest=$digest" ;; esac
    curl -sSf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" "$loc" >/dev/null
    echo "$digest"
}

put_manifest() {
    curl -sSf -X PUT -H "Content-Type: $3" --data-binary "@$4" "http://$REG/v2/$1/manifests/$2" >/dev/null
}

jpy() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); r = eval(sys.argv[2]); print(json.dumps(r) if isinstance(r, (dict, list)) else r)' "$1" "$2"
}

sha256_of() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

run_wasi() { node --no-warnings "$WASM_SRC/run-wasi.mjs" "$@"; }

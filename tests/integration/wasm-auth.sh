#!/bin/bash
# push-wasm / pull-wasm against a registry with token auth (--creds, --authfile), and digest
# verification on pull: a module blob corrupted in the registry's storage is refused.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/wasm.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_registry
for tool in clang node openssl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "1..0 # SKIP $tool not installed"; exit 0; }
done
clang --target=wasm32-wasi -O2 -o "$T/hello.wasm" "$WASM_SRC/hello.c" 2>/dev/null ||
    { echo "1..0 # SKIP cannot compile for wasm32-wasi"; exit 0; }
registry_start token wasmauth || { echo "1..0 # SKIP token registry did not start"; exit 0; }
MOD=$T/hello.wasm

err=$("$XBUILD" push-wasm "$MOD" "$REG/wasm/private:v1" --tls-verify=false 2>&1 >/dev/null)
rc=$?
is "push-wasm without credentials fails" "$rc" 1
like "  ... saying why" "$err" '[Uu]nauthori[sz]ed|denied|auth|401'

check "push-wasm --creds (oci-artifact)" "$XBUILD" push-wasm -q --format oci-artifact "$MOD" \
    "$REG/wasm/private:v1" --creds "$REG_USER:$REG_PASS" --tls-verify=false
err=$("$XBUILD" pull-wasm "$REG/wasm/private:v1" -o "$T/a.wasm" --tls-verify=false 2>&1 >/dev/null)
is "pull-wasm without credentials fails" "$?" 1
check "pull-wasm --creds" "$XBUILD" pull-wasm "$REG/wasm/private:v1" -o "$T/a.wasm" \
    --creds "$REG_USER:$REG_PASS" --tls-verify=false
check "  bytes = module" cmp "$MOD" "$T/a.wasm"

auth=$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$auth" >"$T/auth.json"
rm -f "$T/a.wasm"
check "pull-wasm --authfile" "$XBUILD" pull-wasm "$REG/wasm/private:v1" -o "$T/a.wasm" \
    --authfile "$T/auth.json" --tls-verify=false
check "  bytes = module" cmp "$MOD" "$T/a.wasm"
check "push-wasm with REGISTRY_AUTH_FILE (wasm-to-oci)" env REGISTRY_AUTH_FILE="$T/auth.json" \
    "$XBUILD" push-wasm -q "$MOD" "$REG/wasm/private:w2o" --tls-verify=false
grep -q '"account": *"tester"\|tester' "$TOKEN_LOG" && ok "token server saw the user's requests" ||
    fail "token server saw the user's requests"

# corrupt the module blob in the registry's storage: pull-wasm must refuse it
dig=$(sha256_of "$MOD")
data=$(registry_blob_data "$dig")
if [ -f "$data" ]; then
    printf 'X' | dd of="$data" bs=1 seek=100 conv=notrunc status=none
    rm -f "$T/bad.wasm"
    err=$("$XBUILD" pull-wasm "$REG/wasm/private:w2o" -o "$T/bad.wasm" --authfile "$T/auth.json" \
        --tls-verify=false 2>&1 >/dev/null)
    is "pull-wasm of a corrupted blob fails" "$?" 1
    like "  with a digest error" "$err" '[Dd]igest'
    check "  and writes nothing" test ! -e "$T/bad.wasm"
else
    skip "registry storage layout not found: $data"
fi

done_testing

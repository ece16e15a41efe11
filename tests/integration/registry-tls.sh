#!/usr/bin/env bash
# HTTPS registries: system CAs by default (a private CA fails), --cert-dir with ca.crt and
# client.cert/client.key (containers-certs.d layout), --tls-verify=false.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_registry
for t in skopeo umoci openssl; do command -v $t >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }; done
fails() { if [ "$1" -ne 0 ]; then ok "$2"; else fail "$2"; fi; }
make_tls_certs "$T/pki" || { echo "1..0 # SKIP openssl could not make certificates"; exit 0; }
mkdir -p "$T/certs-ca" "$T/certs-client"
cp "$T/pki/ca.crt" "$T/certs-ca/"
cp "$T/pki/ca.crt" "$T/pki/client.cert" "$T/pki/client.key" "$T/certs-client/"
make_image "$T/oci" img amd64 "tls" 8
skopeo copy -q "oci:$T/oci:img" "oci:$XBUILD_ROOT:local/img:1"

REG_TLS_CERT=$T/pki/server.crt REG_TLS_KEY=$T/pki/server.key registry_start anonymous tls ||
    { echo "1..0 # SKIP could not start docker-registry with TLS"; exit 0; }
out=$(xb push local/img:1 "docker://$REG/t/img:1" 2>&1)
fails $? "an unknown CA is refused"
like "... with the certificate error (no silent fallback to HTTP)" "$out" "certificate"
check "--cert-dir with ca.crt" xb push -q --cert-dir "$T/certs-ca" local/img:1 "docker://$REG/t/img:1"
check "--tls-verify=false" xb pull -q --tls-verify=false "$REG/t/img:1"
check "skopeo agrees" skopeo inspect --raw --cert-dir "$T/certs-ca" "docker://$REG/t/img:1"
check_fails "--cert-dir that does not exist is an error" xb pull -q --cert-dir "$T/nope" "$REG/t/img:1"

# ADD <https url> goes through the same HTTP client: the same TLS rules as FROM and --push
cfg=$(skopeo inspect --raw --cert-dir "$T/certs-ca" "docker://$REG/t/img:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')
mkdir -p "$T/addctx"
printf 'FROM scratch\nADD https://%s/v2/t/img/blobs/%s /cfg.json\n' "$REG" "$cfg" >"$T/addctx/Dockerfile"
out=$(xb bud -q --no-cache "$T/addctx" 2>&1)
fails $? "ADD https: an unknown CA is refused"
like "... naming the URL and the certificate problem" "$out" "ADD https://$REG/v2/t/img/blobs/.*certificate"
check "ADD https with --cert-dir" xb bud -q --no-cache --cert-dir "$T/certs-ca" -t addtls "$T/addctx"
got=$(xb inspect --json addtls | python3 -c 'import json,sys; print(json.load(sys.stdin)["manifest"]["layers"][0]["digest"])')
is "ADD https: the layer holds the downloaded blob" "$(tar -xzOf "$XBUILD_ROOT/blobs/sha256/${got#sha256:}" cfg.json | sha256sum | cut -d' ' -f1)" "${cfg#sha256:}"
check "ADD https with --tls-verify=false" xb bud -q --no-cache --tls-verify=false "$T/addctx"

REG_TLS_CERT=$T/pki/server.crt REG_TLS_KEY=$T/pki/server.key REG_TLS_CLIENTCA=$T/pki/ca.crt \
    registry_start anonymous mtls
check_fails "client certificate required: ca.crt alone fails" xb pull -q --cert-dir "$T/certs-ca" "$REG/t/img:1"
check "client.cert/client.key from --cert-dir" xb push -q --cert-dir "$T/certs-client" local/img:1 "docker://$REG/t/img:1"
check "... and pull" xb pull -q --cert-dir "$T/certs-client" "$REG/t/img:1"
done_testing

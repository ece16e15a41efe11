#!/usr/bin/env bash
# Credentials go only where they were given (issue 14): `bud --creds` is for the registries of
# the -t names; a third-party FROM registry (token auth, anonymous pull) never sees them, its
# token server logs anonymous requests only. A Bearer realm on plain http:// of an HTTPS
# registry gets no credentials (an anonymous token, with a warning); a plain-HTTP registry's
# http:// realm still gets them (registry-auth.sh).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_registry
for t in skopeo umoci htpasswd openssl; do command -v $t >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }; done
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR DOCKER_CONFIG
export HOME=$T/home
mkdir -p "$HOME"
GOOD="$REG_USER:$REG_PASS"
make_image "$T/oci" img amd64 "base" 4
skopeo copy -q "oci:$T/oci:img" "oci:$XBUILD_ROOT:local/img:1"

# the third party: token auth, anonymous pulls allowed, the same user known to its token server
TOKEN_ANON_PULL=1 registry_start token third || { echo "Bail out! token registry"; exit 1; }
THIRD=$REG THIRD_LOG=$TOKEN_LOG
check "the base image on the third-party registry" \
    xb push -q --creds "$GOOD" local/img:1 "docker://$THIRD/lib/base:1"
: >"$THIRD_LOG"
# the destination: htpasswd
registry_start htpasswd dest || { echo "Bail out! htpasswd registry"; exit 1; }
DEST=$REG
mkdir -p "$T/ctx"
printf 'FROM %s/lib/base:1\nLABEL built=yes\n' "$THIRD" >"$T/ctx/Dockerfile"
out=$(xb --root "$T/r1" bud --platform linux/amd64 --creds "$GOOD" -t "$DEST/app/img:1" --push \
    "$T/ctx" 2>&1)
check "bud --creds -t DEST --push with FROM THIRD succeeds" test $? -eq 0 || diag "$out"
check "... the image is on the destination" \
    skopeo inspect --raw --tls-verify=false --creds "$GOOD" "docker://$DEST/app/img:1"
check "... the third party's token server was asked" test -s "$THIRD_LOG"
is "... only anonymously (never with the --creds user)" \
    "$(python3 -c 'import json,sys; print(sorted({str(json.loads(l)["user"]) for l in open(sys.argv[1])}))' "$THIRD_LOG")" \
    "['None']"

# a realm on plain http:// for an HTTPS registry receives no credentials
make_tls_certs "$T/pki" || { echo "Bail out! openssl could not make certificates"; exit 1; }
mkdir -p "$T/certs"
cp "$T/pki/ca.crt" "$T/certs/"
REG_TLS_CERT=$T/pki/server.crt REG_TLS_KEY=$T/pki/server.key TOKEN_ANON_PULL=1 \
    registry_start token tlsreg || { echo "Bail out! TLS token registry"; exit 1; }
skopeo copy -q --dest-cert-dir "$T/certs" --dest-creds "$GOOD" "oci:$T/oci:img" \
    "docker://$REG/lib/base:1" || fail "skopeo pushes to the TLS registry"
: >"$TOKEN_LOG"
out=$(xb --root "$T/r2" pull --cert-dir "$T/certs" --creds "$GOOD" "$REG/lib/base:1" 2>&1)
check "pull from the HTTPS registry (anonymous pulls allowed) succeeds" test $? -eq 0 || diag "$out"
like "... warning that the http:// realm gets no credentials" "$out" \
    "token server http://127.0.0.1:[0-9]+/token is plain HTTP while the registry is HTTPS"
check "... the realm was asked" test -s "$TOKEN_LOG"
is "... never with the credentials" \
    "$(python3 -c 'import json,sys; print(sorted({str(json.loads(l)["user"]) for l in open(sys.argv[1])}))' "$TOKEN_LOG")" \
    "['None']"
: >"$TOKEN_LOG"
out=$(xb push --cert-dir "$T/certs" --creds "$GOOD" local/img:1 "docker://$REG/lib/x:1" 2>&1)
check_fails "a push there (needs the credentials) fails" test $? -eq 0
like "... saying why" "$out" "were not sent to its plain-HTTP token server http://127.0.0.1:[0-9]+/token"
is "... still without sending them" \
    "$(python3 -c 'import json,sys; print(sorted({str(json.loads(l)["user"]) for l in open(sys.argv[1])}))' "$TOKEN_LOG")" \
    "['None']"
done_testing

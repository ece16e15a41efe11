#!/usr/bin/env bash
# Bearer tokens that expire while one xbuild process works: the registry's `auth: token` mode
# with tests/token-server.py issuing short-lived tokens, and pushes/pulls slowed down by
# tests/fault-proxy.py (every blob upload or download answered 1 s late, --jobs 1), so one
# operation lasts several token lifetimes.
#  - expires_in is honoured even when below 60 s: a new token is asked for before the old one
#    expires (the registry here would still take the old one: no 401 is needed);
#  - a token the registry refuses (401: expired early, revoked) is replaced once and the request
#    sent again;
#  - both together, with tokens that really die after 2 s, for a push and a pull.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_registry
for t in skopeo umoci openssl; do command -v $t >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }; done
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR DOCKER_CONFIG
export HOME=$T/home
mkdir -p "$HOME"
GOOD="$REG_USER:$REG_PASS"
make_layered_image "$T/oci" img 4 || { fail "test image"; done_testing; exit 1; }
skopeo copy -q "oci:$T/oci:img" "oci:$XBUILD_ROOT:local/img:1"

tokens() { grep -c '"granted"' "$TOKEN_LOG" || true; }
# slow_push NAME: push local/img:1 (5 blobs) through $PROXY, which answers each upload 1 s late
slow_push() {
    xb --debug push -q --jobs 1 --creds "$GOOD" local/img:1 "docker://$PROXY/$1/img:1" \
        >"$T/$1.out" 2>&1
}
slow_proxy() { proxy_start "PUT /blobs/uploads/ delay:1 -1"; }
# refused NAME: how many requests of slow_push NAME that carried a token were answered 401
# (from the --debug request/response headers; --jobs 1 keeps them in order)
refused() {
    awk '/^debug: > [A-Z]+ /{a=0} /^debug: > Authorization:/{a=1}
         /^debug: < HTTP\/[0-9.]+ 401/{if (a) n++} END{print n+0}' "$T/$1.out"
}

# --- baseline: long-lived tokens ---
registry_start token r-base || { fail "registry starts"; done_testing; exit 1; }
slow_proxy
check "baseline: slow push" slow_push base
base=$(tokens)
diag "tokens for one push with 300 s tokens: $base"

# --- expires_in: 1 is honoured (the registry would accept the token for 61 s) ---
TOKEN_EXPIRES=1 registry_start token r-short || { fail "registry starts"; done_testing; exit 1; }
slow_proxy
check "expires_in 1: slow push succeeds" slow_push short
n=$(tokens)
diag "tokens for one push with 1 s tokens: $n"
check "expires_in 1: new tokens asked for during the push (more than the $base of 300 s tokens)" \
    test "$n" -gt "$base"
is "expires_in 1: no request was refused first (tokens replaced before they expire)" \
    "$(refused short)" 0

# --- tokens the registry refuses after 2 s though they say 300 s: 401, new token, again ---
TOKEN_LIFETIME=2 registry_start token r-revoked || { fail "registry starts"; done_testing; exit 1; }
slow_proxy
check "refused token: slow push succeeds" slow_push revoked
like "refused token: the registry did answer 401 to a request with an expired token" \
    "$(refused revoked)" '^[1-9]'
like "... and it was sent again with a new token" "$(cat "$T/revoked.out")" \
    'HTTP 401, sending it once more with new credentials'
check "refused token: more tokens than the $base of a normal push" test "$(tokens)" -gt "$base"
check "refused token: the image is complete in the registry" \
    skopeo inspect --raw --tls-verify=false --creds "$GOOD" "docker://$REG/revoked/img:1"

# --- tokens that live 2 s and say so: push and pull ---
TOKEN_EXPIRES=2 TOKEN_LIFETIME=2 registry_start token r-real || { fail "registry starts"; done_testing; exit 1; }
slow_proxy
check "2 s tokens: slow push succeeds" slow_push real
pushed=$(tokens)
check "2 s tokens: more than one token for the push" test "$pushed" -gt 1
proxy_start "GET /blobs/sha256: delay:1 -1"
check "2 s tokens: slow pull succeeds" \
    xb --root "$T/pull" pull -q --jobs 1 --creds "$GOOD" "$PROXY/real/img:1"
check "2 s tokens: more than one token for the pull" test "$(($(tokens) - pushed))" -gt 1
is "2 s tokens: the pulled image is complete" \
    "$(xb --root "$T/pull" fsck >/dev/null 2>&1 && echo ok)" ok

done_testing

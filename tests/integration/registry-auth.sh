#!/usr/bin/env bash
# Registry authentication: htpasswd Basic auth and token auth (tests/token-server.py signing
# JWTs with a key made at test time), credentials from --creds, auth files, docker config
# (auths, credHelpers, credsStore), login/logout, and no secrets in --debug output.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_registry
for t in skopeo umoci htpasswd openssl; do command -v $t >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }; done
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR DOCKER_CONFIG
export HOME=$T/home
mkdir -p "$HOME"
fails() { if [ "$1" -ne 0 ]; then ok "$2"; else fail "$2"; fi; }
make_image "$T/oci" img amd64 "auth test" 16
skopeo copy -q "oci:$T/oci:img" "oci:$XBUILD_ROOT:local/img:1"
GOOD="$REG_USER:$REG_PASS"
B64=$(printf '%s' "$GOOD" | base64)

for mode in htpasswd token; do
    registry_start $mode "r-$mode" || { fail "$mode: registry starts"; continue; }
    diag "mode $mode on $REG"
    check "$mode: push with --creds" xb push -q --creds "$GOOD" local/img:1 "docker://$REG/a/img:1"
    rm -rf "$XBUILD_ROOT.pull"
    check "$mode: pull with --creds" xb --root "$XBUILD_ROOT.pull" pull -q --creds "$GOOD" "$REG/a/img:1"
    check "$mode: skopeo reads what xbuild pushed" \
        skopeo inspect --raw --tls-verify=false --creds "$GOOD" "docker://$REG/a/img:1"

    out=$(xb push --creds "$REG_USER:wrong" local/img:1 "docker://$REG/a/img:2" 2>&1)
    fails $? "$mode: wrong password fails"
    if [ $mode = token ]; then
        like "$mode: ... clearly" "$out" "authentication to $REG failed: invalid username or password"
    else
        like "$mode: ... clearly" "$out" "rejected the credentials of user \"tester\" \(invalid username or password"
    fi
    out=$(xb pull "$REG/a/img:1" 2>&1)
    fails $? "$mode: no credentials fails"
    like "$mode: ... and says how to give some" "$out" "no credentials for $REG"

    # secrets never in --debug output
    xb --debug pull -q --creds "$GOOD" "$REG/a/img:1" >"$T/debug.out" 2>&1
    like "$mode: --debug shows redacted Authorization" "$(cat "$T/debug.out")" "Authorization: <redacted>"
    if grep -qF -e "$REG_PASS" -e "$B64" -e "eyJ" "$T/debug.out"; then
        fail "$mode: no password, basic credentials or token in --debug output"
    else
        ok "$mode: no password, basic credentials or token in --debug output"
    fi

    # login / logout with an auth file
    export REGISTRY_AUTH_FILE=$T/$mode-auth.json
    out=$(xb login -u "$REG_USER" -p wrong "$REG" 2>&1)
    fails $? "$mode: login with a wrong password fails"
    check "$mode: ... and stores nothing" test ! -e "$REGISTRY_AUTH_FILE"
    out=$(printf '%s\n' "$REG_PASS" | xb login -u "$REG_USER" --password-stdin "$REG" 2>&1)
    is "$mode: login --password-stdin" "$out" "Login Succeeded!"
    is "$mode: auth file mode 0600" "$(stat -c %a "$REGISTRY_AUTH_FILE")" 600
    like "$mode: auth file has the entry" "$(cat "$REGISTRY_AUTH_FILE")" "\"$REG\""
    check "$mode: push with the stored login" xb push -q local/img:1 "docker://$REG/a/img:3"
    check "$mode: logout" xb logout "$REG"
    check_fails "$mode: logout again fails (not logged in)" xb logout "$REG"
    check_fails "$mode: after logout, pull fails" xb pull -q "$REG/a/img:3"
    unset REGISTRY_AUTH_FILE
done

# token mode details (last registry started is the token one)
like "token: scopes asked per repository" "$(cat "$TOKEN_LOG")" '"repository:a/img:pull,push"'
before=$(wc -l <"$TOKEN_LOG")
xb push -q --creds "$GOOD" local/img:1 "docker://$REG/a/img:4" >/dev/null 2>&1
after=$(wc -l <"$TOKEN_LOG")
is "token: one token for a whole push (cached per scope)" "$((after - before))" 1
TOKEN_ANON_PULL=1 registry_start token r-anon
check "token: anonymous token for a public pull" skopeo copy -q --dest-tls-verify=false --dest-creds "$GOOD" "oci:$T/oci:img" "docker://$REG/pub/img:1"
check "token: xbuild pulls anonymously" xb pull -q "$REG/pub/img:1"
like "token: ... with a token for no user" "$(tail -1 "$TOKEN_LOG")" '"user": null.*"repository:pub/img:pull"'

# credential sources, in order (htpasswd registry again)
registry_start htpasswd r-order
mkdir -p "$HOME/.docker"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$B64" >"$HOME/.docker/config.json"
xb push -q --creds "$GOOD" local/img:1 "docker://$REG/a/img:1" >/dev/null 2>&1
check "~/.docker/config.json auths are used" xb pull -q "$REG/a/img:1"
check_fails "--creds comes first" xb pull -q --creds "$REG_USER:wrong" "$REG/a/img:1"
BAD64=$(printf '%s' "$REG_USER:wrong" | base64)
printf '{"auths":{"http://%s/v1/":{"auth":"%s"}}}' "$REG" "$BAD64" >"$T/bad.json"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$B64" >"$T/good.json"
REGISTRY_AUTH_FILE=$T/bad.json check_fails "REGISTRY_AUTH_FILE before docker config (keys with scheme and path)" xb pull -q "$REG/a/img:1"
REGISTRY_AUTH_FILE=$T/bad.json check "--authfile before REGISTRY_AUTH_FILE" xb pull -q --authfile "$T/good.json" "$REG/a/img:1"
mkdir -p "$T/xdg/containers"
cp "$T/bad.json" "$T/xdg/containers/auth.json"
XDG_RUNTIME_DIR=$T/xdg check_fails "XDG_RUNTIME_DIR/containers/auth.json before docker config" xb pull -q "$REG/a/img:1"
# credential helpers
mkdir -p "$T/bin"
cat >"$T/bin/docker-credential-xbtest" <<SH
#!/bin/sh
[ "\$1" = get ] || exit 1
read server
echo "\$server" >>"$T/helper.log"
echo "gnutls=\${GNUTLS_NO_IMPLICIT_INIT-unset}" >>"$T/helper.env"
printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "\$server" "$REG_USER" "$REG_PASS"
SH
chmod +x "$T/bin/docker-credential-xbtest"
printf '{"credHelpers":{"%s":"xbtest"}}' "$REG" >"$HOME/.docker/config.json"
PATH=$T/bin:$PATH check "credHelpers: docker-credential-<name> get" xb pull -q "$REG/a/img:1"
is "... asked for the registry" "$(tail -1 "$T/helper.log" 2>/dev/null)" "$REG"
# libcurl is loaded with GnuTLS's implicit init off (src/lazy); helpers must not inherit that
is "... without xbuild's loader-time GNUTLS_NO_IMPLICIT_INIT" "$(tail -1 "$T/helper.env" 2>/dev/null)" "gnutls=unset"
printf '{"credsStore":"xbtest"}' >"$HOME/.docker/config.json"
PATH=$T/bin:$PATH check "credsStore for every registry" xb pull -q "$REG/a/img:1"
check_fails "a missing helper means no credentials" xb pull -q "$REG/a/img:1"
done_testing

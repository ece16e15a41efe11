#!/usr/bin/env bash
# Transient faults between xbuild and the registry (tests/fault-proxy.py): 5xx, 429 with
# Retry-After, connections reset mid-upload, relative Locations, redirects to another host.
# Pushes and pulls complete through transient faults and fail clearly when faults never stop.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_registry
for t in skopeo umoci; do command -v $t >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }; done
fails() { if [ "$1" -ne 0 ]; then ok "$2"; else fail "$2"; fi; }
count() { grep -c "$1" "$PROXY_LOG" || true; }
remote_digest() { skopeo inspect --raw --tls-verify=false ${2:-} "docker://$1" | sha256sum | cut -d' ' -f1; }
make_image "$T/oci" img amd64 "faults" 300
skopeo copy -q "oci:$T/oci:img" "oci:$XBUILD_ROOT:local/img:1"
export XBUILD_CHUNK_SIZE=65536

registry_start anonymous || { echo "1..0 # SKIP could not start docker-registry"; exit 0; }
proxy_start "PUT /manifests/ 500 2" "HEAD /blobs/ 429 1" "PATCH /blobs/uploads/ reset 1" \
    "PUT /blobs/uploads/ reset 1" "POST /blobs/uploads/ 503 1"
out=$(xb push --digestfile "$T/d" local/img:1 "docker://$PROXY/f/img:1" 2>&1)
rc=$?
is "push through 500, 429, 503 and resets succeeds" "$rc" 0
[ $rc -eq 0 ] || diag "$out"
is "the registry has the image (read directly)" "sha256:$(remote_digest "$REG/f/img:1")" "$(cat "$T/d" 2>/dev/null)"
is "manifest PUT answered 500 twice" "$(count '"action": "500"')" 2
is "HEAD answered 429 once" "$(count '"action": "429"')" 1
is "two uploads were reset" "$(count '"action": "reset"')" 2
like "the chunked upload asked the registry where to resume" \
    "$(grep -A1 '"PATCH".*"reset"' "$PROXY_LOG" | tail -1)" '"method": "GET", "path": "/v2/f/img/blobs/uploads/'
rm -rf "$T/back"
check "skopeo copies the image pushed through faults" skopeo copy -q --src-tls-verify=false "docker://$REG/f/img:1" "oci:$T/back:t"

# pull through 503s on blobs and a reset manifest GET
proxy_start "GET /blobs/sha256 503 2" "GET /manifests/ 502 1"
out=$(xb pull -q "$PROXY/f/img:1" 2>&1)
is "pull through 503s and a 502" "$out" "$(cat "$T/d")"
check "fsck after the retried pull" xb fsck

# relative Location headers
proxy_start "POST /blobs/uploads/ relative -1" "PATCH /blobs/uploads/ relative -1"
make_image "$T/oci" img2 amd64 "relative locations" 200
skopeo copy -q "oci:$T/oci:img2" "oci:$XBUILD_ROOT:local/img2:1"
out=$(xb push local/img2:1 "docker://$PROXY/rel/img:1" 2>&1)
fails $((1 - $?)) "push with relative Location headers"
check "... the registry has it" skopeo inspect --raw --tls-verify=false "docker://$REG/rel/img:1"
like "... the proxy did rewrite them" "$(cat "$PROXY_LOG")" '"action": "relative"'

# never-ending faults: a clear failure after the allowed retries, not a hang
proxy_start "PUT /manifests/ 503 -1"
out=$(timeout 120 "$XBUILD" push --retry 2 local/img:1 "docker://$PROXY/f/img:2" 2>&1)
rc=$?
fails $rc "push fails when the registry keeps answering 503"
like "... naming the operation and the registry's error" "$out" "PUT manifest $PROXY/f/img:2: UNAVAILABLE: injected fault 503"
check "... and gives up rather than hanging (the 120 s guard did not fire)" test $rc -ne 124
is "... after 3 attempts (--retry 2)" "$(count '"action": "503"')" 3
proxy_start "PATCH /blobs/uploads/ reset -1" "PUT /blobs/uploads/ reset -1"
make_image "$T/oci" img3 amd64 "never" 200
skopeo copy -q "oci:$T/oci:img3" "oci:$XBUILD_ROOT:local/img3:1"
out=$(timeout 120 "$XBUILD" push --retry 1 local/img3:1 "docker://$PROXY/f/img:3" 2>&1)
rc=$?
fails $rc "push fails when every upload is reset"
like "... with a clear message" "$out" "upload blob sha256:[0-9a-f]{64} to $PROXY/f/img: .*(reset|Recv failure|Send failure|Empty reply)"
check "... and gives up rather than hanging (the 120 s guard did not fire)" test $rc -ne 124

# 307 redirect of blob downloads to another host: Authorization is not sent there
registry_start htpasswd r-auth
xb push -q --creds "$REG_USER:$REG_PASS" local/img:1 "docker://$REG/red/img:1" >/dev/null
PROXY_UPSTREAM_AUTH="$REG_USER:$REG_PASS" proxy_start "GET /blobs/sha256 redirect -1"
rm -rf "$XBUILD_ROOT"
out=$(xb --debug pull -q --creds "$REG_USER:$REG_PASS" "$PROXY/red/img:1" 2>"$T/debug")
like "pull follows 307 redirects of blobs" "$out" "^sha256:"
like "--debug says no credentials go to the other host" "$(cat "$T/debug")" "GET http://localhost:$PROXY_PORT/v2/red/img/blobs/sha256:[0-9a-f]+ \(another host: no credentials\)"
redirected=$(grep -c '"action": "redirected"' "$PROXY_LOG" || true)
check "... to the other host ($redirected requests)" test "$redirected" -ge 2
is "... without sending Authorization there" "$(grep '"action": "redirected"' "$PROXY_LOG" | grep -c '"auth": true')" 0
like "... while the registry host got credentials" "$(grep '"action": "redirect"' "$PROXY_LOG" | head -1)" '"auth": true'
done_testing

#!/usr/bin/env bash
# Parallel blob transfers: with --jobs N >= 2 (and by default) pull downloads and push uploads
# several blobs at once; with --jobs 1 never two. Measured by tests/fault-proxy.py, which holds
# every blob GET (pull) or upload PUT (push) until two are in flight at the same time (a
# "gather" rule: deterministic, its timeout is only a safety net) and logs how many were in
# flight when each arrived.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_registry
for t in skopeo umoci; do command -v $t >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }; done

# the most blob requests in flight at once, from the proxy log
most() {
    python3 -c 'import json,sys
print(max([json.loads(l).get("inflight", 0) for l in open(sys.argv[1])] or [0]))' "$PROXY_LOG"
}
# how many requests the gather rule saw
held() { grep -c '"action": "gather:' "$PROXY_LOG" || true; }

make_layered_image "$T/oci" img 4 || { fail "test image"; done_testing; exit 1; }
skopeo copy -q "oci:$T/oci:img" "oci:$XBUILD_ROOT:local/img:1"
registry_start anonymous
check "seed the registry" xb push -q local/img:1 "docker://$REG/seed/img:1"

# CASE = "GATHER:SECS:JOBS:WANT": hold blob requests until GATHER are in flight (or SECS
# passed, the safety net), run with JOBS, want at most WANT in flight at once. The default
# --jobs is 4; --jobs 1 is held 1 s a blob and must never have two at once.
CASES=("2:10:--jobs 2:2" "4:10::4" "2:1:--jobs 1:1")
parse() { IFS=: read -r gather secs jobs want <<<"$1"; }

# --- pull: 5 blobs (config + 4 layers) ---
for c in "${CASES[@]}"; do
    parse "$c"
    proxy_start "GET /blobs/sha256: gather:$gather:$secs -1"
    what="pull ${jobs:-(default --jobs)}"
    # shellcheck disable=SC2086
    check "$what through the proxy" xb --root "$T/pull.$PROXY_PORT" pull -q $jobs "$PROXY/seed/img:1"
    is "$what: every blob download went through the proxy" "$(held)" 5
    is "$what: $want blob downloads in flight at once, no more" "$(most)" "$want"
    kill "$PROXY_PID" 2>/dev/null
done

# --- push: the same 5 blobs to new repositories (nothing to skip or mount: all uploaded) ---
i=0
for c in "${CASES[@]}"; do
    parse "$c"
    i=$((i + 1))
    proxy_start "PUT /blobs/uploads/ gather:$gather:$secs -1"
    what="push ${jobs:-(default --jobs)}"
    # a fresh store each time: no blob-sources record that would let push mount instead
    root=$T/push.$PROXY_PORT
    skopeo copy -q "oci:$T/oci:img" "oci:$root:local/img:1"
    # shellcheck disable=SC2086
    check "$what through the proxy" xb --root "$root" push -q $jobs local/img:1 "docker://$PROXY/p$i/img:1"
    is "$what: every blob upload went through the proxy" "$(held)" 5
    is "$what: $want blob uploads in flight at once, no more" "$(most)" "$want"
    kill "$PROXY_PID" 2>/dev/null
done
check "what was pushed reads back" skopeo inspect --raw --tls-verify=false "docker://$REG/p1/img:1"

check_fails "--jobs 0 is refused" xb pull -q --jobs 0 "$REG/seed/img:1"
check_fails "push --jobs x is refused" xb push -q --jobs x local/img:1 "docker://$REG/seed/img:2"

done_testing

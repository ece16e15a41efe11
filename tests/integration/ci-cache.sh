#!/usr/bin/env bash
# The shared build cache (--cache-to / --cache-from, docs/design/cache.md): two stores stand for
# two CI runners; the second, empty, reuses the first's steps through the test registry (behind
# a counting proxy) or an OCI layout directory.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_root "RUN steps need namespaces"
require_registry
[ "$(dpkg --print-architecture)" = amd64 ] || { echo "1..0 # SKIP the test RUNs amd64 busybox natively"; exit 0; }
registry_start anonymous || { echo "1..0 # SKIP could not start docker-registry"; exit 0; }
proxy_start
bb_image amd64 bb:1 linux/amd64 || { echo "1..0 # SKIP could not build the busybox base"; exit 0; }
check "the busybox base goes to the registry" xb push bb:1 "docker://$REG/base/bb:1"
A=$T/storeA B=$T/storeB C=$T/storeC
CACHE=$PROXY/cache/app
TS=1700000000

mkdir -p "$T/ctx"
cat >"$T/ctx/Dockerfile" <<EOF
FROM $REG/base/bb:1
COPY app.txt /app/app.txt
ARG VARIANT=main
RUN printf 'RUN%s\\n' -STEP-EXECUTED && head -c 200000 /dev/urandom >/app/data.bin && cat /app/app.txt >/app/out.txt && echo \$VARIANT >/app/variant
EOF
echo "application payload" >"$T/ctx/app.txt"
bud() { # STORE ARGS... : a reproducible amd64 build, output kept in $out
    local st=$1
    shift
    out=$(xb --root "$st" bud --platform linux/amd64 --timestamp $TS "$@" 2>&1)
}

# an unrelated build in the same cache: its 1 MB layer must never be downloaded
cat >"$T/ctx/Dockerfile.other" <<EOF
FROM $REG/base/bb:1
RUN head -c 1000000 /dev/urandom >/other.bin
EOF
bud "$T/storeO" -f "$T/ctx/Dockerfile.other" --cache-to "$CACHE" "$T/ctx"
like "another build exports its entry" "$out" "Cache exported to .*cache/app: 1 entries written"

bud "$A" --cache-to "$CACHE" -t app:1 "$T/ctx"
rc=$?
is "store A builds with --cache-to the registry" "$rc" 0
like "... runs its RUN step" "$out" "RUN-STEP-EXECUTED"
like "... and exports its entries (COPY, RUN)" "$out" "Cache exported to .*: 2 entries written, 0 already there"
digA=$(printf '%s\n' "$out" | tail -1)
tags=$(curl -s "http://$REG/v2/cache/app/tags/list")
like "the cache repository holds one tag per key" "$tags" "xbc-[0-9a-f]{64}"
ntags=$(printf '%s' "$tags" | grep -o 'xbc-[0-9a-f]\{64\}' | wc -l)
is "... three entries for the two builds (1 + 2)" "$ntags" 3

# store B is empty: FROM comes from the registry (not counted), the steps from the cache
: >"$PROXY_BYTES"
bud "$B" --cache-from "$CACHE" -t app:1 "$T/ctx"
rc=$?
is "empty store B builds with --cache-from" "$rc" 0
unlike() { if printf '%s' "$2" | grep -Eq -- "$3"; then fail "$1"; printf '%s\n' "$2" | sed 's/^/#   /' | tail -20; else ok "$1"; fi; }
unlike "... runs no RUN step" "$out" "RUN-STEP-EXECUTED"
hits=$(printf '%s\n' "$out" | grep -c "Using cache .*(shared cache)")
is "... COPY and RUN come from the shared cache" "$hits" 2
digB=$(printf '%s\n' "$out" | tail -1)
is "... and give the same image digest as store A" "$digB" "$digA"
check "store B passes fsck (the fetched layers were verified)" xb --root "$B" fsck
# bytes: the layers of the two reused steps, plus small manifests/entries; never other.bin's
sizes=$(python3 - "$A" <<'PY'
import json, sys, os
root = sys.argv[1]
idx = json.load(open(os.path.join(root, "index.json")))
d = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith("app:1")][0]
man = json.load(open(os.path.join(root, "blobs", *d["digest"].split(":"))))
print(sum(l["size"] for l in man["layers"][1:]))
PY
)
got=$(python3 - "$PROXY_BYTES" <<'PY'
import json, sys
print(sum(json.loads(l)["received"] for l in open(sys.argv[1]) if "/blobs/" in l))
PY
)
diag "reused layers: $sizes bytes; blob bytes through the proxy: $got"
if [ "$got" -ge "$sizes" ] && [ "$got" -lt $((sizes + 16384)) ]; then
    ok "store B downloads the reused layers and little else ($got bytes for $sizes)"
else
    fail "store B downloads the reused layers and little else ($got bytes for $sizes)"
fi

# a second build in B reuses B's own cache: no request for blobs at all
: >"$PROXY_BYTES"
bud "$B" --cache-from "$CACHE" -t app:1 "$T/ctx"
n=$(grep -c "/blobs/" "$PROXY_BYTES")
is "a rebuild in store B needs no blob from the shared cache" "$n" 0

# mode=max exports the layers of a stage that is not in the final image; mode=min does not
cat >"$T/ctx/Dockerfile.multi" <<EOF
FROM $REG/base/bb:1 AS tool
RUN echo tool-built >/tool.txt && head -c 50000 /dev/urandom >/tool.bin
FROM $REG/base/bb:1
COPY --from=tool /tool.txt /tool.txt
EOF
bud "$T/storeM" -f "$T/ctx/Dockerfile.multi" --cache-to "type=registry,ref=$REG/cache/min,mode=min" "$T/ctx"
# the final stage's COPY --from has two entries: by the copied content, and by the tool stage's
# diffIDs (found without reading the tool stage's layers)
like "mode=min exports the final stage's entries only" "$out" "cache/min: 2 entries written"
toolkey() { printf '%s\n' "$out" | grep -A1 "STEP 2/2: RUN echo tool-built" | grep -o "Using cache [0-9a-f]*" | awk '{print $3}'; }
bud "$T/storeM" -f "$T/ctx/Dockerfile.multi" --cache-to "type=registry,ref=$REG/cache/max,mode=max" "$T/ctx"
like "mode=max exports both stages' entries" "$out" "cache/max: 3 entries written"
k=$(toolkey)
tags=$(curl -s "http://$REG/v2/cache/max/tags/list")
like "mode=max: the tool stage's RUN entry is tagged" "$tags" "xbc-$k"
tags=$(curl -s "http://$REG/v2/cache/min/tags/list")
unlike "mode=min: it is not" "$tags" "xbc-$k"

# issue 16: a COPY --from=<stage> that hits needs none of that stage's layers: its key comes
# from the stage's diffIDs (the tool stage's steps hit lazily), so an empty store downloads the
# COPY's own layer and the small entries only, never tool.bin's 50 kB layer
toollayer=$(python3 - "$T/storeM" <<'PY'
import json, sys, os, glob
root = sys.argv[1]
# the layer of the tool stage's RUN entry, from the local cache entries of store M
for f in glob.glob(os.path.join(root, "xbuild/cache/*/*.json")):
    e = json.load(open(f))
    if "tool-built" in json.dumps(e.get("history", {})) and e.get("layer"):
        print(e["layer"]["digest"], e["layer"]["size"])
        break
PY
)
: >"$PROXY_BYTES"
bud "$T/storeM2" -f "$T/ctx/Dockerfile.multi" --cache-from "$PROXY/cache/max" -t multi:1 "$T/ctx"
rc=$?
is "COPY --from: an empty store builds with --cache-from (mode=max)" "$rc" 0
is "... both steps (the tool's RUN, the COPY) come from the shared cache" "$(printf '%s\n' "$out" | grep -c "Using cache .*(shared cache)")" 2
got=$(python3 - "$PROXY_BYTES" <<'PY'
import json, sys
print(sum(json.loads(l)["received"] for l in open(sys.argv[1]) if "/blobs/" in l))
PY
)
copysize=$(xb --root "$T/storeM2" inspect multi:1 --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["manifest"]["layers"][-1]["size"])' 2>/dev/null || echo 0)
diag "tool stage layer: ${toollayer:-?}; COPY layer: $copysize bytes; blob bytes through the proxy: $got"
is "... the tool stage's layer was not requested" "$(grep -c "${toollayer%% *}" "$PROXY_BYTES")" 0
if [ -n "$toollayer" ] && [ "$got" -lt "${toollayer##* }" ] && [ "$got" -lt $((copysize + 16384)) ]; then
    ok "... blob bytes: the COPY layer and the entries ($got bytes; the tool layer has ${toollayer##* })"
else
    fail "... blob bytes: the COPY layer and the entries ($got bytes; the tool layer has ${toollayer##* })"
fi

# type=local: an OCI layout directory, as CI systems persist between runs
bud "$T/storeL1" --cache-to "type=local,dest=$T/cachedir" "$T/ctx"
like "type=local,dest exports to a directory" "$out" "entries written"
digL=$(printf '%s\n' "$out" | tail -1)
check "... which is an OCI layout umoci can read" umoci ls --layout "$T/cachedir"
bud "$T/storeL2" --cache-from "type=local,src=$T/cachedir" "$T/ctx"
unlike "type=local,src reuses the RUN step" "$out" "RUN-STEP-EXECUTED"
is "... with the same image digest" "$(printf '%s\n' "$out" | tail -1)" "$digL"

# two builds writing the same cache repository at once lose no entry
pids=()
for v in one two; do
    (xb --root "$T/store-$v" bud --platform linux/amd64 --timestamp $TS --build-arg VARIANT=$v \
        --cache-to "$REG/cache/shared" "$T/ctx" >"$T/conc-$v.out" 2>&1) &
    pids+=($!)
done
wait "${pids[@]}"
for v in one two; do
    xb --root "$T/store-$v" bud --platform linux/amd64 --timestamp $TS --build-arg VARIANT=$v \
        --cache-from "$REG/cache/shared" "$T/ctx" >"$T/conc-$v.check" 2>&1
    unlike "concurrent writers: the entry of VARIANT=$v is there" "$(cat "$T/conc-$v.check")" "RUN-STEP-EXECUTED"
done
ntags=$(curl -s "http://$REG/v2/cache/shared/tags/list" | grep -o 'xbc-[0-9a-f]\{64\}' | wc -l)
is "... 1 shared COPY + 2 RUN entries" "$ntags" 3

# failures: an unreachable cache is one warning, and the build goes on
bud "$C" --cache-from "127.0.0.1:1/cache/app" -t app:1 "$T/ctx"
rc=$?
is "an unreachable --cache-from is not a build failure" "$rc" 0
is "... but one warning line" "$(printf '%s\n' "$out" | grep -c "warning.*--cache-from 127.0.0.1:1/cache/app")" 1
like "... and the build ran uncached" "$out" "RUN-STEP-EXECUTED"
bud "$T/storeR" --cache-from "type=registry,ref=127.0.0.1:1/cache/app,required=true" "$T/ctx"
rc=$?
is "required=true makes it a failure" "$rc" 1
like "... naming the cache" "$out" "cache-from 127.0.0.1:1/cache/app \(required\)"
# a registry that refuses access
REG_SAVE=$REG STORAGE_SAVE=$REG_STORAGE
registry_start htpasswd private || fail "start an htpasswd registry"
bud "$T/storeD" --cache-from "$REG/cache/app" "$T/ctx"
rc=$?
is "a cache that denies access is not a build failure" "$rc" 0
is "... one warning line" "$(printf '%s\n' "$out" | grep -c "warning.*--cache-from $REG/cache/app")" 1
REG=$REG_SAVE REG_STORAGE=$STORAGE_SAVE

# a corrupted layer in the cache: never imported, the step runs, one warning
layer=$(python3 - "$A" <<'PY'
import json, sys, os
root = sys.argv[1]
idx = json.load(open(os.path.join(root, "index.json")))
d = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith("app:1")][0]
man = json.load(open(os.path.join(root, "blobs", *d["digest"].split(":"))))
print(man["layers"][-1]["digest"])
PY
)
data=$(registry_blob_data "$layer")
size=$(stat -c %s "$data")
head -c "$size" /dev/zero >"$data.bad" && mv "$data.bad" "$data"
is "the layer blob in the registry is corrupted (same size)" "$(sha256sum <"$data" | cut -c1-64)" "$(head -c "$size" /dev/zero | sha256sum | cut -c1-64)"
bud "$T/storeX" --cache-from "$CACHE" -t app:1 "$T/ctx"
rc=$?
is "a cache entry whose layer does not match its digest is not a build failure" "$rc" 0
like "... the build warns once" "$out" "warning: .*$layer.*building again without --cache-from hits"
like "... and runs the step" "$out" "RUN-STEP-EXECUTED"
is "... exactly one warning line" "$(printf '%s\n' "$out" | grep -c warning)" 1
check "... and the store holds no unverified blob" xb --root "$T/storeX" fsck
bud "$T/storeY" --cache-from "type=registry,ref=$CACHE,required=true" "$T/ctx"
rc=$?
is "... with required=true the bad blob fails the build" "$rc" 1
like "... naming it" "$out" "$layer"
check "... and that store holds no unverified blob either" xb --root "$T/storeY" fsck

# bad flags are usage errors
check_fails "an unknown cache type is refused" xb bud --cache-to type=gha "$T/ctx"
check_fails "type=local without dest is refused" xb bud --cache-to type=local "$T/ctx"
check_fails "a bad --cache-ttl is refused" xb bud --cache-ttl soon "$T/ctx"
done_testing

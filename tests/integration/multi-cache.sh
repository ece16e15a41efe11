#!/usr/bin/env bash
# Build cache: a second identical build runs no RUN (build log + a RUN that appends to a file in
# a host dir mounted into the step: a RUN --mount=type=cache dir, which lives in the store and
# survives the step) and writes no blob; changing one COPY source reruns from that step
# only; --no-cache and --no-cache-filter; entries of one architecture never serve another;
# COPY --from=<stage> hits by the stage's diffIDs (alias entry) or, the stage changed, by content.
. "$top_srcdir/tests/lib/common.sh"
require_root "namespaces, binfmt_misc"

if ! XB_BASE_CACHE=${XB_BASE_CACHE:-$top_srcdir/tests/.cache/base-images} \
    "$top_srcdir/scripts/make-base-images.sh" amd64 arm64 >"$T/bases.log" 2>&1; then
    fail "base images"; sed 's/^/#   /' "$T/bases.log" | tail -5; done_testing; exit 1
fi
"$XBUILD" binfmt --install arm64 >/dev/null 2>&1

C=$T/ctx
mkdir -p "$C/out"
echo a >"$C/a.txt"
echo b >"$C/b.txt"
printf 'out\n' >"$C/.dockerignore"
cat >"$C/Dockerfile" <<'DF'
ARG BASE=busybox:amd64
FROM ${BASE} AS first
COPY a.txt /a.txt
RUN --mount=type=cache,id=runlog,target=/out echo "run1 $(uname -m)" >> /out/log
COPY b.txt /b.txt
RUN --mount=type=cache,id=runlog,target=/out echo "run2 $(uname -m)" >> /out/log
ENV DONE=1
DF
blobs() { find "$XB_ROOT/blobs/sha256" -type f | wc -l; }
logs() { find "$XB_ROOT/xbuild/cache-mounts" -name log -type f 2>/dev/null | sort | xargs -r cat; }
runs() { logs | wc -l; }

d1=$("$XBUILD" bud -q -t cache:1 "$C" 2>&1)
check "first build" test "${d1:0:7}" = sha256:
is "both RUN steps ran" "$(runs)" 2
nb=$(blobs)
out=$("$XBUILD" bud -t cache:1 "$C" 2>&1)
d2=$(printf '%s\n' "$out" | tail -1)
is "second build: same digest" "$d2" "$d1"
is "second build: no RUN ran" "$(runs)" 2
is "second build: every step from the cache" "$(printf '%s\n' "$out" | grep -c 'Using cache')" 5
is "second build: no new blob" "$(blobs)" "$nb"

touch "$C/a.txt" "$C/b.txt"
d3=$("$XBUILD" bud -q "$C" 2>&1)
is "touching sources (mtime only) keeps the cache" "$(runs)" 2
is "... and the digest" "$d3" "$d1"

echo b2 >"$C/b.txt"
out=$("$XBUILD" bud "$C" 2>&1)
is "changed COPY source: only the later RUN reran" "$(logs | tail -1)" "run2 x86_64"
is "... exactly one RUN" "$(runs)" 3
is "... steps before it cached" "$(printf '%s\n' "$out" | grep -c 'Using cache')" 2

"$XBUILD" bud -q --no-cache "$C" >/dev/null 2>&1
is "--no-cache reruns every RUN" "$(runs)" 5
"$XBUILD" bud -q --no-cache-filter first "$C" >/dev/null 2>&1
is "--no-cache-filter on the stage reruns it" "$(runs)" 7
"$XBUILD" bud -q --no-cache-filter other "$C" >/dev/null 2>&1
is "--no-cache-filter on another stage keeps the cache" "$(runs)" 7

out=$("$XBUILD" bud --platform linux/arm64 --build-arg BASE=busybox:arm64 "$C" 2>&1)
check "arm64 build" test $? -eq 0
is "arm64: its own RUN steps ran" "$(logs | grep aarch64 | tr '\n' ' ')" "run1 aarch64 run2 aarch64 "
check_fails "arm64: no amd64 cache entry used for RUN" grep -q 'Using cache' <<<"$(printf '%s\n' "$out" | grep -A1 'RUN' | grep -v STEP)"
n=$(runs)
"$XBUILD" bud -q --platform linux/arm64 --build-arg BASE=busybox:arm64 "$C" >/dev/null 2>&1
is "arm64 rebuild: from its own cache" "$(runs)" "$n"
ls "$XB_ROOT"/xbuild/cache/*/*.json >/dev/null 2>&1
check "cache entries stored under xbuild/cache" test $? -eq 0
check "prune keeps cached layers usable" "$XBUILD" prune
"$XBUILD" bud -q "$C" >/dev/null 2>&1
is "cache still valid after prune" "$(runs)" "$n"
# RUN --mount=type=bind of the context: the context's state is part of the key
cat >"$C/Dockerfile.bind" <<'DF'
FROM busybox:amd64
RUN --mount=type=bind,target=/ctx --mount=type=cache,id=bindlog,target=/out cat /ctx/a.txt >> /out/bindlog
DF
# mount_runs LOG: how many times the RUN appending to cache-mount file LOG ran
mount_runs() { find "$XB_ROOT/xbuild/cache-mounts" -name "$1" -type f 2>/dev/null | xargs -r cat | wc -l; }
build_df() { "$XBUILD" bud -q -f "$C/$1" "$C" >/dev/null 2>&1; }
build_df Dockerfile.bind
build_df Dockerfile.bind
is "bind-mount RUN cached while the context is unchanged" "$(mount_runs bindlog)" 1
echo a2 >"$C/a.txt"
build_df Dockerfile.bind
is "a context change reruns it" "$(mount_runs bindlog)" 2
echo ignored >"$C/out/x"
build_df Dockerfile.bind
is "a change in a .dockerignore'd path does not" "$(mount_runs bindlog)" 2
# a bind mount of one context directory is keyed on that directory only
mkdir -p "$C/sub"
echo s1 >"$C/sub/s.txt"
cat >"$C/Dockerfile.bindsub" <<'DF'
FROM busybox:amd64
RUN --mount=type=bind,source=sub,target=/sub --mount=type=cache,id=sublog,target=/out cat /sub/s.txt >> /out/sublog
DF
build_df Dockerfile.bindsub
is "bind mount of a subdirectory: first build runs" "$(mount_runs sublog)" 1
echo a3 >"$C/a.txt"
build_df Dockerfile.bindsub
is "a change outside the mounted source keeps the cache" "$(mount_runs sublog)" 1
echo s2 >"$C/sub/s.txt"
build_df Dockerfile.bindsub
is "a change inside it reruns the step" "$(mount_runs sublog)" 2

# the layer compression is part of the key: a gzip layer never serves a zstd build
nlayers() { "$XBUILD" inspect --json "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["manifest"]["layers"]))'; }
ltypes() { # IMAGE -> the media types of the layers the build added to busybox:amd64
    "$XBUILD" inspect --json "$1" | python3 -c 'import json,sys; print(" ".join(sorted({l["mediaType"].rsplit("+",1)[-1] for l in json.load(sys.stdin)["manifest"]["layers"][int(sys.argv[1]):]})))' "$(nlayers busybox:amd64)"
}
"$XBUILD" bud -q -t comp:gz "$C" >/dev/null 2>&1
out=$("$XBUILD" bud --compression zstd -t comp:zst "$C" 2>&1)
is "zstd build after a gzip build: RUN steps rerun, not served gzip layers" \
    "$(printf '%s\n' "$out" | grep -c 'Using cache')" 0
is "... its layers are zstd" "$(ltypes comp:zst)" zstd
is "the gzip build's layers are gzip" "$(ltypes comp:gz)" gzip
out=$("$XBUILD" bud --compression zstd -t comp:zst2 "$C" 2>&1)
is "a second zstd build uses the zstd cache" "$(printf '%s\n' "$out" | grep -c 'Using cache')" 5
# so is the gzip engine: XBUILD_GZIP_ENGINE=zlib layers differ in bytes from libdeflate's
out=$(XBUILD_GZIP_ENGINE=zlib "$XBUILD" bud -t comp:zlib "$C" 2>&1)
is "a zlib-engine build after a libdeflate one: RUN steps rerun" \
    "$(printf '%s\n' "$out" | grep -c 'Using cache')" 0
lastlayer() { "$XBUILD" inspect --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["manifest"]["layers"][-1]["digest"])'; }
isnt_eq() { [ "$2" != "$3" ] && ok "$1" || fail "$1 (both $2)"; }
isnt_eq "... and its gzip layer has other bytes (same content)" "$(lastlayer comp:zlib)" "$(lastlayer comp:gz)"
out=$("$XBUILD" bud -t comp:gz2 "$C" 2>&1)
is "the default engine's build is cached again" "$(printf '%s\n' "$out" | grep -c 'Using cache')" 5
is "... with the same layer" "$(lastlayer comp:gz2)" "$(lastlayer comp:gz)"
like "an unknown engine is refused, naming the variable" \
    "$(XBUILD_GZIP_ENGINE=pigz "$XBUILD" bud --no-cache "$C" 2>&1)" 'XBUILD_GZIP_ENGINE=pigz: unknown gzip engine'
# a cached COPY after cached RUNs is found without reading the parent layers: with the RUN
# layer's blob damaged, the fully cached rebuild still succeeds (a miss would have to read it)
printf 'FROM busybox:amd64\nRUN echo warm > /warm.txt\nCOPY a.txt /a.txt\n' >"$C/Dockerfile.warm"
dw1=$("$XBUILD" bud -q -f "$C/Dockerfile.warm" -t warm:1 "$C" 2>&1)
runlayer=$("$XBUILD" inspect --json warm:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["manifest"]["layers"][-2]["digest"].split(":")[1])')
blob=$XB_ROOT/blobs/sha256/$runlayer
cp "$blob" "$T/runlayer.bak"
head -c 100 /dev/urandom >"$blob"
dw2=$("$XBUILD" bud -q -f "$C/Dockerfile.warm" -t warm:2 "$C" 2>&1)
is "fully cached rebuild does not read the (damaged) parent layer" "$dw2" "$dw1"
echo a4 >"$C/a.txt"
rm -rf "$XB_ROOT/xbuild/layers" # (a miss reads the extracted trees of the layers when there are)
out=$("$XBUILD" bud -q -f "$C/Dockerfile.warm" -t warm:3 "$C" 2>&1)
is "... while a COPY that misses reads it, and fails on the damage" "$?" 1
like "... naming the damaged blob" "$out" "$runlayer|digest|corrupt"
cp "$T/runlayer.bak" "$blob"
check "fsck" "$XBUILD" fsck

# --- prune drops the cache entries whose layer is gone, and only those ---
# The cache keeps the layers it names (rmi + prune leaves them, see foundation-store.sh); a
# layer blob can still go missing (deleted by hand, a partly restored store): its entries are
# then useless and prune removes them (and keeps nothing alive for them).
cat >"$C/Dockerfile.lost" <<'DF'
FROM busybox:amd64
RUN --mount=type=cache,id=lostlog,target=/out echo lost1 >> /out/lostlog && echo 1 > /l1
RUN --mount=type=cache,id=lostlog,target=/out echo lost2 >> /out/lostlog && echo 2 > /l2
DF
cat >"$C/Dockerfile.kept" <<'DF'
FROM busybox:amd64
RUN --mount=type=cache,id=keptlog,target=/out echo kept >> /out/keptlog && echo k > /k
DF
cachelog() { find "$XB_ROOT/xbuild/cache-mounts" -name "$1" -type f 2>/dev/null | xargs -r cat | tr '\n' ' '; }
# layer I (0-based, after busybox's) of IMAGE: "digest diff_id"
layer() {
    "$XBUILD" inspect --json "$1" | python3 -c 'import json,sys
d=json.load(sys.stdin); i=int(sys.argv[1])
print(d["manifest"]["layers"][i]["digest"], d["config"]["rootfs"]["diff_ids"][i])' "$(($(nlayers busybox:amd64) + $2))"
}
# the cache entry (store-relative path) naming a layer digest
entry() { (cd "$XB_ROOT" && grep -rl --include='*.json' "\"$1\"" xbuild/cache); }
"$XBUILD" bud -q -f "$C/Dockerfile.lost" -t lost:1 "$C" >/dev/null 2>&1
"$XBUILD" bud -q -f "$C/Dockerfile.kept" -t kept:1 "$C" >/dev/null 2>&1
is "lost/kept: every RUN ran once" "$(cachelog lostlog)|$(cachelog keptlog)" "lost1 lost2 |kept "
read -r L1 D1 <<<"$(layer lost:1 0)"
read -r L2 _ <<<"$(layer lost:1 1)"
read -r LK _ <<<"$(layer kept:1 0)"
E1=$(entry "$L1") E2=$(entry "$L2") EK=$(entry "$LK")
check "each RUN layer has its cache entry" test -n "$E1" -a -n "$E2" -a -n "$EK"
check "rmi lost:1" "$XBUILD" rmi lost:1
check "prune" "$XBUILD" prune
check "... keeps the entries and the layers they name" \
    test -f "$XB_ROOT/$E1" -a -f "$XB_ROOT/$E2" -a -f "$XB_ROOT/blobs/sha256/${L1#sha256:}"
rm -f "$XB_ROOT/blobs/sha256/${L1#sha256:}" # the first RUN's layer is lost
out=$("$XBUILD" prune --json)
is "prune drops the entry of the lost layer" "$(test -e "$XB_ROOT/$E1" && echo kept || echo dropped)" dropped
is "... reports it" "$(printf '%s' "$out" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(d["stale_cache"], sys.argv[1] in d["removed"])' "$E1")" "1 True"
check "... and its extracted layer dir, which nothing else names" test ! -e "$XB_ROOT/xbuild/layers/${D1#sha256:}"
check "entries whose layers are there stay (same build, another image)" \
    test -f "$XB_ROOT/$E2" -a -f "$XB_ROOT/$EK" -a -f "$XB_ROOT/blobs/sha256/${L2#sha256:}"
"$XBUILD" bud -q -f "$C/Dockerfile.lost" -t lost:2 "$C" >/dev/null 2>&1
check "rebuild after the loss" test $? -eq 0
like "... reruns the step whose layer was lost (no stale hit)" "$(cachelog lostlog)" '^lost1 lost2 lost1 '
check "... and stores a new entry for it" test -n "$(entry "$(layer lost:2 0 | cut -d' ' -f1)")"
# its new layer differs (other mtimes), so the next step's old layer, made on the lost one, is
# not stacked on it: the chain takes in each step's diffID
is "... and the step after it reruns on the new layer" "$(cachelog lostlog)" "lost1 lost2 lost1 lost2 "
"$XBUILD" bud -q -f "$C/Dockerfile.lost" -t lost:3 "$C" >/dev/null 2>&1
is "a third build is fully cached again" "$(cachelog lostlog)" "lost1 lost2 lost1 lost2 "
is "... with the second build's layers" "$(layer lost:3 1)" "$(layer lost:2 1)"
"$XBUILD" bud -q -f "$C/Dockerfile.kept" -t kept:2 "$C" >/dev/null 2>&1
is "the other image's steps still come from the cache" "$(cachelog keptlog)" "kept "
check "fsck after the loss and the rebuild" "$XBUILD" fsck

# COPY --from=<stage> (issue 16) is found by the stage's diffIDs before its layers are read
# (alias entry), and still by the copied content when the stage changed but those files did not
A=$T/alias
mkdir -p "$A/ctx"
printf 'FROM scratch AS a\nCOPY a.txt /a.txt\nCOPY b.txt /b.txt\nFROM scratch\nCOPY --from=a /a.txt /a.txt\nCOPY b.txt /final-b.txt\n' >"$A/ctx/Dockerfile"
echo A >"$A/ctx/a.txt"
echo B1 >"$A/ctx/b.txt"
abud() { "$XBUILD" --root "$A/store" bud --timestamp 1 "$A/ctx" 2>&1; }
hit_after() { printf '%s\n' "$1" | grep -A1 -F "$2" | grep -c "Using cache"; }
abud >/dev/null
out=$(abud)
is "a rebuild hits every step (stage a: 2, final: 2)" "$(printf '%s\n' "$out" | grep -c "Using cache")" 4
alias=$(printf '%s\n' "$out" | grep -A1 -F "COPY --from=a" | grep -o "Using cache [0-9a-f]*")
echo B2 >"$A/ctx/b.txt"
out=$(abud)
is "stage a changed: its COPY b.txt runs again" "$(hit_after "$out" "[1/2] STEP 3/3: COPY b.txt")" 0
is "... the COPY --from=a of the unchanged a.txt still hits (by content)" "$(hit_after "$out" "COPY --from=a")" 1
isnt_alias=$(printf '%s\n' "$out" | grep -A1 -F "COPY --from=a" | grep -o "Using cache [0-9a-f]*")
if [ -n "$alias" ] && [ "$alias" != "$isnt_alias" ]; then
    ok "... under another key than the diffID alias ($alias, then $isnt_alias)"
else
    fail "... under another key than the diffID alias ($alias, then $isnt_alias)"
fi
done_testing

#!/usr/bin/env bash
# xbuild push docker:// against Debian's docker-registry, read back by skopeo: single images,
# monolithic and chunked uploads, skipped and cross-repository-mounted blobs, an index.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_registry
for t in skopeo umoci; do command -v $t >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }; done
registry_start anonymous || { echo "1..0 # SKIP could not start docker-registry"; exit 0; }
SK="--tls-verify=false"
remote_digest() { skopeo inspect --raw $SK "docker://$1" | sha256sum | cut -d' ' -f1; }

make_image "$T/oci" small amd64 "small image" 0
make_image "$T/oci" big amd64 "big image" 700
make_image "$T/oci" arm arm64 "arm image" 40
make_index "$T/oci" multi small arm >/dev/null
for n in small big multi; do skopeo copy -q --all "oci:$T/oci:$n" "oci:$XBUILD_ROOT:local/$n:1"; done

# monolithic
out=$(xb push --digestfile "$T/d1" local/small:1 "docker://$REG/x/small:1" 2>"$T/err")
check "push succeeds" test -s "$T/d1"
is "digestfile holds the pushed manifest digest" "$(cat "$T/d1")" "sha256:$(remote_digest "$REG/x/small:1")"
is "push prints the digest" "$out" "$(cat "$T/d1")"
like "progress: one line per uploaded blob" "$(cat "$T/err")" "Uploaded blob sha256:"
rm -rf "$T/back"
check "skopeo copies the pushed image" skopeo copy -q $SK "docker://$REG/x/small:1" "oci:$T/back:t"
is "skopeo reads the same manifest bytes" \
    "$(skopeo inspect --raw "oci:$T/back:t" | sha256sum | cut -d' ' -f1)" "$(cat "$T/d1" | cut -d: -f2)"

# again: every blob is skipped
xb push local/small:1 "docker://$REG/x/small:1" >/dev/null 2>"$T/err"
like "a second push skips present blobs" "$(cat "$T/err")" "already in"
if grep -q "Uploaded" "$T/err"; then fail "nothing uploaded the second time"; else ok "nothing uploaded the second time"; fi

# a DEST without a transport is a registry reference, as in buildah, with the registry options
out=$(xb push --tls-verify=false local/small:1 "$REG/bare/small:1" 2>"$T/err")
is "push IMAGE REGISTRY/REPO:TAG (no docker://) pushes to the registry" \
    "sha256:$(remote_digest "$REG/bare/small:1")" "$out"

# chunked: a 700 KiB layer in 64 KiB PATCHes
XBUILD_CHUNK_SIZE=65536 xb --debug push local/big:1 "docker://$REG/x/big:1" >"$T/out" 2>"$T/err"
check "chunked push succeeds" test -s "$T/out"
like "... with PATCH requests and Content-Range" "$(grep -E '> (PATCH|Content-Range)' "$T/err" | head -4)" "Content-Range: 65536-131071"
is "... and the registry has the right manifest" "sha256:$(remote_digest "$REG/x/big:1")" "$(cat "$T/out")"
rm -rf "$T/back2"
check "skopeo copies the chunked image (verifying every blob)" skopeo copy -q $SK "docker://$REG/x/big:1" "oci:$T/back2:t"

# cross-repository mount from where a blob came from
xb pull -q "$REG/x/big:1" >/dev/null
xb push "$REG/x/big:1" "docker://$REG/y/big:2" >/dev/null 2>"$T/err"
like "blobs from another repository are mounted" "$(cat "$T/err")" "Mounted blob sha256:[0-9a-f]+ from x/big"
is "the mounted image is complete" "$(remote_digest "$REG/y/big:2")" "$(remote_digest "$REG/x/big:1")"

# an index: blobs, both manifests, then the index
out=$(xb push -q --digestfile "$T/di" local/multi:1 "docker://$REG/x/multi:1" 2>&1)
is "-q prints nothing" "$out" ""
is "index digest" "$(cat "$T/di")" "sha256:$(remote_digest "$REG/x/multi:1")"
like "the registry serves an OCI index" "$(skopeo inspect --raw $SK "docker://$REG/x/multi:1")" "application/vnd.oci.image.index.v1\+json"
rm -rf "$T/back3"
check "skopeo copy --all reads every image" skopeo copy -q --all $SK "docker://$REG/x/multi:1" "oci:$T/back3:t"
out=$(xb pull -q --platform linux/arm64 "$REG/x/multi:1")
like "xbuild pulls the arm64 image back" "$out" "^sha256:"

# progress bars on a terminal (util-linux script gives a pty)
if command -v script >/dev/null; then
    TERM=xterm script -qec "$XBUILD push local/big:1 docker://$REG/tty/big:1" /dev/null >"$T/tty.out" 2>&1
    like "a terminal gets per-blob bars" "$(cat "$T/tty.out")" "(Uploaded|Mounted) +sha256:[0-9a-f]{12} \[=+\] "
    TERM=xterm script -qec "$XBUILD pull -q $REG/tty/big:1" /dev/null >"$T/tty.out" 2>&1
    if grep -q '\[=' "$T/tty.out"; then fail "-q: no bars"; else ok "-q: no bars"; fi
else
    skip "script(1) missing: no terminal test"
    skip "script(1) missing: no terminal test"
fi

# push by digest and errors
D=$(cat "$T/d1")
check "push by digest" xb push -q local/small:1 "docker://$REG/x/bydigest@$D"
check_fails "push by a digest that is not the image's" \
    xb push -q local/small:1 "docker://$REG/x/bydigest@sha256:$(printf '0%.0s' $(seq 64))"
out=$(xb push local/nothing:1 "docker://$REG/x/none:1" 2>&1)
if [ $? -ne 0 ]; then ok "pushing a missing image fails"; else fail "pushing a missing image fails"; fi
check_fails "an invalid destination fails" xb push local/small:1 "docker://$REG/Bad Name:1"
done_testing

#!/usr/bin/env bash
# Layer blobs as other tools see them: every compression gives a valid stream (gzip -t, zstd -t,
# pigz), diff_ids are the sha256 of the uncompressed tar, media types match, umoci unpacks gzip
# and plain layers to the right content, skopeo copies zstd ones, and levels change the size only.
. "$top_srcdir/tests/lib/common.sh"

C=$T/ctx
mkdir -p "$C/dir/sub"
head -c 1500000 /dev/urandom >"$C/dir/random.bin" # > 11 pgzip blocks
for i in $(seq 1 40000); do echo "line $i of a text file that compresses well"; done >"$C/dir/text.txt"
echo hello >"$C/dir/sub/hello"
ln -s hello "$C/dir/sub/link"
cat >"$C/Dockerfile" <<'DF'
FROM scratch
COPY dir /data/
DF

# --no-cache everywhere: this test is about the layer writer, not the build cache
# json FILE EXPR: evaluates a python expression on the parsed JSON document "j"
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
blob() { echo "$XB_ROOT/blobs/sha256/${1#sha256:}"; }

for comp in gzip zstd none; do
    d=$(xb bud -q --no-cache --timestamp 1700000000 --compression "$comp" -t "c:$comp" "$C")
    check "$comp: build" test -n "$d"
    m=$(blob "$d")
    mt=$(json "$m" 'j["layers"][0]["mediaType"]')
    ld=$(json "$m" 'j["layers"][0]["digest"]')
    cd_=$(json "$m" 'j["config"]["digest"]')
    diff=$(json "$(blob "$cd_")" 'j["rootfs"]["diff_ids"][0]')
    lb=$(blob "$ld")
    is "$comp: blob size in the descriptor" "$(stat -c %s "$lb")" "$(json "$m" 'j["layers"][0]["size"]')"
    is "$comp: blob digest" "sha256:$(sha256sum <"$lb" | cut -d' ' -f1)" "$ld"
    case $comp in
    gzip)
        is "gzip media type" "$mt" "application/vnd.oci.image.layer.v1.tar+gzip"
        check "gzip -t" gzip -t "$lb"
        is "diff_id = sha256(zcat)" "sha256:$(zcat "$lb" | sha256sum | cut -d' ' -f1)" "$diff"
        if command -v pigz >/dev/null; then
            is "pigz -dc agrees" "sha256:$(pigz -dc "$lb" | sha256sum | cut -d' ' -f1)" "$diff"
        else
            skip "pigz not installed"
        fi
        is "one gzip member (gzip -l lists one)" "$(gzip -l "$lb" | tail -n +2 | wc -l)" "1"
        ;;
    zstd)
        is "zstd media type" "$mt" "application/vnd.oci.image.layer.v1.tar+zstd"
        check "zstd -t" zstd -q -t "$lb"
        is "diff_id = sha256(zstd -dc)" "sha256:$(zstd -q -dc "$lb" | sha256sum | cut -d' ' -f1)" "$diff"
        ;;
    none)
        is "plain tar media type" "$mt" "application/vnd.oci.image.layer.v1.tar"
        is "digest = diff_id" "$ld" "$diff"
        check "tar lists it" tar -tf "$lb"
        ;;
    esac
done

# the tar itself: sorted entries, numeric owners only, no atime/ctime records
gl=$(blob "$(json "$(blob "$(xb bud -q --no-cache --timestamp 1700000000 -t c:gzip "$C")")" 'j["layers"][0]["digest"]')")
is "entries in order" "$(zcat "$gl" | tar -tf - | tr '\n' ' ')" \
    "data/ data/random.bin data/sub/ data/sub/hello data/sub/link data/text.txt "
like "numeric owners only" "$(zcat "$gl" | tar -tvf - | awk '{print $2}' | sort -u | tr '\n' ' ')" '^([0-9]+/[0-9]+ )+$'
check_fails "no atime/ctime pax records" sh -c "zcat '$gl' | grep -a -q -E '[0-9]+ (atime|ctime)='"

if command -v umoci >/dev/null; then
    for comp in gzip none; do
        rm -rf "$T/u"
        if umoci unpack --rootless --image "$XB_ROOT:c:$comp" "$T/u" >"$T/umoci.log" 2>&1; then
            ok "umoci unpacks the $comp image"
            check "$comp: random file intact" cmp "$C/dir/random.bin" "$T/u/rootfs/data/random.bin"
            check "$comp: text file intact" cmp "$C/dir/text.txt" "$T/u/rootfs/data/text.txt"
            is "$comp: symlink" "$(readlink "$T/u/rootfs/data/sub/link")" "hello"
        else
            fail "umoci unpacks the $comp image"
            sed 's/^/#   /' "$T/umoci.log" | tail -5
        fi
    done
else
    skip "umoci not installed"
fi
if command -v skopeo >/dev/null; then
    check "skopeo copies the zstd image" skopeo copy "oci:$XB_ROOT:c:zstd" "dir:$T/skz"
else
    skip "skopeo not installed"
fi

# levels: valid output, different sizes, same diff_id
l1=$(xb bud -q --no-cache --timestamp 1700000000 --compression-level 1 "$C")
l9=$(xb bud -q --no-cache --timestamp 1700000000 --compression-level 9 "$C")
b1=$(blob "$(json "$(blob "$l1")" 'j["layers"][0]["digest"]')")
b9=$(blob "$(json "$(blob "$l9")" 'j["layers"][0]["digest"]')")
check "level 1 valid" gzip -t "$b1"
check "level 9 valid" gzip -t "$b9"
check "level 9 smaller than level 1" test "$(stat -c %s "$b9")" -lt "$(stat -c %s "$b1")"
is "same diff_id at any level" "$(zcat "$b1" | sha256sum)" "$(zcat "$b9" | sha256sum)"
check_fails "gzip level 10 refused" xb bud -q --no-cache --compression-level 10 "$C"
done_testing

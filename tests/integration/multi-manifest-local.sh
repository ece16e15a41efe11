#!/usr/bin/env bash
# xbuild manifest on local images only: create/add/annotate/remove/inspect/rm, flags and errors,
# and the stored index read back by skopeo from the store (an OCI layout).
. "$top_srcdir/tests/lib/common.sh"

"$XBUILD" bud --help >/dev/null 2>&1 || { echo "1..0 # SKIP xbuild bud not available"; exit 0; }
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

mkdir -p "$T/ctx"
printf 'FROM scratch\nARG TARGETARCH\nCOPY hello.txt /hello-$TARGETARCH.txt\n' >"$T/ctx/Dockerfile"
echo hello >"$T/ctx/hello.txt"
check "bud linux/arm64" xb bud -q --platform linux/arm64 -t app:arm64 "$T/ctx"
check "bud linux/arm/v7" xb bud -q --platform linux/arm/v7 -t app:armv7 "$T/ctx"
check "bud linux/amd64,linux/s390x (an index)" xb bud -q --platform linux/amd64,linux/s390x -t app:pair "$T/ctx"

# usage
out=$(xb manifest --help)
like "manifest --help prints usage" "$out" 'create NAME'
xb manifest frobnicate >/dev/null 2>&1
is "unknown subcommand: exit 2" "$?" 2
xb manifest add only-one >/dev/null 2>&1
is "missing argument: exit 2" "$?" 2
xb manifest create x --annotation novalue >/dev/null 2>&1
is "annotation without '=': exit 2" "$?" 2

# create from two local images, platforms from their configs
check "create app:list from app:arm64 app:armv7" xb manifest create app:list app:arm64 app:armv7
xb manifest inspect app:list >"$T/a.json"
is "two entries" "$(json "$T/a.json" 'len(j["manifests"])')" 2
is "platforms from the configs" "$(json "$T/a.json" '[(m["platform"]["architecture"], m["platform"].get("variant")) for m in j["manifests"]]')" \
    "[('arm64', None), ('arm', 'v7')]"

# add from a local index: one platform by --arch, then everything with --all
check "add app:pair --arch s390x" xb manifest add app:list app:pair --arch s390x
xb manifest inspect app:list >"$T/b.json"
is "s390x added alone" "$(json "$T/b.json" '[m["platform"]["architecture"] for m in j["manifests"]]')" "['arm64', 'arm', 's390x']"
check "add app:pair --all" xb manifest add app:list app:pair --all
xb manifest inspect app:list >"$T/c.json"
is "--all adds the rest, no duplicate" "$(json "$T/c.json" 'sorted(m["platform"]["architecture"] for m in j["manifests"])')" \
    "['amd64', 'arm', 'arm64', 's390x']"
check_fails "add app:pair --arch ppc64le: not in the index" xb manifest add app:list app:pair --arch ppc64le

# annotate an entry (by image name) and the index itself; remove by digest prefix
check "annotate app:arm64 --variant v8 --os-version 1 --annotation k=v" \
    xb manifest annotate app:list app:arm64 --variant v8 --os-version 1 --annotation k=v
check "annotate --index" xb manifest annotate app:list --index --annotation org.opencontainers.image.title=demo
xb manifest inspect app:list >"$T/d.json"
arm=$(json "$T/d.json" '[m for m in j["manifests"] if m["platform"]["architecture"]=="arm64"][0]')
like "entry annotation" "$arm" "'k': 'v'"
like "entry os.version" "$arm" "'os.version': '1'"
is "index annotation" "$(json "$T/d.json" 'j["annotations"]["org.opencontainers.image.title"]')" demo
s390=$(json "$T/d.json" '[m["digest"] for m in j["manifests"] if m["platform"]["architecture"]=="s390x"][0]')
check "remove the s390x entry by a digest prefix" xb manifest remove app:list "${s390:0:19}"
xb manifest inspect app:list >"$T/e.json"
is "three entries left" "$(json "$T/e.json" 'len(j["manifests"])')" 3
check_fails "annotate an unknown digest" xb manifest annotate app:list sha256:0123456789abcdef --os linux

# the store stays a valid OCI layout that others read
check "fsck" xb fsck
if command -v skopeo >/dev/null 2>&1; then
    skopeo inspect --raw "oci:$XB_ROOT:app:list" >"$T/sk.json" 2>&1
    is "skopeo reads the stored index" "$(json "$T/sk.json" 'len(j["manifests"])')" 3
else
    skip "skopeo not installed"
fi

# docker format, create --amend, rm
check "create --format docker" xb manifest create --format docker app:dl app:arm64
is "Docker manifest list" "$(xb manifest inspect app:dl | python3 -c 'import json,sys; print(json.load(sys.stdin)["mediaType"])')" \
    application/vnd.docker.distribution.manifest.list.v2+json
check_fails "create of an existing name" xb manifest create app:dl
check "create --amend adds to it" xb manifest create --amend app:dl app:armv7
is "two entries after --amend" "$(xb manifest inspect app:dl | grep -c '"digest"')" 2
check_fails "rm refuses an image" xb manifest rm app:arm64
check "rm app:dl" xb manifest rm app:dl
check_fails "app:dl is gone" xb manifest add app:dl app:arm64
check "the images are still there" xb inspect app:arm64

done_testing

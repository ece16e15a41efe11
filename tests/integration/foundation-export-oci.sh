#!/usr/bin/env bash
# xbuild push IMAGE oci:DIR / oci-archive:FILE of a --format docker image (issue 13, part 4):
# Docker schema2 media types become OCI ones (as skopeo copy --format oci), manifests are
# rewritten (new digests), config and layer blobs keep their bytes; --format docker keeps them.
# Readers: skopeo inspect, umoci unpack, podman load; skopeo's own conversion for comparison.
. "$top_srcdir/tests/lib/common.sh"
for tool in skopeo umoci python3; do
    command -v $tool >/dev/null || { echo "1..0 # SKIP needs $tool"; exit 0; }
done
pyjson() { python3 -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(json.dumps(r, sort_keys=True) if isinstance(r,(dict,list)) else r)' "$1"; }
blob() { cat "$1/blobs/sha256/${2#sha256:}"; }
types() { # DIR DIGEST -> the media types of a manifest: manifest config layer...
    blob "$1" "$2" | pyjson '" ".join([d.get("mediaType","-"), d["config"]["mediaType"]] + [l["mediaType"] for l in d["layers"]])'
}
OCI_M=application/vnd.oci.image.manifest.v1+json
OCI_C=application/vnd.oci.image.config.v1+json
OCI_L=application/vnd.oci.image.layer.v1.tar+gzip

C=$T/ctx
mkdir -p "$C"
echo content >"$C/f"
printf 'FROM scratch\nCOPY f /f\nCOPY f /g\nCMD ["/f"]\n' >"$C/Dockerfile"
check "bud --format docker" $XBUILD bud --format docker -t dock:1 "$C"
check "bud --format docker, two platforms" \
    $XBUILD bud --format docker --platform linux/amd64,linux/arm64 -t docklist:1 "$C"
S=$XB_ROOT
sdesc=$(pyjson '[m for m in d["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"]=="dock:1"][0]' <"$S/index.json")
sdig=$(printf '%s' "$sdesc" | pyjson 'd["digest"]')
is "the store keeps the Docker manifest" "$(printf '%s' "$sdesc" | pyjson 'd["mediaType"]')" \
    application/vnd.docker.distribution.manifest.v2+json

# oci: DIR
out=$($XBUILD push dock:1 "oci:$T/o1:v1" 2>&1)
check "push to oci:" test -n "$out"
entry=$(pyjson 'd["manifests"][0]' <"$T/o1/index.json")
odig=$(printf '%s' "$entry" | pyjson 'd["digest"]')
is "index.json entry: OCI manifest type" "$(printf '%s' "$entry" | pyjson 'd["mediaType"]')" "$OCI_M"
is "printed digest is the written manifest's" "$out" "$odig"
check "the manifest was rewritten (new digest)" test "$odig" != "$sdig"
is "manifest, config and layer types are OCI" "$(types "$T/o1" "$odig")" "$OCI_M $OCI_C $OCI_L $OCI_L"
is "config and layer blobs keep their bytes (same digests)" \
    "$(blob "$T/o1" "$odig" | pyjson '[d["config"]["digest"]] + [l["digest"] for l in d["layers"]]')" \
    "$(blob "$S" "$sdig" | pyjson '[d["config"]["digest"]] + [l["digest"] for l in d["layers"]]')"
check "skopeo inspect oci:DIR:tag" skopeo inspect "oci:$T/o1:v1"
check "umoci unpack" umoci unpack --image "$T/o1:v1" "$T/u1"
is "unpacked content" "$(cat "$T/u1/rootfs/g" 2>&1)" content
check "the layout's blobs match their names" python3 -c '
import hashlib,os,sys
d=sys.argv[1]+"/blobs/sha256"
bad=[f for f in os.listdir(d) if hashlib.sha256(open(d+"/"+f,"rb").read()).hexdigest()!=f]
sys.exit(1 if bad else 0)' "$T/o1"

# --format docker keeps Docker's types (the store's manifest as it is)
check "push --format docker to oci:" $XBUILD push --format docker dock:1 "oci:$T/o2:keep"
is "--format docker: index.json names the Docker manifest" \
    "$(pyjson 'd["manifests"][0]["mediaType"] + " " + d["manifests"][0]["digest"]' <"$T/o2/index.json")" \
    "application/vnd.docker.distribution.manifest.v2+json $sdig"

# a Docker manifest list becomes an OCI index of OCI manifests
ldig=$($XBUILD push docklist:1 "oci:$T/o3:multi" 2>&1)
is "index.json entry: OCI index" "$(pyjson 'd["manifests"][0]["mediaType"]' <"$T/o3/index.json")" \
    application/vnd.oci.image.index.v1+json
is "the index and its manifests are OCI, platforms kept" \
    "$(blob "$T/o3" "$ldig" | pyjson 'd["mediaType"] + " " + " ".join(m["mediaType"] + "@" + m["platform"]["architecture"] for m in d["manifests"])')" \
    "application/vnd.oci.image.index.v1+json $OCI_M@amd64 $OCI_M@arm64"
amd=$(blob "$T/o3" "$ldig" | pyjson '[m["digest"] for m in d["manifests"] if m["platform"]["architecture"]=="amd64"][0]')
is "the amd64 manifest is the one of the single-platform export" "$amd" "$odig"
is "skopeo inspect of the index, arm64" \
    "$(skopeo inspect --override-arch arm64 "oci:$T/o3:multi" 2>&1 | pyjson 'd["Architecture"]')" arm64
check "skopeo copy --all from the converted layout" skopeo copy --all "oci:$T/o3:multi" "oci:$T/o4:all"

# oci-archive: and podman load
check "push to oci-archive:" $XBUILD push dock:1 "oci-archive:$T/o5.tar:v1"
check "skopeo inspect oci-archive:" skopeo inspect "oci-archive:$T/o5.tar:v1"
if command -v podman >/dev/null; then
    P="podman --root $T/pm/root --runroot $T/pm/run --storage-driver vfs"
    # control: an archive skopeo wrote itself; when podman cannot load that, it cannot run here
    skopeo copy "oci:$T/o1:v1" "oci-archive:$T/ctl.tar:ctl" >/dev/null 2>&1
    if ctl=$($P load -i "$T/ctl.tar" 2>&1); then
        check "podman load of xbuild's oci-archive" $P load -i "$T/o5.tar"
        cfg=$(blob "$T/o1" "$odig" | pyjson 'd["config"]["digest"]')
        is "podman's image ID is the config digest" \
            "$($P image inspect --format '{{.Id}}' localhost/v1:latest 2>&1)" "${cfg#sha256:}"
        $P rmi -a -f >/dev/null 2>&1
    else
        skip "podman cannot load even skopeo's archive here: $(printf '%s' "$ctl" | tail -1)"
        skip "podman image ID"
    fi
else
    skip "podman not installed"
    skip "podman image ID"
fi

# skopeo's own conversion of the same image: same manifest but for the config, which skopeo
# re-serialises (c/image's OCI config struct); xbuild keeps the config's bytes
if [ -x /usr/bin/docker-registry ] || command -v docker-registry >/dev/null; then
    . "$top_srcdir/tests/lib/registry.sh"
    if registry_start anonymous >/dev/null 2>&1; then
        $XBUILD push --tls-verify=false dock:1 "docker://$REG/dock:1" >/dev/null 2>&1
        skopeo copy --src-tls-verify=false --format oci "docker://$REG/dock:1" "oci:$T/sk:1" >/dev/null 2>&1
        skd=$(pyjson 'd["manifests"][0]["digest"]' <"$T/sk/index.json" 2>/dev/null)
        nocfg='" ".join([d["mediaType"], d["config"]["mediaType"]] + [l["mediaType"] + "@" + l["digest"] for l in d["layers"]])'
        is "as skopeo copy --format oci (manifest apart from the config digest)" \
            "$(blob "$T/sk" "$skd" | pyjson "$nocfg")" "$(blob "$T/o1" "$odig" | pyjson "$nocfg")"
    else
        skip "docker-registry did not start"
    fi
else
    skip "docker-registry not installed (skopeo comparison)"
fi
done_testing

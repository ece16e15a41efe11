#!/usr/bin/env bash
# The buildah/buildx flags that change a build, each proven by a real build read back from
# the store (and by skopeo where it reads the result): positional Dockerfile with
# --override-arch, --add-host, --ulimit, --volume, --cap-add/--cap-drop/--security-opt, --env,
# --manifest, --annotation, --build-context, --progress, --logfile.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_root "RUN sandbox"
bb_image amd64 bb:amd64 linux/amd64 || { echo "Bail out! no base image"; exit 1; }
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
# cfg NAME EXPR: EXPR over the image config j
cfg() {
    python3 - "$XB_ROOT" "$1" "$2" <<'PY'
import json, sys
root, name, expr = sys.argv[1:4]
name += "" if ":" in name.split("/")[-1] else ":latest"
idx = json.load(open(root + "/index.json"))
d = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == name][0]
def blob(dg): return json.load(open(root + "/blobs/sha256/" + dg[7:]))
j = blob(blob(d["digest"])["config"]["digest"])
print(eval(expr))
PY
}
# ref NAME: the store's index.json descriptor of NAME (JSON)
ref() {
    python3 - "$XB_ROOT" "$1" <<'PY'
import json, sys
root, name = sys.argv[1:3]
name += "" if ":" in name.split("/")[-1] else ":latest"
idx = json.load(open(root + "/index.json"))
print(json.dumps([m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == name][0]))
PY
}
blob() { cat "$XB_ROOT/blobs/sha256/${1#sha256:}"; }
unlike() { if [[ "$2" == *"$3"* ]]; then fail "$1"; else ok "$1"; fi; }

# --- positional Dockerfile (buildah bud --tag T --override-arch arm64 Dockerfile) ---
mkdir -p "$T/pos/sub"
echo from-dir >"$T/pos/sub/data.txt"
printf 'FROM scratch\nCOPY data.txt /data.txt\n' >"$T/pos/sub/Containerfile.custom"
(cd "$T" && "$XBUILD" bud --tag pos:arm --override-arch arm64 --override-os linux pos/sub/Containerfile.custom >"$T/out" 2>&1)
check "a Dockerfile as the positional argument builds (its directory is the context)" test $? -eq 0
is "--override-arch sets the architecture" "$(cfg pos:arm 'j["architecture"]')" arm64
is "--override-os sets the OS" "$(cfg pos:arm 'j["os"]')" linux
like "COPY read the file's directory as the context" "$(layer_list "$(img_layers pos:arm)")" 'data.txt'
out=$("$XBUILD" bud -f "$T/pos/sub/Containerfile.custom" "$T/pos/sub/Containerfile.custom" 2>&1)
is "-f and a Dockerfile argument together: exit 2" $? 2

# --- RUN settings: --add-host, --ulimit, -v, --cap-*, --security-opt ---
mkdir -p "$T/c" "$T/vol" "$T/rovol"
echo hostdata >"$T/vol/in"
echo rodata >"$T/rovol/in"
cat >"$T/c/Dockerfile" <<'DF'
FROM bb:amd64
RUN grep -E 'myhost|v6host' /etc/hosts > /hosts.txt; (ulimit -n; ulimit -Hn) > /ulimit.txt
RUN cat /mnt/vol/in > /copied && echo written > /mnt/vol/out && touch /mnt/vol/made-in-run
RUN (echo x > /ro/in) 2>/dev/null && echo writable > /ro.txt || echo read-only > /ro.txt; cat /ro/in >> /ro.txt
RUN grep -E '^(CapBnd|NoNewPrivs)' /proc/self/status > /status.txt
DF
"$XBUILD" bud -q -t runflags --add-host myhost:10.1.2.3 --add-host 'v6host=[2001:db8::1]' \
    --ulimit nofile=1024:2048 -v "$T/vol:/mnt/vol" --volume "$T/rovol:/ro:ro" \
    --cap-drop CHOWN --cap-add CAP_SYS_ADMIN --security-opt no-new-privileges "$T/c" >"$T/out" 2>&1
check "build with --add-host --ulimit -v --cap-* --security-opt" test $? -eq 0 || sed 's/^/#   /' "$T/out"
mapfile -t L < <(img_layers runflags)
n=${#L[@]}
is "--add-host: both entries in RUN's /etc/hosts" "$(layer_cat "${L[n - 4]}" hosts.txt)" "$(printf '10.1.2.3\tmyhost\n2001:db8::1\tv6host')"
is "--ulimit nofile=1024:2048: ulimit -n and -Hn in RUN" "$(layer_cat "${L[n - 4]}" ulimit.txt | tr '\n' ' ')" "1024 2048 "
is "-v: the host file is readable in RUN" "$(layer_cat "${L[n - 3]}" copied)" hostdata
is "-v: RUN's writes reach the host directory" "$(cat "$T/vol/out")" written
l3=$(layer_list "${L[n - 3]}")
unlike "-v: the volume's files are not in the layer" "$l3" 'mnt/vol/'
is "-v: the layer holds only the step's own file" "$(printf '%s\n' "$l3" | awk '{print $4}' | tr '\n' ' ')" "copied "
is "-v ...:ro is read-only in RUN" "$(layer_cat "${L[n - 2]}" ro.txt | tr '\n' ' ')" "read-only rodata "
# the sandbox's default set: Docker's minus MKNOD, minus NET_RAW on the host network
is "--cap-drop CHOWN --cap-add SYS_ADMIN: RUN's bounding set" \
    "$(layer_cat "${L[n - 1]}" status.txt | awk '/CapBnd/{print $2}')" 00000000a02405fa
is "--security-opt no-new-privileges" "$(layer_cat "${L[n - 1]}" status.txt | awk '/NoNewPrivs/{print $2}')" 1
"$XBUILD" bud -q -t runflags2 -v "$T/vol:/mnt/vol" --volume "$T/rovol:/ro:ro" "$T/c" >"$T/out" 2>&1
is "without the flags: the sandbox's default bounding set (the flags are in the cache key)" \
    "$(layer_cat "$(img_layers runflags2 | tail -1)" status.txt | awk '/CapBnd/{print $2}')" 00000000a00405fb
out=$("$XBUILD" bud --ulimit nofile=10:5 "$T/c" 2>&1)
is "--ulimit soft above hard: exit 2" $? 2
like "... says so" "$out" 'soft limit is above the hard limit'
out=$("$XBUILD" bud --add-host nohost "$T/c" 2>&1)
is "--add-host without an address: exit 2" $? 2
out=$("$XBUILD" bud -v "$T/nonexistent:/x" "$T/c" 2>&1)
is "-v of a missing host path: exit 2" $? 2
like "... names it" "$out" "$T/nonexistent does not exist"
out=$("$XBUILD" bud --cap-add CAP_NOPE "$T/c" 2>&1)
like "--cap-add of an unknown capability is refused" "$out" "unknown capability 'CAP_NOPE'"

# --- --env / --unsetenv: the final image's config ---
printf 'FROM bb:amd64\nENV KEEP=1 DROP=2\n' >"$T/c/Dockerfile"
check "build with --env/--unsetenv" "$XBUILD" bud -q -t envimg --env FOO=bar --env 'SPACE=a b' --env DROP- --unsetenv KEEP "$T/c"
envs=$(cfg envimg '" ".join(sorted(e.split("=")[0] for e in j["config"]["Env"]))')
is "config Env: --env added, K- and --unsetenv removed (PATH: scratch's default, as BuildKit)" "$envs" "FOO PATH SPACE"
is "--env value kept as given" "$(cfg envimg '[e for e in j["config"]["Env"] if e.startswith("SPACE=")][0]')" "SPACE=a b"
FROMENV=fromenv "$XBUILD" bud -q -t envimg2 --env FROMENV "$T/c" >/dev/null
is "--env NAME takes the value from the environment" "$(cfg envimg2 '[e for e in j["config"]["Env"] if e.startswith("FROMENV")][0]')" FROMENV=fromenv

# --- --manifest: a local index built in steps ---
mkdir -p "$T/m"
printf 'FROM scratch\nARG TARGETARCH\nCOPY f /f-$TARGETARCH\n' >"$T/m/Dockerfile"
echo f >"$T/m/f"
check "--manifest creates the list" "$XBUILD" bud -q --platform linux/amd64 --manifest mylist "$T/m"
check "--manifest extends it" "$XBUILD" bud -q --platform linux/arm64 --manifest mylist "$T/m"
"$XBUILD" manifest inspect mylist >"$T/ml.json"
is "the list has two platforms" "$(json "$T/ml.json" '" ".join(sorted(m["platform"]["architecture"] for m in j["manifests"]))')" "amd64 arm64"
check "rebuilding a platform replaces its entry" "$XBUILD" bud -q --no-cache --timestamp 5 --platform linux/arm64 --manifest mylist "$T/m"
"$XBUILD" manifest inspect mylist >"$T/ml.json"
is "... still two entries" "$(json "$T/ml.json" 'len(j["manifests"])')" 2
if command -v skopeo >/dev/null 2>&1; then
    skopeo inspect --raw "oci:$XB_ROOT:localhost/mylist:latest" >"$T/sk.json" 2>"$T/sk.err" ||
        skopeo inspect --raw "oci:$XB_ROOT:mylist" >"$T/sk.json" 2>"$T/sk.err"
    is "skopeo reads the list from the store" "$(json "$T/sk.json" 'len(j["manifests"])')" 2
else
    skip "skopeo not installed"
fi

# --- --annotation: manifest, index, descriptors, [platform] ---
check "multi-platform build with annotations" "$XBUILD" bud -q -t ann:multi --platform linux/amd64,linux/arm64 \
    --annotation org.example.plain=m --annotation 'index:org.example.idx=i' \
    --annotation 'manifest-descriptor[linux/arm64]:org.example.desc=d' \
    --annotation 'index,index-descriptor:org.example.both=b' "$T/m"
ref ann:multi >"$T/top.json"
is "index-descriptor: the store's index.json entry" "$(json "$T/top.json" 'j["annotations"].get("org.example.both")')" b
blob "$(json "$T/top.json" 'j["digest"]')" >"$T/idx.json"
is "index: the index's annotations" "$(json "$T/idx.json" 'sorted(j["annotations"].items())')" "[('org.example.both', 'b'), ('org.example.idx', 'i')]"
is "manifest-descriptor[linux/arm64]: only the arm64 entry" \
    "$(json "$T/idx.json" '[m.get("annotations",{}).get("org.example.desc") for m in j["manifests"]]')" "[None, 'd']"
blob "$(json "$T/idx.json" 'j["manifests"][0]["digest"]')" >"$T/man.json"
is "manifest (no prefix): each manifest's annotations" "$(json "$T/man.json" 'j["annotations"]["org.example.plain"]')" m
if command -v skopeo >/dev/null 2>&1; then
    skopeo inspect --raw "oci:$XB_ROOT:ann:multi" >"$T/sk.json" 2>"$T/sk.err" ||
        skopeo inspect --raw "oci:$XB_ROOT:localhost/ann:multi" >"$T/sk.json" 2>>"$T/sk.err"
    is "skopeo reads the index annotation" "$(json "$T/sk.json" 'j["annotations"]["org.example.idx"]')" i
else
    skip "skopeo not installed"
fi
out=$("$XBUILD" bud -q --annotation index:a=b "$T/m" 2>&1)
is "index annotation on a single-platform build: exit 2" $? 2
like "... says there is no index" "$out" 'single-platform build writes no index'
out=$("$XBUILD" bud -q --annotation bogus:a=b "$T/m" 2>&1)
like "unknown annotation type refused" "$out" "unknown type 'bogus'"

# --- --build-context: a directory, docker-image://, oci-layout:// ---
mkdir -p "$T/extra" "$T/bc"
echo from-extra >"$T/extra/e.txt"
printf 'FROM base\nCOPY --from=extra e.txt /e.txt\nCOPY --from=img /bin/busybox /bb-from-img\n' >"$T/bc/Dockerfile"
check "push bb:amd64 to an OCI layout" "$XBUILD" push bb:amd64 "oci:$T/layout:v1"
check "build with a DIR, a docker-image:// and an oci-layout:// context" \
    "$XBUILD" bud -q -t bc --build-context extra="$T/extra" --build-context img=docker-image://bb:amd64 \
    --build-context "base=oci-layout://$T/layout:v1" "$T/bc"
mapfile -t L < <(img_layers bc)
is "FROM an oci-layout:// context: the layout image's layers" "$(basename "${L[0]}")" "$(basename "$(img_layers bb:amd64 | head -1)")"
is "COPY --from=<directory context>" "$(layer_cat "${L[1]}" e.txt)" from-extra
like "COPY --from=<docker-image:// context>" "$(layer_list "${L[2]}")" 'bb-from-img'
dg=$(python3 -c 'import json,sys; print([m["digest"] for m in json.load(open(sys.argv[1]))["manifests"]][0])' "$T/layout/index.json")
check "oci-layout://DIR@DIGEST" "$XBUILD" bud -q -t bc2 --build-context extra="$T/extra" \
    --build-context img=docker-image://bb:amd64 --build-context "base=oci-layout://$T/layout@$dg" "$T/bc"
printf 'FROM bb:amd64 AS stage\nRUN echo from-stage > /s\nFROM scratch\nCOPY --from=stage /s /s\n' >"$T/bc/Dockerfile"
echo from-context > "$T/extra/s"
out=$("$XBUILD" bud -t bc3 --build-context stage="$T/extra" "$T/bc" 2>&1)
check "a named context overrides a stage of that name" test $? -eq 0
unlike "... and the stage it overrides is not built" "$out" 'echo from-stage'
is "... COPY --from took the context's file" "$(layer_cat "$(img_layers bc3 | tail -1)" s)" from-context
printf 'FROM bb:amd64\nRUN --mount=from=img,target=/img test -x /img/bin/busybox && echo mounted > /m\n' >"$T/bc/Dockerfile"
check "RUN --mount from=<docker-image:// context>" "$XBUILD" bud -q -t bc4 --build-context img=docker-image://bb:amd64 "$T/bc"
is "... the image was mounted" "$(layer_cat "$(img_layers bc4 | tail -1)" m)" mounted
out=$("$XBUILD" bud --build-context x=https://example.com/r.git "$T/bc" 2>&1)
like "a Git/HTTP context is refused" "$out" 'Git and HTTP contexts are not supported'

# --- --progress, --logfile ---
printf 'FROM scratch\nCOPY f /f\n' >"$T/m/Dockerfile"
out=$("$XBUILD" bud --progress quiet "$T/m" 2>&1)
like "--progress quiet prints only the digest" "$out" '^sha256:[0-9a-f]{64}$'
out=$("$XBUILD" bud --progress plain "$T/m" 2>&1)
like "--progress plain prints the steps" "$out" 'STEP 2/2: COPY f /f'
check "--logfile FILE" "$XBUILD" bud --logfile "$T/log" --load "$T/m"
like "... the output is in FILE" "$(cat "$T/log")" 'STEP 1/2: FROM scratch'
done_testing

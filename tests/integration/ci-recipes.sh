#!/usr/bin/env bash
# The CI recipes of examples/ci and the composite action.yml, run for real: tests/ci-runner.py
# reads them with a YAML parser (python3-yaml), validates every file, and executes their own
# `run:` blocks / `script:` lines / container commands (never copies of them) against the test
# registry, every job with its own empty store and workspace standing for a fresh runner.
# Substituted: the registry and repositories (the recipes' variables REGISTRY, IMAGE, CACHE,
# BASE, TAG, CI_REGISTRY*), runner-local paths, and two shims on PATH: `sudo` (we are root
# already) and `xbuild`, which logs its arguments and adds --tls-verify=false to registry
# commands (the test registry speaks plain HTTP, where the recipes' registries speak HTTPS).
# The "arm64 runners" are this amd64 machine running arm64 under qemu.
# Checked: the stitched index (skopeo, both platforms, the digests the jobs handed on), the
# shared cache on a second run (no RUN executed, the same layers), and the --output files.
. "$top_srcdir/tests/lib/common.sh"
require_root "RUN steps need namespaces"
require_tools docker-registry skopeo python3 setpriv
python3 -c 'import yaml' 2>/dev/null || { echo "1..0 # SKIP python3-yaml not installed (scripts/bootstrap.sh installs it)"; exit 0; }
[ "$(dpkg --print-architecture)" = amd64 ] || { echo "1..0 # SKIP the amd64 jobs run natively: needs an amd64 host"; exit 0; }
require_emulator arm64 aarch64 "the arm64 jobs' RUN steps"
. "$top_srcdir/tests/lib/registry.sh"
. "$top_srcdir/tests/lib/busybox.sh"
require_registry
registry_start anonymous || { echo "1..0 # SKIP could not start docker-registry"; exit 0; }
RUNNER="python3 $top_srcdir/tests/ci-runner.py"
S=$top_srcdir
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
unlike() { if printf '%s' "$2" | grep -Eq -- "$3"; then fail "$1"; printf '%s\n' "$2" | grep -E -- "$3" | sed 's/^/#   /' | head -5; else ok "$1"; fi; }
showlog() { sed 's/^/#   /' "$1" | tail -25; }

# --- every recipe is valid YAML of its kind, and every script in it passes bash -n ---
mapfile -t files < <(cd "$S" && { echo action.yml; find examples/ci -name '*.yml' -o -name '*.yaml'; } | sort)
is "the recipes: action.yml + 2 GitHub workflows + GitLab + 2 Kubernetes files" "${#files[@]}" 6
for f in "${files[@]}"; do
    check "valid: $f" $RUNNER validate "$S/$f"
done
# the validator rejects broken recipes (one defect each)
mkdir -p "$T/bad/gitlab"
sed 's|examples/ci/app$|examples/ci/app $(|' "$S/examples/ci/github/per-arch.yml" >"$T/bad/per-arch.yml"
sed 's|inputs.platforms }}|inputs.platform }}|' "$S/action.yml" >"$T/bad/action.yml"
sed 's|needs: \[build-amd64, build-arm64\]|needs: [build-amd64, build-riscv64]|' "$S/examples/ci/gitlab/.gitlab-ci.yml" >"$T/bad/gitlab/.gitlab-ci.yml"
sed 's|securityContext:|securityContxt:|' "$S/examples/ci/k8s/stitch-job.yaml" >"$T/bad/stitch-job.yaml"
sed 's|^  image:|  image:\n\t runs-on: x|' "$S/examples/ci/github/single-runner.yml" >"$T/bad/single-runner.yml"
for f in per-arch.yml action.yml gitlab/.gitlab-ci.yml stitch-job.yaml single-runner.yml; do
    out=$($RUNNER validate "$T/bad/$f" 2>&1)
    rc=$?
    [ $rc -eq 1 ] && ok "invalid: a broken $f is refused ($(printf '%s' "$out" | tr '\n' ' ' | cut -c1-150 | sed "s|$T/bad/||g"))" ||
        fail "invalid: a broken $f is refused (rc $rc: $(printf '%s' "$out" | tr '\n' ' '))"
done

# --- shims, the bases, the workspaces ---
mkdir -p "$T/bin"
chmod 755 "$T"
CALLS=$T/xbuild-calls.log
: >"$CALLS"
chmod 666 "$CALLS"
cat >"$T/bin/sudo" <<'EOF'
#!/bin/sh
# we are root already
exec "$@"
EOF
cat >"$T/bin/xbuild" <<EOF
#!/bin/sh
# the test registry is plain HTTP: registry commands get --tls-verify=false
echo "\$*" >>"$CALLS"
case "\$1" in
bud | build | push | pull | login) c=\$1; shift; exec "$XBUILD" "\$c" --tls-verify=false "\$@" ;;
manifest) case "\$2" in create | add | inspect | push) a=\$1 b=\$2; shift 2; exec "$XBUILD" "\$a" "\$b" --tls-verify=false "\$@" ;; esac ;;
esac
exec "$XBUILD" "\$@"
EOF
chmod 755 "$T/bin/sudo" "$T/bin/xbuild"
export PATH="$T/bin:$PATH"
export XB_CALLS=$CALLS

if bb_image amd64 bb:amd64 linux/amd64 && bb_image arm64 bb:arm64 linux/arm64 &&
    xb manifest create bb:multi bb:amd64 bb:arm64 >/dev/null &&
    xb manifest push -q --tls-verify=false bb:multi "docker://$REG/base/busybox:latest" >/dev/null; then
    ok "busybox base index (amd64, arm64) in the registry"
else
    fail "busybox base index (amd64, arm64) in the registry"
fi
BASE=$REG/base/busybox:latest
SHA=0123456789abcdef0123456789abcdef01234567
newws() { rm -rf "$1" && mkdir -p "$1" && cp -a "$S/examples" "$1/"; }

# platforms_of REF: "os/arch=digest" of an index, sorted; index_digest REF
platforms_of() {
    skopeo inspect --raw --tls-verify=false "docker://$1" 2>/dev/null |
        python3 -c 'import json,sys; print(" ".join(sorted(m["platform"]["os"]+"/"+m["platform"]["architecture"]+"="+m["digest"] for m in json.load(sys.stdin)["manifests"])))' 2>/dev/null
}
layers_of() {
    skopeo inspect --raw --tls-verify=false "docker://$1" 2>/dev/null |
        python3 -c 'import json,sys; print(" ".join(l["digest"] for l in json.load(sys.stdin)["layers"]))' 2>/dev/null
}

# --- GitHub Actions, per-arch.yml: native runners per architecture, then the stitch job ---
WF=examples/ci/github/per-arch.yml
GHSET=(--set "REGISTRY=$REG" --set "IMAGE=$REG/gh/hello" --set "CACHE=$REG/gh/hello-cache"
    --set "BASE=$BASE" --set "TAG=$SHA" --ctx "github.sha=$SHA" --ctx github.actor=tester
    --ctx secrets.GITHUB_TOKEN=test-token)
# gh RUN WORKFLOW JOB INDEX: one job on a fresh runner (store, auth file, workspace); log in $log
gh() {
    local run=$1 wf=$2 job=$3 i=$4
    local id=$run-$job-$i
    newws "$T/ws/$id"
    log=$T/log-$id
    env XBUILD_ROOT="$T/store-$id" REGISTRY_AUTH_FILE="$T/auth-$id.json" \
        $RUNNER gh-job "$S/$wf" "$job" --matrix-index "$i" --state "$T/gh-$run" \
        --workspace "$T/ws/$id" --action-dir "$S" "${GHSET[@]}" >"$log" 2>&1
}
mapfile -t matrix < <($RUNNER gh-matrix "$S/$WF" build)
is "per-arch.yml: the build job runs on an x86-64 and an arm64 runner" \
    "$(printf '%s\n' "${matrix[@]}" | cut -f2 | tr '\n' ' ')" "ubuntu-24.04 ubuntu-24.04-arm "
declare -A want_arch=([ubuntu-24.04]=x86_64 [ubuntu-24.04-arm]=aarch64)
declare -A dig1
for run in 1 2; do
    for m in "${matrix[@]}"; do
        i=${m%%$'\t'*} label=${m#*$'\t'}
        gh "run$run" "$WF" build "$i"
        rc=$?
        is "per-arch run $run: build job on $label succeeds" "$rc" 0
        [ $rc -eq 0 ] || showlog "$log"
        if [ "$run" = 1 ]; then
            like "... it ran the RUN step on ${want_arch[$label]}" "$(cat "$log")" "^built on ${want_arch[$label]}"
            like "... and exported the cache" "$(cat "$log")" "Cache exported to .*gh/hello-cache"
        else
            unlike "... a fresh runner ran no RUN step (shared cache)" "$(cat "$log")" "^built on "
            like "... its steps came from the shared cache" "$(cat "$log")" "Using cache .*\(shared cache\)"
        fi
    done
    arts=$(ls "$T/gh-run$run/artifacts" 2>/dev/null | tr '\n' ' ')
    is "per-arch run $run: each job handed on a digest artifact" "$arts" "digests-amd64 digests-arm64 "
    gh "run$run" "$WF" stitch 0
    rc=$?
    is "per-arch run $run: the stitch job succeeds" "$rc" 0
    [ $rc -eq 0 ] || showlog "$log"
    da=sha256:$(ls "$T/gh-run$run/artifacts/digests-amd64" 2>/dev/null)
    db=sha256:$(ls "$T/gh-run$run/artifacts/digests-arm64" 2>/dev/null)
    is "per-arch run $run: skopeo sees an index of both platforms, the jobs' digests" \
        "$(platforms_of "$REG/gh/hello:$SHA")" "linux/amd64=$da linux/arm64=$db"
    is "... tagged latest too" "$(platforms_of "$REG/gh/hello:latest")" "linux/amd64=$da linux/arm64=$db"
    like "... the stitch job printed the index digest" "$(cat "$log")" "pushed $REG/gh/hello:$SHA = sha256:[0-9a-f]{64}"
    if [ "$run" = 1 ]; then
        dig1[amd64]=$da dig1[arm64]=$db
    else
        for a in amd64 arm64; do
            d=$([ $a = amd64 ] && echo "$da" || echo "$db")
            is "per-arch run 2: $a has the same layers as run 1 (reused, not rebuilt)" \
                "$(layers_of "$REG/gh/hello@$d")" "$(layers_of "$REG/gh/hello@${dig1[$a]}")"
        done
    fi
done
is "pushed by digest: the image repository has only the stitched tags" \
    "$(curl -s "http://$REG/v2/gh/hello/tags/list" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["tags"])))')" \
    "$SHA latest"
like "the recipe's own bud command ran (registry cache, push by digest, metadata file)" "$(cat "$CALLS")" \
    "^bud --platform linux/arm64 --build-arg BASE=$BASE --cache-from type=registry,ref=$REG/gh/hello-cache --cache-to type=registry,ref=$REG/gh/hello-cache,mode=max -o type=image,name=$REG/gh/hello,push=true,push-by-digest=true --metadata-file "
like "the recipe's own stitch command ran" "$(cat "$CALLS")" "^manifest create --push -t $REG/gh/hello:$SHA -t $REG/gh/hello:latest --digestfile "
like "the action's install step found xbuild on PATH" "$(cat "$T/log-run1-stitch-0")" "xbuild already installed: xbuild "

# --- single-runner.yml: both platforms under qemu through the action's inputs ---
WF=examples/ci/github/single-runner.yml
GHSET=(--set "REGISTRY=$REG" --set "IMAGE=$REG/gh/hello" --set "CACHE=$REG/gh/hello-cache"
    --set "BASE=$BASE" --set "TAG=$SHA-qemu" --ctx "github.sha=$SHA" --ctx github.actor=tester
    --ctx secrets.GITHUB_TOKEN=test-token)
gh qemu "$WF" image 0
rc=$?
is "single-runner: the image job (action: platforms, tags, push, cache, build-args) succeeds" "$rc" 0
[ $rc -eq 0 ] || showlog "$log"
like "... the action registered binfmt (arm64 already there)" "$(cat "$log")" "arm64: already registered"
unlike "... the shared cache of the per-arch jobs serves both platforms (no RUN)" "$(cat "$log")" "^built on "
idx=$(skopeo inspect --raw --tls-verify=false "docker://$REG/gh/hello:$SHA-qemu" 2>/dev/null | sha256sum | cut -c1-64)
like "... the action's digest output is the pushed index" "$(cat "$log")" "pushed $REG/gh/hello:$SHA-qemu = sha256:$idx"
is "... an index of both platforms" "$(platforms_of "$REG/gh/hello:$SHA-qemu" | sed 's/=sha256:[0-9a-f]*//g')" \
    "linux/amd64 linux/arm64"
like "... the action's bud command line" "$(cat "$CALLS")" \
    "^bud --platform linux/amd64,linux/arm64 -t $REG/gh/hello:$SHA-qemu -t $REG/gh/hello:latest --build-arg BASE=$BASE --cache-from type=registry,ref=$REG/gh/hello-cache --cache-to type=registry,ref=$REG/gh/hello-cache,mode=max --push --metadata-file "

# --- -o type=local: files handed to the next job ---
gh qemu "$WF" files 0
rc=$?
is "single-runner: the files job (-o type=local,dest=out, two platforms) succeeds" "$rc" 0
[ $rc -eq 0 ] || showlog "$log"
A=$T/gh-qemu/artifacts/hello-files
is "... the artifact holds one directory per platform" "$(ls "$A" 2>/dev/null | tr '\n' ' ')" "linux_amd64 linux_arm64 "
is "... linux_arm64/hello.txt" "$(cat "$A/linux_arm64/hello.txt" 2>/dev/null | tr '\n' ' ')" "hello from xbuild's CI recipes aarch64 "
is "... only the files stage's files" "$(cd "$A/linux_amd64" 2>/dev/null && find . -type f | sort | tr '\n' ' ')" "./build-time ./hello.txt "
gh qemu "$WF" use-files 0
rc=$?
is "single-runner: the next job downloads and uses them" "$rc" 0
like "... it reads the amd64 file" "$(cat "$log")" "files/linux_amd64: hello from xbuild's CI recipes x86_64"
like "... and the arm64 one" "$(cat "$log")" "files/linux_arm64: hello from xbuild's CI recipes aarch64"

# --- GitLab CI: per-arch jobs by runner tag, artifacts, the stitch job ---
GL=$S/examples/ci/gitlab/.gitlab-ci.yml
mapfile -t gljobs < <($RUNNER gitlab-jobs "$GL")
is "GitLab: jobs in stage order with their runner tags" "$(printf '%s\n' "${gljobs[@]}" | tr '\t\n' ': ')" \
    "build-amd64:build:amd64 build-arm64:build:arm64 stitch:stitch:amd64 "
for run in 1 2; do
    for jl in "${gljobs[@]}"; do
        j=${jl%%$'\t'*}
        id=gl$run-$j
        newws "$T/ws/$id"
        env REGISTRY_AUTH_FILE="$T/auth-$id.json" $RUNNER gitlab-job "$GL" "$j" --state "$T/gl-$run" \
            --workspace "$T/ws/$id" --set "CI_REGISTRY=$REG" --set "CI_REGISTRY_IMAGE=$REG/gl" \
            --set CI_REGISTRY_USER=tester --set CI_REGISTRY_PASSWORD=test-token --set "CI_COMMIT_SHA=$SHA" \
            --set "BASE=$BASE" --set "XBUILD_ROOT=$T/store-$id" >"$T/log-$id" 2>&1
        rc=$?
        is "GitLab run $run: job $j succeeds" "$rc" 0
        [ $rc -eq 0 ] || showlog "$T/log-$id"
        case $run:$j in
        1:build-amd64) like "... RUN executed on x86_64" "$(cat "$T/log-$id")" "^built on x86_64" ;;
        1:build-arm64) like "... RUN executed on aarch64" "$(cat "$T/log-$id")" "^built on aarch64" ;;
        2:build-*) unlike "... a fresh runner ran no RUN step (shared cache)" "$(cat "$T/log-$id")" "^built on " ;;
        esac
    done
    da=$(cat "$T/gl-$run/gitlab-artifacts/build-amd64/digests/amd64" 2>/dev/null)
    db=$(cat "$T/gl-$run/gitlab-artifacts/build-arm64/digests/arm64" 2>/dev/null)
    is "GitLab run $run: the stitched index lists both jobs' digests" \
        "$(platforms_of "$REG/gl/hello:$SHA")" "linux/amd64=$da linux/arm64=$db"
done

# --- Kubernetes Jobs: one per node architecture, then the unprivileged stitch Job ---
K=$S/examples/ci/k8s
mapfile -t kjobs < <($RUNNER k8s-jobs "$K/build-jobs.yaml")
is "Kubernetes: one Job per kubernetes.io/arch" "$(printf '%s\n' "${kjobs[@]}" | tr '\t\n' ': ')" \
    "xbuild-hello-amd64:amd64 xbuild-hello-arm64:arm64 "
KSET=(--set "IMAGE=$REG/k8s/hello" --set "CACHE=$REG/k8s/hello-cache" --set "BASE=$BASE")
for jl in "${kjobs[@]}"; do
    j=${jl%%$'\t'*}
    $RUNNER k8s-job "$K/build-jobs.yaml" "$j" --state "$T/k8s" "${KSET[@]}" >"$T/log-$j" 2>&1
    rc=$?
    is "Kubernetes: Job $j succeeds" "$rc" 0
    [ $rc -eq 0 ] || showlog "$T/log-$j"
    like "... built from the ConfigMap context" "$(cat "$T/log-$j")" "^built on (x86_64|aarch64)"
done
$RUNNER k8s-job "$K/stitch-job.yaml" xbuild-hello-stitch --state "$T/k8s" "${KSET[@]}" >"$T/log-k8s-stitch" 2>&1
rc=$?
is "Kubernetes: the stitch Job succeeds as uid 65534 with no capability" "$rc" 0
[ $rc -eq 0 ] || showlog "$T/log-k8s-stitch"
da=$(skopeo inspect --raw --tls-verify=false "docker://$REG/k8s/hello:1.0.0-amd64" 2>/dev/null | sha256sum | cut -c1-64)
db=$(skopeo inspect --raw --tls-verify=false "docker://$REG/k8s/hello:1.0.0-arm64" 2>/dev/null | sha256sum | cut -c1-64)
is "Kubernetes: the index lists the two Jobs' images" "$(platforms_of "$REG/k8s/hello:1.0.0")" \
    "linux/amd64=sha256:$da linux/arm64=sha256:$db"
check "skopeo copy --all of the Kubernetes index" \
    skopeo copy -q --all --src-tls-verify=false "docker://$REG/k8s/hello:1.0.0" "oci:$T/k8s-copy:x"

done_testing

#!/usr/bin/env bash
# xbuild vs buildah benchmark (run by hand or by CI on demand; never a timed test).
#
#   bench/run.sh [--runs N] [--workloads 1,2,3,4,5] [--no-buildah] [--no-xbuild] [--keep]
#                [--rootless USER]
#
# --rootless USER adds the tool "xb-rless": the same xbuild run as USER (an ordinary user with a
# subordinate id range in /etc/subuid, /etc/subgid: rootless mode, docs/design/run.md), its
# store on its own fresh filesystem, and a "rl/root" ratio line (rootless / root xbuild); root's
# xbuild is then started through the same setpriv/env -i wrapper. A cold rootless build enters a
# new user namespace and leaves its holder; the warm rebuild joins it (docs/design/run.md, "Kept
# namespace"). XBUILD_USERNS_KEEP=0 bench/run.sh ... measures without keeping.
#
# Workload 5 (ci-cold, xbuild only): "cold" is a plain cold build; its second phase, printed as
# "ci-cold", is the same build on a new empty store with --cache-from the registry cache that an
# untimed --cache-to run of the cold store exported (a fresh CI runner with a warm shared cache).
# For every workload and tool: a cold build (empty store/cache) + push, then a warm rebuild
# (same store, nothing changed) + push, to a docker-registry on a random loopback port. Prints
# wall time (build+push), peak RSS (max of build and push, GNU time %M) and pushed bytes (blobs
# and manifests the push added beyond the base image), medians of N runs, and xbuild/buildah.
# Also raw compression throughput of workload 2's layer tar: pigz -p$(nproc), gzip, and
# bench/compress-bench when present. Setup: bench/setup.sh. Bases: bench/bases.sh.
# Each tool's run starts on a freshly made ext4 filesystem for its store (loop-mounted sparse
# file), and every measured command starts after a sync.
# buildah runs with --isolation chroot --storage-driver overlay --layers; both tools read the
# same base images (built by bench/make-image.py from Debian packages) from the registry.
set -uo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$BENCH_DIR")
RUNS=3
WORKLOADS=1,2,3,4
# (5, ci-cold, runs when asked for: --workloads 5)
USE_BUILDAH=1
USE_XBUILD=1
KEEP=
RL_USER=
XBUILD=${XBUILD:-$TOP/src/xbuild}
while [ $# -gt 0 ]; do
    case $1 in
    --runs) RUNS=$2; shift ;;
    --workloads) WORKLOADS=$2; shift ;;
    --no-buildah) USE_BUILDAH= ;;
    --no-xbuild) USE_XBUILD= ;;
    --keep) KEEP=1 ;;
    --rootless) RL_USER=$2; shift ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
command -v buildah >/dev/null 2>&1 || { [ -n "$USE_BUILDAH" ] && echo "bench: buildah not installed (bench/setup.sh); xbuild only" >&2; USE_BUILDAH=; }
[ -x "$XBUILD" ] || { [ -n "$USE_XBUILD" ] && echo "bench: $XBUILD missing; buildah only" >&2; USE_XBUILD=; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (bench/setup.sh)" >&2; exit 1; }
. "$BENCH_DIR/bases.sh"

W=$(mktemp -d /var/tmp/xbbench.XXXXXX)
LOG="$W/log"
if [ -n "$RL_USER" ]; then
    id -u "$RL_USER" >/dev/null 2>&1 && grep -q "^$RL_USER:" /etc/subuid ||
        { echo "bench: --rootless $RL_USER: no such user, or no range in /etc/subuid" >&2; exit 2; }
    chmod 755 "$W" # the user reads the binary copy and the contexts
fi
# a private copy: rebuilding the tree during a run must not change the binary under test
if [ -n "$USE_XBUILD" ]; then
    cp "$XBUILD" "$W/xbuild-bin" && XBUILD_SRC=$XBUILD && XBUILD=$W/xbuild-bin
fi
REG_PID=
cleanup() {
    [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null
    buildah_reset "$W/buildah" 2>/dev/null
    for d in "$W/xbuild" "$W/xb-rless" "$W/buildah"; do mountpoint -q "$d" && umount -l "$d"; done
    [ -n "$KEEP" ] && { echo "bench: kept $W" >&2; return; }
    rm -rf "$W"
}
trap cleanup EXIT

start_registry() {
    REG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir -p "$W/registry"
    cat >"$W/registry.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $W/registry}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$REG_PORT}
EOF
    docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
    REG_PID=$!
    REG=127.0.0.1:$REG_PORT
    for _ in $(seq 50); do
        curl -fs "http://$REG/v2/" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "bench: registry did not start" >&2
    cat "$W/registry.log" >&2
    exit 1
}

# timed OUTVAR CMD...: runs CMD, sets OUTVAR to "wall_seconds max_rss_kb"; failures -> "FAIL"
timed() {
    local var=$1
    shift
    echo "+ $*" >>"$LOG"
    # every measurement starts with the disk quiet: the previous phase's (either tool's) dirty
    # pages written back, so one tool does not pay for the other's writeback
    sync
    if /usr/bin/time -f '%e %M' -o "$W/time.out" "$@" >>"$LOG" 2>&1; then
        printf -v "$var" '%s' "$(tail -1 "$W/time.out")"
    else
        printf -v "$var" 'FAIL'
        tail -5 "$LOG" | sed 's/^/bench:   /' >&2
    fi
}

buildah_reset() {
    local root=$1
    [ -d "$root" ] || return 0
    buildah --root "$root/storage" --runroot "$root/run" --storage-driver overlay rm -a >/dev/null 2>&1
    buildah --root "$root/storage" --runroot "$root/run" --storage-driver overlay rmi -af >/dev/null 2>&1
    grep -o " $root/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
    mountpoint -q "$root" || rm -rf "$root"
}

# fresh_fs DIR: DIR becomes an empty, newly made ext4 filesystem (a loop-mounted sparse file in
# $W). Each tool's cold build starts on one, so neither pays for the inodes the other (or an
# earlier run) deleted: ext4 scans recently deleted inodes when it allocates new ones, which
# made whichever tool ran after a big `rm -rf` seconds slower. Falls back to a plain dir.
fresh_fs() {
    local d=$1 img=$1.img
    if mountpoint -q "$d"; then umount "$d" || umount -l "$d"; fi
    rm -rf "$d" "$img"
    mkdir -p "$d"
    if ! { truncate -s 32G "$img" && mkfs.ext4 -q -F "$img" && mount -o loop "$img" "$d"; } 2>>"$LOG"; then
        echo "bench: no fresh filesystem at $d (see $LOG); using a plain directory" >&2
        rm -f "$img"
    fi
}

PLATFORMS_4=linux/amd64,linux/arm64,linux/arm/v7,linux/ppc64le,linux/s390x
platforms_of() { [ "$1" = 4 ] && echo "$PLATFORMS_4" || echo linux/arm64; }
base_of() {
    case $1 in
    3) echo "debian arm64" ;;
    4) echo "busybox multi" ;;
    *) echo "busybox arm64" ;;
    esac
}

# build_push TOOL N PHASE RUN -> sets RES="wall rss bytes" or FAIL
build_push() {
    local tool=$1 n=$2 phase=$3 r=$4
    local dir="$BENCH_DIR/workloads/$n-"*
    dir=$(echo $dir)
    local ctx="$W/ctx/$n" plats name="bench-w$n" dest repo b p
    plats=$(platforms_of "$n")
    repo="bench/$tool-w$n"
    dest="docker://$REG/$repo:$phase-r$r"
    if [ "$tool" = xbuild ] || [ "$tool" = xb-rless ]; then
        local X=("$XBUILD" --root "$W/xbuild")
        # with --rootless, root's xbuild is started the same way as the user's (setpriv, env -i),
        # so the rl/root ratio compares xbuild with xbuild, not the wrappers' exec time
        [ -n "$RL_USER" ] && X=(setpriv --reuid 0 --regid 0 --init-groups env -i
            PATH=/usr/bin:/bin HOME="$W/xbuild" "$XBUILD" --root "$W/xbuild")
        # setpriv, not runuser: no PAM session in the measured time. XBUILD_USERNS_KEEP is passed
        # on when set (0: every rootless command enters a namespace of its own)
        [ "$tool" = xb-rless ] && X=(setpriv --reuid "$RL_USER" --regid "$(id -g "$RL_USER")"
            --init-groups env -i PATH=/usr/bin:/bin HOME="$W/xb-rless"
            ${XBUILD_USERNS_KEEP+XBUILD_USERNS_KEEP=$XBUILD_USERNS_KEEP} "$XBUILD"
            --root "$W/xb-rless/store")
        # loopback registries are plain HTTP for xbuild without flags; pass --tls-verify=false
        # only where a command knows it
        local tb tp
        tb=$("$XBUILD" bud --help 2>&1 | grep -q -- --tls-verify && echo --tls-verify=false)
        tp=$("$XBUILD" push --help 2>&1 | grep -q -- --tls-verify && echo --tls-verify=false)
        local cache=() cref="$REG/bench/cache-w$n-r$r"
        if [ "$n" = 5 ] && [ "$phase" = warm ]; then
            fresh_fs "$W/xbuild" # ci-cold: a new runner, only the registry cache is warm
            cache=(--cache-from "$cref")
        fi
        timed b "${X[@]}" bud --platform "$plats" $tb --build-arg "REGISTRY=$REG" \
            ${cache[@]+"${cache[@]}"} -t "$name" -f "$dir/Dockerfile" "$ctx"
        [ "$b" = FAIL ] && { RES=FAIL; return; }
        if [ "$n" = 5 ] && [ "$phase" = cold ]; then # not timed: the first runner's export
            "${X[@]}" bud --platform "$plats" --build-arg "REGISTRY=$REG" --cache-to "$cref" \
                -t "$name" -f "$dir/Dockerfile" "$ctx" >>"$LOG" 2>&1
        fi
        if [ "$n" = 4 ]; then
            timed p "${X[@]}" manifest push --tls-verify=false "$name" "$dest"
        else
            timed p "${X[@]}" push $tp "$name" "$dest"
        fi
    else
        local B=(buildah --root "$W/buildah/storage" --runroot "$W/buildah/run" --storage-driver overlay)
        if [ "$n" = 4 ]; then
            [ "$phase" = warm ] && "${B[@]}" manifest rm "$name" >/dev/null 2>&1
            timed b "${B[@]}" bud --isolation chroot --layers --platform "$plats" --tls-verify=false \
                --build-arg "REGISTRY=$REG" --manifest "$name" -f "$dir/Dockerfile" "$ctx"
            [ "$b" = FAIL ] && { RES=FAIL; return; }
            timed p "${B[@]}" manifest push --all --tls-verify=false "$name" "$dest"
        else
            timed b "${B[@]}" bud --isolation chroot --layers --platform "$plats" --tls-verify=false \
                --build-arg "REGISTRY=$REG" -t "$name" -f "$dir/Dockerfile" "$ctx"
            [ "$b" = FAIL ] && { RES=FAIL; return; }
            timed p "${B[@]}" push --tls-verify=false "$name" "$dest"
        fi
    fi
    [ "$p" = FAIL ] && { RES=FAIL; return; }
    local base bytes
    read -r -a base <<<"$(base_of "$n")"
    bytes=$(python3 "$BENCH_DIR/pushed-bytes.py" "$REG" "$repo" "$phase-r$r" "${base[0]}" "${base[1]}" 2>>"$LOG") || bytes=NA
    RES=$(awk -v b="$b" -v p="$p" -v n="$bytes" 'BEGIN { split(b, x, " "); split(p, y, " ");
        printf "%.2f %d %s", x[1] + y[1], (x[2] > y[2] ? x[2] : y[2]), n }')
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "NA"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
start_registry
echo "bench: registry $REG, work dir $W, runs $RUNS, workloads $WORKLOADS" >&2
need_debian=
case ",$WORKLOADS," in *,3,*) need_debian=1 ;; esac
bases_binfmt
bases_push "$REG" "$need_debian" || { echo "bench: could not prepare base images" >&2; exit 1; }

declare -A R # R[n,phase,tool,metric] = space-separated values over runs
TOOLS=()
[ -n "$USE_XBUILD" ] && TOOLS+=(xbuild)
[ -n "$USE_XBUILD" ] && [ -n "$RL_USER" ] && TOOLS+=(xb-rless)
[ -n "$USE_BUILDAH" ] && TOOLS+=(buildah)
IFS=, read -r -a WL <<<"$WORKLOADS"
for n in "${WL[@]}"; do
    mkdir -p "$W/ctx"
    sh "$BENCH_DIR/workloads/$n-"*/gen.sh "$W/ctx/$n"
    for ((r = 1; r <= RUNS; r++)); do
        for tool in "${TOOLS[@]}"; do
            [ "$n" = 5 ] && [ "$tool" = buildah ] && continue # ci-cold is xbuild's registry cache
            buildah_reset "$W/buildah"
            fresh_fs "$W/xbuild"
            fresh_fs "$W/buildah"
            if [ -n "$RL_USER" ]; then fresh_fs "$W/xb-rless" && chown "$RL_USER" "$W/xb-rless"; fi
            for phase in cold warm; do
                echo "bench: workload $n run $r $tool $phase" >&2
                build_push "$tool" "$n" "$phase" "$r"
                if [ "$RES" = FAIL ]; then
                    R[$n,$phase,$tool,fail]=1
                    break
                fi
                read -r wall rss bytes <<<"$RES"
                R[$n,$phase,$tool,wall]+=" $wall"
                R[$n,$phase,$tool,rss]+=" $rss"
                R[$n,$phase,$tool,bytes]+=" $bytes"
            done
        done
    done
    rm -rf "$W/ctx/$n"
done

echo
echo "machine: $(nproc) cpus ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -h | awk '/^Mem:/ {print $2}') RAM, kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "xbuild: $([ -n "$USE_XBUILD" ] && "$XBUILD" --version 2>/dev/null | head -1) ($(git -C "$TOP" rev-parse --short HEAD 2>/dev/null)$(git -C "$TOP" diff --quiet HEAD -- src 2>/dev/null || echo ", modified")), stripped size $(strip -o "$W/xb.stripped" "$XBUILD" 2>/dev/null && stat -c %s "$W/xb.stripped") bytes"
echo "buildah: $([ -n "$USE_BUILDAH" ] && buildah --version), qemu-user-static $(dpkg-query -W -f='${Version}' qemu-user-static 2>/dev/null), pigz $(dpkg-query -W -f='${Version}' pigz 2>/dev/null)"
echo "load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "runs: $RUNS (medians; wall range = min-max over the runs); wall = build + push; rss = max(build, push); pushed = manifest(s), configs"
echo "and layers the image adds to its base (the same for warm: identical image, registry skips them)"
echo
printf '%-9s %-5s %-8s %9s %9s %12s  %s\n' workload phase tool "wall(s)" "rss(MB)" "pushed(MB)" "wall range"
for n in "${WL[@]}"; do
    for phase in cold warm; do
        declare -A M=()
        pl=$phase
        [ "$n" = 5 ] && [ "$phase" = warm ] && pl=ci-cold
        for tool in "${TOOLS[@]}"; do
            [ -z "${R[$n,$phase,$tool,fail]:-}" ] && [ -z "${R[$n,$phase,$tool,wall]:-}" ] && continue
            if [ -n "${R[$n,$phase,$tool,fail]:-}" ] && [ -z "${R[$n,$phase,$tool,wall]:-}" ]; then
                printf '%-9s %-5s %-8s %9s %9s %12s\n' "$n" "$phase" "$tool" FAILED - -
                continue
            fi
            M[$tool,wall]=$(echo "${R[$n,$phase,$tool,wall]:-}" | median)
            M[$tool,rss]=$(echo "${R[$n,$phase,$tool,rss]:-}" | median)
            M[$tool,bytes]=$(echo "${R[$n,$phase,$tool,bytes]:-}" | median)
            range=$(echo "${R[$n,$phase,$tool,wall]:-}" | tr ' ' '\n' | grep -v '^$' | sort -g | sed -n '1p;$p' | paste -sd-)
            awk -v n="$n" -v ph="$pl" -v t="$tool" -v w="${M[$tool,wall]}" -v m="${M[$tool,rss]}" \
                -v b="${M[$tool,bytes]}" -v rg="$range" 'BEGIN { printf "%-9s %-7s %-8s %9.2f %9.1f %12.2f  %s\n",
                n, ph, t, w, m / 1024, b / 1048576, rg }'
        done
        if [ -n "${M[xbuild,wall]:-}" ] && [ -n "${M[buildah,wall]:-}" ]; then
            awk -v n="$n" -v ph="$phase" -v w1="${M[xbuild,wall]}" -v w2="${M[buildah,wall]}" \
                -v m1="${M[xbuild,rss]}" -v m2="${M[buildah,rss]}" -v b1="${M[xbuild,bytes]}" \
                -v b2="${M[buildah,bytes]}" 'function r(a, b) { return (b > 0 ? sprintf("%.2fx", a / b) : "-") }
                BEGIN { printf "%-9s %-5s %-8s %9s %9s %12s\n", n, ph, "ratio", r(w1, w2), r(m1, m2), r(b1, b2) }'
        fi
        if [ -n "${M[xbuild,wall]:-}" ] && [ -n "${M[xb-rless,wall]:-}" ]; then
            awk -v n="$n" -v ph="$phase" -v w1="${M[xb-rless,wall]}" -v w2="${M[xbuild,wall]}" \
                -v m1="${M[xb-rless,rss]}" -v m2="${M[xbuild,rss]}" -v b1="${M[xb-rless,bytes]}" \
                -v b2="${M[xbuild,bytes]}" 'function r(a, b) { return (b > 0 ? sprintf("%.2fx", a / b) : "-") }
                BEGIN { printf "%-9s %-5s %-8s %9s %9s %12s\n", n, ph, "rl/root", r(w1, w2), r(m1, m2), r(b1, b2) }'
        fi
        unset M
    done
done

# Raw compression throughput on workload 2's data (as one tar).
echo
sh "$BENCH_DIR/workloads/2-context/gen.sh" "$W/ctx/2"
tar --sort=name -C "$W/ctx/2" -cf "$W/layer.tar" .
rm -rf "$W/ctx/2"
SIZE=$(stat -c %s "$W/layer.tar")
cat "$W/layer.tar" >/dev/null # page cache
thr() { awk -v s="$SIZE" -v t="$1" 'BEGIN { printf "%.1f", (t > 0 ? s / 1048576 / t : 0) }'; }
echo "compression of a $(awk -v s="$SIZE" 'BEGIN { printf "%.0f", s / 1048576 }') MB layer tar (workload 2), level 6, $(nproc) cores:"
t0=$(date +%s.%N); pigz -6 -p"$(nproc)" <"$W/layer.tar" >/dev/null; t1=$(date +%s.%N)
pt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
printf '  %-34s %8s MB/s\n' "pigz -6 -p$(nproc)" "$(thr "$pt")"
t0=$(date +%s.%N); gzip -6 <"$W/layer.tar" >/dev/null; t1=$(date +%s.%N)
printf '  %-34s %8s MB/s\n' "gzip -6 (1 core)" "$(thr "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")"
CB=$TOP/bench/compress-bench
[ -x "$CB" ] || make -C "$TOP" bench/compress-bench >/dev/null 2>&1
if [ -x "$CB" ]; then
    "$CB" -s $((SIZE / 1048576 + 1)) -l 6 "$W/layer.tar" 2>&1 | sed 's/^/  /'
else
    echo "  xbuild layer compression: bench/compress-bench not built (no number)"
fi

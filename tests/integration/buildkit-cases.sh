#!/usr/bin/env bash
# BuildKit's Dockerfile integration tests (frontend/dockerfile/dockerfile_*_test.go), ported as
# data: one directory per case under tests/buildkit/ (format: tests/buildkit/README.md), each
# built here with `xbuild bud` (amd64, FROM busybox = the busybox-static image of
# tests/lib/busybox.sh) and checked by tests/buildkit/check.py, an independent reader of the
# store's OCI layout. One TAP line per case; the upstream tests xbuild cannot run are listed
# in tests/buildkit/SKIP with the reason, one TAP skip line each.
#   BK_CASES="testCopyChmod testGlobalArg" limits the run to those cases.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/busybox.sh"
. "$top_srcdir/tests/lib/registry.sh"
require_root "RUN steps need namespaces"
# the system python (a version manager's shim on PATH can cost seconds per start)
PY=$(command -v /usr/bin/python3 || command -v python3) || { echo "1..0 # SKIP python3 missing"; exit 0; }
export PY
CASES=$top_srcdir/tests/buildkit
export CASES
bb_image amd64 busybox:latest linux/amd64 || { fail "busybox base image"; done_testing; exit 1; }

# ADD <URL> cases: @HTTP@ in a Dockerfile is the URL of the case's context dir on a local server
HTTP_PORT=
start_http() {
    mkdir -p "$T/ctx"
    "$PY" - "$T/ctx" >"$T/http.port" 2>"$T/http.log" <<'PY' &
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
    HTTP_PID=$!
    at_exit "kill $HTTP_PID"
    local i
    for i in $(seq 50); do [ -s "$T/http.port" ] && break; sleep 0.1; done
    HTTP_PORT=$(cat "$T/http.port")
    printf 'the root of the test server\n' >"$T/ctx/index.html"
}

# subst FILE|-: the runner's names in a Dockerfile or a case line: @HTTP@, @HTTPROOT@, @REGISTRY@
# and @base@, @base2@... (set per case in $sub)
subst() {
    sed "s|@HTTP@|http://127.0.0.1:$HTTP_PORT/$name|g; s|@HTTPROOT@|http://127.0.0.1:$HTTP_PORT|g;
         s|@REGISTRY@|${REG:-no-registry}|g; $sub" "$@"
}
# case_lines DIRECTIVE: that directive's lines of the case, names substituted
case_lines() { sed -n "s/^$1[[:space:]]\{1,\}//p" "$dir/case" | subst; }
# run_case prints "ok NAME" or "not ok NAME" and diagnostics; it runs in the background
run_case() { # DIR
    local dir=$1 name ctx tag rc args=() line
    name=$(basename "$dir")
    ctx=$T/ctx/$name
    tag=bk-$(printf '%s' "$name" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9.\n-' '-')
    mkdir -p "$ctx"
    [ -d "$dir/context" ] && cp -a "$dir/context/." "$ctx/"
    local df sub=""
    for df in "$dir"/Dockerfile.base*; do
        [ -f "$df" ] || continue
        df=${df##*/}
        sub="$sub s|@${df#Dockerfile.}@|$tag-${df#Dockerfile.}|g;"
    done
    for df in Dockerfile "$dir"/Dockerfile.base*; do
        df=${df##*/}
        [ -f "$dir/$df" ] || continue
        subst "$dir/$df" >"$ctx/$df"
    done
    if [ -f "$dir/setup.sh" ] && ! (cd "$ctx" && sh "$dir/setup.sh") >"$T/$name.setup" 2>&1; then
        echo "not ok $name: setup.sh failed"; sed 's/^/#   /' "$T/$name.setup"; return
    fi
    # Dockerfile.base, Dockerfile.base2...: images built first (same context, in that order),
    # named @base@, @base2@... in the Dockerfiles
    for df in "$dir"/Dockerfile.base*; do
        [ -f "$df" ] || continue
        df=${df##*/}
        if ! (cd "$ctx" && "$XBUILD" bud -t "$tag-${df#Dockerfile.}" -f "$df" .) >"$T/$name.log" 2>&1; then
            echo "not ok $name: building $df"; sed 's/^/#   /' "$T/$name.log" | tail -10; return
        fi
    done
    # `prepare SHELL` lines: after the base images, before the build (push them somewhere...)
    if grep -q '^prepare ' "$dir/case" &&
        ! (cd "$ctx" && case_lines prepare | sh -e) >"$T/$name.log" 2>&1; then
        echo "not ok $name: prepare failed"; sed 's/^/#   /' "$T/$name.log" | tail -10; return
    fi
    # `bud ARGS...` lines of the case: extra flags (paths relative to the context dir; $(...)
    # runs there too)
    local first=() args2=() store=$XB_ROOT
    cd "$ctx" || return # (run_case runs in a subshell of its own)
    while IFS= read -r line; do
        eval "args+=($line)"
    done < <(case_lines bud)
    while IFS= read -r line; do
        eval "args2+=($line)"
    done < <(case_lines bud2)
    if grep -q '^mutate \|^bud2 \|^fresh-store' "$dir/case"; then
        # a first build, the context changed by the `mutate` lines, then the build checked.
        # Both builds use a store of the case's own (a copy of the busybox-only store): the
        # `same`/`differs` checks are about this case's cache, and a case running in parallel
        # with the same steps (testNoCache, testNoCache-filter) would replace its entries
        store=$T/store-$name
        cp -a "$T/bb-store" "$store"
        if ! (cd "$ctx" && XBUILD_ROOT=$store "$XBUILD" bud -t "$tag-first" "${args[@]}" .) \
            >"$T/$name.log" 2>&1; then
            echo "not ok $name: first build"; sed 's/^/#   /' "$T/$name.log" | tail -10; return
        fi
        first=("$tag-first" "$store")
        (cd "$ctx" && case_lines mutate | sh) >>"$T/$name.log" 2>&1
        if grep -q '^fresh-store' "$dir/case"; then
            # `fresh-store`: the second build in a store holding busybox:latest only (what
            # BuildKit's tests get from pruning everything), as a second CI runner would
            store=$T/store2-$name
            cp -a "$T/bb-store" "$store"
        fi
    fi
    [ ${#args2[@]} -eq 0 ] || args=("${args2[@]}")
    (cd "$ctx" && XBUILD_ROOT=$store "$XBUILD" bud -t "$tag" "${args[@]}" .) >"$T/$name.log" 2>&1
    rc=$?
    # the image is checked later, with every other case's, by one check.py process
    printf '%s\n' "$store" "$tag" "$dir/case" "$T/$name.log" "$rc" "${first[@]}" >"$T/res/$name.args"
    # `check-sh SHELL` lines: run in the context dir after the build; each must succeed
    while IFS= read -r line; do
        if ! (cd "$ctx" && XBUILD_ROOT=$store sh -ec "$line") >"$T/$name.sh" 2>&1; then
            echo "#   check-sh failed: $line"
            sed 's/^/#   | /' "$T/$name.sh" | tail -5
            break
        fi
    done < <(case_lines check-sh)
}

want=" ${BK_CASES:-} "
dirs=()
for dir in "$CASES"/*/; do
    dir=${dir%/}
    [ -f "$dir/case" ] || continue
    [ -z "${BK_CASES:-}" ] || [[ $want == *" $(basename "$dir") "* ]] || continue
    dirs+=("$dir")
done
# the local HTTP server and registry are started once, before the cases run in parallel
for dir in "${dirs[@]}"; do
    if grep -qs @HTTP "$dir"/Dockerfile* "$dir/case"; then start_http; break; fi
done
REG=
for dir in "${dirs[@]}"; do
    grep -qs @REGISTRY@ "$dir"/Dockerfile* "$dir/case" || continue
    [ -x "${REGISTRY_BIN:-/usr/bin/docker-registry}" ] || { fail "cases with @REGISTRY@ need docker-registry (scripts/bootstrap.sh installs it)"; break; }
    registry_start anonymous || fail "cases with @REGISTRY@: docker-registry did not start"
    break
done
# cases that build twice (`mutate`, `bud2`, `fresh-store`) start from a copy of this store
# (busybox only)
if grep -qs '^mutate \|^bud2 \|^fresh-store' "${dirs[@]/%//case}"; then
    cp -a "$XB_ROOT" "$T/bb-store"
fi
# BK_JOBS cases at a time (default 2: CI has 2 cores); results are reported in name order
mkdir -p "$T/res"
jobs_max=${BK_JOBS:-2}
pids=()
# the servers started above (HTTP, registry) are children too: count the cases only
services=" $(jobs -pr | tr '\n' ' ') "
running_cases() {
    local p n=0
    for p in $(jobs -pr); do [[ $services == *" $p "* ]] || n=$((n + 1)); done
    echo $n
}
for dir in "${dirs[@]}"; do
    while [ "$(running_cases)" -ge "$jobs_max" ]; do
        wait -n
    done
    run_case "$dir" >"$T/res/$(basename "$dir")" 2>&1 &
    pids+=($!)
done
wait "${pids[@]}"
# the images of every built case, checked by one check.py process
args=("$T"/res/*.args)
[ -e "${args[0]}" ] && "$PY" "$CASES/check.py" --batch "${args[@]}"
for dir in "${dirs[@]}"; do
    n=$(basename "$dir")
    r=$T/res/$n
    line=$(head -1 "$r")
    if [[ $line == "not ok "* ]]; then # a step before the checked build failed
        tail -n +2 "$r" >"$r.diag"
    elif [ "$(cat "$r.result" 2>/dev/null)" = ok ] && [ ! -s "$r" ]; then
        line="ok $n"
        : >"$r.diag"
    else # the checker's diagnostics, then check-sh's
        line="not ok $n"
        {
            if [ -f "$r.result" ]; then grep -vx ok "$r.result"; else echo "#   no verdict from check.py"; fi
            cat "$r"
        } >"$r.diag"
    fi
    # `todo REASON` in a case: a known gap fixed elsewhere; TAP TODO (a pass is an XPASS, which
    # fails the run so that the marker gets removed)
    todo=$(sed -n 's/^todo[[:space:]]\{1,\}//p' "$dir/case" | head -1)
    if [ -n "$todo" ]; then
        _tap_n=$((_tap_n + 1))
        case $line in
        "ok "*) echo "ok $_tap_n - ${line#ok } # TODO $todo" ;;
        *) echo "not ok $_tap_n - ${line#not ok } # TODO $todo"; cat "$r.diag" ;;
        esac
        continue
    fi
    case $line in
    "ok "*) ok "${line#ok }" ;;
    *) fail "${line#not ok }"; cat "$r.diag" ;;
    esac
done
if [ -z "${BK_CASES:-}" ]; then
    while IFS='|' read -r name file reason; do
        name=$(echo $name); [ -n "$name" ] && [ "${name#\#}" = "$name" ] || continue
        skip "$name ($(echo $file)): $(echo $reason)"
    done <"$CASES/SKIP"
fi
done_testing

#!/bin/bash
# Golden parser tests: every tests/dockerfile/golden/<name>.Dockerfile is parsed with
# `xbuild parse --json` and compared (as JSON values) with <name>.json. One TAP line per case.
. "$top_srcdir/tests/lib/common.sh"

GOLDEN="$top_srcdir/tests/dockerfile/golden"
# compare GOT WANT: exit 0 when equal JSON values, else print the differing entries
compare() {
    python3 - "$1" "$2" <<'PY'
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
if got == want:
    sys.exit(0)
for i in range(max(len(got), len(want))):
    g = got[i] if i < len(got) else None
    w = want[i] if i < len(want) else None
    if g != w:
        print("#   entry %d\n#   got:  %s\n#   want: %s" % (i, json.dumps(g), json.dumps(w)))
sys.exit(1)
PY
}

n=0
for df in "$GOLDEN"/*.Dockerfile; do
    name=$(basename "$df" .Dockerfile)
    n=$((n + 1))
    if ! "$XBUILD" parse --json -f "$df" >"$T/$name.json" 2>"$T/$name.err"; then
        fail "golden $name: parse failed"
        sed 's/^/#   /' "$T/$name.err"
        continue
    fi
    if out=$(compare "$T/$name.json" "$GOLDEN/$name.json"); then
        ok "golden $name"
    else
        fail "golden $name"
        printf '%s\n' "$out"
    fi
done
[ "$n" -ge 10 ] && ok "found $n golden cases" || fail "only $n golden cases found"

# The plain format: "LINE: KEYWORD flags args".
out=$("$XBUILD" parse -f "$GOLDEN/flags.Dockerfile")
like "plain output: COPY with flags" "$out" \
    '^5: COPY --from=build --chown=app:app --chmod=0755 --link /out/app /usr/bin/app$'
like "plain output: JSON form" "$out" '^9: HEALTHCHECK --interval=5m .* CMD \["curl","-f","http://localhost/"\]$'
out=$("$XBUILD" parse -f "$GOLDEN/env_label.Dockerfile")
like "plain output: ENV pairs" "$out" '^10: ENV abc=bye def=\$abc$'

# Default file: CONTEXT/Dockerfile.
mkdir -p "$T/ctx"
printf 'FROM busybox\nRUN true\n' >"$T/ctx/Dockerfile"
out=$("$XBUILD" parse "$T/ctx")
is "default Dockerfile in CONTEXT" "$out" "1: FROM busybox
2: RUN true"
out=$(cd "$T/ctx" && "$XBUILD" parse --json)
like "default CONTEXT is ." "$out" '"instruction": "RUN"'
out=$(printf 'FROM scratch\nCOPY a /b\n' | "$XBUILD" parse -f -)
is "-f - reads standard input" "$out" "1: FROM scratch
2: COPY a /b"
out=$(printf 'FROM scratch\nBOGUS\n' | "$XBUILD" parse -f - 2>&1)
like "stdin errors are named -:LINE" "$out" '-:2: unknown instruction: BOGUS'
check "--help" "$XBUILD" parse --help
out=$("$XBUILD" parse --bogus 2>&1); rc=$?
is "unknown option exits 2" "$rc" 2
check_fails "missing Dockerfile fails" "$XBUILD" parse -f "$T/nope/Dockerfile"
done_testing

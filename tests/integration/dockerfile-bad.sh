#!/bin/bash
# Negative parser tests: every tests/dockerfile/bad/<name>.Dockerfile must make
# `xbuild parse` exit non-zero with "<file>:<line>: <message>" on stderr. The expected
# ":<line>: <message>" part is in <name>.expect, or else on the first line as "# expect: ...".
. "$top_srcdir/tests/lib/common.sh"

BAD="$top_srcdir/tests/dockerfile/bad"
n=0
for df in "$BAD"/*.Dockerfile; do
    name=$(basename "$df" .Dockerfile)
    n=$((n + 1))
    if [ -f "$BAD/$name.expect" ]; then
        expect=$(head -n1 "$BAD/$name.expect")
    else
        expect=$(head -n1 "$df" | sed -n 's/^# expect: //p')
    fi
    if [ -z "$expect" ]; then
        fail "bad $name: no expectation"
        continue
    fi
    if out=$("$XBUILD" parse -f "$df" 2>&1); then
        fail "bad $name: parse unexpectedly succeeded"
        printf '%s\n' "$out" | sed 's/^/#   /' | head -5
        continue
    fi
    case "$out" in
    *"$df$expect"*) ok "bad $name" ;;
    *)
        fail "bad $name"
        echo "#   got:  $out"
        echo "#   want: ...$df$expect..."
        ;;
    esac
done
[ "$n" -ge 30 ] && ok "found $n negative cases" || fail "only $n negative cases found"
done_testing

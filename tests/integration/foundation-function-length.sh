#!/usr/bin/env bash
# Functions a reader can hold in their head (issue 15): scripts/check-function-length.sh finds
# no function over 100 lines in src/ besides its ALLOWED list, which can only shrink. Also checks
# that the checker can fail: a planted long function and a stale ALLOWED entry are reported.
. "$top_srcdir/tests/lib/common.sh"

check "scripts/check-function-length.sh passes on the tree" "$top_srcdir/scripts/check-function-length.sh"
out=$("$top_srcdir/scripts/check-function-length.sh" --list 2>&1)
unlike() { if printf '%s' "$2" | grep -Eq -- "$3"; then fail "$1"; else ok "$1"; fi; }
unlike "--list: none left in src/builder, src/registry, src/layer, src/wasm" "$out" "src/(builder|registry|layer|wasm)/"

mkdir -p "$T/tree"
cp -r "$top_srcdir/scripts" "$T/tree/"
mkdir -p "$T/tree/src"
(cd "$top_srcdir" && find src -name '*.c' -print0 | xargs -0 cp --parents -t "$T/tree")
# a function of 101 lines (strings and comments with braces must not fool the scanner)
{
    printf 'int planted_long(int x)\n{\n    const char *s = "}}}";\n    /* { */\n'
    for i in $(seq 1 97); do printf '    x += %d;\n' "$i"; done
    printf '    return x;\n}\n'
} >>"$T/tree/src/util/buf.c"
out=$("$T/tree/scripts/check-function-length.sh" "$T/tree" 2>&1)
rc=$?
is "a planted 102-line function fails the check" "$rc" 1
like "... naming it, its file, line and length" "$out" 'src/util/buf\.c:[0-9]+: planted_long is 102 lines'
# an allow-listed function that is not over the limit (ALLOWED is empty now: plant an entry):
# the list must shrink
sed -i 's|^ALLOWED = {$|ALLOWED = {\n    "src/util/buf.c:planted_gone": "planted",|' \
    "$T/tree/scripts/check-function-length.sh"
out=$("$T/tree/scripts/check-function-length.sh" "$T/tree" 2>&1)
like "... and an ALLOWED entry that no longer applies" "$out" 'src/util/buf\.c:planted_gone is no longer over 100 lines'
done_testing

#!/usr/bin/env bash
# The README stays true: its command reference is what the binary prints, its first two
# commands exist, and every command answers --help.
. "$top_srcdir/tests/lib/common.sh"

want=$("$top_srcdir/scripts/gen-command-reference.sh" "$XBUILD")
got=$(awk '/^<!-- command reference: generated/{p=1} p{print} /^<!-- end of command reference -->/{p=0}' "$top_srcdir/README.md")
if [ "$got" = "$want" ]; then
    ok "README command reference matches xbuild's help texts"
else
    fail "README command reference is stale (run scripts/gen-command-reference.sh --update)"
    diff <(printf '%s\n' "$got") <(printf '%s\n' "$want") | head -20 | sed 's/^/#   /'
fi

firsts=$(awk '/^## First commands/{p=1;next} /^## /{p=0} p && /^    [a-z]/{print}' "$top_srcdir/README.md")
is "README names exactly two first commands" "$(printf '%s\n' "$firsts" | wc -l)" 2
like "first command runs the demo build" "$firsts" 'scripts/demo\.sh'
like "second command sets up and runs the tests" "$firsts" 'scripts/bootstrap\.sh && .*make check'
check "scripts/demo.sh is executable" test -x "$top_srcdir/scripts/demo.sh"
check "scripts/bootstrap.sh is executable" test -x "$top_srcdir/scripts/bootstrap.sh"

cmds=$("$XBUILD" --help | awk '/^Commands:/{c=1;next} c && /^  [a-z]/{print $1}')
like "xbuild --help lists commands" "$cmds" 'bud'
for c in $cmds; do
    out=$("$XBUILD" "$c" --help 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q "Usage: xbuild $c"; then
        ok "xbuild $c --help"
    else
        fail "xbuild $c --help (rc=$rc)"
        printf '%s\n' "$out" | head -5 | sed 's/^/#   /'
    fi
done
"$XBUILD" no-such-command >/dev/null 2>&1
is "unknown command exits 2" $? 2
"$XBUILD" >/dev/null 2>&1
is "no command exits 2" $? 2
done_testing

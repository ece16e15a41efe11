#!/usr/bin/env bash
# The README stays true: its command reference is what the binary prints, its first two
# commands exist and work as written as root without sudo and as another user with sudo, and
# every command answers --help.
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
check_fails "the first commands do not call sudo themselves" grep -Eq '(^|[;&|] *) *sudo ' <<<"$firsts"

# The first commands as written: as root with no sudo on PATH, and as another user with sudo.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    chmod 755 "$T"
    NS=$T/nosudo-bin # every command of /usr/bin and /bin but sudo
    mkdir -p "$NS"
    for f in /usr/bin/* /bin/*; do
        b=${f##*/}
        [ "$b" = sudo ] || [ -e "$NS/$b" ] || ln -s "$f" "$NS/$b"
    done
    nopath="$NS:/usr/sbin:/sbin"
    is "the test PATH has no sudo" "$(env PATH="$nopath" sh -c 'command -v sudo || true')" ""
    is "as root without sudo: scripts/as-root runs the command itself" \
        "$(env PATH="$nopath" "$top_srcdir/scripts/as-root" id -u 2>&1)" 0
    out=$(cd / && env PATH="$nopath" "$top_srcdir/scripts/demo.sh" -n 2>&1)
    is "as root without sudo: scripts/demo.sh goes ahead (-n: its steps)" "$?" 0
    like "... starting with the bootstrap, no sudo" "$(printf '%s\n' "$out" | head -1)" '^\+ scripts/bootstrap\.sh$'
    # another user: a stub sudo records what it was asked to run
    SB=$T/sudo-bin
    mkdir -p "$SB"
    printf '#!/bin/sh\necho "$@" >>%s/sudo.log\n' "$T" >"$SB/sudo"
    chmod 755 "$SB/sudo"
    : >"$T/sudo.log"
    chmod 666 "$T/sudo.log"
    as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
    as_nobody env PATH="$SB:$nopath" "$top_srcdir/scripts/demo.sh" >/dev/null 2>&1
    as_nobody env PATH="$SB:$nopath" "$top_srcdir/scripts/as-root" make check >/dev/null 2>&1
    is "as another user: demo.sh re-runs itself through sudo, as-root runs make check through it" \
        "$(cat "$T/sudo.log")" "-- $top_srcdir/scripts/demo.sh
-- make check"
    out=$(as_nobody env PATH="$nopath" "$top_srcdir/scripts/as-root" true 2>&1)
    rc=$?
    like "as another user without sudo: a clear error (rc $rc)" "$rc $out" '^1 .*needs root: run it as root \(sudo is not installed\)'
else
    skip "running the first commands as root and as another user needs root and setpriv"
fi

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

# Shared helpers for integration tests (TAP). Source from a test:
#   . "$top_srcdir/tests/lib/common.sh"
# Provides: ok/fail/skip/done_testing, XBUILD, a private store in $XB_ROOT, a temp dir $T.
set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${XBUILD:=$top_builddir/src/xbuild}"
export top_srcdir top_builddir XBUILD

T=$(mktemp -d "${TMPDIR:-/tmp}/xbtest.XXXXXX")
XB_ROOT="$T/store"
export XBUILD_ROOT="$XB_ROOT"
_tap_n=0
_tap_failed=0
_cleanups=()
at_exit() { _cleanups+=("$*"); }
_run_cleanups() {
    local i
    for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1 || true; done
    rm -rf "$T"
}
trap _run_cleanups EXIT

ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
fail() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - # SKIP $*"; }
diag() { echo "# $*"; }
# check "description" command...   -> ok when the command succeeds; output shown on failure
check() {
    local d=$1; shift
    local out
    if out=$("$@" 2>&1); then ok "$d"; else fail "$d"; printf '%s\n' "$out" | sed 's/^/#   /' | tail -20; fi
}
# A crash is never the expected failure: exit status >= 126 (126/127: not executable / not
# found, 128+N: killed by signal N) or a sanitizer report (ASan/UBSan/LSan exit 1 by default).
# _crashed STATUS OUTPUT -> prints why and returns 0 when the command crashed.
_crashed() {
    if [ "$1" -ge 126 ]; then
        if [ "$1" -gt 128 ]; then echo "killed by signal $(($1 - 128)) ($(kill -l $(($1 - 128)) 2>/dev/null))"; else echo "exit status $1"; fi
        return 0
    fi
    if printf '%s' "$2" | grep -Eq 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error: |^SUMMARY: UndefinedBehaviorSanitizer'; then
        echo "sanitizer report"
        return 0
    fi
    return 1
}
# check_fails "description" command... -> ok when the command fails cleanly (status 1..125, no
# crash); a success or a crash fails the test
check_fails() {
    local d=$1; shift
    local out rc=0 why
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" -eq 0 ]; then
        fail "$d (unexpectedly succeeded)"; printf '%s\n' "$out" | sed 's/^/#   /' | tail -20
    elif why=$(_crashed "$rc" "$out"); then
        fail "$d (crashed: $why)"; printf '%s\n' "$out" | sed 's/^/#   /' | tail -20
    else
        ok "$d"
    fi
}
# check_status N "description" command... -> ok when the command exits with status N exactly
check_status() {
    local want=$1 d=$2; shift 2
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" -eq "$want" ] && ! { [ "$want" -lt 126 ] && _crashed "$rc" "$out" >/dev/null; }; then
        ok "$d"
    else
        fail "$d (exit status $rc, want $want)"; printf '%s\n' "$out" | sed 's/^/#   /' | tail -20
    fi
}
# check_fails_like "description" REGEX command... -> ok when the command fails cleanly and its
# output (stdout+stderr) matches REGEX (grep -E)
check_fails_like() {
    local d=$1 re=$2; shift 2
    local out rc=0 why
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" -eq 0 ]; then
        fail "$d (unexpectedly succeeded)"; printf '%s\n' "$out" | sed 's/^/#   /' | tail -20
    elif why=$(_crashed "$rc" "$out"); then
        fail "$d (crashed: $why)"; printf '%s\n' "$out" | sed 's/^/#   /' | tail -20
    elif ! printf '%s' "$out" | grep -Eq -- "$re"; then
        fail "$d (message)"; printf '%s\n' "$out" | sed 's/^/#   /' | tail -20; echo "#   expected to match: $re"
    else
        ok "$d"
    fi
}
# is "description" got want
is() {
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1"; echo "#   got:  '$2'"; echo "#   want: '$3'"; fi
}
# like "description" haystack regex
like() {
    if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"; else fail "$1"; printf '%s\n' "$2" | sed 's/^/#   /' | tail -20; echo "#   expected to match: $3"; fi
}
done_testing() {
    echo "1..$_tap_n"
    [ "$_tap_failed" -eq 0 ]
}
# Skips the whole file (with a reason) unless running as root.
require_root() {
    if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP needs root: $*"; exit 0; fi
}
# Skips the whole file unless every tool named is on PATH (scripts/bootstrap.sh installs them).
require_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 ||
            { echo "1..0 # SKIP $t not installed (scripts/bootstrap.sh installs it)"; exit 0; }
    done
}
# require_emulator ARCH QEMU WHY: the qemu-QEMU entry of binfmt_misc for ARCH, registered with
# `xbuild binfmt --install ARCH` when missing; skips the whole file (naming WHY) when it cannot be.
require_emulator() {
    local arch=$1 qemu=$2
    shift 2
    [ -e "/proc/sys/fs/binfmt_misc/qemu-$qemu" ] || "$XBUILD" binfmt --install "$arch" >/dev/null 2>&1
    [ -e "/proc/sys/fs/binfmt_misc/qemu-$qemu" ] ||
        { echo "1..0 # SKIP needs binfmt_misc for $arch ($*)"; exit 0; }
}
xb() { "$XBUILD" "$@"; }

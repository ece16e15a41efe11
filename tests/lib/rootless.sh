# Setup shared by the rootless tests (docs/design/run.md, "Rootless"). Source after common.sh.

# rootless_user USER: USER (no home), with the subordinate range 400000-465535 unless it has one.
rootless_user() {
    local u=$1
    id -u "$u" >/dev/null 2>&1 || useradd -M -d /nonexistent -s /bin/sh "$u"
    grep -q "^$u:" /etc/subuid || usermod --add-subuids 400000-465535 "$u"
    grep -q "^$u:" /etc/subgid || usermod --add-subgids 400000-465535 "$u"
}

# rootless_setup USER: $T readable, $U (USER's home for the test, below $T), $XB (an xbuild USER
# can execute: $XBUILD, or a copy in $T); the test's kept namespaces go with it at exit.
rootless_setup() {
    local u=$1
    chmod 755 "$T"
    U=$T/home-rl && mkdir -p "$U" && chown "$u" "$U"
    XB=$XBUILD
    runuser -u "$u" -- test -x "$XB" || { cp "$XBUILD" "$T/xbuild" && chmod 755 "$T/xbuild" && XB=$T/xbuild; }
    at_exit kill_userns_holders
}

# userns_holders DIR: the pids of the live holders of kept user namespaces (docs/design/run.md,
# "Rootless") that the stores below DIR record in xbuild/userns.
userns_holders() {
    local r p
    find "$1" -maxdepth 8 \( -name blobs -o -name layers -o -name tmp \) -prune -o \
        -path '*/xbuild/userns' -type f -print 2>/dev/null | while read -r r; do
        read -r p _ <"$r" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
            grep -q "__userns-holder $r " && echo "$p"
    done
}
# A rootless test's at_exit: its stores' holders go with it (else each sleeps out its idle time).
kill_userns_holders() { userns_holders "$T" | xargs -r kill 2>/dev/null; }

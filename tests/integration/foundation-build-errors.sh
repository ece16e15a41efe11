#!/usr/bin/env bash
# xbuild bud: failures are reported with Dockerfile:LINE and the instruction; nothing is tagged.
. "$top_srcdir/tests/lib/common.sh"

C=$T/ctx
mkdir -p "$C/d" "$T/outside"
echo a >"$C/a"
echo b >"$C/d/b"
echo secret >"$T/outside/secret"
ln -s ../outside/secret "$C/escape-link"
ln -s /etc/passwd "$C/abs-link"

fails_with() { # description dockerfile-text regex [extra bud args]
    local d=$1 text=$2 re=$3; shift 3
    printf '%s\n' "$text" >"$C/Dockerfile.err"
    local out
    if out=$("$XBUILD" bud -q -f "$C/Dockerfile.err" "$@" "$C" 2>&1); then
        fail "$d (unexpectedly succeeded)"
    else
        like "$d" "$out" "$re"
    fi
}
fails_with "missing COPY source" $'FROM scratch\n\nCOPY nope /x' 'Dockerfile.err:3: COPY: source nope not found'
# a wildcard matching nothing is not an error (BuildKit's AllowEmptyWildcard)
printf 'FROM scratch\nCOPY *.none a /x/\n' >"$C/Dockerfile.glob"
check "glob matching nothing beside another source" "$XBUILD" bud -q -t glob:1 -f "$C/Dockerfile.glob" "$C"
fails_with "several sources need a dir dest" $'FROM scratch\nCOPY a d/b /x' 'Dockerfile.err:2: COPY: .*must be a directory and end with a /'
fails_with "unknown --chown user" $'FROM scratch\nCOPY --chown=nobody a /x' 'Dockerfile.err:2: COPY: .*nobody'
fails_with "bad --chmod" $'FROM scratch\nCOPY --chmod=u+q a /x' 'Dockerfile.err:2: COPY: --chmod=u\+q'
fails_with "image not in the store" $'FROM no-such-image:1\nCOPY a /a' 'Dockerfile.err:1: FROM no-such-image:1: image no-such-image:1 not found in the local store' --pull=never
fails_with "unknown --from stage" $'FROM scratch\nCOPY --from=nostage /a /a' 'Dockerfile.err:2: COPY --from=nostage: image nostage not found' --pull=never
fails_with "a pull failure names the FROM line" $'FROM 127.0.0.1:9/none:1' 'Dockerfile.err:1: FROM 127.0.0.1:9/none:1: '
fails_with "RUN without the run module or a shell" $'FROM scratch\nRUN true' 'Dockerfile.err:2: '
fails_with "unknown target" $'FROM scratch AS one\nCOPY a /a' 'target stage "two" could not be found' --target two
fails_with "parse error names the line" $'FROM scratch\nCOPY' 'Dockerfile.err:2'
fails_with "ADD of an unreachable Git repository names it" $'FROM scratch\nADD http://127.0.0.1:9/repo.git /src' 'Dockerfile.err:2: ADD http://127.0.0.1:9/repo.git: cannot fetch HEAD from http://127.0.0.1:9/repo.git: '
fails_with "COPY --parents onto a file" $'FROM scratch\nCOPY a /f\nCOPY --parents a /f' 'Dockerfile.err:3: COPY --parents: the destination /f is not a directory'
fails_with "bad HEALTHCHECK duration names the line" $'FROM scratch\nHEALTHCHECK --interval=5x CMD ["true"]' 'Dockerfile.err:2: HEALTHCHECK --interval: invalid duration "5x"'
fails_with "bad STOPSIGNAL names the line, once" $'FROM scratch\nSTOPSIGNAL SIGFOO' "Dockerfile.err:2: STOPSIGNAL: invalid signal 'SIGFOO'\$"
fails_with "bad EXPOSE port names the line" $'FROM scratch\nEXPOSE abc' "Dockerfile.err:2: EXPOSE: invalid port 'abc'\$"
fails_with "undefined required variable names the line" $'FROM scratch\nENV A=${NOPE:?required}' 'Dockerfile.err:2: ENV: .*NOPE: required'
fails_with "directory onto a file" $'FROM scratch\nCOPY a /f\nCOPY d /f' 'Dockerfile.err:3: COPY: cannot copy directory d onto the file /f'
# symlinks and .. never leave the context
printf 'FROM scratch\nCOPY escape-link /e\nCOPY abs-link /p\nCOPY ../outside/secret /s\n' >"$C/Dockerfile.esc"
out=$("$XBUILD" bud -q -f "$C/Dockerfile.esc" "$C" 2>&1)
like "symlink escaping the context is resolved inside it (not found)" "$out" 'Dockerfile.esc:2: COPY: source escape-link not found'
printf 'FROM scratch\nCOPY ../../a /a\n' >"$C/Dockerfile.up"
check "../ is clamped to the context root" "$XBUILD" bud -q -t up:1 -f "$C/Dockerfile.up" "$C"
out=$("$XBUILD" images --json)
like "the good build is tagged" "$out" "\"up:1\""
is "nothing else tagged" "$(printf "%s" "$out" | grep -o "xbuild-" | wc -l)" 0
check "store healthy after failures" "$XBUILD" fsck
tmpn=$(find "$XB_ROOT/xbuild/tmp" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
is "work dirs removed" "$tmpn" 0
out=$(printf 'FROM scratch\nCOPY a /a\n' | "$XBUILD" bud -q -f - "$C" 2>&1)
like "-f - reads the Dockerfile from stdin" "$out" '^sha256:[0-9a-f]{64}$'
out=$(printf 'FROM scratch\nCOPY missing /a\n' | "$XBUILD" bud -q -f - "$C" 2>&1)
like "... and names it Dockerfile in errors" "$out" 'Dockerfile:2: COPY: source missing not found'
check "bud --help" "$XBUILD" bud --help
check_fails "bad flag is a usage error" "$XBUILD" bud --no-such-flag "$C"
"$XBUILD" bud --pull=sometimes "$C" >/dev/null 2>&1; is "usage error exits 2" $? 2
done_testing

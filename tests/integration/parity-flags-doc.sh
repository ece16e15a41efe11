#!/usr/bin/env bash
# The flag table (src/cli/bud_flags.c) is complete and honest: docs/flags.md is what it
# generates, every buildah bud / buildx build flag is in it, no flag is an "unknown option",
# refused flags stop with exit code 2 and their reason, ignored ones build nothing different.
. "$top_srcdir/tests/lib/common.sh"

want=$("$top_srcdir/scripts/gen-flag-table.sh" "$XBUILD")
got=$(cat "$top_srcdir/docs/flags.md")
if [ "$got" = "$want" ]; then
    ok "docs/flags.md matches the flag table"
else
    fail "docs/flags.md is stale (run scripts/gen-flag-table.sh --update)"
    diff <(printf '%s\n' "$got") <(printf '%s\n' "$want") | head -20 | sed 's/^/#   /'
fi

table=$("$XBUILD" bud --flag-table)
names=$(printf '%s\n' "$table" | cut -f1)
# docker buildx build's flags (docs.docker.com reference of buildx build)
buildx="add-host allow annotation attest build-arg build-context builder cache-from cache-to call
cgroup-parent check file iidfile label load metadata-file network no-cache no-cache-filter output
platform progress provenance pull push quiet sbom secret shm-size ssh tag target ulimit"
missing=""
for f in $buildx; do printf '%s\n' "$names" | grep -qx -- "$f" || missing="$missing $f"; done
is "every buildx build flag is in the table" "$missing" ""
if command -v buildah >/dev/null 2>&1; then
    bflags=$(buildah bud --help 2>/dev/null | grep -oE '^\s+(-[a-zA-Z], )?--[a-z0-9-]+' | sed 's/.*--//')
    missing=""
    for f in $bflags; do printf '%s\n' "$names" | grep -qx -- "$f" || missing="$missing $f"; done
    is "every flag of this machine's buildah bud --help is in the table ($(echo $bflags | wc -w) flags)" "$missing" ""
else
    skip "buildah is not installed (apt-get install buildah) to compare with its bud --help"
fi

# every flag parses: none is unknown, none lacks a handler (in $T: --logfile x writes ./x)
cd "$T" || exit 1
bad=""
while IFS=$'\t' read -r name short arg tools status okv note; do
    case "$name" in help | flag-table) continue ;; esac
    if [ "$arg" = "-" ] || [ "$arg" = "[=BOOL]" ]; then set -- "--$name"; else set -- "--$name" x; fi
    out=$("$XBUILD" bud "$@" "$T/no-such-context" 2>&1)
    rc=$?
    case "$out" in *"unknown option"* | *"has no handler"* | *"needs a value"*) bad="$bad $name" ;; esac
    if [ "$status" = refused ] && { [ $rc -ne 2 ] || [[ "$out" != *"--$name is refused: "* ]]; }; then
        bad="$bad $name(rc=$rc)"
    fi
done <<<"$table"
is "every flag in the table is parsed (none unknown; refused ones exit 2 with the reason)" "$bad" ""

out=$("$XBUILD" bud --sign-by ABCD "$T" 2>&1)
is "--sign-by: exit code 2" $? 2
like "--sign-by: says signing is not supported" "$out" 'sign-by is refused: signing is not supported'
out=$("$XBUILD" bud --provenance=true "$T" 2>&1)
is "--provenance=true: exit code 2" $? 2
like "--provenance=true: says why" "$out" 'provenance attestations are not produced yet'
out=$("$XBUILD" bud --sbom "$T" 2>&1)
is "bare --sbom: exit code 2" $? 2
out=$("$XBUILD" bud --progress rawjson "$T" 2>&1)
is "--progress rawjson: exit code 2" $? 2
like "--progress rawjson: says it is not supported" "$out" 'rawjson: not supported yet'
out=$("$XBUILD" bud --ssh default "$T" 2>&1)
is "--ssh: exit code 2" $? 2
like "--ssh: says not supported yet" "$out" 'ssh is refused: not supported yet'
out=$("$XBUILD" bud --ipc host "$T" 2>&1)
is "an ignored flag with a value it cannot honour is refused (--ipc host)" $? 2
like "... with the reason" "$out" 'ipc host is refused: RUN always has its own IPC namespace'
out=$("$XBUILD" bud --security-opt seccomp=/x.json "$T" 2>&1)
is "--security-opt seccomp=PROFILE: exit 2" $? 2
like "... custom profiles are not supported" "$out" 'custom seccomp profiles are not supported'
out=$("$XBUILD" bud --no-such-flag "$T" 2>&1)
is "a flag neither tool has: exit 2" $? 2
like "... unknown option" "$out" 'unknown option --no-such-flag'
done_testing

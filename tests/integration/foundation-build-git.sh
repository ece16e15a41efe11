#!/usr/bin/env bash
# ADD <git ref> (BuildKit's syntax) from real Git servers on loopback: `git daemon` (git://,
# shallow fetches) and a static HTTP server of a bare repository ("dumb" HTTP, no shallow
# fetch: the full-fetch fallback). Refs (branch, tag, commit), :subdir, --keep-git-dir, the
# committer time as every file's mtime, the cache (same commit: hit; new commit: miss), and
# clear errors for a missing ref, a closed port, a climbing subdir and several sources.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/registry.sh"
command -v git >/dev/null || { echo "1..0 # SKIP git missing (scripts/bootstrap.sh installs it)"; exit 0; }
command -v umoci >/dev/null || { echo "1..0 # SKIP umoci missing"; exit 0; }

# a repository: commit one (tag v1) at 1700000000, commit two at 1700000100
W=$T/work
git init -q -b main "$W"
g() { git -C "$W" -c user.email=t@example.com -c user.name=t "$@"; }
mkdir -p "$W/sub"
echo one >"$W/a.txt"
printf '#!/bin/sh\necho hi\n' >"$W/run.sh"; chmod 755 "$W/run.sh"
echo s >"$W/sub/s.txt"
g add -A
GIT_COMMITTER_DATE=@1700000000 g commit -q -m one
g tag v1
echo two >"$W/a.txt"
GIT_COMMITTER_DATE=@1700000100 g commit -q -am two
C1=$(g rev-parse v1)
mkdir -p "$T/srv"
git clone -q --bare "$W" "$T/srv/repo.git"
git -C "$T/srv/repo.git" update-server-info

GP=$(free_port)
git daemon --reuseaddr --export-all --base-path="$T/srv" --listen=127.0.0.1 --port="$GP" \
    >"$T/daemon.log" 2>&1 &
GPID=$!
at_exit "kill $GPID 2>/dev/null"
HP=$(free_port)
(cd "$T/srv" && exec python3 -m http.server "$HP" --bind 127.0.0.1) >"$T/http.log" 2>&1 &
HPID=$!
at_exit "kill $HPID 2>/dev/null"
wait_http "http://127.0.0.1:$HP/" || { fail "http server"; done_testing; exit 1; }
for _ in $(seq 50); do git ls-remote "git://127.0.0.1:$GP/repo.git" >/dev/null 2>&1 && break; sleep 0.1; done
G=git://127.0.0.1:$GP/repo.git

# lay IMAGE [N] -> "name mode mtime" of layer N (default: the last)
lay() {
    "$XBUILD" inspect --json "$1" | python3 -c '
import json, sys, tarfile
d = json.load(sys.stdin)
l = d["manifest"]["layers"][int(sys.argv[2])]
with tarfile.open(sys.argv[1] + "/blobs/sha256/" + l["digest"][7:]) as t:
    for m in t:
        print("%s %o %d" % (m.name, m.mode, m.mtime))' "$XB_ROOT" "${2:--1}"
}
C=$T/ctx
mkdir -p "$C"
build() { printf 'FROM scratch\n%s\n' "$1" >"$C/Dockerfile"; "$XBUILD" bud -t "$2" "$C" 2>&1; }

out=$(build "ADD $G /src" git:head)
check "ADD git:// (the remote's HEAD)" test $? -eq 0
like "... the progress names the commit" "$out" "Git $(g rev-parse --short=12 HEAD)"
got=$(lay git:head)
is "... the checkout's files, git's modes, the committer time; no .git" \
    "$(grep -v '^src ' <<<"$got")" "src/a.txt 644 1700000100
src/run.sh 755 1700000100
src/sub 755 1700000100
src/sub/s.txt 644 1700000100"
check "umoci unpack" umoci unpack --image "$XB_ROOT:git:head" "$T/u1"
is "... content of the branch tip" "$(cat "$T/u1/rootfs/src/a.txt")" two

build "ADD $G#v1:sub /sub1" git:sub >/dev/null
is "#tag:subdir: only the subdirectory, at the tag" "$(lay git:sub | grep -v '^sub1 ')" "sub1/s.txt 644 1700000000"
build "ADD $G#$C1 /c" git:commit >/dev/null
check "#commit-sha" "$XBUILD" inspect git:commit
check "umoci unpack" umoci unpack --image "$XB_ROOT:git:commit" "$T/u2"
is "... content at that commit" "$(cat "$T/u2/rootfs/c/a.txt")" one
build "ADD --keep-git-dir=true $G#main /k" git:keep >/dev/null
like "--keep-git-dir=true keeps .git" "$(lay git:keep)" 'k/\.git/HEAD '

out=$(build "ADD http://127.0.0.1:$HP/repo.git#main:sub /h" git:http)
check "ADD over dumb HTTP (no shallow fetch: full fetch)" "$XBUILD" inspect git:http
is "... the subdirectory's content" "$(lay git:http | grep -v '^h ')" "h/s.txt 644 1700000100" \
    || diag "$out"

# cache: same commit -> hit; a new commit on the branch -> the step reruns with it
out=$(build "ADD $G#main /src" git:c1)
out=$(build "ADD $G#main /src" git:c2)
like "same commit again: cached" "$out" 'Using cache'
echo three >"$W/a.txt"
GIT_COMMITTER_DATE=@1700000200 g commit -q -am three
git -C "$W" push -q "$T/srv/repo.git" main
out=$(build "ADD $G#main /src" git:c3)
check_fails "a new commit: not cached" grep -q 'Using cache' <<<"$out"
check "umoci unpack" umoci unpack --image "$XB_ROOT:git:c3" "$T/u3"
is "... the new content" "$(cat "$T/u3/rootfs/src/a.txt")" three

# errors name the Dockerfile line, the URL and what went wrong
like "a missing ref" "$(build "ADD $G#nosuch /x" e)" \
    "Dockerfile:2: ADD $G#nosuch: cannot fetch nosuch from $G: .*nosuch"
like "a closed port" "$(build "ADD git://127.0.0.1:1/repo.git /x" e)" \
    'Dockerfile:2: ADD git://127.0.0.1:1/repo.git: cannot fetch HEAD from git://127.0.0.1:1/repo.git'
like "a subdirectory climbing out" "$(build "ADD $G#main:../etc /x" e)" \
    "subdirectory '../etc' is outside the repository"
like "a missing subdirectory" "$(build "ADD $G#main:nodir /x" e)" "no directory 'nodir' in $G at main"
like "a Git source with another source" "$(build "ADD $G a.txt /x/" e)" \
    "a Git repository must be ADD's only source"
# SUBDIR (or a component of it) that is a symlink resolves inside the checkout, never on the
# host: an absolute link and a relative one climbing with ../.. to a host directory holding a
# marker; a link to a directory of the repository is followed (as BuildKit does)
H=$T/hostdir
mkdir -p "$H/inner"
echo host-secret >"$H/marker"
echo host-secret >"$H/inner/marker"
ln -s "$H" "$W/etcdir"
ln -s "../../../../../../../../../../../..$H" "$W/updir"
ln -s sub "$W/inlink"
g add -A
GIT_COMMITTER_DATE=@1700000300 g commit -q -m links
git -C "$W" push -q "$T/srv/repo.git" main
for s in etcdir updir etcdir/inner updir/inner; do
    out=$(build "ADD $G#main:$s /x" git:esc)
    like "#main:$s (a symlink to a host directory): refused, naming the subdirectory" "$out" \
        "no directory '$s' in $G at main"
    check_fails "... no image with the host's files" "$XBUILD" inspect git:esc
done
out=$(build "ADD $G#main:inlink /in" git:inlink)
is "#main:inlink (a symlink inside the repository): followed inside it" \
    "$(lay git:inlink | grep -v '^in ' | cut -d' ' -f1)" "in/s.txt" || diag "$out"
check "no work directory left behind" test -z "$(ls -A "$XB_ROOT/xbuild/tmp" 2>/dev/null)"
done_testing

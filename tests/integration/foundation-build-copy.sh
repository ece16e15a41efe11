#!/usr/bin/env bash
# xbuild bud: COPY semantics and metadata of a FROM scratch image, checked with umoci and skopeo.
. "$top_srcdir/tests/lib/common.sh"
command -v umoci >/dev/null && command -v skopeo >/dev/null || { echo "1..0 # SKIP umoci/skopeo missing"; exit 0; }

C=$T/ctx
mkdir -p "$C/dir/nested" "$C/etc" "$C/ignored"
echo hello >"$C/a.txt"
echo two >"$C/b.txt"
echo bin >"$C/app.bin"; chmod 755 "$C/app.bin"
echo n >"$C/dir/nested/n.txt"
echo d >"$C/dir/d.txt"
ln -s a.txt "$C/alink"
ln -s nested/n.txt "$C/dir/rel-link"
echo secret >"$C/ignored/secret"
echo tmp >"$C/x.tmp"
printf 'ignored\n*.tmp\n' >"$C/.dockerignore"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n' >"$C/etc/passwd"
printf 'root:x:0:\napp:x:1001:\nstaff:x:50:\n' >"$C/etc/group"
cat >"$C/Dockerfile" <<'DF'
FROM scratch
COPY etc/passwd etc/group /etc/
ARG VERSION=1.2
LABEL org.opencontainers.image.version=$VERSION maintainer="me <me@example.com>"
ENV APP_HOME=/srv/app PATH=/usr/bin
WORKDIR $APP_HOME
COPY a.txt .
COPY alink copied-link
COPY --chown=app:staff *.txt txt/
COPY --chown=app --chmod=0750 app.bin /usr/bin/
COPY dir /data/
COPY dir/ /data2
COPY --exclude=*.txt dir /data3/
COPY --chmod=u=rwX,go=rX dir /data4/
COPY ["a.txt", "/with space/a.txt"]
COPY <<EOT /etc/motd
welcome
EOT
EXPOSE 8080 53/udp
VOLUME /var/lib/app
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/app.bin"]
CMD ["serve"]
USER app
DF

out=$($XBUILD bud -t copy:test --timestamp 1700000000 "$C" 2>&1)
check "build succeeds" test $? -eq 0
like "step lines printed" "$out" 'STEP 6/22: WORKDIR \$APP_HOME'
like "digest printed last" "$(printf '%s\n' "$out" | tail -1)" '^sha256:[0-9a-f]{64}$'

check "umoci unpack" umoci unpack --image "$XB_ROOT:copy:test" "$T/b"
R=$T/b/rootfs
st() { stat -c '%a %u:%g %F' "$R/$1" 2>&1; }
is "file in workdir" "$(cat "$R/srv/app/a.txt")" hello
is "a.txt owner and mode" "$(st srv/app/a.txt)" "644 0:0 regular file"
is "symlink source is followed" "$(st srv/app/copied-link)" "644 0:0 regular file"
is "glob + --chown name from /etc/passwd,/etc/group" "$(st srv/app/txt/b.txt)" "644 1000:50 regular file"
is "glob dest dir created" "$(stat -c '%a %u:%g' "$R/srv/app/txt")" "755 1000:50"
is "--chown user only: primary group" "$(st usr/bin/app.bin)" "750 1000:1001 regular file"
# BuildKit: the parents a COPY creates take its numeric --chmod and its --chown owner
is "parent dir created with the COPY's --chmod and --chown" "$(stat -c '%a %u:%g' "$R/usr")" "750 1000:1001"
is "dir contents copied" "$(cat "$R/data/nested/n.txt")" n
is "symlink inside dir kept" "$(readlink "$R/data/rel-link")" "nested/n.txt"
is "dir/ without trailing slash dest" "$(cat "$R/data2/d.txt")" d
check "--exclude drops matches" test ! -e "$R/data3/d.txt"
check "--exclude keeps others" test -L "$R/data3/rel-link"
is "symbolic --chmod on a dir" "$(stat -c %a "$R/data4/nested")" 755
is "symbolic --chmod on a file" "$(stat -c %a "$R/data4/d.txt")" 644
is "json form with spaces" "$(cat "$R/with space/a.txt")" hello
is "heredoc source" "$(cat "$R/etc/motd")" welcome
check ".dockerignore dir excluded" test ! -e "$R/srv/app/ignored"
check "mtime clamped" test "$(stat -c %Y "$R/srv/app/a.txt")" -le 1700000000

cfg=$(skopeo inspect --config --raw "oci:$XB_ROOT:copy:test")
j() { printf '%s' "$cfg" | python3 -c "import json,sys; c=json.load(sys.stdin); print(json.dumps(eval(sys.argv[1]), sort_keys=True))" "$1"; }
is "Env (scratch's default PATH replaced in place)" "$(j 'c["config"]["Env"]')" '["PATH=/usr/bin", "APP_HOME=/srv/app"]'
is "WorkingDir" "$(j 'c["config"]["WorkingDir"]')" '"/srv/app"'
is "Entrypoint" "$(j 'c["config"]["Entrypoint"]')" '["/usr/bin/app.bin"]'
is "Cmd" "$(j 'c["config"]["Cmd"]')" '["serve"]'
is "User" "$(j 'c["config"]["User"]')" '"app"'
is "ExposedPorts" "$(j 'sorted(c["config"]["ExposedPorts"])')" '["53/udp", "8080/tcp"]'
is "Volumes" "$(j 'list(c["config"]["Volumes"])')" '["/var/lib/app"]'
is "StopSignal" "$(j 'c["config"]["StopSignal"]')" '"SIGTERM"'
is "Labels (ARG expanded)" "$(j 'c["config"]["Labels"]')" '{"maintainer": "me <me@example.com>", "org.opencontainers.image.version": "1.2"}'
is "created fixed" "$(j 'c["created"]')" '"2023-11-14T22:13:20Z"'
is "layer count (COPYs and WORKDIR's new directories)" "$(j 'len(c["rootfs"]["diff_ids"])')" 12
is "history entries" "$(j 'len(c["history"])')" 20
is "empty_layer on metadata" "$(j '[h.get("empty_layer", False) for h in c["history"]][:3]')" '[false, true, true]'
like "history created_by" "$(j 'c["history"][1]["created_by"]')" '#\(nop\) LABEL'
check "xbuild fsck clean" "$XBUILD" fsck

# ENTRYPOINT after an inherited CMD resets it; --label; untagged build is kept
cat >"$C/Dockerfile.2" <<'DF'
FROM copy:test
ENTRYPOINT /bin/app
DF
out=$($XBUILD bud -q -f "$C/Dockerfile.2" --label extra=yes --iidfile "$T/iid" "$C")
like "-q prints only the digest" "$out" '^sha256:[0-9a-f]{64}$'
is "--iidfile" "$(cat "$T/iid")" "$out"
cfg=$(skopeo inspect --config --raw "oci:$XB_ROOT:localhost/xbuild-${out:7:12}:latest")
is "ENTRYPOINT shell form, inherited CMD reset" "$(j '[c["config"]["Entrypoint"], c["config"].get("Cmd")]')" '[["/bin/sh", "-c", "/bin/app"], null]'
is "--label added, base labels kept" "$(j 'c["config"]["Labels"]["extra"]')" '"yes"'
# file capabilities of context files are kept (security.capability as a PAX xattr record)
if command -v setcap >/dev/null && [ "$(id -u)" = 0 ]; then
    mkdir -p "$T/cap"
    cp /bin/true "$T/cap/pinger" && setcap cap_net_raw+ep "$T/cap/pinger"
    printf 'FROM scratch\nCOPY pinger /bin/pinger\n' >"$T/cap/Dockerfile"
    "$XBUILD" bud -q -t cap:1 "$T/cap" >/dev/null 2>&1
    caps=$(python3 - "$XB_ROOT" <<'PY'
import json, sys, tarfile
r = sys.argv[1]
i = json.load(open(r + "/index.json"))
d = [m for m in i["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "cap:1"][0]
m = json.load(open(r + "/blobs/sha256/" + d["digest"][7:]))
t = tarfile.open(r + "/blobs/sha256/" + m["layers"][-1]["digest"][7:])
print([x.name for x in t if "SCHILY.xattr.security.capability" in x.pax_headers])
PY
)
    is "security.capability kept" "$caps" "['bin/pinger']"
else
    skip "setcap not available"
fi
is "base layers kept" "$(j 'len(c["rootfs"]["diff_ids"])')" 12
# COPY --parents (BuildKit's): each source keeps its path below dest, or its path below a
# "/./" pivot; parent directories keep their modes; works with --from too
P=$T/parents
mkdir -p "$P/x/y" "$P/y"
echo xa >"$P/x/a.txt"; echo ya >"$P/y/a.txt"; echo xyb >"$P/x/y/b.txt"; echo xyc >"$P/x/y/c.md"
chmod 700 "$P/x"
cat >"$P/Dockerfile" <<'DF'
FROM scratch AS s
COPY --parents ./x/a.txt ./y/a.txt /parents/
COPY --parents ./x/./y/*.txt /pivot/
COPY --parents x/y /dir/
COPY x/a.txt y/a.txt /flat/
FROM scratch
COPY --from=s --parents /parents/./x/a.txt /pivot/./y /out/
DF
names() { # IMAGE -> per layer, one line of "name:mode" of its entries
    "$XBUILD" inspect --json "$1" | python3 -c '
import json, sys, tarfile
d = json.load(sys.stdin)
for l in d["manifest"]["layers"]:
    with tarfile.open(sys.argv[1] + "/blobs/sha256/" + l["digest"][7:]) as t:
        print(" ".join("%s:%o" % (m.name, m.mode) for m in t))' "$XB_ROOT"
}
check "COPY --parents builds" "$XBUILD" bud -q -t parents:s --target s "$P"
check "... and COPY --from --parents" "$XBUILD" bud -q -t parents:f "$P"
got=$(names parents:s)
is "--parents keeps each source's path, its parents with their modes" "$(sed -n 1p <<<"$got")" \
    "parents:755 parents/x:700 parents/x/a.txt:644 parents/y:755 parents/y/a.txt:644"
is "--parents: a /./ pivot drops what is before it" "$(sed -n 2p <<<"$got")" "pivot:755 pivot/y:755 pivot/y/b.txt:644"
is "--parents: a directory source is kept with its parents" "$(sed -n 3p <<<"$got")" \
    "dir:755 dir/x:700 dir/x/y:755 dir/x/y/b.txt:644 dir/x/y/c.md:644"
is "without --parents the same names collide into one" "$(sed -n 4p <<<"$got")" "flat:755 flat/a.txt:644"
is "COPY --from=stage --parents with pivots" "$(names parents:f)" \
    "out:755 out/x:700 out/x/a.txt:644 out/y:755 out/y/b.txt:644"
check "umoci unpack of the --parents image" umoci unpack --image "$XB_ROOT:parents:s" "$T/upar"
is "unpacked: the file under its kept path" "$(cat "$T/upar/rootfs/parents/y/a.txt")" ya
done_testing

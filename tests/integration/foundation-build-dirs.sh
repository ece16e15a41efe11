#!/usr/bin/env bash
# Directories an instruction creates implicitly get BuildKit's owner and mode (issue 13, part 2):
# COPY/ADD destinations and missing parents (with/without --chown, numeric/symbolic --chmod),
# a directory source's new destination, COPY --link (planned on an empty root), WORKDIR after
# USER (names, ids, with/without group; a layer even with no RUN after it, none when the
# directory exists), a RUN's missing working directory (the RUN's user), RUN --mount targets
# (no stubs left). Checked with umoci and the layer tar.
. "$top_srcdir/tests/lib/common.sh"
command -v umoci >/dev/null || { echo "1..0 # SKIP umoci missing"; exit 0; }

C=$T/ctx
mkdir -p "$C/etc" "$T/srcdir/d/sub"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n' >"$C/etc/passwd"
printf 'root:x:0:\napp:x:1001:\nstaff:x:50:\n' >"$C/etc/group"
echo hi >"$C/f"
echo n >"$T/srcdir/d/sub/n"
chmod 700 "$T/srcdir/d"
tar -C "$T/srcdir" --owner=100 --group=200 --numeric-owner -cf "$C/d.tar" d
cat >"$C/Dockerfile" <<'DF'
FROM scratch AS src
ADD d.tar /
FROM scratch
COPY etc/passwd etc/group /etc/
COPY f /c1/a/b/
COPY --chown=app f /c2/a/b/
COPY --chown=1234 f /c3/a/b/f
COPY --chmod=0770 f /c4/a/b/
COPY --chmod=u=rwx f /c5/a/b/
COPY --chown=app:staff --chmod=700 f /c6/a/b/
COPY --from=src /d /c8/d
COPY --from=src --chown=300:400 /d /c9/d
COPY --chown=1000 f /opt/keep
COPY --link --chown=2000 f /opt/sub/
WORKDIR /
USER app
WORKDIR /w1/a
USER 2000:staff
WORKDIR /w2/b
USER 3000
WORKDIR /w3
USER app:50
WORKDIR /w1/a/c
USER nobody
WORKDIR /w4
USER 0
WORKDIR /w4
DF
if out=$($XBUILD bud -t dirs:test --timestamp 1700000000 "$C" 2>&1); then ok "build succeeds"
else fail "build succeeds"; printf '%s\n' "$out" | tail -5 | sed 's/^/# /'; fi
check "umoci unpack" umoci unpack --image "$XB_ROOT:dirs:test" "$T/b"
R=$T/b/rootfs
st() { for p in "$@"; do stat -c '%a %u:%g' "$R/$p" 2>&1; done | tr '\n' ' '; }
is "COPY: parents 0755 root" "$(st c1 c1/a c1/a/b)" "755 0:0 755 0:0 755 0:0 "
is "COPY --chown=name: parents owned too" "$(st c2 c2/a c2/a/b c2/a/b/f)" \
    "755 1000:1001 755 1000:1001 755 1000:1001 644 1000:1001 "
is "COPY --chown=uid (no group: gid = uid)" "$(st c3 c3/a c3/a/b c3/a/b/f)" \
    "755 1234:1234 755 1234:1234 755 1234:1234 644 1234:1234 "
is "COPY --chmod=0770: parents take the numeric mode" "$(st c4 c4/a c4/a/b c4/a/b/f)" \
    "770 0:0 770 0:0 770 0:0 770 0:0 "
is "COPY --chmod=u=rwx (symbolic): parents 0755" "$(st c5 c5/a c5/a/b c5/a/b/f)" \
    "755 0:0 755 0:0 755 0:0 744 0:0 "
is "COPY --chown=app:staff --chmod=700" "$(st c6 c6/a c6/a/b)" "700 1000:50 700 1000:50 700 1000:50 "
is "COPY --from dir to a new dest: dest made as a parent (0755 root), content keeps owners" \
    "$(st c8 c8/d c8/d/sub c8/d/sub/n)" "755 0:0 755 0:0 755 100:200 644 100:200 "
is "COPY --from --chown dir to a new dest" "$(st c9/d c9/d/sub c9/d/sub/n)" \
    "755 300:400 755 300:400 644 300:400 "
is "COPY --link: the parents it carries override the image's" "$(st opt opt/keep opt/sub)" \
    "755 2000:2000 644 1000:1000 755 2000:2000 "
is "WORKDIR after USER name: dir and parents" "$(st w1 w1/a)" "755 1000:1001 755 1000:1001 "
is "WORKDIR after USER uid:groupname" "$(st w2 w2/b)" "755 2000:50 755 2000:50 "
is "WORKDIR after USER uid (gid = uid)" "$(st w3)" "755 3000:3000 "
is "WORKDIR after USER name:gid, existing parents untouched" "$(st w1/a w1/a/c)" \
    "755 1000:1001 755 1000:50 "
is "WORKDIR after an unknown USER name: 0:0 (BuildKit)" "$(st w4)" "755 0:0 "

# layers: one per created WORKDIR, none for WORKDIR / or an existing directory
cfg=$(umoci stat --image "$XB_ROOT:dirs:test" --json 2>/dev/null)
nl=$(printf '%s' "$cfg" | python3 -c 'import json,sys; h=json.load(sys.stdin)["history"]; print(sum(1 for x in h if not x.get("empty_layer")))')
is "layers: 11 COPY + 5 created WORKDIRs" "$nl" 16
wl=$(printf '%s' "$cfg" | python3 -c '
import json,sys
h=json.load(sys.stdin)["history"]
print(" ".join(("L" if not x.get("empty_layer") else "-") for x in h if "WORKDIR" in x.get("created_by","")))')
is "WORKDIR / and an existing dir add no layer" "$wl" "- L L L L L -"
# the WORKDIR /w2/b layer's tar itself
ldig=$(python3 -c '
import json,sys
root=sys.argv[1]
idx=json.load(open(root+"/index.json"))
m=[d for d in idx["manifests"] if d.get("annotations",{}).get("org.opencontainers.image.ref.name")=="dirs:test:latest" or d.get("annotations",{}).get("org.opencontainers.image.ref.name")=="dirs:test"][0]
man=json.load(open(root+"/blobs/sha256/"+m["digest"][7:]))
print(man["layers"][12]["digest"][7:])' "$XB_ROOT")
is "WORKDIR /w2/b layer: exactly its two dirs" \
    "$(tar -tvzf "$XB_ROOT/blobs/sha256/$ldig" 2>&1 | awk '{print $1, $2, $6}' | tr '\n' ' ')" \
    "drwxr-xr-x 2000/50 w2/ drwxr-xr-x 2000/50 w2/b/ "

# a rebuild is all cache hits and the same image
d1=$(printf '%s\n' "$out" | tail -1)
d2=$($XBUILD bud -t dirs:test --timestamp 1700000000 "$C" 2>/dev/null | tail -1)
is "rebuild from the cache: same digest" "$d2" "$d1"

# with RUN (busybox, native amd64): RUN sees WORKDIR's owner; RUN --mount leaves no stubs
if [ "$(id -u)" -eq 0 ] && [ "$(uname -m)" = x86_64 ]; then
    . "$top_srcdir/tests/lib/busybox.sh"
    if bb_image amd64 bb:amd64 linux/amd64 >/dev/null 2>&1; then
        C2=$T/ctx2
        mkdir -p "$C2"
        echo f >"$C2/f"
        cat >"$C2/Dockerfile" <<'DF'
FROM bb:amd64
ARG group
ENV owner user01
# busybox-static has no adduser applet: the users BuildKit's tests add with it
RUN echo 'user:x:1100:1100::/home/user:/bin/sh' >> /etc/passwd \
 && echo 'user01:x:1101:1101::/home/user01:/bin/sh' >> /etc/passwd \
 && echo 'user:x:1100:' >> /etc/group && echo 'user01:x:1101:' >> /etc/group
COPY --chown=user:user f /dest/
COPY --chown=${owner}:${group} f /dest01/a/
RUN [ "$(stat -c '%U %G' /dest)" = "user user" ] && [ "$(stat -c '%U %G' /dest01)" = "user01 user" ]
USER user
WORKDIR /mydir
RUN [ "$(stat -c '%U %G' /mydir)" = "user user" ] && touch /mydir/mine
USER root
RUN mkdir /exists && chown user:user /exists
WORKDIR /exists
RUN [ "$(stat -c '%U %G' /exists)" = "user user" ]
WORKDIR /gone/sub
RUN cd / && rm -rf /gone
USER user
# the RUN's working directory, missing from the image: made for the RUN's user (BuildKit)
RUN [ "$(stat -c '%U %G %a' /gone /gone/sub | tr '\n' ' ')" = "user user 755 user user 755 " ]
USER root
RUN --mount=type=cache,target=/m1/cache/x --mount=type=tmpfs,target=/m2/t \
    --mount=type=bind,source=f,target=/m3/a/f echo ran > /ran
DF
        d="testCopyChownCreateDest, testWorkdirUser, testWorkdirExists, RUN cwd owner (RUN checks)"
        if out2=$($XBUILD bud -t dirs:run --build-arg group=user "$C2" 2>&1); then ok "$d"
        else fail "$d"; printf '%s\n' "$out2" | tail -5 | sed 's/^/# /'; fi
        umoci unpack --image "$XB_ROOT:dirs:run" "$T/b2" >/dev/null 2>&1
        is "RUN --mount targets leave no directories behind" \
            "$(ls -d "$T/b2/rootfs/m1" "$T/b2/rootfs/m2" "$T/b2/rootfs/m3" 2>/dev/null | wc -l) $(cat "$T/b2/rootfs/ran" 2>&1)" "0 ran"
    else
        fail "busybox base image"
    fi
else
    skip "RUN cases need root and an x86-64 host (native busybox)"
fi
done_testing

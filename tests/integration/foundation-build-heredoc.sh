#!/usr/bin/env bash
# Heredocs in RUN (the script itself, or here-documents of a command line) and COPY (expanded
# unless the delimiter is quoted).
. "$top_srcdir/tests/lib/common.sh"
require_root "namespaces"
command -v umoci >/dev/null || { echo "1..0 # SKIP umoci missing"; exit 0; }
if ! XB_BASE_CACHE=${XB_BASE_CACHE:-$top_srcdir/tests/.cache/base-images} \
    "$top_srcdir/scripts/make-base-images.sh" amd64 >"$T/bases.log" 2>&1; then
    fail "base image"; sed 's/^/#   /' "$T/bases.log" | tail -5; done_testing; exit 1
fi
C=$T/ctx
mkdir -p "$C"
cat >"$C/Dockerfile" <<'DF'
FROM busybox:amd64
ARG WHO=world
RUN <<EOF
echo one > /one
echo "two $WHO" >> /one
EOF
RUN cat > /two <<EOT && wc -l < /two > /count
line a
line b
EOT
RUN <<-A cat - > /three
	tabbed $WHO
	A
COPY <<EOT /copied
hello ${WHO}
EOT
COPY <<'EOT' /literal
hello ${WHO}
EOT
DF
check "build with heredocs" "$XBUILD" bud -q -t hd:1 --build-arg WHO=you "$C"
check "unpack" umoci unpack --image "$XB_ROOT:hd:1" "$T/u"
R=$T/u/rootfs
is "RUN <<EOF runs the heredoc as the script" "$(cat "$R/one" 2>&1 | tr '\n' '|')" "one|two you|"
is "RUN cmd <<EOT feeds the here-document" "$(cat "$R/two" 2>&1 | tr '\n' '|')" "line a|line b|"
is "... and the rest of the command line runs" "$(tr -d ' ' <"$R/count" 2>&1)" 2
is "<<- strips tabs, the shell expands" "$(cat "$R/three" 2>&1)" "tabbed you"
is "COPY heredoc expanded" "$(cat "$R/copied" 2>&1)" "hello you"
is "COPY heredoc with a quoted delimiter is literal" "$(cat "$R/literal" 2>&1)" 'hello ${WHO}'
done_testing

#!/usr/bin/env bash
# Lists every function in src/ longer than the limit (100 lines, brace to brace) and fails when
# one is not in ALLOWED below (issue 15: functions a reader can hold in their head; split them
# by the steps a reader would name). ALLOWED can only shrink: an entry whose function is gone or
# now short enough fails the check too, so remove it when you split the function.
#
#   scripts/check-function-length.sh [TREE]   (default: this source tree; .ci/run and
#                                             tests/integration/foundation-function-length.sh
#                                             run it)
#   scripts/check-function-length.sh --list [TREE]   every function over the limit, longest first
#
# The scanner is simple on purpose: a function starts at a `{` in column 0 (clang-format puts
# a function's brace there and nothing else's) and ends where the brace depth is 0 again,
# comments, strings and character literals left out of the count of braces.
set -uo pipefail
list=0
if [ "${1:-}" = --list ]; then
    list=1
    shift
fi
top=$(cd "$(dirname "$0")/.." && pwd)
exec python3 - "${1:-$top}" "$list" <<'EOF'
import os, re, sys

tree, list_only = sys.argv[1], sys.argv[2] == "1"
os.chdir(tree)
LIMIT = 100
# file:function -> why it is still long. Only for code another branch is rewriting; everything
# else is split.
ALLOWED = {
}

strip_re = re.compile(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'')
name_re = re.compile(r'([A-Za-z_]\w*)\s*\(')

def functions(path):
    """(name, first line, line count) of every top-level brace block starting in column 0."""
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    depth, start, name, in_comment = 0, None, None, False
    for i, raw in enumerate(lines):
        s = raw
        if in_comment:
            end = s.find("*/")
            if end < 0:
                continue
            s, in_comment = s[end + 2:], False
        s = strip_re.sub("", s)
        s = re.sub(r"/\*.*?\*/", "", s)
        s = s.split("//", 1)[0]
        if "/*" in s:
            s, in_comment = s.split("/*", 1)[0], True
        if depth == 0 and raw.startswith("{"):
            start, name = i, "?"
            for k in range(i - 1, max(i - 8, -1), -1):  # the declarator above the brace
                m = name_re.search(lines[k])
                if m and not lines[k].startswith((" ", "\t")):
                    name = m.group(1)
                    break
        depth += s.count("{") - s.count("}")
        if depth == 0 and start is not None:
            yield name, start + 1, i - start + 1
            start = None

found = []
for d, _, fs in os.walk("src"):
    for f in sorted(fs):
        if f.endswith(".c"):
            p = os.path.join(d, f)
            for name, line, n in functions(p):
                if n > LIMIT:
                    found.append((n, p, name, line))
found.sort(key=lambda x: (-x[0], x[1]))
if list_only:
    for n, p, name, line in found:
        print("%4d lines  %s:%d %s" % (n, p, line, name))
    sys.exit(0)
bad = []
seen = set()
for n, p, name, line in found:
    key = "%s:%s" % (p, name)
    seen.add(key)
    if key not in ALLOWED:
        bad.append("%s:%d: %s is %d lines (limit %d): split it into steps a reader would name"
                   % (p, line, name, n, LIMIT))
for key in sorted(ALLOWED):
    if key not in seen:
        bad.append("%s is no longer over %d lines (or gone): remove it from ALLOWED in "
                   "scripts/check-function-length.sh" % (key, LIMIT))
for b in bad:
    print("function-length: " + b)
if bad:
    sys.exit(1)
print("function-length: ok (no function over %d lines besides %d listed in ALLOWED)"
      % (LIMIT, len(ALLOWED)))
EOF

#!/usr/bin/env bash
# Checks that dependencies run one way (docs/design/README.md, "Layering"):
#   1. no file includes a header of a module above its own, or of another module on its level
#      (the include graph from every `#include "mod/..."` line under src/);
#   2. no two files call each other: from the object files (nm: a .o that defines a function or
#      variable the other one uses, both ways), or, when nothing is built, two .c files that
#      include each other's header;
#   3. every src/<module>/local.mk lists only files of its own folder.
#
#   scripts/check-layering.sh [BUILDDIR]   (default: the source tree; .ci/run and `make check`
#                                          (tests/integration/foundation-layering.sh) run it)
# Prints each violation and exits 1 when there is one.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
exec python3 - "$top" "${1:-$top}" <<'EOF'
import os, re, subprocess, sys

top, build = sys.argv[1], sys.argv[2]
os.chdir(top)

# Level of each module, bottom first: a file may include its own module and lower levels only.
LEVEL = {"util": 0, "lazy": 1, "dockerfile": 2, "image": 2, "store": 3, "layer": 4,
         "snapshot": 5, "run": 6, "registry": 6, "builder": 7, "wasm": 7,
         "cli": 8, "xbuild.c": 9}
# Two-file loops not fixed yet, each with the reason; an entry that no longer occurs is an
# error too (so the list only shrinks).
KNOWN_LOOPS = {
}

bad = []
def module_of(path):
    p = path[len("src/"):]
    return p.split("/", 1)[0] if "/" in p else p

files = sorted(os.path.join(d, f) for d, _, fs in os.walk("src") for f in fs
               if f.endswith((".c", ".h")))
inc_re = re.compile(r'^#include "([a-z_]+)/([A-Za-z0-9_.-]+)"', re.M)
includes = {}
for f in files:
    m = module_of(f)
    lm = LEVEL.get(m)
    text = open(f, encoding="utf-8", errors="replace").read()
    includes[f] = [(text.count("\n", 0, x.start()) + 1, x.group(1), x.group(2)) for x in inc_re.finditer(text)]
    if lm is None:
        bad.append("%s: module '%s' has no level (add it to scripts/check-layering.sh and "
                   "docs/design/README.md)" % (f, m))
        continue
    for line, dep, _ in includes[f]:
        if dep == m:
            continue
        ld = LEVEL.get(dep)
        if ld is None:
            bad.append('%s:%d includes "%s/...": unknown module' % (f, line, dep))
        elif ld >= lm:
            bad.append('%s:%d includes "%s/...", %s %s' % (
                f, line, dep, "on the same level as" if ld == lm else "above", m))

# two-file loops
objs = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(build, "src"))
              for f in fs if f.endswith(".o"))
loops = {}
if objs:
    defs, uses = {}, {}
    for o in objs:
        src = os.path.relpath(o, build)[:-2] + ".c"
        out = subprocess.run(["nm", o], capture_output=True, text=True).stdout
        for l in out.splitlines():
            w = l.split()
            if len(w) == 3 and w[1] in "TDBR":
                defs.setdefault(w[2], set()).add(src)
            elif len(w) == 2 and w[0] == "U":
                uses.setdefault(src, set()).add(w[1])
    edges = {}
    for user, syms in uses.items():
        for s in syms:
            for d in defs.get(s, ()):
                if d != user:
                    edges.setdefault((user, d), set()).add(s)
    for (a, b), s in edges.items():
        if a < b and (b, a) in edges:
            loops[(a, b)] = "%s uses %s; %s uses %s" % (a, ",".join(sorted(s)), b,
                                                         ",".join(sorted(edges[(b, a)])))
else:
    for f in files:
        if not f.endswith(".c"):
            continue
        own = f[len("src/"):-2] + ".h"
        for _, dep, h in includes[f]:
            other = "src/%s/%s.c" % (dep, h[:-2])
            if other != f and other in includes and (
                    any("%s/%s" % (d2, h2) == own for _, d2, h2 in includes[other])) and f < other:
                loops[(f, other)] = "they include each other's header"
for pair, why in sorted(loops.items()):
    if pair not in KNOWN_LOOPS:
        bad.append("two files call each other: %s <-> %s (%s)" % (pair[0], pair[1], why))
if objs:
    for pair in sorted(KNOWN_LOOPS):
        if pair not in loops and os.path.exists(pair[0]) and os.path.exists(pair[1]):
            bad.append("%s <-> %s no longer call each other: remove them from KNOWN_LOOPS in "
                       "scripts/check-layering.sh" % pair)

# local.mk: own folder only
for m in sorted(os.listdir("src")):
    mk = os.path.join("src", m, "local.mk")
    if not os.path.isfile(mk):
        continue
    for n, line in enumerate(open(mk, encoding="utf-8"), 1):
        if line.lstrip().startswith("#"):
            continue
        for w in re.findall(r"src/[A-Za-z0-9_]+/[^\s\\]+", line):
            if not w.startswith("src/%s/" % m):
                bad.append("%s:%d lists a file of another folder: %s" % (mk, n, w))

for b in bad:
    print("layering: " + b)
known = sum(1 for p in KNOWN_LOOPS if p in loops)
if bad:
    sys.exit(1)
print("layering: ok (includes run one way, no two-file loops%s, every local.mk lists its own "
      "folder)" % (" besides %d listed in KNOWN_LOOPS" % known if known else ""))
EOF

#!/usr/bin/env bash
# Dependencies run one way (docs/design/README.md): scripts/check-layering.sh finds no upward or
# sideways include, no two files that call each other, no local.mk listing another folder's
# files. Also checks that the checker can fail: a planted upward include is reported.
. "$top_srcdir/tests/lib/common.sh"

check "scripts/check-layering.sh passes on the tree" "$top_srcdir/scripts/check-layering.sh" "$top_builddir"

# a copy of the sources with one upward include (util -> store) and a local.mk listing a file of
# another folder: both reported
mkdir -p "$T/tree"
cp -r "$top_srcdir/scripts" "$top_srcdir/src" "$T/tree/" 2>/dev/null
find "$T/tree/src" -name '*.o' -delete
printf '#include "store/store.h"\n' >>"$T/tree/src/util/buf.h"
printf 'src_libxbuild_a_SOURCES += src/cli/bud.c\n' >>"$T/tree/src/util/local.mk"
out=$("$T/tree/scripts/check-layering.sh" "$T/tree" 2>&1)
rc=$?
is "a planted violation fails the check" "$rc" 1
like "... naming the upward include" "$out" 'src/util/buf.h:[0-9]+ includes "store/\.\.\.", above util'
like "... and the foreign local.mk entry" "$out" 'src/util/local.mk:[0-9]+ lists a file of another folder: src/cli/bud.c'
# two .c files including each other's header (no objects: the include fallback)
printf '#include "util/fs.h"\n' >>"$T/tree/src/util/buf.c"
printf '#include "util/buf.h"\n' >>"$T/tree/src/util/fs.c"
out=$("$T/tree/scripts/check-layering.sh" "$T/tree" 2>&1)
like "... and a two-file loop" "$out" 'two files call each other: src/util/buf.c <-> src/util/fs.c'
done_testing

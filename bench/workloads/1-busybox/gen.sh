#!/bin/sh
# Context of workload 1: 60 small source files and a config file (deterministic).
set -eu
ctx=$1
mkdir -p "$ctx/src"
i=0
while [ $i -lt 60 ]; do
    { echo "/* file $i */"; seq 1 $((i * 10 + 20)) | sed "s/^/int v_${i}_/; s/$/ = $i;/"; } >"$ctx/src/f$i.c"
    i=$((i + 1))
done
printf 'name=bench\ndebug=0\nworkers=4\n' >"$ctx/app.conf"

#!/bin/sh
# Context of workload 3: one small file.
set -eu
mkdir -p "$1"
printf 'workload 3: delete and copy whole directories\n' >"$1/notes.txt"

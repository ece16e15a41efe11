#!/bin/sh
# Context of workload 5: one small file.
set -eu
mkdir -p "$1"
printf 'workload 5: a CI build from a registry cache\n' >"$1/notes.txt"

#!/bin/sh
# Context of workload 4: one small file.
set -eu
mkdir -p "$1"
printf 'hello from every platform\n' >"$1/hello.txt"

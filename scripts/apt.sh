#!/usr/bin/env bash
# Sourced by scripts/bootstrap.sh and bench/setup.sh (which set SUDO).
# apt-get update, retried: a mirror in the middle of a sync answers with index files of the wrong
# size for a while. A failure after the retries is a warning: the indexes that did download (or
# the previous ones) may well hold what we need, and the install says so if they do not.
apt_update() {
    local i
    for i in 1 2 3; do
        $SUDO apt-get update -q "$@" && return 0
        echo "apt-get update failed (attempt $i of 3); retrying in $((i * 10)) s" >&2
        sleep $((i * 10))
    done
    echo "warning: apt-get update kept failing; going on with the package indexes at hand" >&2
    return 0
}

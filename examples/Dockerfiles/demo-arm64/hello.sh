#!/bin/sh
echo "$GREETING $(uname -m) (built on $(cat /etc/built-on)) as $(id -un)"

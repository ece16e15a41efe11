# syntax=docker/dockerfile:1
from busybox
  run echo a \
    b
WorkDir /tmp

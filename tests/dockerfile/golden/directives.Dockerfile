# syntax=docker/dockerfile:1
#CHECK = skip=all
# unknown=directive
# escape=`
FROM busybox
RUN echo hi \
  there

ARG  CODE_VERSION=latest
ARG TARGETPLATFORM
ARG A=1 B="two words" C
FROM base:${CODE_VERSION}
CMD  /code/run-app

FROM --platform=$BUILDPLATFORM extras:${CODE_VERSION} as Extras
ARG CODE_VERSION
RUN echo $CODE_VERSION > image_version
FROM scratch
COPY --from=extras /image_version /

#!/bin/sh
# The build stage's commands, in one place: the Dockerfile runs them, and scripts/check-template-build
# runs them on a reproduced `faas-cli build --shrinkwrap` context, so the two cannot drift apart.
# Run from the build context's root (the folder holding function/).
set -eu
MVN="mvn -B -q ${MAVEN_ARGS:-}"
case "${1:-}" in
  deps)
    # Only the POMs are present: resolve core's dependencies into their own, cacheable layer.
    $MVN -f function/core/pom.xml dependency:go-offline
    ;;
  package)
    # core (copied in by the stack's configuration.copy), then the handler and its runtime classpath.
    $MVN -f function/core/pom.xml -DskipTests install
    $MVN -f function/pom.xml -DskipTests package dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory=target/lib
    cp function/target/*.jar function/target/lib/
    # EMNIST files placed in the handler's data/ folder before the build go into the image (may be empty).
    mkdir -p function/data
    ;;
  *)
    echo "usage: build.sh deps|package" >&2
    exit 2
    ;;
esac

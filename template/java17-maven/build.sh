#!/bin/sh
# The build stage's commands, in one place: the Dockerfile runs them, and scripts/check-template-build
# runs them on a reproduced `faas-cli build --shrinkwrap` context, so the two cannot drift apart.
# Run from the build context's root (the folder holding function/).
set -eu
MVN="mvn -B -q ${MAVEN_ARGS:-}"
case "${1:-}" in
  data)
    # The image build's first step: the EMNIST files `./emnist data bake` put into the handler's data/ folder,
    # unchanged and nothing else beside them. Fails in seconds, before any Maven work, when they are not there.
    bake="run ./emnist data bake before faas-cli build (docs/operators.md)"
    if [ ! -f function/data/SHA256SUMS ]; then
      echo "build.sh: no EMNIST data in the handler's data/ folder (it has no SHA256SUMS): $bake" >&2
      exit 1
    fi
    cd function/data
    if ! sha256sum --check --strict --quiet SHA256SUMS >&2; then
      echo "build.sh: the handler's data/ folder differs from what ./emnist data bake checked (above): $bake" >&2
      exit 1
    fi
    unlisted=$(ls -A | grep -v -x -F -e SHA256SUMS $(sed 's/^[0-9a-f]*  /-e /' SHA256SUMS) || true)
    if [ -n "$unlisted" ]; then
      echo "build.sh: files in the handler's data/ folder that SHA256SUMS does not list: $(echo $unlisted);" \
        "$bake" >&2
      exit 1
    fi
    echo "build.sh: EMNIST data checked: $(sed 's/^[0-9a-f]*  //' SHA256SUMS | tr '\n' ' ')"
    ;;
  deps)
    # Only the POMs are present: build them without sources, so that every dependency and every plugin the
    # package step uses lands in this cacheable layer. The package step then runs offline, which proves it.
    $MVN -f function/core/pom.xml -DskipTests install
    $MVN -f function/pom.xml -DskipTests package dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory=target/lib
    rm -rf function/core/target function/target
    ;;
  package)
    # core (copied in by the stack's configuration.copy), then the handler and its runtime classpath; offline:
    # everything was fetched by the deps step.
    $MVN -o -f function/core/pom.xml -DskipTests install
    $MVN -o -f function/pom.xml -DskipTests package dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory=target/lib
    cp function/target/*.jar function/target/lib/
    ;;
  natives)
    # The image's native libraries, unpacked once here instead of by every pod at start (410 MB into
    # ~/.javacpp): JavaCPP unpacks them into target/native as ND4J loads; the jars that only carried them
    # are dropped, and native/library-path lists the folders function-process puts on java.library.path.
    # emnist-predict carries no ND4J: its native/ holds only an empty library-path.
    lib=function/target/lib
    mkdir -p function/target/native
    java -Dorg.bytedeco.javacpp.cachedir=function/target/native --add-modules jdk.incubator.vector \
      -cp "$lib/*" dev.emnistfaas.faas.ImagePreparation
    (cd function/target/native && find . -name '*.so*' -exec dirname {} \; | sed 's|^\./||' | sort -u > library-path \
      && rm -f .lock)
    rm -f "$lib"/*-linux-x86_64.jar
    ;;
  *)
    echo "usage: build.sh data|deps|package|natives" >&2
    exit 2
    ;;
esac

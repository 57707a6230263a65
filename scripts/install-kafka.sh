#!/usr/bin/env bash
# Installs the official Apache Kafka broker (KRaft mode) jars from Maven Central into
# .kafka/lib, for the tests in tests/kafka (see docs/kafka.md). No Docker, no tarball:
# `mvn dependency:copy-dependencies` on scripts/kafka/pom.xml. Idempotent: does nothing
# when the jars of this version are already there. Installs Java 17 and Maven from
# Debian's packages when they are missing (needs root or sudo then).
#
#   bash scripts/install-kafka.sh          # or: make kafka
#   KAFKA_HOME=/elsewhere bash scripts/install-kafka.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/scripts/kafka/pom.xml"
KAFKA_HOME="${KAFKA_HOME:-$ROOT/.kafka}"
LIB="$KAFKA_HOME/lib"
VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")"
STAMP="$LIB/.installed-$VERSION"

if [ -f "$STAMP" ] && ls "$LIB"/kafka_2.13-"$VERSION".jar >/dev/null 2>&1; then
  exit 0
fi

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "installing ${need[*]} (Debian packages) ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "fetching Apache Kafka $VERSION (kafka_2.13 and its runtime dependencies) from Maven Central into $LIB ..." >&2
tmp="$LIB.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
# (-q prints only errors; the sed drops the colour codes Maven's console prints even so)
mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 \
  | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2
ls "$tmp"/kafka_2.13-"$VERSION".jar >/dev/null
rm -rf "$LIB"
mkdir -p "$KAFKA_HOME"
mv "$tmp" "$LIB"
trap - EXIT
touch "$STAMP"
echo "Apache Kafka $VERSION installed: $(ls "$LIB" | wc -l) jars in $LIB" >&2

#!/usr/bin/env bash
# Soak test for robojail's lifecycle (reliability issue). Not part of ./mvnw -B verify: minutes.
#
#   bench/soak.sh              # 4 threads x 100 create/run/status/destroy cycles, + a shared name
#   bench/soak.sh 8 50         # THREADS CYCLES
#
# Prints failures, anything left behind (jail and scratch directories, records, state entries,
# branches, descriptors) and the time per cycle; exits non-zero if any. Needs a build with test
# classes (./mvnw -B verify) and user namespaces (the run step starts a real jail).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
java="$(bin/require-jdk --print)/bin/java"
cp=$(bench/test-classpath)
exec "$java" --enable-native-access=ALL-UNNAMED -cp "$cp" dev.robojail.jail.Soak "$@"

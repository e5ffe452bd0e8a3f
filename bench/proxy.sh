#!/usr/bin/env bash
# The egress proxy's cost (issue 9), in one run: throughput of a large download through the proxy
# and through a host port against the same download direct, the latency a request on a new
# connection gains, and the JVM's memory with 100 tunnels open. Not a test: figures, not
# assertions; exits 1 if a target (>= 0.8x throughput, <= 1 ms, <= 20 MB) is missed.
#
#   bench/proxy.sh                 # 512 MiB x 5 downloads, 500 requests
#   bench/proxy.sh 256 3 200       # SIZE_MB RUNS REQUESTS
#
# Needs a build with test classes (./mvnw -B verify), curl and python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
java="$(bin/require-jdk --print)/bin/java"
core=robojail-core/target
[[ -f $core/test-classpath.txt && -d $core/test-classes ]] ||
  { echo "no build found: run ./mvnw -B verify first" >&2; exit 2; }
cp="$core/test-classes:$core/classes:$(cat "$core/test-classpath.txt")"
exec "$java" --enable-native-access=ALL-UNNAMED -cp "$cp" dev.robojail.bench.ProxyBenchmark "$@"

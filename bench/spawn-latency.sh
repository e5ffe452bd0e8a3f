#!/usr/bin/env bash
# Spawn benchmarks for robojail (issue: foundation). Not a test: figures, not assertions.
#
#   bench/spawn-latency.sh            # JMH latency + 10,000-spawn stress
#   STRESS=2000 bench/spawn-latency.sh
#
# 1. Latency of /bin/true in a robojail sandbox with the default isolation (Sandbox.builder()
#    .minimalSystem()), from a warm JVM, next to ProcessBuilder("/bin/true") and to bubblewrap
#    doing the equivalent setup (Bwrap.java derives its arguments from the same spec), all three
#    in the same JMH run (sample mode: p0.50 is the median, p0.99 the 99th percentile).
# 2. Stress: STRESS spawns (default 10000) while another thread churns garbage; reports hangs,
#    failures, leaked descriptors and zombies, and exits non-zero if any.
#
# Needs a build with test classes (./mvnw -B verify) and, for the peer, bubblewrap
# (apt-get install bubblewrap).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
java="$(bin/require-jdk --print)/bin/java"
cp=$(bench/test-classpath)
command -v bwrap >/dev/null || echo "note: bwrap is not installed; its benchmark will fail" >&2

mkdir -p target
echo "== latency (JMH, sample mode, microseconds per spawn+wait) =="
"$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$cp" org.openjdk.jmh.Main \
  'dev.robojail.bench.SpawnBenchmark' -rf json -rff target/spawn-latency.json "$@"

echo "== ratios (median) =="
python3 - <<'PY'
import json
rows = json.load(open("target/spawn-latency.json"))
med = {r["benchmark"].rsplit(".", 1)[1]: r["primaryMetric"]["scorePercentiles"] for r in rows}
for name, p in med.items():
    print(f"{name:20s} median {p['50.0']:8.0f} us   p99 {p['99.0']:8.0f} us")
if "robojail" in med and "bwrap" in med:
    print(f"robojail / bwrap median:          {med['robojail']['50.0'] / med['bwrap']['50.0']:.2f}x")
if "robojailFoundation" in med and "bwrap" in med:
    print(f"robojailFoundation / bwrap median: {med['robojailFoundation']['50.0'] / med['bwrap']['50.0']:.2f}x")
if "robojail" in med and "processBuilder" in med:
    print(f"robojail / ProcessBuilder median: {med['robojail']['50.0'] / med['processBuilder']['50.0']:.2f}x")
PY

echo "== stress =="
"$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$cp" dev.robojail.bench.SpawnStress "${STRESS:-10000}"

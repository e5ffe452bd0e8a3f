#!/usr/bin/env bash
# What the terminal relay's output filter costs (TerminalFilterBenchmark): microseconds per 8 KiB
# read of plain text and of a full-screen program's redraws, next to a plain copy. Figures, not
# assertions. Needs a build with test classes (./mvnw -B verify).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
java="$(bin/require-jdk --print)/bin/java"
cp=$(bench/test-classpath)
"$java" --sun-misc-unsafe-memory-access=allow -cp "$cp" org.openjdk.jmh.Main \
  'dev.robojail.sandbox.TerminalFilterBenchmark' "$@"

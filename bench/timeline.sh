#!/usr/bin/env bash
# Where the wall time of one `robojail run J -- true` goes, from the kernel's own timestamps: the
# scheduler's fork, exec, exit and thread-name events (ftrace), which a noisy machine disturbs far
# less than it disturbs a whole-process median. Not a test: figures, not assertions.
#
#   bench/timeline.sh            after ./mvnw -B package; needs root (ftrace), git and python3
#   RUNS=40 bench/timeline.sh
#   ARGS="exec bench-exec -- true" bench/timeline.sh   another command line (its jail must exist)
#
# The distribution target/robojail-*/ is installed into a temporary prefix and run through its
# symlink in a scratch HOME, as bench/startup.sh does. Each run's events are kept only for the
# process tree of the launcher it started, so other processes' events do not count. Phases, each
# the median over the runs (ms):
#   boot     the launcher's exec to robojail's first thread of its own (robojail-link, started on
#            Main's first line): the JVM, its AOT cache and the launcher script before it
#   main     to the clone of the jail's child (the fork whose parent is robojail-spawner)
#   setup    to the exec of robojail-init in the child (the setup program, any wait at its gate)
#   command  to the jailed command's exit
#   exit     to the JVM's exit (its last thread's)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
[[ $(id -u) == 0 ]] || { echo "bench/timeline.sh: needs root for ftrace" >&2; exit 2; }
for tool in git python3; do
  command -v "$tool" >/dev/null || { echo "bench/timeline.sh: needs $tool" >&2; exit 2; }
done
shopt -s nullglob
dists=("$root"/target/robojail-*/install)
((${#dists[@]} == 1)) || { echo "bench/timeline.sh: no distribution: run ./mvnw -B package" >&2; exit 2; }
tracing=/sys/kernel/tracing
[[ -e $tracing/trace ]] || mount -t tracefs nodev "$tracing" 2>/dev/null ||
  { echo "bench/timeline.sh: no tracefs at $tracing" >&2; exit 2; }
events=(sched/sched_process_fork sched/sched_process_exec sched/sched_process_exit task/task_rename)

work=$(mktemp -d "${TMPDIR:-/tmp}/robojail-timeline.XXXXXX")
export HOME=$work/home XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
mkdir -p "$HOME"
rj=$work/prefix/bin/robojail
trace_off() {
  echo 0 >"$tracing/tracing_on"
  for e in "${events[@]}"; do echo 0 >"$tracing/events/$e/enable"; done
}
cleanup() {
  trace_off 2>/dev/null || true
  "$rj" destroy --force bench >/dev/null 2>&1 || true
  chmod -R u+w "$work" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
"${dists[0]}" --prefix "$work/prefix" >/dev/null
git -C "$work" init -q repo
echo bench >"$work/repo/README"
git -C "$work/repo" add README
git -C "$work/repo" -c user.name=bench -c user.email=bench@localhost commit -qm bench
"$rj" create --name bench --repo "$work/repo" >/dev/null
read -ra args <<<"${ARGS:-run bench -- true}"
for _ in 1 2 3; do "$rj" "${args[@]}" </dev/null >/dev/null 2>&1 || true; done

echo "command: robojail ${args[*]}; runs: ${RUNS:-20}; CPUs: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 0; i < ${RUNS:-20}; i++)); do
  echo 0 >"$tracing/tracing_on"
  echo >"$tracing/trace"
  for e in "${events[@]}"; do echo 1 >"$tracing/events/$e/enable"; done
  echo 1 >"$tracing/tracing_on"
  "$rj" "${args[@]}" </dev/null >/dev/null 2>&1 &
  pid=$!
  wait "$pid" || true
  trace_off
  echo "== $pid"
  grep -v '^#' "$tracing/trace"
done >"$work/events"

python3 - "$work/events" <<'PY'
import re, statistics, sys

event = re.compile(r"\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+):\s+(\S+):\s*(.*)")
runs, current = [], None
for line in open(sys.argv[1]):
    if line.startswith("== "):
        current = {"root": int(line.split()[1]), "lines": []}
        runs.append(current)
    elif current is not None:
        current["lines"].append(line)

phases = ["boot", "main", "setup", "command", "exit"]
table = {p: [] for p in phases}
for run in runs:
    tree, t = {run["root"]}, {}
    names = {}
    for line in run["lines"]:
        m = event.match(line)
        if not m:
            continue
        comm, pid, ts, ev, rest = m.groups()
        pid, ts = int(pid), float(ts) * 1000
        if ev == "sched_process_fork":
            child = int(re.search(r"child_pid=(\d+)", rest).group(1))
            if pid in tree:
                tree.add(child)
                if names.get(pid, comm).startswith("robojail-spawn") and "child" not in t:
                    t["child"], t["child_pid"] = ts, child
            continue
        if pid not in tree:
            continue
        if ev == "task_rename":
            names[pid] = re.search(r"newcomm=(.*) oom_score_adj", rest).group(1)
            if names[pid] == "robojail-link" and "link" not in t:
                t["link"] = ts
        elif ev == "sched_process_exec":
            if pid == run["root"] and "java" not in t:
                t["java"] = ts  # the launcher's exec: the script is part of the start
            elif pid == t.get("child_pid") and "init" not in t:
                t["init"], t["init_pid"] = ts, pid
        elif ev == "sched_process_exit":
            if "init" in t and pid != t["init_pid"] and "command" not in t and "group_dead=true" in rest:
                t["command"] = ts
            # the JVM's end: its last thread's exit, whichever thread that is
            t["end"] = max(t.get("end", ts), ts)
    marks = ["java", "link", "child", "init", "command", "end"]
    if all(k in t for k in marks):
        for p, (a, b) in zip(phases, zip(marks, marks[1:])):
            table[p].append(t[b] - t[a])
n = len(table["boot"])
if n == 0:
    sys.exit("bench/timeline.sh: no run showed every mark (was it a jail that starts?)")
print(f"  {'phase':10s} {'median':>8s} {'min':>8s}   ({n} of {len(runs)} runs complete)")
total = []
for p in phases:
    print(f"  {p:10s} {statistics.median(table[p]):6.2f}ms {min(table[p]):6.2f}ms")
sums = [sum(table[p][i] for p in phases) for i in range(n)]
print(f"  {'total':10s} {statistics.median(sums):6.2f}ms {min(sums):6.2f}ms")
PY

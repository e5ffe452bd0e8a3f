#!/usr/bin/env bash
# Start-up of the installed distribution, as whole processes, next to `java` Hello World on the
# same JDK and to bubblewrap, all in one hyperfine run so that the ratios hold on a noisy machine.
# Not a test: figures, not assertions (not part of ./mvnw verify).
#
#   bench/startup.sh                 after ./mvnw -B package (or verify)
#   RUNS=40 WARMUP=5 bench/startup.sh
#   BASE=/tmp/main-dist bench/startup.sh   an A/B: another build's target/robojail-*/ tree, copied
#                                          aside (cp -a), gets its own rows in the same run
#
# The distribution target/robojail-*/ is installed into a temporary prefix with its own install
# script and run through the symlink PREFIX/bin/robojail, in a scratch HOME (the user's jails are
# untouched). Rows: the JDK's java Hello (the reference), the bundled runtime's java Hello with the
# launcher's flags, robojail --version, list, run J -- true, exec J -- true (into a second jail,
# kept running), bwrap --ro-bind / / true, and bwrap
# with roughly a jail's setup. The table gives medians and CPU time (user+system, which a busy
# machine disturbs less than wall time) with their ratios to the first row. A second table takes
# one lever out at a time from the same install: the AOT cache (-XX:AOTMode=off), C1-only and
# SerialGC (the JVM's defaults instead), list's own cache (the cache of every command instead);
# a third does the same for run: the cache's training profiles replayed (no -XX:-AOTReplayTraining),
# the native linkage on the main thread at its first use (-Drobojail.noLinkAhead=true), the JIT
# (C1) instead of the interpreter alone that the launcher picks when no terminal is attached
# (-Xint; hyperfine attaches none; list has a row of its own).
#
# Needs hyperfine, git, a JDK 25 (bin/require-jdk) for javac, and bwrap for its rows.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
for tool in hyperfine git python3; do
  command -v "$tool" >/dev/null || { echo "bench/startup.sh: needs $tool" >&2; exit 2; }
done
shopt -s nullglob
dists=("$root"/target/robojail-*/install)
((${#dists[@]} == 1)) || { echo "bench/startup.sh: no distribution: run ./mvnw -B package" >&2; exit 2; }
jdk=$(bin/require-jdk --print 25)
hf=(hyperfine -N --style basic --warmup "${WARMUP:-3}" --runs "${RUNS:-20}")

work=$(mktemp -d "${TMPDIR:-/tmp}/robojail-startup.XXXXXX")
export HOME=$work/home XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
mkdir -p "$HOME"
prefix=$work/prefix
rj=$prefix/bin/robojail
cleanup() {
  "$rj" destroy --force bench >/dev/null 2>&1 || true
  "$rj" destroy --force bench-exec >/dev/null 2>&1 || true
  [[ -z ${sleeper-} ]] || wait "$sleeper" 2>/dev/null || true
  chmod -R u+w "$work" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
"${dists[0]}" --prefix "$prefix" >/dev/null
if [[ -n ${BASE-} ]]; then
  "$BASE/install" --prefix "$work/base" >/dev/null
fi

mkdir -p "$work/hello" "$work/repo"
printf '%s\n' 'public class Hello {' \
  '  public static void main(String[] a) { System.out.println("Hello, World"); }' '}' \
  >"$work/hello/Hello.java"
"$jdk/bin/javac" -d "$work/hello" "$work/hello/Hello.java"
git -C "$work/repo" init -q
echo bench >"$work/repo/README"
git -C "$work/repo" add README
git -C "$work/repo" -c user.name=bench -c user.email=bench@localhost commit -qm bench
"$rj" create --name bench --repo "$work/repo" >/dev/null
# exec joins a running jail: a second jail, kept running by a session that waits, so that the
# run row still starts a stopped jail.
"$rj" create --name bench-exec --repo "$work/repo" >/dev/null
"$rj" run bench-exec -- sleep 3600 </dev/null >/dev/null 2>&1 &
sleeper=$!
for _ in $(seq 100); do
  "$rj" list | grep -q '^bench-exec  *running' && break
  sleep 0.1
done

home=$prefix/lib/robojail
runtime_java=$home/runtime/bin/java
flags="--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData"
noreplay="-XX:+UnlockDiagnosticVMOptions -XX:-AOTReplayTraining"
cp=$(sed -n 's/.*-cp "\(.*\)" dev.*/\1/p' "$home/bin/robojail")
cp=${cp//\$home/$home}
main="-cp $cp dev.robojail.cli.Main"
# The launcher's mode for list, and for run and exec without a terminal (src/dist/robojail).
xint=-Xint
aot="-XX:AOTCache=$home/lib/robojail-list.aot -Xlog:aot=off -Xlog:cds=off"
run_aot="-XX:AOTCache=$home/lib/robojail-run.aot -Xlog:aot=off -Xlog:cds=off"

echo "distribution: $home ($(du -sh "$home" | cut -f1); runtime $(du -sh "$home/runtime" | cut -f1), AOT caches $(du -ch "$home"/lib/*.aot | tail -n 1 | cut -f1))"
echo "JDK: $jdk ($("$jdk/bin/java" -version 2>&1 | head -n 1)); CPUs: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"

table() { # hyperfine JSON -> medians, CPU and ratios to the first row
  python3 - "$1" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
ref, cpu = rows[0]["median"], lambda r: r["user"] + r["system"]
print(f"  {'command':44s} {'median':>9s} {'ratio':>7s} {'cpu':>9s} {'ratio':>7s}")
for r in rows:
    print(f"  {r['command']:44s} {r['median'] * 1000:7.1f}ms {r['median'] / ref:6.2f}x"
          f" {cpu(r) * 1000:7.1f}ms {cpu(r) / cpu(rows[0]):6.2f}x")
PY
}

run() { # title, then pairs (label, command)
  local title=$1 args=()
  shift
  while (($#)); do args+=(-n "$1" "$2"); shift 2; done
  echo
  echo "== $title =="
  "${hf[@]}" --export-json "$work/out.json" "${args[@]}" >"$work/out.log" 2>&1 ||
    { cat "$work/out.log"; return 1; }
  table "$work/out.json"
}

peers=("java Hello (JDK, defaults)" "$jdk/bin/java -cp $work/hello Hello"
  "java Hello (bundled runtime, launcher flags)" "$runtime_java $flags -cp $work/hello Hello"
  "robojail --version" "$rj --version"
  "robojail list" "$rj list"
  "robojail run J -- true" "$rj run bench -- true"
  "robojail exec J -- true" "$rj exec bench-exec -- true")
if [[ -n ${BASE-} ]]; then
  base_rj=$work/base/bin/robojail
  peers+=("BASE: robojail --version" "$base_rj --version" "BASE: robojail list" "$base_rj list"
    "BASE: robojail run J -- true" "$base_rj run bench -- true"
    "BASE: robojail exec J -- true" "$base_rj exec bench-exec -- true")
fi
if command -v bwrap >/dev/null; then
  b="bwrap --unshare-all --die-with-parent --new-session --ro-bind /usr /usr"
  for d in /bin /sbin /lib /lib64; do
    if [[ -L $d ]]; then b+=" --symlink $(readlink "$d") $d"; elif [[ -d $d ]]; then b+=" --ro-bind $d $d"; fi
  done
  b+=" --proc /proc --dev /dev --tmpfs /tmp --bind $work/repo $work/repo --chdir $work/repo true"
  peers+=("bwrap --ro-bind / / true" "bwrap --ro-bind / / true" "bwrap, a jail's setup" "$b")
fi
run "start-up: whole processes, one run" "${peers[@]}"

run "levers: robojail list with one taken out" \
  "java Hello (JDK, defaults)" "$jdk/bin/java -cp $work/hello Hello" \
  "list: all levers (the launcher)" "$rj list" \
  "list: no AOT cache" "$runtime_java $flags $noreplay -XX:AOTMode=off $xint $main list" \
  "list: JVM's default GC and JIT" "$runtime_java --enable-native-access=ALL-UNNAMED $noreplay $aot $main list" \
  "list: the JIT (C1), not -Xint" "$runtime_java $flags $noreplay $aot $main list" \
  "list: the cache of every command" "$runtime_java $flags $noreplay -XX:AOTCache=$home/lib/robojail.aot -Xlog:aot=off -Xlog:cds=off $xint $main list"

run "levers: robojail run J -- true with one taken out" \
  "java Hello (JDK, defaults)" "$jdk/bin/java -cp $work/hello Hello" \
  "run: all levers (the launcher)" "$rj run bench -- true" \
  "run: training profiles replayed" "$runtime_java $flags $run_aot $xint $main run bench -- true" \
  "run: native linkage at first use" \
  "$runtime_java $flags $noreplay $run_aot $xint -Drobojail.noLinkAhead=true $main run bench -- true" \
  "run: the JIT (C1), not -Xint" "$runtime_java $flags $noreplay $run_aot $main run bench -- true"

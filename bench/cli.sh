#!/usr/bin/env bash
# Whole-process benchmarks of the robojail command line against its peers, with hyperfine. Not a
# test: figures, not assertions. Each section runs all its peers in the same hyperfine run and ends
# with a table of medians and their ratio to the section's reference (the first row).
#
#   bench/cli.sh                      # every section: create run agent status caches
#   bench/cli.sh create status        # some of them
#   RUNS=20 WARMUP=3 bench/cli.sh     # more runs (default: 10 runs after 2 warmups)
#
#   create  robojail create  vs  git worktree add -b    (target: <= 1.1x)
#   run     robojail run J -- true  vs  java Hello (same JDK, same JVM flags)  vs  bwrap ... true
#   agent   robojail run J -- true  without a profile  vs  with the claude profile (its login
#           and settings copied into the jail's own home, target: <= +20 ms)
#   status  robojail status J  vs  git status  vs  git diff --stat   (in the jail's worktree)
#   caches  robojail run J -- true  without seed_caches  vs  with all six kinds seeded from host
#           caches the section fills (six overlays mounted at every run)
#   (start-up, the AOT cache and the JVM flags: bench/startup.sh)
#
# The test repository is made without network from the JDK's own sources (java.base and java.xml
# of lib/src.zip, about 5,000 files) and kept in target/bench-repo for later runs. Everything
# robojail writes goes to a temporary HOME and XDG_* directories: the user's jails are untouched.
#
# Needs a build (./mvnw -B package, which makes the distribution bin/robojail runs), hyperfine,
# git, unzip, python3; bwrap
# for the optional bwrap peer.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
jdk=$(bin/require-jdk --print 25)
java=$jdk/bin/java
if ! compgen -G "target/robojail-*/bin/robojail" >/dev/null; then
  echo "bench/cli.sh: no distribution found: run ./mvnw -B package first" >&2
  exit 2
fi
for tool in hyperfine git unzip python3; do
  command -v "$tool" >/dev/null || { echo "bench/cli.sh: needs $tool" >&2; exit 2; }
done
sections=("$@")
[[ ${#sections[@]} -gt 0 ]] || sections=(create run agent status caches)
hf=(hyperfine --style basic --warmup "${WARMUP:-2}" --runs "${RUNS:-10}")
rj=$root/bin/robojail
# The JVM flags the launcher uses (keep in step with robojail-cli/src/dist/robojail).
jvm_flags="--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData"

# --- the test repository ----------------------------------------------------------------------
repo=$root/target/bench-repo
if [[ ! -f $root/target/bench-repo.ready || ! -d $repo/.git ]]; then
  echo "== making the test repository $repo from $jdk/lib/src.zip (once) =="
  rm -rf "$repo" "$repo.tmp" "$root/target/bench-repo.ready"
  mkdir -p "$repo.tmp"
  unzip -q "$jdk/lib/src.zip" 'java.base/*' 'java.xml/*' -d "$repo.tmp"
  git -C "$repo.tmp" init -q -b main
  git -C "$repo.tmp" config gc.auto 0
  git -C "$repo.tmp" add -A
  git -C "$repo.tmp" -c user.name=bench -c user.email=bench@localhost commit -q -m "JDK sources"
  mv "$repo.tmp" "$repo"
  touch "$root/target/bench-repo.ready"
fi
echo "test repository: $repo, $(git -C "$repo" ls-files | wc -l) files"

# --- a scratch HOME ---------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/robojail-bench.XXXXXX")
export HOME=$work/home XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
mkdir -p "$HOME"
cleanup() {
  local j b
  for j in $("$rj" list 2>/dev/null | awk 'NR > 1 {print $1}'); do
    "$rj" destroy --force "$j" >/dev/null 2>&1 || true
  done
  git -C "$repo" worktree remove --force "$work/wt" >/dev/null 2>&1 || true
  git -C "$repo" worktree prune
  for b in $(git -C "$repo" for-each-ref --format='%(refname:short)' 'refs/heads/robojail/bench-*' \
    refs/heads/bench-wt); do
    git -C "$repo" branch -q -D "$b" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

echo "JDK: $jdk; CPUs: $(nproc)"

table() { # JSON export -> medians and ratios to the first row; CPU time (mean user+system) too,
  # which a busy machine disturbs less than wall time
  python3 - "$1" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
ref = rows[0]["median"]
cpu = lambda r: r["user"] + r["system"]
print(f"  {'command':32s} {'median':>10s} {'ratio':>7s} {'cpu (user+sys)':>16s} {'ratio':>7s}")
for r in rows:
    print(f"  {r['command']:32s} {r['median'] * 1000:8.1f}ms {r['median'] / ref:6.2f}x"
          f" {cpu(r) * 1000:14.1f}ms {cpu(r) / cpu(rows[0]):6.2f}x")
PY
}

bench() { # NAME then pairs of (label, command): one hyperfine run; prints the commands and a table
  local name=$1 args=() n=0
  shift
  echo
  echo "== $name =="
  while [[ $# -gt 0 ]]; do
    case $1 in
      --prepare) args+=(--prepare "$2"); echo "    (prepare: $2)"; shift 2; continue ;;
    esac
    args+=(-n "$1" "$2")
    printf '  %-28s $ %s\n' "$1" "$2"
    n=$((n + 1))
    shift 2
  done
  "${hf[@]}" --export-json "$work/$name.json" "${args[@]}" >"$work/$name.log" 2>&1 ||
    { cat "$work/$name.log"; return 1; }
  table "$work/$name.json" | tee -a "$work/summary"
}

jail_dir() { echo "$XDG_DATA_HOME/robojail/jails/$1"; }

for section in "${sections[@]}"; do
  case $section in
    create)
      echo "--- create ---" >>"$work/summary"
      bench create \
        --prepare "git -C $repo worktree remove --force $work/wt >/dev/null 2>&1; git -C $repo branch -q -D bench-wt >/dev/null 2>&1; true" \
        "git worktree add -b" "git -C $repo worktree add -q -b bench-wt $work/wt" \
        --prepare "$rj destroy --force bench-create >/dev/null 2>&1 || true" \
        "robojail create" "$rj create --name bench-create --repo $repo"
      "$rj" destroy --force bench-create >/dev/null 2>&1 || true
      ;;
    run)
      echo "--- run ---" >>"$work/summary"
      hello=$root/target/bench-hello
      if [[ ! -f $hello/Hello.class ]]; then
        mkdir -p "$hello"
        printf '%s\n' 'public class Hello {' \
          '  public static void main(String[] a) { System.out.println("Hello, World"); }' \
          '}' >"$hello/Hello.java"
        "$jdk/bin/javac" -d "$hello" "$hello/Hello.java"
      fi
      "$rj" create --name bench-run --repo "$repo" >/dev/null
      wt=$(jail_dir bench-run)
      peers=("java Hello (launcher's flags)" "$java $jvm_flags -cp $hello Hello"
        "robojail run J -- true" "$rj run bench-run -- true")
      if command -v bwrap >/dev/null; then
        # Roughly what robojail sets up: new namespaces and session, the system read-only, /proc,
        # /dev, an empty HOME, the worktree read-write and the git directory read-only.
        b="bwrap --unshare-all --die-with-parent --new-session --hostname bench-run --ro-bind /usr /usr"
        for d in /bin /sbin /lib /lib32 /lib64 /libx32; do
          if [[ -L $d ]]; then b+=" --symlink $(readlink "$d") $d"; elif [[ -d $d ]]; then b+=" --ro-bind $d $d"; fi
        done
        b+=" --proc /proc --dev /dev --tmpfs /tmp --tmpfs $HOME --bind $wt $wt"
        b+=" --ro-bind $repo/.git $repo/.git --chdir $wt true"
        peers+=("bwrap ... true" "$b")
      fi
      bench run "${peers[@]}"
      "$rj" destroy --force bench-run >/dev/null
      ;;
    agent)
      echo "--- agent ---" >>"$work/summary"
      # A fake Claude login in the scratch HOME: what the profile copies in before every run.
      mkdir -p "$HOME/.claude"
      printf '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-bench","refreshToken":"r","expiresAt":%s}}' \
        "$(($(date +%s) * 1000 + 86400000))" >"$HOME/.claude/.credentials.json"
      printf '{"oauthAccount":{"emailAddress":"bench@example.com"},"userID":"bench"}' >"$HOME/.claude.json"
      "$rj" create --name bench-plain --repo "$repo" >/dev/null
      "$rj" create --name bench-agent --repo "$repo" --agent claude --entrypoint /bin/true >/dev/null
      bench agent \
        "run J -- true, no profile" "$rj run bench-plain -- true" \
        "run J -- true, claude profile" "$rj run bench-agent -- true"
      "$rj" destroy --force bench-plain >/dev/null
      "$rj" destroy --force bench-agent >/dev/null
      ;;
    caches)
      echo "--- caches ---" >>"$work/summary"
      for c in .m2/repository/org/example .npm/_cacache/index-v5 .cache/pip/http .gradle/caches/modules-2 \
        .cargo/registry/index go/pkg/mod/example.com; do
        mkdir -p "$HOME/$c" && echo cached >"$HOME/$c/file"
      done
      # Both read a configuration file: parsing one is a cost of its own (tomlj's first use).
      mkdir -p "$work/config-plain/robojail" "$work/config-seeded/robojail"
      printf 'seed_caches = []\n' >"$work/config-plain/robojail/config.toml"
      printf 'seed_caches = ["maven", "npm", "pip", "gradle", "cargo", "go"]\n' \
        >"$work/config-seeded/robojail/config.toml"
      "$rj" create --name bench-caches --repo "$repo" >/dev/null
      bench caches \
        "run J -- true, no seed_caches" "XDG_CONFIG_HOME=$work/config-plain $rj run bench-caches -- true" \
        "run J -- true, 6 caches seeded" "XDG_CONFIG_HOME=$work/config-seeded $rj run bench-caches -- true"
      XDG_CONFIG_HOME=$work/config-seeded "$rj" run bench-caches -- sh -c 'grep -c " overlay " /proc/self/mountinfo' |
        sed 's/^/  overlays mounted: /'
      "$rj" destroy --force bench-caches >/dev/null
      ;;
    status)
      echo "--- status ---" >>"$work/summary"
      "$rj" create --name bench-status --repo "$repo" >/dev/null
      wt=$(jail_dir bench-status)
      echo "// changed" >>"$wt/java.base/java/lang/Object.java"
      echo "new file" >"$wt/NEW.txt"
      bench status \
        "git status" "git -C $wt status" \
        "git diff --stat" "git -C $wt diff --stat" \
        "robojail status J" "$rj status bench-status"
      "$rj" destroy --force bench-status >/dev/null
      ;;
    *)
      echo "bench/cli.sh: unknown section $section (create, run, agent, status, caches)" >&2
      exit 2
      ;;
  esac
done

echo
echo "== summary (median, ratio to the first row of each section) =="
cat "$work/summary"

# Shared helpers for the benchmark scripts in bench/. Source it; do not run it.
# Every script prints a markdown section on stdout and its progress on stderr, so that
# bench/run can append the sections to docs/benchmarks.md.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf 'bench | %s\n' "$*" >&2; }
die() { printf 'bench | error: %s\n' "$*" >&2; exit 1; }

# need_tool NAME [DEBIAN_PACKAGE]: installs the package with apt-get when root, else explains.
need_tool() {
  command -v "$1" >/dev/null 2>&1 && return 0
  local pkg=${2:-$1}
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing $pkg"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null; } \
      || die "could not install $pkg"
  else
    die "$1 is missing: install the Debian package $pkg"
  fi
}

# need_jars: builds the three fat jars when one is missing (tests skipped: they are not measured).
need_jars() {
  local p missing=0
  for p in app reloader logger; do [ -f "$BENCH_ROOT/$p/target/$p.jar" ] || missing=1; done
  if [ "$missing" = 1 ]; then
    log "building the jars"
    (cd "$BENCH_ROOT" && ./mvnw -B -q package -DskipTests) >&2 || die "the build failed"
  fi
}

# java_cmd PROGRAM: the command line that images, bin/local-pod and benchmarks all use.
java_cmd() { echo "java @$BENCH_ROOT/$1/jvm.options -jar $BENCH_ROOT/$1/target/$1.jar"; }

# cds_java_cmd PROGRAM: the same with a class-data-sharing archive made the way the images make
# theirs (bin/cds-archive), kept in target/bench-cds and made again when the jar is newer.
cds_java_cmd() {
  local dir=$BENCH_ROOT/target/bench-cds jar=$BENCH_ROOT/$1/target/$1.jar
  if [ ! -f "$dir/$1.jsa" ] || [ "$jar" -nt "$dir/$1.jsa" ] || [ "$BENCH_ROOT/$1/jvm.options" -nt "$dir/$1.jsa" ]; then
    mkdir -p "$dir"
    rm -f "$dir/$1.jsa"
    cp "$BENCH_ROOT/$1/jvm.options" "$dir/$1.options"
    "$BENCH_ROOT/bin/cds-archive" "$jar" "$dir/$1.options" "$dir/$1.jsa" "$(free_port)" >&2 \
      || die "no CDS archive for $1"
  fi
  echo "java @$dir/$1.options -jar $jar"
}

# bench_java CLASSPATH MAIN ARGS...: runs bench/MAIN.java, compiled with the shared
# bench/GreetingProbe.java into target/bench-classes (again whenever a source is newer).
bench_java() {
  local cp=$1 main=$2; shift 2
  local classes=$BENCH_ROOT/target/bench-classes
  if [ ! -f "$classes/$main.class" ] \
    || [ -n "$(find "$BENCH_ROOT/bench" -name '*.java' -newer "$classes/$main.class")" ]; then
    mkdir -p "$classes"
    javac -nowarn -d "$classes" -cp "$cp" "$BENCH_ROOT/bench/$main.java" "$BENCH_ROOT/bench/GreetingProbe.java" >&2 \
      || die "bench/$main.java does not compile"
  fi
  java -cp "$classes:$cp" "$main" "$@"
}

# free_port: a TCP port nobody listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL PID [SECONDS]: waits until URL answers 2xx; fails if PID dies first.
wait_http() {
  local url=$1 pid=$2 deadline=$(( SECONDS + ${3:-60} )) pause
  local hostport=${url#http://}; hostport=${hostport%%/*}
  # Until the port accepts: bash's own /dev/tcp, its clock and a read that times out, no process
  # started (a curl, date and sleep every 5 ms take CPU from the JVM whose start is measured).
  exec {pause}<> <(:)
  until { exec 9<>"/dev/tcp/${hostport%:*}/${hostport#*:}"; } 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "process $pid died before $url answered"
    [ "$SECONDS" -lt "$deadline" ] || die "$url did not answer in time"
    read -r -t 0.005 -u "$pause" || true
  done
  exec 9<&- 9>&-
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "process $pid died before $url answered"
    [ "$SECONDS" -lt "$deadline" ] || die "$url did not answer in time"
    read -r -t 0.005 -u "$pause" || true
  done
  exec {pause}<&-
}

now_us() { echo $(( $(date +%s%N) / 1000 )); }

# rss_mib PID: resident set size in MiB (one decimal).
rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

# cpu_percent PID SECONDS: the share of one CPU that PID used over the next SECONDS.
cpu_percent() {
  local ticks hz=$(getconf CLK_TCK) before after
  ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
  before=$(ticks "$1"); sleep "$2"; after=$(ticks "$1")
  awk -v t=$((after - before)) -v hz="$hz" -v s="$2" 'BEGIN {printf "%.2f", 100 * t / hz / s}'
}

# median N...: the median of integer or decimal numbers.
median() { percentile 50 "$@"; }

# percentile P N...: nearest-rank percentile (P in 1..100).
percentile() {
  local p=$1; shift
  printf '%s\n' "$@" | sort -g | awk -v p="$p" '{v[NR]=$1} END {
    if (NR == 0) { print "n/a"; exit }
    r = int((p / 100) * NR + 0.999999); if (r < 1) r = 1; if (r > NR) r = NR; print v[r] }'
}

# us_to_ms MICROSECONDS: milliseconds with two decimals.
us_to_ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

# verdict VALUE OP GOAL: "met" or "missed" (OP is <= or >=), for the goal column.
verdict() {
  awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN {
    ok = (op == "<=") ? (v <= g) : (v >= g); print (ok ? "met" : "**missed**") }'
}

# wrk_field FILE rps|p50|p99|errors: one figure from the output of `wrk --latency`; errors counts
# non-2xx/3xx answers and socket errors (connect, read, write, timeout).
wrk_field() {
  case "$2" in
    rps) awk '/Requests\/sec/ {printf "%d", $2}' "$1" ;;
    p50) awk '$1=="50%" {print $2}' "$1" ;;
    p99) awk '$1=="99%" {print $2}' "$1" ;;
    errors) awk '/Non-2xx or 3xx/ {n+=$NF} /Socket errors/ {gsub(",",""); n+=$4+$6+$8+$10} END {print n+0}' "$1" ;;
  esac
}

# wrk_ms LATENCY: a wrk latency (530.00us, 1.20ms, 2.10s) in milliseconds.
wrk_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.3f", v/1000; else if (v ~ /ms$/) printf "%.3f", v+0; else printf "%.3f", v*1000 }'; }

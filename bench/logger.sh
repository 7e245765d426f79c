#!/usr/bin/env bash
# The logger's benchmarks, with its shipped JVM flags (logger/jvm.options):
#  - throughput beside `tail -n +1 -F` on the same 2-million-line file, in one run
#    (goals: at least 1 million lines/s, and at least half of tail's rate), in a JVM just started
#    and again in the same processes once warm, with each follower's CPU time per pass
#  - latency from a line appended to the file to that line on stdout, p99 (goal <= 50 ms)
#  - RSS at full throughput (goal <= 48 MiB)
# Prints a markdown section on stdout. BENCH_LOGGER_BASELINE_JAR=path/to/logger.jar (a build of an
# earlier commit) adds that jar to each round, run the same way, for a before/after in one run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BENCH_ROOT"
LINES=${BENCH_LINES:-2000000}
# Only the logger's jar is needed here.
[ -f logger/target/logger.jar ] || { log "building the logger's jar"; ./mvnw -B -q -pl common,logger -am package -DskipTests >&2 || die "the build failed"; }
work=$(mktemp -d -t bench-logger.XXXXXX)
lpid=
trap '[ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$work"' EXIT

log "a $LINES-line access log"
awk -v n="$LINES" 'BEGIN { for (i = 0; i < n; i++) printf "2026-11-25T04:31:02.114Z GET /?n=%d 200 5 0.412 5f3a9c1e-%x\n", i, i }' > "$work/big.log"
bytes=$(stat -c %s "$work/big.log")

# Appends the big file to FILE once the follower reads it, and times until COUNT lines came out;
# then, in the same processes, appends it a second time and times that too. The first pass is a
# cold JVM (the logger compiles its hot path with C1 while it runs), the second the steady state a
# long-running sidecar is in. The follower's CPU time (user + system, all its threads) is taken per
# pass, until a second after it: it depends less than the times on what else runs on the machine.
# Prints: cold_us warm_us peak_rss_mib cold_cpu_ms warm_cpu_ms
run() { # name file command...
  local name=$1 file=$2; shift 2
  : > "$file"
  rm -f "$work/$name.done" "$work/$name.done2"
  # Two readers one after the other on the pipe: the first takes exactly the first pass's lines
  # (nothing of the second is written before it is done), the second the second pass's; then the
  # pipe is kept open until the follower is stopped (tail -F exits when its reader goes away, and
  # its CPU time is read a second after the pass).
  "$@" < /dev/null 2> "$work/$name.err" | {
    head -n "$LINES" > /dev/null; echo done > "$work/$name.done"
    head -n "$LINES" > /dev/null; echo done > "$work/$name.done2"
    cat > /dev/null
  } &
  local pipeline=$!
  sleep 3 # started and following
  local follower
  follower=$(pgrep -n -f -- "^(tail|java) .*$file|LOGGER_FILES=$file" || true)
  # The logger names its file only in its environment: pick the one following this file, never
  # another logger running on the machine (a test's, another benchmark's).
  if [ -z "$follower" ]; then
    for p in $(pgrep -f -- "-jar .*logger[^ ]*\.jar" || true); do
      tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "LOGGER_FILES=$file" && follower=$p
    done
  fi
  local peak=0 times=() cpus=() marker
  for marker in done done2; do
    local t0 cpu0 cpu r
    cpu0=$(cpu_ms "$follower") cpu=$cpu0
    t0=$(now_us)
    cat "$work/big.log" >> "$file"
    until grep -q done "$work/$name.$marker" 2>/dev/null; do
      if [ -n "$follower" ] && [ -e "/proc/$follower" ]; then
        r=$(rss_mib "$follower" 2>/dev/null || echo 0); peak=$(awk -v a="$peak" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
        r=$(cpu_ms "$follower") && [ -n "$r" ] && cpu=$r
      fi
      sleep 0.01
    done
    times+=("$(( $(now_us) - t0 ))")
    # the pass's work that outlasts it (its last checkpoint, compilations queued during it) is
    # counted too
    sleep 1
    r=$(cpu_ms "$follower") && [ -n "$r" ] && cpu=$r
    cpus+=("$(( cpu - cpu0 ))")
  done
  [ -n "$follower" ] && kill "$follower" 2>/dev/null || true
  wait "$pipeline" 2>/dev/null || true
  echo "${times[0]} ${times[1]} $peak ${cpus[0]} ${cpus[1]}"
}

# cpu_ms PID: the process's user + system CPU time so far, in ms (clock ticks of 10 ms).
cpu_ms() { awk '{ print ($14 + $15) * 10 }' "/proc/$1/stat" 2>/dev/null; }

# Five rounds (the machine is noisy), tail and the logger one after the other in each: the medians are compared.
ROUNDS=${BENCH_ROUNDS:-5}
BASELINE=${BENCH_LOGGER_BASELINE_JAR:-}
tail_runs=() tail_warm=() tail_cpu=() tail_wcpu=()
logger_runs=() logger_warm=() logger_cpu=() logger_wcpu=() logger_rss=0
base_runs=() base_warm=() base_cpu=() base_wcpu=() base_rss=0
for round in $(seq "$ROUNDS"); do
  if [ -n "$BASELINE" ]; then
    log "round $round: the baseline logger ($BASELINE)"
    read -r us wus rss cpu wcpu < <(run base "$work/base$round.log" env LOGGER_FILES="$work/base$round.log" \
      LOGGER_STATE_DIR="$work/bstate$round" LOGGER_HTTP_PORT="$(free_port)" \
      java @"$BENCH_ROOT/logger/jvm.options" -jar "$BASELINE")
    base_runs+=("$us") base_warm+=("$wus") base_cpu+=("$cpu") base_wcpu+=("$wcpu")
    base_rss=$(awk -v a="$base_rss" -v b="$rss" 'BEGIN { print (b > a) ? b : a }')
    rm -f "$work/base$round.log"
  fi
  log "round $round: tail -n +1 -F"
  read -r us wus _ cpu wcpu < <(run tail "$work/tail$round.log" tail -n +1 -F "$work/tail$round.log")
  tail_runs+=("$us") tail_warm+=("$wus") tail_cpu+=("$cpu") tail_wcpu+=("$wcpu")
  log "round $round: the logger"
  read -r us wus rss cpu wcpu < <(run logger "$work/logger$round.log" env LOGGER_FILES="$work/logger$round.log" \
    LOGGER_STATE_DIR="$work/state$round" LOGGER_HTTP_PORT="$(free_port)" $(java_cmd logger))
  logger_runs+=("$us") logger_warm+=("$wus") logger_cpu+=("$cpu") logger_wcpu+=("$wcpu")
  logger_rss=$(awk -v a="$logger_rss" -v b="$rss" 'BEGIN { print (b > a) ? b : a }')
  rm -f "$work/tail$round.log" "$work/logger$round.log"
done
rate() { awk -v n="$LINES" -v us="$1" 'BEGIN { printf "%d", n / (us / 1e6) }'; }
list_ms() { local u; for u in "$@"; do printf '%s ' "$(us_to_ms "$u")"; done; }
tail_us=$(median "${tail_runs[@]}") logger_us=$(median "${logger_runs[@]}")
tail_rate=$(rate "$tail_us") logger_rate=$(rate "$logger_us")
tail_wrate=$(rate "$(median "${tail_warm[@]}")") logger_wrate=$(rate "$(median "${logger_warm[@]}")")
# row NAME COLD_US WARM_US "CPU_MS_FIRST...|CPU_MS_SECOND...": a row of the table of both passes.
row() {
  local name=$1 cold=$2 warm=$3 cpus=$4
  local ccpu=${cpus%|*} wcpu=${cpus#*|}
  # shellcheck disable=SC2086
  echo "| $name | $(us_to_ms "$cold") ms | $(ratio "$(rate "$cold")" "$tail_rate") | $(us_to_ms "$warm") ms | $(ratio "$(rate "$warm")" "$tail_wrate") | $(median $ccpu) ms | $(median $wcpu) ms |"
}

base_row=
if [ -n "$BASELINE" ]; then
  base_us=$(median "${base_runs[@]}")
  base_rate=$(rate "$base_us")
  base_row="| baseline logger ($(basename "$BASELINE"), runs $(list_ms "${base_runs[@]}")ms; peak RSS $base_rss MiB) | $(us_to_ms "$base_us") ms | $base_rate | $(ratio "$base_rate" "$tail_rate") | | |"
fi

log "latency: 2000 lines at 200 lines/s"
mapfile -t lat < <(java bench/LoggerLatency.java "$work" 2000 200 "$(free_port)")
p50=$(us_to_ms "$(percentile 50 "${lat[@]}")") p99=$(us_to_ms "$(percentile 99 "${lat[@]}")")
base_lat_row=
if [ -n "$BASELINE" ]; then
  log "latency of the baseline logger"
  mkdir -p "$work/baseline"
  mapfile -t blat < <(java bench/LoggerLatency.java "$work/baseline" 2000 200 "$(free_port)" "$BASELINE")
  base_lat_row="| baseline logger: line appended to line on stdout, p50 / p99 | $(us_to_ms "$(percentile 50 "${blat[@]}")") / $(us_to_ms "$(percentile 99 "${blat[@]}")") ms | | |"
fi

passes="| follower | first pass (cold JVM) | ratio to tail | second pass (warm) | ratio to tail | CPU, first pass | CPU, second pass |
|---|---|---|---|---|---|---|
$(row "tail -n +1 -F" "$tail_us" "$(median "${tail_warm[@]}")" "${tail_cpu[*]}|${tail_wcpu[*]}")
$(row logger "$logger_us" "$(median "${logger_warm[@]}")" "${logger_cpu[*]}|${logger_wcpu[*]}")"
if [ -n "$BASELINE" ]; then
  passes+="
$(row "baseline logger" "$base_us" "$(median "${base_warm[@]}")" "${base_cpu[*]}|${base_wcpu[*]}")"
fi

cat <<EOF2
## Logger

\`bench/logger.sh\`: $LINES access-log lines ($(( bytes / 1048576 )) MiB) appended at once to a
followed file, until the last one is out, for \`tail -n +1 -F\` and for the logger
(\`$(java_cmd logger | sed "s|$BENCH_ROOT/||g")\`), one after the other, $ROUNDS rounds in one run:
medians of the rounds (tail $(list_ms "${tail_runs[@]}")ms; logger $(list_ms "${logger_runs[@]}")ms).

| follower | time | lines/s | ratio to tail | goal | |
|---|---|---|---|---|---|
| tail -n +1 -F | $(us_to_ms "$tail_us") ms | $tail_rate | 1.00 | | |
| logger | $(us_to_ms "$logger_us") ms | $logger_rate | $(ratio "$logger_rate" "$tail_rate") | ≥ 1,000,000 lines/s and ≥ 0.5 × tail | $(verdict "$logger_rate" ">=" 1000000) / $(verdict "$(ratio "$logger_rate" "$tail_rate")" ">=" 0.5) |
${base_row}

The same processes then take the file a second time (a warm JVM, as a sidecar that has run a
while; tail $(list_ms "${tail_warm[@]}")ms, logger $(list_ms "${logger_warm[@]}")ms). The
follower's CPU time per pass (user + system, every thread; medians) depends less on the load
of the machine than the times do. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).

${passes}

| measure | figure | goal | |
|---|---|---|---|
| peak RSS while shipping at full speed (highest of the rounds) | $logger_rss MiB | ≤ 48 MiB | $(verdict "$logger_rss" "<=" 48) |
| line appended to line on stdout, p50 / p99 (2000 lines at 200/s) | $p50 / $p99 ms | p99 ≤ 50 ms | $(verdict "$p99" "<=" 50) |
${base_lat_row}
EOF2

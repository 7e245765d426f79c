#!/usr/bin/env bash
# The logger's benchmarks, with its shipped JVM flags (logger/jvm.options):
#  - throughput beside `tail -n +1 -F` on the same 2-million-line file, in one run
#    (goals: at least 1 million lines/s, and at least half of tail's rate)
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

# Appends the big file to FILE once the follower reads it, and times until COUNT lines came out.
run() { # name file command...
  local name=$1 file=$2; shift 2
  : > "$file"
  "$@" < /dev/null 2> "$work/$name.err" | { head -n "$LINES" > /dev/null; echo done > "$work/$name.done"; } &
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
  local t0 t1 peak=0 r
  t0=$(now_us)
  cat "$work/big.log" >> "$file"
  until grep -q done "$work/$name.done" 2>/dev/null; do
    if [ -n "$follower" ] && [ -e "/proc/$follower" ]; then
      r=$(rss_mib "$follower" 2>/dev/null || echo 0); peak=$(awk -v a="$peak" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
    fi
    sleep 0.01
  done
  t1=$(now_us)
  [ -n "$follower" ] && kill "$follower" 2>/dev/null || true
  wait "$pipeline" 2>/dev/null || true
  echo "$(( t1 - t0 )) $peak"
}

# Five rounds (the machine is noisy), tail and the logger one after the other in each: the medians are compared.
ROUNDS=${BENCH_ROUNDS:-5}
BASELINE=${BENCH_LOGGER_BASELINE_JAR:-}
tail_runs=() logger_runs=() logger_rss=0 base_runs=() base_rss=0
for round in $(seq "$ROUNDS"); do
  if [ -n "$BASELINE" ]; then
    log "round $round: the baseline logger ($BASELINE)"
    read -r us rss < <(run base "$work/base$round.log" env LOGGER_FILES="$work/base$round.log" \
      LOGGER_STATE_DIR="$work/bstate$round" LOGGER_HTTP_PORT="$(free_port)" \
      java @"$BENCH_ROOT/logger/jvm.options" -jar "$BASELINE")
    base_runs+=("$us")
    base_rss=$(awk -v a="$base_rss" -v b="$rss" 'BEGIN { print (b > a) ? b : a }')
    rm -f "$work/base$round.log"
  fi
  log "round $round: tail -n +1 -F"
  rm -f "$work"/*.done
  read -r us _ < <(run tail "$work/tail$round.log" tail -n +1 -F "$work/tail$round.log")
  tail_runs+=("$us")
  log "round $round: the logger"
  read -r us rss < <(run logger "$work/logger$round.log" env LOGGER_FILES="$work/logger$round.log" \
    LOGGER_STATE_DIR="$work/state$round" LOGGER_HTTP_PORT="$(free_port)" $(java_cmd logger))
  logger_runs+=("$us")
  logger_rss=$(awk -v a="$logger_rss" -v b="$rss" 'BEGIN { print (b > a) ? b : a }')
  rm -f "$work/tail$round.log" "$work/logger$round.log"
done
tail_us=$(median "${tail_runs[@]}") logger_us=$(median "${logger_runs[@]}")
tail_rate=$(awk -v n="$LINES" -v us="$tail_us" 'BEGIN { printf "%d", n / (us / 1e6) }')
logger_rate=$(awk -v n="$LINES" -v us="$logger_us" 'BEGIN { printf "%d", n / (us / 1e6) }')

base_row=
if [ -n "$BASELINE" ]; then
  base_us=$(median "${base_runs[@]}")
  base_rate=$(awk -v n="$LINES" -v us="$base_us" 'BEGIN { printf "%d", n / (us / 1e6) }')
  base_row="| baseline logger ($(basename "$BASELINE"), runs $(for u in "${base_runs[@]}"; do printf '%s ' "$(us_to_ms "$u")"; done)ms; peak RSS $base_rss MiB) | $(us_to_ms "$base_us") ms | $base_rate | $(ratio "$base_rate" "$tail_rate") | | |"
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

cat <<EOF2
## Logger

\`bench/logger.sh\`: $LINES access-log lines ($(( bytes / 1048576 )) MiB) appended at once to a
followed file, until the last one is out, for \`tail -n +1 -F\` and for the logger
(\`$(java_cmd logger | sed "s|$BENCH_ROOT/||g")\`), one after the other, $ROUNDS rounds in one run:
medians of the rounds (tail $(for u in "${tail_runs[@]}"; do printf '%s ' "$(us_to_ms "$u")"; done)ms; logger $(for u in "${logger_runs[@]}"; do printf '%s ' "$(us_to_ms "$u")"; done)ms).

| follower | time | lines/s | ratio to tail | goal | |
|---|---|---|---|---|---|
| tail -n +1 -F | $(us_to_ms "$tail_us") ms | $tail_rate | 1.00 | | |
| logger | $(us_to_ms "$logger_us") ms | $logger_rate | $(ratio "$logger_rate" "$tail_rate") | ≥ 1,000,000 lines/s and ≥ 0.5 × tail | $(verdict "$logger_rate" ">=" 1000000) / $(verdict "$(ratio "$logger_rate" "$tail_rate")" ">=" 0.5) |
${base_row}

| measure | figure | goal | |
|---|---|---|---|
| peak RSS while shipping at full speed (highest of the rounds) | $logger_rss MiB | ≤ 48 MiB | $(verdict "$logger_rss" "<=" 48) |
| line appended to line on stdout, p50 / p99 (2000 lines at 200/s) | $p50 / $p99 ms | p99 ≤ 50 ms | $(verdict "$p99" "<=" 50) |
${base_lat_row}
EOF2

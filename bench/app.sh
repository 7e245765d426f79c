#!/usr/bin/env bash
# The app's benchmarks, with the JVM flags it ships with (app/jvm.options):
#  - start-up to ready and RSS after start and after 10k requests (median of 5 starts)
#  - reload latency from SIGHUP to the new greeting served, 100-key config (goal p50 <= 5 ms)
#  - the same with a 10,000-key config of about 400 KiB (goal p50 <= 50 ms)
#  - that config's reload cost in-process (bench/ReloadCost.java): CPU per reload, time per stage
#  - wrk load without reloads beside the same load with a reload every 100 ms, in alternating
#    segments (BENCH_LOAD_SEGMENTS, default 5, of BENCH_LOAD_SECONDS / segments each)
#    (goal: zero failed requests, median p99 within 10% of the one without reloads)
# BENCH_APP_JAR measures another build of the app (a baseline) with the same script.
# BENCH_POLL_MICROS (default 0): the probe's pause between two polls (bench/ReloadLatency.java).
# Prints a markdown section on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BENCH_ROOT"
DURATION=${BENCH_LOAD_SECONDS:-30}
RELOADS=${BENCH_RELOADS:-100}
WARMUP=${BENCH_WARMUP_RELOADS:-200}
need_jars
app_cmd="java @$BENCH_ROOT/app/jvm.options -jar ${BENCH_APP_JAR:-$BENCH_ROOT/app/target/app.jar}"
BIG_KEYS=${BENCH_BIG_KEYS:-10000}
BIG_BYTES=$(( ${BENCH_BIG_KIB:-400} * 1024 )) # the size of the issue's 10,000-key ConfigMap
BIG_RELOADS=${BENCH_BIG_RELOADS:-30}
COST_RELOADS=${BENCH_COST_RELOADS:-60}
need_tool wrk
need_tool curl

work=$(mktemp -d -t bench-app.XXXXXX)
pid=
stop_app() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=
}
trap 'stop_app; rm -rf "$work"' EXIT

start_app() { # port mport -> sets pid
  mkdir -p "$work/config" "$work/log"
  printf 'app:\n  greeting: "bench"\n' > "$work/config/application.yml"
  APP_CONFIG_DIRS="$work/config" APP_STATUS_FILE="$work/status.json" \
    APP_ACCESS_LOG="$work/log/access.log" MICRONAUT_SERVER_PORT=$port ENDPOINTS_ALL_PORT=$mport \
    APP_SHUTDOWN_DELAY=0s \
    $app_cmd > "$work/app.out" 2>&1 &
  pid=$!
}

log "start-up and RSS (5 starts)"
starts=() rss_start=() rss_10k=()
for _ in 1 2 3 4 5; do
  port=$(free_port) mport=$(free_port) # before the clock starts: python's start is not the app's
  t0=$(now_us); start_app; wait_http "http://127.0.0.1:$mport/health" "$pid"
  starts+=($(( ($(now_us) - t0) / 1000 )))
  sleep 1
  rss_start+=("$(rss_mib "$pid")")
  wrk -t1 -c4 -d5s "http://127.0.0.1:$port/" > "$work/warm.txt"
  rss_10k+=("$(rss_mib "$pid")")
  requests=$(awk '/requests in/ {print $1}' "$work/warm.txt")
  stop_app
done

log "reload latency ($RELOADS reloads of a 100-key config)"
port=$(free_port) mport=$(free_port); start_app; wait_http "http://127.0.0.1:$mport/health" "$pid"
# The first reloads run interpreted code: the first one is reported on its own, and 200 reloads
# let the JIT compile the reload path before the measured ones.
# One probe JVM for both, so that its own code is compiled before the measured reloads.
mapfile -t all < <(bench_java reloader/target/reloader.jar ReloadLatency "$port" "$pid" "$work/config" "$WARMUP" "$RELOADS" 100)
first=${all[0]}
lat=("${all[@]:$WARMUP}")
p50=$(percentile 50 "${lat[@]}") p95=$(percentile 95 "${lat[@]}") max=$(percentile 100 "${lat[@]}")

log "reload latency ($BIG_RELOADS reloads of a $BIG_KEYS-key config, after 10)"
mapfile -t big < <(bench_java reloader/target/reloader.jar ReloadLatency "$port" "$pid" "$work/config" 10 "$BIG_RELOADS" "$BIG_KEYS" "$BIG_BYTES")
big=("${big[@]:10}")
big_kib=$(( $(stat -c %s "$work/config/application.yml") / 1024 ))
big_p50=$(percentile 50 "${big[@]}") big_max=$(percentile 100 "${big[@]}")
big_rss=$(rss_mib "$pid")
printf 'app:\n  greeting: "bench"\n' > "$work/config/application.yml"
kill -HUP "$pid"

log "reload cost in-process ($BIG_KEYS keys: every value changed, then only one; $COST_RELOADS reloads each)"
cost() { bench_java "${BENCH_APP_JAR:-$BENCH_ROOT/app/target/app.jar}" ReloadCost "$BIG_KEYS" "$BIG_BYTES" "$COST_RELOADS" "$1" | grep '^cpu ' || echo "n/a"; }
cost_all=$(cost all) cost_one=$(cost one)

# The load with and without reloads, in alternating segments against the same process (steady,
# storm, storm, steady, steady, storm, ...): the p99 drifts while the JIT settles, and alternating
# puts both runs under the same drift. The goal is judged on the medians of the segments' p99.
SEGMENTS=${BENCH_LOAD_SEGMENTS:-5}
SEGMENT=$(( DURATION / SEGMENTS > 0 ? DURATION / SEGMENTS : 1 ))
generation() { (curl -fsS "http://127.0.0.1:$mport/config" || curl -fsS "http://127.0.0.1:$port/config") | sed -n 's/.*"generation":\([0-9]*\).*/\1/p'; }
wrk_run() { wrk -t2 -c16 -d"${SEGMENT}s" --latency "http://127.0.0.1:$port/" > "$work/wrk-$1.txt"; }
steady_p99s=() storm_p99s=() steady_rps=() storm_rps=() applied=0 errors=0
steady_segment() {
  log "load without reloads, segment $1 of $SEGMENTS (${SEGMENT}s)"
  wrk_run "steady-$1"
}
storm_segment() {
  log "load with a reload every 100 ms, segment $1 of $SEGMENTS (${SEGMENT}s)"
  local gen0 storm
  gen0=$(generation)
  python3 bench/reload_storm.py "$pid" "$work/config/application.yml" "$SEGMENT" > /dev/null &
  storm=$!
  wrk_run "storm-$1"
  wait "$storm"
  applied=$(( applied + $(generation) - gen0 ))
}
# One segment of load with reloads first, not counted: without it the first segment (whichever
# way it ran) was the slowest of its kind in every run, for every build.
log "warm-up: load with reloads for ${SEGMENT}s (not counted)"
python3 bench/reload_storm.py "$pid" "$work/config/application.yml" "$SEGMENT" > /dev/null &
warm_storm=$!
wrk_run warm-up
wait "$warm_storm"
for s in $(seq "$SEGMENTS"); do
  if (( s % 2 )); then steady_segment "$s"; storm_segment "$s"; else storm_segment "$s"; steady_segment "$s"; fi
  steady_p99s+=("$(wrk_ms "$(wrk_field "$work/wrk-steady-$s.txt" p99)")")
  storm_p99s+=("$(wrk_ms "$(wrk_field "$work/wrk-storm-$s.txt" p99)")")
  steady_rps+=("$(wrk_field "$work/wrk-steady-$s.txt" rps)") storm_rps+=("$(wrk_field "$work/wrk-storm-$s.txt" rps)")
  errors=$(( errors + $(wrk_field "$work/wrk-steady-$s.txt" errors) + $(wrk_field "$work/wrk-storm-$s.txt" errors) ))
done
steady_p99=$(median "${steady_p99s[@]}") storm_p99=$(median "${storm_p99s[@]}")
joined() { local IFS=/; echo "$*" | sed 's|/| / |g'; }

cat <<EOF2
## App

\`bench/app.sh\`: the app alone, run as \`$(echo "$app_cmd" | sed "s|$BENCH_ROOT/||g")\`.

| measure | figure | goal | |
|---|---|---|---|
| start-up to ready (\`/health\` answers), median of 5 | $(median "${starts[@]}") ms | | |
| RSS after start, median of 5 | $(median "${rss_start[@]}") MiB | | |
| RSS after ~$requests requests, median of 5 | $(median "${rss_10k[@]}") MiB | | |
| SIGHUP to the new greeting served, 100-key config, p50 ($RELOADS reloads after $WARMUP) | $(us_to_ms "$p50") ms | ≤ 5 ms | $(verdict "$(us_to_ms "$p50")" "<=" 5) |
| same, p95 / max | $(us_to_ms "$p95") / $(us_to_ms "$max") ms | | |
| the first reload after start (the reload path not yet compiled) | $(us_to_ms "$first") ms | | |
| SIGHUP to served, $BIG_KEYS keys ($big_kib KiB, every value changed), p50 / max ($BIG_RELOADS reloads) | $(us_to_ms "$big_p50") / $(us_to_ms "$big_max") ms | ≤ 50 ms | $(verdict "$(us_to_ms "$big_p50")" "<=" 50) |
| RSS after the $BIG_KEYS-key reloads | $big_rss MiB | | |
| in-process, $BIG_KEYS keys, every value changed: the process's CPU per reload; mean ms per stage | ${cost_all%%;*}; ${cost_all#*;} | | |
| in-process, $BIG_KEYS keys, one value changed: the same | ${cost_one%%;*}; ${cost_one#*;} | | |
| failed requests, all wrk segments | $errors | 0 | $(verdict "$errors" "<=" 0) |
| p99 with a reload every 100 ms / without, medians of $SEGMENTS segments | $storm_p99 / $steady_p99 ms = $(ratio "$storm_p99" "$steady_p99") | ≤ 1.10 | $(verdict "$(ratio "$storm_p99" "$steady_p99")" "<=" 1.10) |

wrk -t2 -c16 on \`GET /\`, $SEGMENTS segments of ${SEGMENT} s each way, alternating (steady, storm, storm, steady, ...), against the same process,
after one segment with reloads that is not counted (a warm-up);
the reloads come from \`bench/reload_storm.py\` (a rename and a SIGHUP every 100 ms, no process started per reload):

| run | requests/s per segment | p99 per segment (ms) |
|---|---|---|
| no reloads | $(joined "${steady_rps[@]}") | $(joined "${steady_p99s[@]}") |
| a reload every 100 ms ($applied applied) | $(joined "${storm_rps[@]}") | $(joined "${storm_p99s[@]}") |
EOF2

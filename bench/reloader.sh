#!/usr/bin/env bash
# The reloader's benchmarks, with its shipped JVM flags (reloader/jvm.options):
#  - kubelet swap to SIGHUP delivered, p50 (goal <= 1 ms), over 50+ swaps
#  - kubelet swap to the new config served by the real app: p50 <= 20 ms, p95 <= 50 ms
#  - a ConfigMap at its 1 MiB limit: swap to SIGHUP delivered, and RSS after (goal <= 64 MiB)
#  - start-up to ready (goal <= 1 s) and RSS (goal <= 64 MiB), median of 5, with and without the
#    class-data-sharing archive the image ships (bin/cds-archive)
# Prints a markdown section on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BENCH_ROOT"
SWAPS=${BENCH_SWAPS:-60}
need_jars
need_tool curl
work=$(mktemp -d -t bench-reloader.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
latency() { bench_java reloader/target/reloader.jar ReloaderLatency "$@"; }

start_reloader() { # dir status marker [port] -> sets rpid, rport
  rport=${4:-$(free_port)}
  RELOADER_HTTP_PORT=$rport RELOADER_VOLUME_DIRS=$1 RELOADER_STATUS_FILE=$2 \
    RELOADER_TARGET_CMDLINE="$3" ${JAVA_CMD_OVERRIDE:-$(java_cmd reloader)} > "$work/reloader.out" 2>&1 &
  rpid=$!; pids+=("$rpid")
}

# Start-up and RSS as the image runs it (with the CDS archive its build makes) and without one.
startup() { # label java-command -> appends to starts_<label>, rss_<label>
  local label=$1 cmd=$2 t0 start port
  mkdir -p "$work/idle"
  port=$(free_port) # before the clock starts: python's own start is no part of the reloader's
  t0=$(now_us)
  JAVA_CMD_OVERRIDE=$cmd start_reloader "$work/idle" "$work/idle.json" "no-such-target-$$" "$port"
  wait_http "http://127.0.0.1:$rport/health" "$rpid"
  start=$(( ($(now_us) - t0) / 1000 ))
  sleep 12 # past the native heap trimming's first rounds (every 5 s): the steady footprint
  eval "starts_$label+=($start) rss_$label+=($(rss_mib "$rpid"))"
  kill "$rpid"; wait "$rpid" 2>/dev/null || true
}
log "start-up and RSS (5 starts with the image's CDS archive, 5 without)"
starts_cds=() rss_cds=() starts_plain=() rss_plain=()
cds_cmd=$(cds_java_cmd reloader)
for _ in 1 2 3 4 5; do
  startup cds "$cds_cmd"
  startup plain "$(java_cmd reloader)"
done

log "swap to signal delivered ($SWAPS swaps)"
mkdir -p "$work/signal"
JAVA_CMD_OVERRIDE=$cds_cmd start_reloader "$work/signal" "$work/signal.json" 'bench/sigtarget.py'
wait_http "http://127.0.0.1:$rport/health" "$rpid"
mapfile -t sig < <(latency signal "$work/signal" "$work/signal.json" "$SWAPS")
sleep 12 # the reloader's first quiet tick after reloads (every 5 s) gives the heap back
rss_busy=$(rss_mib "$rpid")
cpu_idle=$(cpu_percent "$rpid" 30) # no change, a target that runs: the watch and the timers only
kill "$rpid"; wait "$rpid" 2>/dev/null || true

LARGE_SWAPS=${BENCH_LARGE_SWAPS:-20}
log "a 1 MiB config: swap to signal delivered ($LARGE_SWAPS swaps)"
mkdir -p "$work/large"
JAVA_CMD_OVERRIDE=$cds_cmd start_reloader "$work/large" "$work/large.json" 'bench/sigtarget.py'
wait_http "http://127.0.0.1:$rport/health" "$rpid"
mapfile -t large < <(latency signal "$work/large" "$work/large.json" "$LARGE_SWAPS" 1000000)
sleep 12 # the first quiet tick after reloads gives the heap back
rss_large=$(rss_mib "$rpid")
kill "$rpid"; wait "$rpid" 2>/dev/null || true

log "swap to served by the app ($SWAPS swaps)"
mkdir -p "$work/served"
aport=$(free_port) amport=$(free_port)
MICRONAUT_SERVER_PORT=$aport ENDPOINTS_ALL_PORT=$amport APP_CONFIG_DIRS=$work/served APP_STATUS_FILE=$work/served.json \
  APP_ACCESS_LOG=$work/access.log $(java_cmd app) "-Dbench=$work" > "$work/app.out" 2>&1 &
apid=$!; pids+=("$apid")
JAVA_CMD_OVERRIDE=$cds_cmd start_reloader "$work/served" "$work/served.json" "-Dbench=$work"
wait_http "http://127.0.0.1:$amport/health" "$apid"
wait_http "http://127.0.0.1:$rport/health" "$rpid"
latency served "$work/served" "$aport" 10 > /dev/null # warm-up
mapfile -t served < <(latency served "$work/served" "$aport" "$SWAPS")

ms() { us_to_ms "$(percentile "$1" "${@:2}")"; }
cat <<EOF2
## Reloader

\`bench/reloader.sh\`: the reloader run as \`$(java_cmd reloader | sed "s|$BENCH_ROOT/||g")\` with the
class-data-sharing archive its image ships (\`bin/cds-archive\`, kept in target/bench-cds) except where said,
the config dir swapped the way the kubelet does it (a new \`..data\` renamed over the old).

| measure | p50 | p95 | max | goal | |
|---|---|---|---|---|---|
| swap to SIGHUP delivered to bench/sigtarget.py (${#sig[@]} swaps) | $(ms 50 "${sig[@]}") ms | $(ms 95 "${sig[@]}") ms | $(ms 100 "${sig[@]}") ms | p50 ≤ 1 ms | $(verdict "$(ms 50 "${sig[@]}")" "<=" 1) |
| swap to SIGHUP delivered, a 1 MB config (${#large[@]} swaps) | $(ms 50 "${large[@]}") ms | $(ms 95 "${large[@]}") ms | $(ms 100 "${large[@]}") ms | | |
| swap to the new greeting served by the app (${#served[@]} swaps) | $(ms 50 "${served[@]}") ms | $(ms 95 "${served[@]}") ms | $(ms 100 "${served[@]}") ms | p50 ≤ 20 ms, p95 ≤ 50 ms | $(verdict "$(ms 50 "${served[@]}")" "<=" 20) / $(verdict "$(ms 95 "${served[@]}")" "<=" 50) |

| measure | median of 5 | goal | |
|---|---|---|---|
| start-up to ready (\`/health\` answers), with the image's CDS archive | $(median "${starts_cds[@]}") ms | ≤ 1000 ms | $(verdict "$(median "${starts_cds[@]}")" "<=" 1000) |
| same, without a CDS archive | $(median "${starts_plain[@]}") ms | | |
| RSS idle, 12 s after start, with the CDS archive | $(median "${rss_cds[@]}") MiB | ≤ 64 MiB | $(verdict "$(median "${rss_cds[@]}")" "<=" 64) |
| same, without a CDS archive | $(median "${rss_plain[@]}") MiB | | |
| RSS 12 s after $SWAPS signalled reloads | $rss_busy MiB | ≤ 64 MiB | $(verdict "$rss_busy" "<=" 64) |
| RSS 12 s after $LARGE_SWAPS reloads of a 1 MB config | $rss_large MiB | ≤ 64 MiB | $(verdict "$rss_large" "<=" 64) |
| CPU while idle (30 s after those reloads, no change) | $cpu_idle % of a core | near zero | |
EOF2

#!/usr/bin/env bash
# Pod-level benchmarks: the three jars as bin/local-pod runs them.
#  - start-up to ready and RSS of each program, started alone (median of 5)
#  - a saved edit to the new greeting served, through the local kubelet and the reloader (50 edits)
#  - a reload storm under load: wrk against the app with an edit every 100 ms, beside the same
#    load without edits, in one run
# Prints a markdown section on stdout; progress goes to stderr.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/bench/lib.sh"

DURATION=${BENCH_LOAD_SECONDS:-30}
EDITS=${BENCH_EDITS:-50}
need_jars
need_tool wrk

work=$(mktemp -d -t bench-pod.XXXXXX)
pod=
start_pod() { # DIR: bin/local-pod with free ports, until it is up; sets POD_APP_PORT, POD_MANAGEMENT_PORT
  POD_APP_PORT=$(free_port) POD_MANAGEMENT_PORT=$(free_port)
  "$BENCH_ROOT/bin/local-pod" --dir "$1" --app-port "$POD_APP_PORT" \
    --app-management-port "$POD_MANAGEMENT_PORT" --reloader-port "$(free_port)" \
    --logger-port "$(free_port)" > "$work/pod.out" 2>&1 &
  pod=$!
  local deadline=$(( $(date +%s) + 120 ))
  until grep -q 'the pod is up' "$work/pod.out" 2>/dev/null; do
    kill -0 "$pod" 2>/dev/null || { cat "$work/pod.out" >&2; die "bin/local-pod exited"; }
    [ "$(date +%s)" -lt "$deadline" ] || die "the pod did not come up"
    sleep 0.2
  done
}
stop_pod() { if [ -n "$pod" ]; then kill -TERM "$pod" 2>/dev/null || true; wait "$pod" 2>/dev/null || true; pod=; fi; }
# The host pid of a container's java process (the pod marks them with -Dlocal-pod=DIR).
pod_pid() { pgrep -f -- "-Dlocal-pod=$(cd "$work/pod" && pwd -P) .*/$1\.jar" | head -1; }
trap 'stop_pod; rm -rf "$work"' EXIT

# ---- start-up and RSS of each program alone ----------------------------------------------
startup_row() { # program port env...
  local program=$1 port=$2; shift 2
  local times=() rss=()
  for _ in 1 2 3 4 5; do
    local dir
    dir=$(mktemp -d -p "$work")
    mkdir -p "$dir/config" "$dir/state" "$dir/log"
    printf 'app:\n  greeting: bench\n' > "$dir/config/application.yml"
    local start end pid
    start=$(date +%s%N)
    env "$@" APP_CONFIG_DIRS="$dir/config" APP_STATUS_FILE="$dir/status.json" \
      APP_ACCESS_LOG="$dir/log/access.log" RELOADER_VOLUME_DIRS="$dir/config" \
      RELOADER_STATUS_FILE="$dir/status.json" RELOADER_TARGET_CMDLINE="no-such-target-$$" \
      LOGGER_FILES="$dir/log/access.log" LOGGER_STATE_DIR="$dir/state" \
      java @"$ROOT/$program/jvm.options" -jar "$ROOT/$program/target/$program.jar" \
      > "$dir/out.log" 2>&1 &
    pid=$!
    until curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; do
      kill -0 "$pid" 2>/dev/null || { cat "$dir/out.log" >&2; echo "$program died" >&2; exit 1; }
      sleep 0.01
    done
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
    sleep 2 # settle before reading RSS
    rss+=($(rss_mib "$pid"))
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  done
  echo "| $program | $(median "${times[@]}") ms | $(median "${rss[@]}") MiB |"
}

log "start-up and RSS of each program (5 runs each)"
app_port=$(free_port) app_management_port=$(free_port) reloader_port=$(free_port) logger_port=$(free_port)
rows=$(
  startup_row app "$app_management_port" MICRONAUT_SERVER_PORT="$app_port" \
    ENDPOINTS_ALL_PORT="$app_management_port" APP_SHUTDOWN_DELAY=0s
  startup_row reloader "$reloader_port" RELOADER_HTTP_PORT="$reloader_port"
  startup_row logger "$logger_port" LOGGER_HTTP_PORT="$logger_port"
)

# ---- the pod -----------------------------------------------------------------------------
mkdir -p "$work/pod"
start_pod "$work/pod"

log "edit to served: $EDITS edits through the local kubelet, the reloader and the app"
lat=()
for i in $(seq 1 "$EDITS"); do
  want="bench edit $i $RANDOM"
  printf 'app:\n  greeting: "%s"\n' "$want" > "$work/pod/.edit.tmp"
  start=$(date +%s%N)
  mv "$work/pod/.edit.tmp" "$work/pod/application.yml"
  until [ "$(curl -fsS "http://127.0.0.1:$POD_APP_PORT/" 2>/dev/null)" = "$want" ]; do :; done
  end=$(date +%s%N)
  lat+=("$(( (end - start) / 1000 ))")
done
edit_p50=$(percentile 50 "${lat[@]}") edit_p95=$(percentile 95 "${lat[@]}") edit_max=$(percentile 100 "${lat[@]}")

wrk_run() { # label
  wrk -t2 -c16 -d"${DURATION}s" --latency "http://127.0.0.1:$POD_APP_PORT/" > "$work/wrk-$1.txt"
}
log "load without reloads (${DURATION}s)"
wrk_run steady
gen_before=$(curl -fsS "http://127.0.0.1:$POD_MANAGEMENT_PORT/config" | sed -n 's/.*"generation" *: *\([0-9]*\).*/\1/p')
log "load with an edit every 100 ms (${DURATION}s)"
(
  end=$(( $(date +%s) + DURATION ))
  i=0
  while [ "$(date +%s)" -lt "$end" ]; do
    i=$((i + 1))
    printf 'app:\n  greeting: "storm %s"\n' "$i" > "$work/pod/.edit.tmp"
    mv "$work/pod/.edit.tmp" "$work/pod/application.yml"
    sleep 0.1
  done
) &
storm=$!
wrk_run storm
wait "$storm"
gen_after=$(curl -fsS "http://127.0.0.1:$POD_MANAGEMENT_PORT/config" | sed -n 's/.*"generation" *: *\([0-9]*\).*/\1/p')
rss_app=$(rss_mib "$(pod_pid app)")
rss_reloader=$(rss_mib "$(pod_pid reloader)")
rss_logger=$(rss_mib "$(pod_pid logger)")


cat <<EOF
## Pod (bin/local-pod: app, reloader, logger)

Start-up to ready (\`/health\` answers) and RSS after start, each program started alone with
\`java @<program>/jvm.options -jar <program>/target/<program>.jar\`, median of 5:

| program | start-up | RSS |
|---|---|---|
$rows

A saved edit of the local ConfigMap file to the new greeting served ($EDITS edits; includes the
local kubelet's publish, the reloader's signal and the app's reload):
p50 $(us_to_ms "$edit_p50") ms, p95 $(us_to_ms "$edit_p95") ms, max $(us_to_ms "$edit_max") ms.

Load on \`GET /\` (wrk -t2 -c16, ${DURATION} s each, one after the other in one run):

| run | requests/s | p50 | p99 | failed requests |
|---|---|---|---|---|
| no reloads | $(wrk_field "$work/wrk-steady.txt" rps) | $(wrk_field "$work/wrk-steady.txt" p50) | $(wrk_field "$work/wrk-steady.txt" p99) | $(wrk_field "$work/wrk-steady.txt" errors) |
| an edit every 100 ms ($((gen_after - gen_before)) reloads applied) | $(wrk_field "$work/wrk-storm.txt" rps) | $(wrk_field "$work/wrk-storm.txt" p50) | $(wrk_field "$work/wrk-storm.txt" p99) | $(wrk_field "$work/wrk-storm.txt" errors) |

RSS after the load: app $rss_app MiB, reloader $rss_reloader MiB, logger $rss_logger MiB.
EOF

#!/usr/bin/env bash
# The reloader's benchmarks, with its shipped JVM flags (reloader/jvm.options):
#  - kubelet swap to SIGHUP delivered, p50 (goal <= 1 ms), over 50+ swaps
#  - kubelet swap to the new config served by the real app: p50 <= 20 ms, p95 <= 50 ms
#  - a ConfigMap at its 1 MiB limit: swap to SIGHUP delivered, and RSS after (goal <= 64 MiB)
#  - start-up to ready (goal <= 1 s) and RSS (goal <= 64 MiB), with and without the
#    class-data-sharing archive the image ships (bin/cds-archive)
# Prints a markdown section on stdout.
#
# Side by side: BENCH_BASELINE=DIR (a checkout of another commit, built with `./mvnw package
# -DskipTests`) measures that build and this one in the same run, BENCH_ROUNDS rounds (default 3;
# 1 without a baseline) with the running order rotated each round, and prints both with their
# ratio. BENCH_SWAPS, BENCH_LARGE_SWAPS and BENCH_STARTS set the counts per round.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BENCH_ROOT"
SWAPS=${BENCH_SWAPS:-60}
LARGE_SWAPS=${BENCH_LARGE_SWAPS:-20}
need_jars
need_tool curl
builds=(after)
roots=("$BENCH_ROOT")
if [ -n "${BENCH_BASELINE:-}" ]; then
  base=$(cd "$BENCH_BASELINE" && pwd)
  for p in app reloader; do [ -f "$base/$p/target/$p.jar" ] || die "no $base/$p/target/$p.jar: build it first"; done
  builds=(before after)
  roots=("$base" "$BENCH_ROOT")
  ROUNDS=${BENCH_ROUNDS:-3}
else
  ROUNDS=${BENCH_ROUNDS:-1}
fi
STARTS=${BENCH_STARTS:-$(( ROUNDS == 1 ? 5 : 2 ))}
work=$(mktemp -d -t bench-reloader.XXXXXX)
pids=()
cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then # what the programs said, to see why
    for f in "$work"/*.out; do [ -f "$f" ] && { log "$f:"; tail -20 "$f" >&2; }; done
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT
latency() { bench_java reloader/target/reloader.jar ReloaderLatency "$@"; }

start_reloader() { # java-command dir status marker [port] -> sets rpid, rport
  rport=${5:-$(free_port)}
  RELOADER_HTTP_PORT=$rport RELOADER_VOLUME_DIRS=$2 RELOADER_STATUS_FILE=$3 \
    RELOADER_TARGET_CMDLINE="$4" $1 > "$work/reloader.out" 2>&1 &
  rpid=$!; pids+=("$rpid")
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

# Start-up and RSS as the image runs it (with the CDS archive its build makes) and without one.
startup() { # label java-command -> appends to starts_<label>, rss_<label>
  local label=$1 cmd=$2 t0 start port
  rm -rf "$work/idle"; mkdir -p "$work/idle"
  port=$(free_port) # before the clock starts: python's own start is no part of the reloader's
  t0=$(now_us)
  start_reloader "$cmd" "$work/idle" "$work/idle.json" "no-such-target-$$" "$port"
  wait_http "http://127.0.0.1:$rport/health" "$rpid"
  start=$(( ($(now_us) - t0) / 1000 ))
  sleep 12 # past the native heap trimming's first rounds (every 5 s): the steady footprint
  eval "starts_$label+=($start) rss_$label+=($(rss_mib "$rpid"))"
  stop "$rpid"
}

# Every measure of one build, appended to the arrays of its label.
measure() { # label root
  local b=$1 root=$2 cds plain
  cds=$(BENCH_ROOT=$root cds_java_cmd reloader)
  plain=$(BENCH_ROOT=$root java_cmd reloader)
  log "$b: start-up and RSS ($STARTS starts with the image's CDS archive, $STARTS without)"
  for _ in $(seq "$STARTS"); do
    startup "cds_$b" "$cds"
    startup "plain_$b" "$plain"
  done

  log "$b: swap to signal delivered ($SWAPS swaps)"
  rm -rf "$work/signal"; mkdir -p "$work/signal"
  start_reloader "$cds" "$work/signal" "$work/signal.json" 'bench/sigtarget.py'
  wait_http "http://127.0.0.1:$rport/health" "$rpid"
  eval "sig_$b+=($(latency signal "$work/signal" "$work/signal.json" "$SWAPS" | tr '\n' ' '))"
  sleep 12 # the reloader's first quiet tick after reloads (every 5 s) gives the heap back
  eval "busy_$b+=($(rss_mib "$rpid"))"
  eval "cpu_$b+=($(cpu_percent "$rpid" 20))" # no change, a target that runs: watch and timers only
  stop "$rpid"

  log "$b: a 1 MiB config: swap to signal delivered ($LARGE_SWAPS swaps)"
  rm -rf "$work/large"; mkdir -p "$work/large"
  start_reloader "$cds" "$work/large" "$work/large.json" 'bench/sigtarget.py'
  wait_http "http://127.0.0.1:$rport/health" "$rpid"
  eval "large_$b+=($(latency signal "$work/large" "$work/large.json" "$LARGE_SWAPS" 1000000 | tr '\n' ' '))"
  sleep 12 # the first quiet tick after reloads gives the heap back
  eval "big_$b+=($(rss_mib "$rpid"))"
  stop "$rpid"

  log "$b: swap to served by the app ($SWAPS swaps)"
  rm -rf "$work/served"; mkdir -p "$work/served"
  local aport amport apid
  aport=$(free_port) amport=$(free_port)
  MICRONAUT_SERVER_PORT=$aport ENDPOINTS_ALL_PORT=$amport APP_CONFIG_DIRS=$work/served APP_STATUS_FILE=$work/served.json \
    APP_ACCESS_LOG=$work/access.log $(BENCH_ROOT=$root java_cmd app) "-Dbench=$work" > "$work/app.out" 2>&1 &
  apid=$!; pids+=("$apid")
  start_reloader "$cds" "$work/served" "$work/served.json" "-Dbench=$work"
  wait_http "http://127.0.0.1:$amport/health" "$apid"
  wait_http "http://127.0.0.1:$rport/health" "$rpid"
  latency served "$work/served" "$aport" 10 > /dev/null # warm-up
  eval "served_$b+=($(latency served "$work/served" "$aport" "$SWAPS" | tr '\n' ' '))"
  stop "$rpid"; stop "$apid"
}

for b in "${builds[@]}"; do eval "starts_cds_$b=() rss_cds_$b=() starts_plain_$b=() rss_plain_$b=() sig_$b=() busy_$b=() cpu_$b=() large_$b=() big_$b=() served_$b=() sigp50_$b=()"; done
for round in $(seq "$ROUNDS"); do
  for i in "${!builds[@]}"; do
    j=$(( (i + round - 1) % ${#builds[@]} ))
    eval "seen=\${#sig_${builds[$j]}[@]}"
    measure "${builds[$j]}" "${roots[$j]}"
    eval "got=(\"\${sig_${builds[$j]}[@]:$seen}\")"
    eval "sigp50_${builds[$j]}+=($(percentile 50 "${got[@]}"))"
  done
done

ms() { us_to_ms "$(percentile "$1" "${@:2}")"; }
arr() { eval "printf '%s\n' \"\${$1[@]}\""; }
# fig MEASURE BUILD: one figure of one build, over all its rounds
fig() {
  local b=$2
  case $1 in
    sig50) ms 50 $(arr "sig_$b") ;; sig95) ms 95 $(arr "sig_$b") ;; sigmax) ms 100 $(arr "sig_$b") ;;
    sigrounds) for v in $(arr "sigp50_$b"); do us_to_ms "$v"; echo; done | paste -sd/ | sed 's|/| / |g' ;;
    large50) ms 50 $(arr "large_$b") ;; large95) ms 95 $(arr "large_$b") ;; largemax) ms 100 $(arr "large_$b") ;;
    served50) ms 50 $(arr "served_$b") ;; served95) ms 95 $(arr "served_$b") ;; servedmax) ms 100 $(arr "served_$b") ;;
    start) median $(arr "starts_cds_$b") ;; startplain) median $(arr "starts_plain_$b") ;;
    rss) median $(arr "rss_cds_$b") ;; rssplain) median $(arr "rss_plain_$b") ;;
    busy) median $(arr "busy_$b") ;; big) median $(arr "big_$b") ;; cpu) median $(arr "cpu_$b") ;;
  esac
}
nsig=$(arr sig_after | wc -l) nlarge=$(arr large_after | wc -l) nstarts=$(arr starts_cds_after | wc -l)

if [ ${#builds[@]} -eq 1 ]; then
  cat <<EOF2
## Reloader

\`bench/reloader.sh\`: the reloader run as \`$(java_cmd reloader | sed "s|$BENCH_ROOT/||g")\` with the
class-data-sharing archive its image ships (\`bin/cds-archive\`, kept in target/bench-cds) except where said,
the config dir swapped the way the kubelet does it (a new \`..data\` renamed over the old).

| measure | p50 | p95 | max | goal | |
|---|---|---|---|---|---|
| swap to SIGHUP delivered to bench/sigtarget.py ($nsig swaps) | $(fig sig50 after) ms | $(fig sig95 after) ms | $(fig sigmax after) ms | p50 ≤ 1 ms | $(verdict "$(fig sig50 after)" "<=" 1) |
| swap to SIGHUP delivered, a 1 MB config ($nlarge swaps) | $(fig large50 after) ms | $(fig large95 after) ms | $(fig largemax after) ms | | |
| swap to the new greeting served by the app ($nsig swaps) | $(fig served50 after) ms | $(fig served95 after) ms | $(fig servedmax after) ms | p50 ≤ 20 ms, p95 ≤ 50 ms | $(verdict "$(fig served50 after)" "<=" 20) / $(verdict "$(fig served95 after)" "<=" 50) |

| measure | median of $nstarts | goal | |
|---|---|---|---|
| start-up to ready (\`/health\` answers), with the image's CDS archive | $(fig start after) ms | ≤ 1000 ms | $(verdict "$(fig start after)" "<=" 1000) |
| same, without a CDS archive | $(fig startplain after) ms | | |
| RSS idle, 12 s after start, with the CDS archive | $(fig rss after) MiB | ≤ 64 MiB | $(verdict "$(fig rss after)" "<=" 64) |
| same, without a CDS archive | $(fig rssplain after) MiB | | |
| RSS 12 s after $SWAPS signalled reloads | $(fig busy after) MiB | ≤ 64 MiB | $(verdict "$(fig busy after)" "<=" 64) |
| RSS 12 s after $LARGE_SWAPS reloads of a 1 MB config | $(fig big after) MiB | ≤ 64 MiB | $(verdict "$(fig big after)" "<=" 64) |
| CPU while idle (20 s after those reloads, no change) | $(fig cpu after) % of a core | near zero | |
EOF2
  exit 0
fi

row() { # label measure unit goal
  local a b
  a=$(fig "$2" before) b=$(fig "$2" after)
  echo "| $1 | $a $3 | $b $3 | $(ratio "$b" "$a") | $4 |"
}
cat <<EOF2
## Reloader, side by side

\`BENCH_BASELINE=$BENCH_BASELINE bench/reloader.sh\`: before = the build in \`$BENCH_BASELINE\`
($(git -C "$base" rev-parse --short HEAD 2>/dev/null || echo unknown)), after = this checkout
($(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ', with changes')); $ROUNDS rounds, the order rotated each
round; each run as \`java @reloader/jvm.options -jar reloader/target/reloader.jar\` with the
image's CDS archive except where said; kubelet-style swaps of the config dir. Latencies over all
rounds; start-up and RSS medians of all starts ($nstarts per build) and rounds.

| measure | before | after | after / before | goal |
|---|---|---|---|---|
$(row "swap to SIGHUP delivered, p50 ($nsig swaps)" sig50 ms "≤ 1 ms")
$(row "same, p95" sig95 ms "")
| same, p50 of each round | $(fig sigrounds before) ms | $(fig sigrounds after) ms | | |
$(row "swap to the new greeting served, p50" served50 ms "≤ 20 ms")
$(row "same, p95" served95 ms "≤ 50 ms")
$(row "swap to SIGHUP, a 1 MB config, p50 ($nlarge swaps)" large50 ms "")
$(row "same, p95" large95 ms "")
$(row "start-up to \`/health\`, CDS" start ms "≤ 1000 ms")
$(row "same, without CDS" startplain ms "")
$(row "RSS idle, CDS" rss MiB "≤ 64 MiB")
$(row "RSS 12 s after $SWAPS reloads" busy MiB "≤ 64 MiB")
$(row "RSS 12 s after $LARGE_SWAPS reloads of a 1 MB config" big MiB "≤ 64 MiB")
$(row "CPU idle after the reloads" cpu "% of a core" "near zero")
EOF2

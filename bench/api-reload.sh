#!/usr/bin/env bash
# ConfigMap update through the Kubernetes API to the new config served by the app (goal: p95 at
# most 500 ms over at least 50 updates), beside the kubelet's volume path. The API server is the
# stand-in the tests use (no kube-apiserver runs here); the reloader and the app are the shipped jars.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BENCH_ROOT"
UPDATES=${BENCH_UPDATES:-50}
need_jars
# The API server is devtools' LocalKubernetesApi; it runs here on the reloader's test class path
# (the reloader itself runs from its shipped jar, which leaves out devtools).
classpath_file=reloader/target/test.classpath
if [ ! -f "$classpath_file" ] || [ ! -d reloader/target/test-classes/io/podreload/reloader/kubernetes ] \
  || [ reloader/pom.xml -nt "$classpath_file" ]; then
  ./mvnw -B -q -pl common,devtools,reloader test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test >&2 \
    || die "cannot compile the fake API server"
fi
work=$(mktemp -d -t bench-api.XXXXXX)
trap 'rm -rf "$work"' EXIT
log "$UPDATES ConfigMap updates through the API"
mapfile -t lat < <(bench_java "reloader/target/test-classes:$(cat "$classpath_file")" ApiReloadLatency \
  "$work" "$UPDATES" "$(free_port)" "$(free_port)")
[ "${#lat[@]}" -gt 0 ] || { cat "$work"/*.out >&2; die "no figures"; }
p50=$(us_to_ms "$(percentile 50 "${lat[@]}")") p95=$(us_to_ms "$(percentile 95 "${lat[@]}")")
max=$(us_to_ms "$(percentile 100 "${lat[@]}")")
cat <<EOF2
## ConfigMap API source

\`bench/api-reload.sh\`: ${#lat[@]} updates of the ConfigMap through the API (a fake API server
speaking the list and watch protocol), each until the app serves the new greeting; reloader and
app run as shipped (\`java @<program>/jvm.options -jar ...\`).

| path | p50 | p95 | max | goal |
|---|---|---|---|---|
| API update → watch → render → SIGHUP → served | $p50 ms | $p95 ms | $max ms | p95 ≤ 500 ms: $(verdict "$p95" "<=" 500) |
| ConfigMap volume (kubelet sync) | 60-90 s | | | the kubelet's sync period plus its cache TTL; not measurable without a kubelet |
EOF2

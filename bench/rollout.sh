#!/usr/bin/env bash
# Progressive rollout at scale: N reloaders (rollout agents, each with its own watch and a simulated
# app) against one fake API server, at N = 3, 30 and 300 (or the sizes given). Per rollout: API
# requests per pod, 409 Conflicts, bytes sent on watches, edit to the last pod served; and a bad
# edit to the rollback served on the canary. No kube-apiserver runs here: the API server is the
# tests' fake, which speaks the documented protocol (see devtools' LocalKubernetesApi).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BENCH_ROOT"
SIZES=${BENCH_ROLLOUT_SIZES:-"3 30 300"}
ROLLOUTS=${BENCH_ROLLOUTS:-3}
classpath_file=reloader/target/test.classpath
if [ ! -f "$classpath_file" ] || [ ! -f reloader/target/test-classes/io/podreload/reloader/rollout/RolloutScaleBench.class ] \
  || [ reloader/pom.xml -nt "$classpath_file" ] \
  || [ -n "$(find reloader/src -name '*.java' -newer reloader/target/test-classes/io/podreload/reloader/rollout/RolloutScaleBench.class)" ]; then
  ./mvnw -B -q -pl common,devtools,reloader test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test >&2 \
    || die "cannot compile the rollout benchmark"
fi
log "rollouts at fleet sizes $SIZES ($ROLLOUTS each)"
# shellcheck disable=SC2086
java -Xss512k -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "reloader/target/test-classes:reloader/target/classes:common/target/classes:$(cat "$classpath_file")" \
  io.podreload.reloader.rollout.RolloutScaleBench $SIZES --rollouts "$ROLLOUTS"

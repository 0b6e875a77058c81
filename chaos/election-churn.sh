#!/usr/bin/env bash
# Counts Raft elections of a `corral dev` quorum while other processes saturate the CPU.
#   chaos/election-churn.sh [--seconds 600] [--hogs N] [--election-timeout-ms 150-300]
# --hogs: busy-looping processes competing for the CPU (default: 2 per core; 0 for an idle run).
# Prints a line per term change, then: election-churn: seconds=S hogs=N timeout=T elections=E terms=A..B
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=600; hogs=$(( 2 * $(nproc) )); timeout=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --hogs) hogs="$2"; shift 2 ;;
    --election-timeout-ms) timeout="$2"; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "election-churn: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$here/cli/target/corral.jar" ] || (cd "$here" && mvn -B -q package -DskipTests)
work=$(mktemp -d /tmp/corral-churn-XXXXXX)
cp "$here/cli/target/corral.jar" "$work/corral.jar"   # a rebuild during the run must not change it
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${dev:-}" ] && kill "$dev" 2>/dev/null && wait "$dev" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
java -Xmx512m -XX:+UseSerialGC --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED \
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
  --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED \
  --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED \
  -Dchronicle.announcer.disable=true -Dchronicle.analytics.disable=true \
  -jar "$work/corral.jar" dev --data "$work/data" ${timeout:+--election-timeout-ms "$timeout"} > "$work/dev.log" 2>&1 &
dev=$!
for _ in $(seq 1 600); do grep -q "ready" "$work/dev.log" 2>/dev/null && break; sleep 0.1; done
grep -q "ready" "$work/dev.log" || { echo "election-churn: corral dev did not start:" >&2; tail "$work/dev.log" >&2; exit 1; }
term() {
  local best=0 t
  for port in 9001 9002 9003; do
    t=$(curl -s -m 2 "http://127.0.0.1:$port/metrics" | awk '/^corral_term /{print int($2)}')
    [ -n "$t" ] && [ "$t" -gt "$best" ] && best=$t
  done
  echo "$best"
}
for _ in $(seq 1 "$hogs"); do sh -c 'while :; do :; done' & pids+=($!); done
first=$(term); last=$first; start=$(date +%s)
echo "election-churn: term $first at start; $hogs hogs for $seconds s"
while [ $(( $(date +%s) - start )) -lt "$seconds" ]; do
  sleep 1
  now=$(term)
  if [ "$now" -gt "$last" ]; then
    echo "election-churn: +$(( $(date +%s) - start )) s term $last -> $now"
    last=$now
  fi
done
echo "election-churn: seconds=$seconds hogs=$hogs timeout=${timeout:-default} elections=$(( last - first )) terms=$first..$last load=$(cut -d' ' -f1 /proc/loadavg)"

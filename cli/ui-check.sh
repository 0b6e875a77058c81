#!/usr/bin/env bash
# Checks the web UI as a person sees it: starts `corral dev`, runs a task that finishes and one that
# keeps running, renders http://127.0.0.1:9001/ in headless Chromium (Debian's `chromium` package:
# apt-get install chromium), checks the rendered page and saves a screenshot.
#   cli/ui-check.sh [--screenshot FILE]      (default: ui-check.png in the current directory)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shot="$PWD/ui-check.png"
[ "${1:-}" = "--screenshot" ] && shot="$2"
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "ui-check: no chromium found; install Debian's package: apt-get install chromium" >&2; exit 2; }
[ -f "$here/cli/target/corral.jar" ] || (cd "$here" && mvn -B -q package -DskipTests)
work=$(mktemp -d /tmp/corral-ui-XXXXXX)
cleanup() {
  [ -n "${runner:-}" ] && kill "$runner" 2>/dev/null || true
  [ -n "${dev:-}" ] && kill "$dev" 2>/dev/null && wait "$dev" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
"$here/bin/corral" dev --data "$work/data" > "$work/dev.log" 2>&1 &
dev=$!
for _ in $(seq 1 600); do grep -q "ready" "$work/dev.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/dev.log" || { echo "ui-check: corral dev did not start" >&2; tail "$work/dev.log" >&2; exit 1; }
"$here/bin/corral" run --name done -- echo hello > "$work/run1.log" 2>&1
"$here/bin/corral" run --name busy -- sleep 120 > "$work/run2.log" 2>&1 &
runner=$!
for _ in $(seq 1 300); do grep -q RUNNING "$work/run2.log" 2>/dev/null && break; sleep 0.1; done
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --user-data-dir="$work/chrome" --virtual-time-budget=4000)
"$browser" "${flags[@]}" --dump-dom http://127.0.0.1:9001/ > "$work/dom.html" 2>/dev/null
"$browser" "${flags[@]}" --window-size=1500,1000 --screenshot="$shot" http://127.0.0.1:9001/ >/dev/null 2>&1
fail=0
check() { if grep -q -- "$2" "$work/dom.html"; then echo "ok: $1"; else echo "FAILED: $1 (no '$2')"; fail=1; fi; }
check "this master's role and term, or a link to the leader" "leader, term\|Leader: <a href=\"http"
check "agents show used and free" "<th>used</th><th>free</th>"
check "the running task is listed" ">busy-"
check "sandbox links through the agent" "/files/"
check "per-role allocation" "<th>allocated</th>"
running=$(grep -o 'class="RUNNING">RUNNING\|class="FINISHED">FINISHED' "$work/dom.html" | head -1)
if [ "$running" = 'class="RUNNING">RUNNING' ]; then echo "ok: active tasks come first"; else echo "FAILED: active tasks first (first state: $running)"; fail=1; fi
echo "ui-check: screenshot in $shot"
exit $fail

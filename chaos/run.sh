#!/usr/bin/env bash
# Chaos run with real processes: e.g. chaos/run.sh --masters 5 --kills 100 --seed 42
# Builds the jars if they are missing; all options: chaos/run.sh --help
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -f "$here/cli/target/corral.jar" ] || [ ! -f "$here/chaos/target/chaos.jar" ]; then
  (cd "$here" && mvn -B -q package -DskipTests)
fi
cd "$here"
exec "${JAVA:-java}" -Xmx2g --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED \
  -jar "$here/chaos/target/chaos.jar" --jar "$here/cli/target/corral.jar" "$@"

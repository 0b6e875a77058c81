#!/usr/bin/env bash
# The scale harness: N simulated agents and M frameworks against a real master quorum.
#   benchmarks/scale.sh --agents 1000 --frameworks 10 --seconds 60 --masters 3 --task-ms 100 [--kill-leader]
# Builds the jars if they are missing; all options: benchmarks/scale.sh --help
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -f "$here/cli/target/corral.jar" ] || [ ! -f "$here/benchmarks/target/benchmarks.jar" ]; then
  (cd "$here" && mvn -B -q package -DskipTests)
fi
cd "$here"
exec "${JAVA:-java}" -Xmx1g --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED \
  -cp "$here/benchmarks/target/benchmarks.jar" io.corral.benchmarks.scale.ScaleRun "$@"

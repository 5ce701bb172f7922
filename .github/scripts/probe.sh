#!/usr/bin/env bash
# One fan-out job of the matrix workflow: probe VARIANT (reusing its committed result while it is
# current, unless --force-all) and put the result in results/ for upload as an artifact.
# Usage: .github/scripts/probe.sh VARIANT [--force-all]
set -euo pipefail
variant=$1
shift
python=${PYTHON:-python3.11}
"$python" -m nox -s matrix -- --only "$variant" "$@"
mkdir -p results
cp "reports/results/$variant.json" results/

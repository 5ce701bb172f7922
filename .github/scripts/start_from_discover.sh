#!/usr/bin/env bash
# Every job after discover starts from what discover left: its catalog.toml and reports/results/,
# in which a release moved to a newer patch no longer has results (discover retired them), and
# reports/pinpoint/ (with what the bot's open pull request had pinpointed). Starting
# from the committed results instead, the old patch's results would name a release the new catalog
# lacks, and every report would stop there ("... is not in the catalog").
# Usage: .github/scripts/start_from_discover.sh DISCOVERED (the discover job's artifact, downloaded)
set -euo pipefail
discovered=$1
if [ ! -f "$discovered/catalog.toml" ] || [ ! -d "$discovered/reports/results" ]; then
  echo "start_from_discover.sh: $discovered lacks catalog.toml or reports/results/" >&2
  exit 2
fi
rm -rf reports/results
cp "$discovered/catalog.toml" catalog.toml
cp -R "$discovered/reports/results" reports/results
if [ -d "$discovered/reports/pinpoint" ]; then
  rm -rf reports/pinpoint
  cp -R "$discovered/reports/pinpoint" reports/pinpoint
fi

#!/usr/bin/env bash
# The publish job's first step: take from the report job's artifact, downloaded to ARTIFACT outside the
# checkout, only what the pull request carries: reports/ (whole: retired results stay retired),
# catalog.toml, README.md (its grid), and the lists pull_request.sh reads. The report job ran third-party code (pinpoint
# installs release candidates), so nothing else of the artifact reaches the checkout, never a script a
# later step runs; and a link or a git file in it is refused, as git would commit or obey it.
# Usage: .github/scripts/take_report.sh ARTIFACT
set -euo pipefail
artifact=$1
if [ ! -d "$artifact/reports" ] || [ ! -f "$artifact/catalog.toml" ] || [ ! -f "$artifact/README.md" ]; then
  echo "take_report.sh: $artifact lacks reports/, catalog.toml or README.md" >&2
  exit 2
fi
# shellcheck source=.github/scripts/lists.sh
. "$(dirname "$0")/lists.sh"
lists=()
for ((i = 0; i < ${#LISTS[@]}; i += 2)); do lists+=("${LISTS[i]}"); done
taken=("$artifact/reports" "$artifact/catalog.toml" "$artifact/README.md")
for list in "${lists[@]}"; do
  if [ -e "$artifact/$list" ] || [ -L "$artifact/$list" ]; then taken+=("$artifact/$list"); fi
done
# A link would make cp copy what it points to (a list quoted in the pull request: any file here).
refused=$(find "${taken[@]}" \( -type l -o -name '.git*' \) -print)
if [ -n "$refused" ]; then
  echo "take_report.sh: refusing links and git files in the report artifact: $refused" >&2
  exit 2
fi
rm -rf reports
cp -R "$artifact/reports" reports
cp "$artifact/catalog.toml" catalog.toml
cp "$artifact/README.md" README.md # its grid is rendered from the results
for list in "${lists[@]}"; do
  if [ -f "$artifact/$list" ]; then cp "$artifact/$list" "$list"; else : > "$list"; fi
done

#!/usr/bin/env bash
# Sourced by aggregate.sh, pull_request.sh and take_report.sh: the lists the report job writes (one line an
# item) for the run's summary and the pull request's description. GitHub caps both places these lists go: a step summary
# above 1 MiB is dropped whole, and a pull request body above 65,536 characters is refused. So each
# list shows its count and its first LIST_LINES lines, each cut to LINE_CHARS characters: at most
# about 13 KB a list, whatever a release changes. The whole file is in the run's `report` artifact.
LIST_LINES=${LIST_LINES:-40}
LINE_CHARS=300
# Each list's file, then its title.
LISTS=(
  changes.txt "Semantic changes"
  failures.txt "Failed attempts that replaced an ok result"
  persistent.txt "Failures that persist (tried again less often the longer they last)"
  not_probed.txt "Not probed in this run (the committed result is kept)"
)

# listing TITLE FILE: markdown for one list: "**TITLE:** N", then its first lines (none when FILE is empty
# or missing).
listing() {
  local lines=0
  if [ -s "$2" ]; then lines=$(grep -c '' "$2"); fi # the last line counts without its newline too
  echo "**$1:** $lines"
  echo
  if [ "$lines" -eq 0 ]; then return; fi
  # An indented code block: no line of the file can end it, as a line of backticks would end a fenced one.
  head -n "$LIST_LINES" "$2" | cut -c "1-$LINE_CHARS" | sed 's/^/    /'
  echo
  if [ "$lines" -gt "$LIST_LINES" ]; then
    echo "... and $((lines - LIST_LINES)) more lines: \`$(basename "$2")\` in the run's \`report\` artifact has them all."
  fi
  echo
}

# every_list: markdown for every list, in order.
every_list() {
  local i
  for ((i = 0; i < ${#LISTS[@]}; i += 2)); do listing "${LISTS[i + 1]}" "${LISTS[i]}"; done
}

#!/usr/bin/env bash
# Sourced by pull_request.sh and start_from_bot_branch.sh: the bot's pull request, from the branch
# matrix/update. Only an *open* one of this repository counts: `gh pr edit <branch>` would also find a
# merged or closed one (and a closed one was rejected), and --head matches the branch name in forks too.

# open_bot_pull_request: the number of the bot's open pull request, or nothing. gh's errors reach the log.
open_bot_pull_request() {
  gh pr list --head matrix/update --state open --json number,isCrossRepository \
    --jq '.[] | select(.isCrossRepository | not) | .number'
}

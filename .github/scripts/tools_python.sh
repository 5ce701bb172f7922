#!/usr/bin/env bash
# Jobs that need Python 3.7 (the probe jobs of TF 1.15 to 2.1, and the tests) run in the official
# python:3.7 image: setup-python has 3.7 for no runner image newer than ubuntu-22.04, which GitHub
# retires, and uv has no 3.7 to install. The image has no newer Python, though (tfmatrix needs 3.11,
# nox 3.9+), so this puts Python 3.11 and each VERSION asked for on PATH as `python3.X`, each in a
# venv with pip, as setup-python does on the other jobs.
# uv comes from pip on the image's 3.7: its package asks for Python 3.8+ (the version pinned in
# ci-requirements.txt), but it is one static binary that runs anywhere. uv then finds each Python,
# or downloads one of its managed builds when there is none, as in the image.
# First it trusts the checkout: the container runs as root, the workspace belongs to the runner's user,
# and checkout adds safe.directory only to a global config of its own for its own steps, so every later
# git command (the tests' `git ls-files`) would stop at "detected dubious ownership".
# Usage: .github/scripts/tools_python.sh DIR [VERSION...]   (adds DIR/python3.X/bin to $GITHUB_PATH)
set -euo pipefail
dir=$1
shift
git config --global --add safe.directory "$PWD"
uv_pin=$(grep '^uv==' .github/ci-requirements.txt)
python3.7 -m venv "$dir/uv"
"$dir/uv/bin/python" -m pip install --quiet --ignore-requires-python "$uv_pin"
for version in 3.11 "$@"; do
  "$dir/uv/bin/uv" venv --quiet --seed --python "$version" "$dir/python$version"
  "$dir/python$version/bin/python$version" --version
  echo "$dir/python$version/bin" >> "$GITHUB_PATH"
done

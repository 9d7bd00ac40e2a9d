#!/usr/bin/env bash
# Refresh requirements.lock: the exact versions scripts/test.sh installs. pyproject.toml keeps the
# ranges; this resolves them afresh in a throwaway venv and pins what it got.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --upgrade pip
"$tmp/venv/bin/python" -m pip install -q -e '.[test]'
{
  echo "# Pinned by scripts/lock.sh from pyproject.toml's ranges; used as constraints by scripts/test.sh."
  "$tmp/venv/bin/python" -m pip freeze --exclude-editable --all | grep -viE '^(pip|setuptools|wheel)=='
} > requirements.lock
echo "requirements.lock: $(grep -vc '^#' requirements.lock) packages"

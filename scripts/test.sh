#!/usr/bin/env bash
# Install everything the test suite needs (a venv, the package with its test extras, Debian's
# chromium for the browser tests) and run the whole suite. Installs are pinned by requirements.lock
# (refresh it with scripts/lock.sh). With --lint first, ruff, the format check and mypy run before
# the tests (CI does this). Other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c requirements.lock -e '.[test]'

if [ "${1:-}" = "--lint" ]; then
  shift
  .venv/bin/ruff check src tests benchmarks
  .venv/bin/ruff format --check src tests benchmarks
  .venv/bin/mypy
fi
exec .venv/bin/python -m pytest -n 2 "$@"

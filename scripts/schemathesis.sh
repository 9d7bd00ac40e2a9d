#!/usr/bin/env bash
# schemathesis over the whole OpenAPI document against a real `relaydesk serve` on loopback, once
# as an engineer and once as an owner, with a fresh database. Prints schemathesis' own summary;
# the run fails if a check fails: by default server errors, and status codes or content types the
# document does not declare (CHECKS=all for every check schemathesis has).
#
#   RELAYDESK_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres scripts/schemathesis.sh
#
# Extra arguments go to `schemathesis run` (e.g. --max-examples 20). Needs `pip install schemathesis`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
ST=${SCHEMATHESIS:-.venv/bin/schemathesis}
SERVER=${RELAYDESK_TEST_DATABASE_URL:?set RELAYDESK_TEST_DATABASE_URL to a PostgreSQL server URL}
DB="relaydesk_fuzz_$$"
PORT=${PORT:-$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
WORK=$(mktemp -d)
BASE="${SERVER%/*}"
export RELAYDESK_DATABASE_URL="$BASE/$DB"
export RELAYDESK_DATA_DIR="$WORK"
export RELAYDESK_SECRET_KEY="fuzz-secret-key"
export RELAYDESK_RUN_WORKER=false          # nothing leaves the machine while fuzzing
export RELAYDESK_LIVE_STREAM_MAX_SECONDS=1  # the live stream ends, so its response can be checked
export RELAYDESK_LIVE_HEARTBEAT_SECONDS=0.5

psql_do() { $PY -c "import psycopg,sys; c=psycopg.connect(sys.argv[1], autocommit=True); c.execute(sys.argv[2])" "$SERVER" "$1"; }
cleanup() {
  [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
  psql_do "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql_do "CREATE DATABASE \"$DB\""

$PY -m relaydesk.cli migrate >/dev/null
$PY -m relaydesk.cli account create "Fuzz MSP" >/dev/null
$PY -m relaydesk.cli user add --account "Fuzz MSP" --email owner@fuzz.example --name "Olga Owner" --role owner >/dev/null
$PY -m relaydesk.cli user add --account "Fuzz MSP" --email eng@fuzz.example --name "Eli Engineer" --role engineer >/dev/null
token() { $PY -m relaydesk.cli token create --email "$1" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
OWNER=$(token owner@fuzz.example)
ENGINEER=$(token eng@fuzz.example)

$PY -m relaydesk.cli serve --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
up=""
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && { up=1; break; }
  sleep 0.3
done
[ -n "$up" ] || { echo "relaydesk serve did not come up:"; cat "$WORK/serve.log"; exit 1; }

status=0
for who in ${ROLES:-engineer owner}; do
  [ "$who" = owner ] && TOKEN=$OWNER || TOKEN=$ENGINEER
  echo "=== schemathesis as $who ==="
  "$ST" run "http://127.0.0.1:$PORT/api/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --checks "${CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance}" \
    --max-examples "${MAX_EXAMPLES:-30}" \
    --request-timeout 10 \
    --no-color \
    "$@" || status=$?
done
if grep -q "Traceback\|ERROR" "$WORK/serve.log"; then
  echo "=== server log: errors ==="; grep -n -A3 "ERROR" "$WORK/serve.log" | head -60
fi
exit $status

#!/usr/bin/env bash
# Property-based API testing of the running server against its own OpenAPI document
# with Schemathesis 4: every check, every phase, a bounded number of examples per
# operation and a bounded total time. Exits non-zero on any failure.
#
#   bash .ci/schemathesis.sh              # builds (debug), serves, tests, stops
#
# Environment (all optional):
#   CARGO_TARGET_DIR        where cargo builds (default: target/)
#   SCHEMATHESIS_MAX_EXAMPLES   examples per operation and phase (default 50)
#   SCHEMATHESIS_TIMEOUT    hard wall-clock limit of the run in seconds (default 900)
#   SCHEMATHESIS_SEED       a seed to reproduce an earlier run (its summary prints one)
#   SCHEMATHESIS_REPORT_DIR where the JUnit and NDJSON reports go
#                           (default .ci/artifacts/schemathesis)
#
# Schemathesis flags used (schemathesis run --help, 4.32.5):
#   --checks all            not_a_server_error, status_code_conformance,
#                           content_type_conformance, response_headers_conformance,
#                           response_schema_conformance, negative_data_rejection,
#                           positive_data_acceptance, missing_required_header,
#                           unsupported_method, allow_header_conformance, and the
#                           stateful/auth checks (which find nothing to do on a
#                           read-only API without auth)
#   --phases examples,coverage,fuzzing,stateful
#   --mode all              positive and negative data
#   --max-examples N        per operation
#   --continue-on-failure   keep testing an operation after its first failure, so a
#                           run reports every distinct failure, not just the first
#   --request-timeout 10    a hung request is a failure, not a hang
#   --max-redirects 0       a 308 (alias -> canonical id) is checked as a 308
#   --report junit,ndjson --report-dir DIR
#   --seed S                only when SCHEMATHESIS_SEED is set
# --max-time is deliberately not used: in Schemathesis 4 it is a budget that the
# fuzzing and stateful phases keep drawing cases until they have spent, so it would
# lengthen a run, not bound it; `timeout` bounds the run instead.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-50}"
TIMEOUT="${SCHEMATHESIS_TIMEOUT:-900}"
REPORT_DIR="${SCHEMATHESIS_REPORT_DIR:-.ci/artifacts/schemathesis}"
venv=.ci/.venv-schemathesis

# 1. Schemathesis, pinned, in a venv of its own (idempotent).
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
if [[ "$("$venv/bin/schemathesis" --version 2>/dev/null || true)" != *"version $SCHEMATHESIS_VERSION" ]]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
echo "== $("$venv/bin/schemathesis" --version)"

# 2. The server, as built by `cargo build` (debug), honouring CARGO_TARGET_DIR.
echo "== cargo build"
cargo build --locked --bin stackatlas
target_dir="${CARGO_TARGET_DIR:-target}"
binary="$target_dir/debug/stackatlas"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
mkdir -p "$REPORT_DIR"
server_log="$REPORT_DIR/server.log"
# RUST_LOG=warn: thousands of requests would otherwise flood the log.
# One client sends thousands of requests: lift its budget (rate limiting has its own tests).
RUST_LOG="${RUST_LOG:-warn}" "$binary" --host 127.0.0.1 --port "$port" --rate-limit 0 >"$server_log" 2>&1 &
server_pid=$!
# shellcheck disable=SC2329  # invoked by the trap below
stop_server() {
  if kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap stop_server EXIT INT TERM

# 3. Wait (at most 30 s) for /healthz.
for _ in $(seq 1 60); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "schemathesis.sh: the server exited before it was ready:" >&2
    cat "$server_log" >&2
    exit 1
  fi
  if curl -fsS -o /dev/null --max-time 2 "$base/healthz" 2>/dev/null; then
    break
  fi
  sleep 0.5
done
curl -fsS -o /dev/null --max-time 2 "$base/healthz" || { echo "schemathesis.sh: $base/healthz never answered" >&2; exit 1; }
echo "== server pid $server_pid on $base"

# 4. The run.
# shellcheck disable=SC2054  # the commas are inside flag values
args=(
  run "$base/api-docs/openapi.json"
  --checks all
  --phases examples,coverage,fuzzing,stateful
  --mode all
  --max-examples "$MAX_EXAMPLES"
  --continue-on-failure
  --request-timeout 10
  --max-redirects 0
  --report junit,ndjson
  --report-dir "$REPORT_DIR"
  --no-color
)
if [[ -n "${SCHEMATHESIS_SEED:-}" ]]; then
  args+=(--seed "$SCHEMATHESIS_SEED")
fi
echo "== schemathesis ${args[*]}"
status=0
timeout --kill-after=10 "$TIMEOUT" "$venv/bin/schemathesis" "${args[@]}" || status=$?
if (( status == 124 || status == 137 )); then
  echo "schemathesis.sh: the run took longer than ${TIMEOUT}s and was stopped" >&2
fi

# A run is also a failure if the server died under it.
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "schemathesis.sh: the server exited during the run:" >&2
  tail -n 50 "$server_log" >&2
  status=1
fi
exit "$status"

#!/usr/bin/env bash
# End-to-end checks, run by CI after `cargo test` (and by hand the same way):
#
#   bash .ci/e2e.sh
#
# 1. installs what it needs: Debian's chromium when /usr/bin/chromium is missing, and
#    the pinned npm packages of e2e/ (`npm ci`, skipped when already installed from the
#    same package-lock.json);
# 2. builds the server (debug; honours CARGO_TARGET_DIR) and starts it on a free
#    127.0.0.1 port, waiting for /healthz;
# 3. runs node's test runner over e2e/: Spectral on openapi/openapi.json, the typed
#    client check (openapi-typescript + tsc --noEmit), and the browser tests (Swagger
#    UI "Try it out", the embed example from another origin);
# 4. always stops the server it started.
#
# Exits non-zero on any failure. Screenshots land in .ci/artifacts/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
ARTIFACTS="$ROOT/.ci/artifacts"
LOG="$ARTIFACTS/server.log"
SERVER_PID=""

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/*.png

echo "== tools"
if [[ ! -x /usr/bin/chromium ]]; then
  echo "installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null # (Debian's wrapper script chatters on stderr)
node --version
STAMP="e2e/node_modules/.stackatlas-lock"
if [[ -f "$STAMP" ]] && cmp -s e2e/package-lock.json "$STAMP"; then
  echo "e2e/node_modules is up to date with e2e/package-lock.json"
else
  # --ignore-scripts: the only install script in the tree is @scarf/scarf's telemetry.
  (cd e2e && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  cp e2e/package-lock.json "$STAMP"
fi

echo "== cargo build (debug)"
cargo build --bin stackatlas
# Where cargo put it: honours CARGO_TARGET_DIR and any build.target-dir setting.
TARGET_DIR="$(cargo metadata --no-deps --format-version 1 |
  node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).target_directory)')"
BIN="$TARGET_DIR/debug/stackatlas"

echo "== start the server"
# Port 0: the server picks a free port and logs the address it listens on.
RUST_LOG=info "$BIN" --host 127.0.0.1 --port 0 >"$LOG" 2>&1 &
SERVER_PID=$!
URL=""
for _ in $(seq 300); do
  URL="$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$LOG" | head -n1 | sed 's/^listening on //')" || true
  [[ -n "$URL" ]] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "the server exited before listening:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$URL" ]]; then
  echo "the server did not say where it listens within 30 s:" >&2
  cat "$LOG" >&2
  exit 1
fi
healthy=""
for _ in $(seq 100); do
  if curl -fsS --max-time 2 "$URL/healthz" >/dev/null 2>&1; then healthy=yes; break; fi
  sleep 0.1
done
if [[ -z "$healthy" ]]; then
  echo "$URL/healthz did not answer 200 within 10 s:" >&2
  cat "$LOG" >&2
  exit 1
fi
echo "server at $URL (pid $SERVER_PID)"

echo "== node --test: spectral, typed client, browser"
status=0
(
  cd e2e
  STACKATLAS_URL="$URL" ARTIFACTS_DIR="$ARTIFACTS" \
    node --test --test-reporter=spec --test-concurrency=1 --test-timeout=180000 \
      spectral.test.mjs typecheck.test.mjs browser.test.mjs
) || status=$?

stop_server
echo "screenshots: $(ls "$ARTIFACTS"/*.png 2>/dev/null | wc -l) in .ci/artifacts/"
exit "$status"

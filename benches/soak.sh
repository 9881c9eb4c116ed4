#!/usr/bin/env bash
# Bounded soak test of a running Stack Atlas server on this machine (loopback only).
#
#   benches/soak.sh http://127.0.0.1:8080 [--pid PID] [--duration 60] [--warmup 10]
#                   [--concurrency 16] [--max-growth 10] [--seed N] [--json FILE]
#
# Installs the load generator (aiohttp, from PyPI, pinned) into benches/.venv on first
# use, then runs benches/soak.py: a warm-up, then --duration seconds (default 60) of
# a mix of every endpoint with bad requests mixed in. It prints responses by status
# (overall and per request kind), connection errors, latency percentiles and the
# server's VmRSS after the warm-up, at its peak and after the run, and exits non-zero
# on any 5xx, any connection error, or memory growth above --max-growth per cent.
# The server's pid is found from the URL's port unless --pid is given.
#
# To soak a fresh debug build:
#   cargo build && target/debug/stackatlas --port 18123 & benches/soak.sh http://127.0.0.1:18123
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
AIOHTTP_VERSION=3.14.5
venv="$here/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import aiohttp, sys; sys.exit(aiohttp.__version__ != '$AIOHTTP_VERSION')" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "aiohttp==$AIOHTTP_VERSION"
fi
exec "$venv/bin/python" "$here/soak.py" "$@"

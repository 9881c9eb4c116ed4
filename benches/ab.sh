#!/usr/bin/env bash
# Paired A/B of two server binaries under the same load (load.sh's wrk settings).
#
#   benches/ab.sh BIN_A BIN_B [PATH] [PAIRS] [DURATION] [ETAG]
#
# Starts both binaries at once on free 127.0.0.1 ports (rate limit on above the load,
# access log on, as load.sh runs Stack Atlas), then runs wrk on A and on B in turn,
# PAIRS times, ABBA order (A first in odd pairs, B first in even ones), and prints each
# pair's req/s and B/A and the median B/A. Both servers see the same moments of the
# machine's drift, so a difference of a few percent shows where one load.sh run's
# ratio against the baseline swings by ±0.1. With ETAG, requests carry
# `If-None-Match: ETAG` (the 304 path). Defaults: PATH /v1/technologies/nodejs, 10
# pairs of 4 s. Load goes to 127.0.0.1 only, bounded by wrk's duration; both servers
# are stopped on exit.
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
A=$1 B=$2 TARGET=${3:-/v1/technologies/nodejs} PAIRS=${4:-10} DURATION=${5:-4s} ETAG=${6:-}
for bin in "$A" "$B"; do [ -x "$bin" ] || { echo "ab.sh: $bin is not an executable" >&2; exit 2; }; done
command -v wrk >/dev/null || { echo "ab.sh: wrk is missing (apt-get install wrk)" >&2; exit 2; }

# shellcheck source=benches/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"   # free_port, median

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stackatlas-ab.XXXXXX")
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() { # BIN PORT: starts a server, waits until /readyz answers 200 (60 s at most)
    "$1" --host 127.0.0.1 --port "$2" --rate-limit 1000000000 --access-log true \
        2>"$WORK/$2.log" >/dev/null &
    PIDS+=("$!")
    for _ in $(seq 600); do
        curl -sf -o /dev/null "http://127.0.0.1:$2/readyz" && return 0
        sleep 0.1
    done
    echo "ab.sh: $1 not ready on :$2" >&2; exit 1
}

PORT_A=$(free_port); start "$A" "$PORT_A"
PORT_B=$(free_port); start "$B" "$PORT_B"

ARGS=(-t2 -c64 -d"$DURATION" --timeout 10s)
if [ -n "$ETAG" ]; then
    printf 'wrk.headers["If-None-Match"] = [==[%s]==]\n' "$ETAG" >"$WORK/etag.lua"
    ARGS+=(-s "$WORK/etag.lua")
fi
for port in "$PORT_A" "$PORT_B"; do # every run must measure the answer asked for
    want=200; [ -n "$ETAG" ] && want=304
    got=$(curl -s -o /dev/null -w '%{http_code}' ${ETAG:+-H "If-None-Match: $ETAG"} "http://127.0.0.1:$port$TARGET")
    [ "$got" = "$want" ] || { echo "ab.sh: GET $TARGET on :$port answered $got, not $want" >&2; exit 1; }
done
rps() { # PORT: req/s of one wrk run (the access log is emptied after it)
    wrk "${ARGS[@]}" "http://127.0.0.1:$1$TARGET" | awk '/Requests\/sec/ { print $2 }'
    : >"$WORK/$1.log"
}

# one warm-up run each, not counted
rps "$PORT_A" >/dev/null; rps "$PORT_B" >/dev/null
echo "A: $A"; echo "B: $B"; echo "GET $TARGET${ETAG:+ (If-None-Match)}, $PAIRS pairs of $DURATION"
RATIOS=()
for i in $(seq "$PAIRS"); do
    if (( i % 2 )); then a=$(rps "$PORT_A"); b=$(rps "$PORT_B"); else b=$(rps "$PORT_B"); a=$(rps "$PORT_A"); fi
    r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')
    echo "pair $i: A $a req/s, B $b req/s, B/A $r"
    RATIOS+=("$r")
done
sorted=$(printf '%s\n' "${RATIOS[@]}" | sort -g)
printf 'median B/A %.3f over %d pairs (min %.3f, max %.3f)\n' "$(median <<<"$sorted")" \
    "${#RATIOS[@]}" "$(head -n 1 <<<"$sorted")" "$(tail -n 1 <<<"$sorted")"

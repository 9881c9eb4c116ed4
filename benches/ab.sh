#!/usr/bin/env bash
# Paired A/B of two server binaries under the same load (load.sh's wrk settings).
#
#   benches/ab.sh BIN_A BIN_B [PATH] [PAIRS] [DURATION] [ETAG]
#
# Starts both binaries at once on free 127.0.0.1 ports (rate limit on above the load,
# access log on, as load.sh runs Stack Atlas), then measures PAIRS pairs. A pair is
# SLICES (environment, default 5) wrk runs of DURATION on each server, interleaved
# like load.sh's (A first in odd slices, B first in even ones, and the other way
# round in even pairs); its ratio is B's req/s summed over its slices ÷ A's. It prints
# each pair's req/s and B/A and the median B/A. Both servers sample the same seconds
# of the machine's drift (±10% over seconds), so a difference of 2–3% shows.
# With ETAG, requests carry `If-None-Match: ETAG` (the 304 path). Defaults: PATH
# /v1/technologies/nodejs, 6 pairs, DURATION 2s. Load goes to 127.0.0.1 only, bounded
# by wrk's duration; both servers are stopped on exit.
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
A=$1 B=$2 TARGET=${3:-/v1/technologies/nodejs} PAIRS=${4:-6} DURATION=${5:-2s} ETAG=${6:-}
SLICES=${SLICES:-5}
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
echo "A: $A"; echo "B: $B"
echo "GET $TARGET${ETAG:+ (If-None-Match)}, $PAIRS pairs of $SLICES interleaved slices of $DURATION per side"
RATIOS=()
for i in $(seq "$PAIRS"); do
    a=0 b=0
    for j in $(seq "$SLICES"); do
        if (( (i + j) % 2 )); then
            ra=$(rps "$PORT_A"); rb=$(rps "$PORT_B")
        else
            rb=$(rps "$PORT_B"); ra=$(rps "$PORT_A")
        fi
        a=$(awk -v s="$a" -v r="$ra" 'BEGIN { printf "%.2f", s + r }')
        b=$(awk -v s="$b" -v r="$rb" 'BEGIN { printf "%.2f", s + r }')
    done
    r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')
    echo "pair $i: A $(awk -v s="$a" -v n="$SLICES" 'BEGIN { printf "%.0f", s / n }') req/s, B $(awk -v s="$b" -v n="$SLICES" 'BEGIN { printf "%.0f", s / n }') req/s, B/A $r"
    RATIOS+=("$r")
done
sorted=$(printf '%s\n' "${RATIOS[@]}" | sort -g)
printf 'median B/A %.3f over %d pairs (min %.3f, max %.3f)\n' "$(median <<<"$sorted")" \
    "${#RATIOS[@]}" "$(head -n 1 <<<"$sorted")" "$(tail -n 1 <<<"$sorted")"

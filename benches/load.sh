#!/usr/bin/env bash
# Load benchmark of Stack Atlas against a minimal actix-web baseline (issue 7).
#
#   benches/load.sh
#
# Installs wrk if missing (apt-get), builds the release binaries, starts the baseline
# (examples/baseline.rs) and Stack Atlas on free 127.0.0.1 ports, drives each endpoint
# with wrk (same settings for all), repeats the set REPEATS times, and prints a
# Markdown table: per endpoint the median requests/s, p50 and p99 latency, and the
# ratio of its median requests/s to the baseline's median in the same run. Then it
# records start-up time to ready and resident memory after load for the embedded
# catalogue and for synthetic catalogues (examples/synthetic.rs, when present).
# Every server it starts is stopped on exit. Load goes to 127.0.0.1 only, bounded
# by wrk's duration.
#
# Settings (environment):
#   DURATION=10s        wrk time per server and endpoint in each repeat
#   SLICES=5            a paired measurement is SLICES wrk runs per server of
#                       DURATION/SLICES each, interleaved (baseline first in odd
#                       slices, Stack Atlas first in even ones): both sides sample the
#                       same seconds of the machine, whose speed wanders by ±10%
#                       over seconds ("1": one run each, baseline first)
#   CONNECTIONS=64      wrk connections
#   THREADS=2           wrk threads
#   TIMEOUT=10s         wrk per-request timeout
#   REPEATS=3           runs of the whole endpoint set (medians are taken over them)
#   WARMUP=3s           unmeasured wrk runs before the first measured one: each
#                       baseline, and Stack Atlas on the detail and the list page ("0" skips)
#   STARTS=3            start-ups timed per catalogue (median)
#   SYNTHETIC="10000 100000"   synthetic catalogue sizes ("" skips them)
#   SYNTH_DURATION=3s   wrk duration of each run against a synthetic catalogue
#   SYNTH_EXPORT_CONNECTIONS=2  connections for /v1/catalogue on synthetic catalogues
#                       (each answer is the whole catalogue, hundreds of MB at 100,000)
#   SYNTHETIC_GENERATOR=CMD  generator to use instead of the built examples/synthetic
#                       (called as CMD --count N --out DIR)
#   SKIP_BUILD=1        use the binaries already built
#   RESULTS_DIR=...     where raw wrk outputs and logs go
#                       (default: $CARGO_TARGET_DIR/bench-results/<timestamp>)
#   RATE_LIMIT=1000000000  --rate-limit given to the server (kept on, above the load)
set -euo pipefail

DURATION=${DURATION:-10s}
SLICES=${SLICES:-5}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
TIMEOUT=${TIMEOUT:-10s}
REPEATS=${REPEATS:-3}
WARMUP=${WARMUP:-3s}
STARTS=${STARTS:-3}
SYNTHETIC=${SYNTHETIC-10000 100000}
SYNTH_DURATION=${SYNTH_DURATION:-3s}
SYNTH_EXPORT_CONNECTIONS=${SYNTH_EXPORT_CONNECTIONS:-2}
SKIP_BUILD=${SKIP_BUILD:-0}
RATE_LIMIT=${RATE_LIMIT:-1000000000}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-300}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"   # free_port, median
cd "$ROOT"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
RESULTS_DIR=${RESULTS_DIR:-$TARGET_DIR/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$RESULTS_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/stackatlas-bench.XXXXXX")

log() { printf '[load.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- cleanup: stop every server this script started ------------------------------
PIDS=()
stop_server() { # PID
    local pid=$1
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do stop_server "$pid"; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- time budget -------------------------------------------------------------------
seconds() { # 10s | 2m | 500ms | 10 -> whole seconds (rounded up)
    case $1 in
        *ms) echo $(( (${1%ms} + 999) / 1000 )) ;;
        *s) echo "${1%s}" ;;
        *m) echo $(( ${1%m} * 60 )) ;;
        *h) echo $(( ${1%h} * 3600 )) ;;
        *) echo "$1" ;;
    esac
}
RUNS_PER_SET=20     # 9 Stack Atlas runs (detail, 2 lists, 3 searches, suggest, export, 304), each paired with a baseline run, + the list-size baseline without and with the list's headers
HAVE_SYNTH=0
{ [ -f examples/synthetic.rs ] || [ -n "${SYNTHETIC_GENERATOR:-}" ]; } && HAVE_SYNTH=1
n_synth=0
[ "$HAVE_SYNTH" = 1 ] && n_synth=$(wc -w <<<"$SYNTHETIC")
estimate=$(( REPEATS * RUNS_PER_SET * ($(seconds "$DURATION") + SLICES) + STARTS * 2 + 10 ))
[ "$WARMUP" = 0 ] || estimate=$(( estimate + 4 * ($(seconds "$WARMUP") + 1) ))
estimate=$(( estimate + n_synth * (9 * ($(seconds "$SYNTH_DURATION") + 1) + 60) ))
cat >&2 <<EOF
[load.sh] Stack Atlas load benchmark
[load.sh]   wrk -t$THREADS -c$CONNECTIONS --timeout $TIMEOUT --latency, $DURATION per server and endpoint in $SLICES interleaved slice(s), $REPEATS repeat(s) of $RUNS_PER_SET runs
[load.sh]   synthetic catalogues: ${SYNTHETIC:-none} (-d$SYNTH_DURATION each)$([ "$HAVE_SYNTH" = 1 ] || echo ': skipped, no examples/synthetic.rs')
[load.sh]   estimated measuring time: ~$(( (estimate + 59) / 60 )) min ($estimate s), plus the release build if out of date (~5 min with fat LTO)
[load.sh]   raw outputs: $RESULTS_DIR
EOF
T0=$(date +%s)

# --- tools ---------------------------------------------------------------------------
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null; then
    log "wrk is missing: installing it with apt-get"
    as_root apt-get update && as_root apt-get install -y wrk
fi
command -v curl >/dev/null || { as_root apt-get update && as_root apt-get install -y curl; }

# --- build -----------------------------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ]; then
    build=(cargo build --release --bin stackatlas --example baseline)
    [ -f examples/synthetic.rs ] && [ -n "$SYNTHETIC" ] && build+=(--example synthetic)
    log "building: ${build[*]}"
    "${build[@]}"
fi
SERVER=$TARGET_DIR/release/stackatlas
BASELINE=$TARGET_DIR/release/examples/baseline
SYNTH=${SYNTHETIC_GENERATOR:-$TARGET_DIR/release/examples/synthetic}
[ -x "$SERVER" ] || die "$SERVER is missing: build it (cargo build --release --bin stackatlas)"
[ -x "$BASELINE" ] || die "$BASELINE is missing: build it (cargo build --release --example baseline)"

# --- servers ---------------------------------------------------------------------------
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }  # bash 5: no fork

# probe PORT PATH: true when GET PATH answers 200. Plain bash (/dev/tcp) in a forked
# subshell, no exec, so polling costs well under a millisecond per try.
probe() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
        IFS= read -r -t 2 line <&3 || exit 1
        [[ $line == "HTTP/1."?" 200"* ]]
    ) 2>/dev/null
}

# start_server NAME LOG PROBE_PATH CMD... ; sets STARTED_PID, STARTED_PORT, STARTED_MS
# (milliseconds from exec to the first 200 on PROBE_PATH, probed every ~2 ms).
start_server() {
    local name=$1 logfile=$2 probe=$3; shift 3
    local port t0 pid deadline
    port=$(free_port) || die "no free port found"
    t0=$(now_us)
    "$@" --host 127.0.0.1 --port "$port" 2>>"$logfile" >/dev/null &
    pid=$!
    PIDS+=("$pid")
    deadline=$(( $(date +%s) + READY_TIMEOUT_S ))
    until probe "$port" "$probe"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$logfile" >&2 || true
            die "$name exited before it was ready (log: $logfile)"
        fi
        [ "$(date +%s)" -lt "$deadline" ] || die "$name not ready after ${READY_TIMEOUT_S}s"
        sleep 0.002
    done
    STARTED_MS=$(awk -v a="$t0" -v b="$(now_us)" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
    STARTED_PID=$pid
    STARTED_PORT=$port
}

# kill_started PID: stop a server and forget it
kill_started() {
    local pid=$1 keep=() p
    stop_server "$pid"
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }


# --- wrk -------------------------------------------------------------------------------
ETAG_LUA=$WORK/if-none-match.lua

# run_wrk LABEL URL OUTFILE DURATION CONNECTIONS [LUA]: appends wrk's output to
# OUTFILE (a slice of a paired measurement adds to the slices before it)
run_wrk() {
    local label=$1 url=$2 out=$3 duration=$4 conns=$5 lua=${6:-}
    local threads=$THREADS
    [ "$threads" -le "$conns" ] || threads=$conns
    local args=(-t"$threads" -c"$conns" -d"$duration" --timeout "$TIMEOUT" --latency)
    [ -n "$lua" ] && args+=(-s "$lua")
    wrk "${args[@]}" "$url" >>"$out" 2>&1 || { cat "$out" >&2; die "wrk failed on $label"; }
}

# parse_wrk FILE -> "rps p50_ms p99_ms errors" (errors: non-2xx/3xx answers + socket
# errors); for a file of several slices, req/s and latencies are their means (the
# slices are equally long) and errors their sum
parse_wrk() {
    awk '
        function ms(v) {
            if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
            if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
            if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000
            if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
            return v + 0
        }
        /^ +50%/ { p50 += ms($2) }
        /^ +99%/ { p99 += ms($2) }
        /^Requests\/sec:/ { rps += $2; n++ }
        /Non-2xx or 3xx responses:/ { errors += $NF }
        /Socket errors:/ {
            for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { k = $i; sub(",", "", k); errors += k }
        }
        END { if (n == 0) n = 1; printf "%s %s %s %d\n", rps / n, p50 / n, p99 / n, errors + 0 }
    ' "$1"
}

# status PORT PATH [HEADER] -> HTTP status code
status() {
    local hdr=()
    [ -n "${3:-}" ] && hdr=(-H "$3")
    curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "http://127.0.0.1:$1$2"
}

# The endpoints: "key|label|path". The 304 row uses the If-None-Match Lua script.
ENDPOINTS=(
    "detail|detail \`/v1/technologies/{id}\`|/v1/technologies/@ID@"
    "list|list, default page|/v1/technologies"
    "list2|list, two filters (\`kind=web_framework&language=python\`)|/v1/technologies?kind=web_framework&language=python"
    "search1|search \`q=python\`|/v1/search?q=python"
    "search3|search \`q=python+web+framework\`|/v1/search?q=python+web+framework"
    "searchtypo|search \`q=pyhton\` (typo)|/v1/search?q=pyhton"
    "suggest|suggest \`q=dja\`|/v1/suggest?q=dja"
    "export|full JSON export \`/v1/catalogue\`|/v1/catalogue"
    "revalidate|304 revalidation (detail + \`If-None-Match\`)|/v1/technologies/@ID@"
)

# shellcheck disable=SC2034  # SKIP_* are read indirectly (${!skip})
# prepare_endpoints PORT ID: checks each endpoint once and writes the Lua script;
# sets SKIP_<key>=reason for endpoints that are not available.
prepare_endpoints() {
    local port=$1 id=$2 entry key path code bytes etag
    for entry in "${ENDPOINTS[@]}"; do
        IFS='|' read -r key _ path <<<"$entry"
        path=${path//@ID@/$id}
        unset "SKIP_$key"
        [ "$key" = revalidate ] && continue
        read -r code bytes < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' "http://127.0.0.1:$port$path")
        printf -v "BYTES_$key" '%s' "$bytes"
        if [ "$code" != 200 ]; then
            if [ "$key" = suggest ] && [ "$code" = 404 ]; then
                printf -v "SKIP_$key" 'not available yet (404)'
            else
                printf -v "SKIP_$key" 'answered %s, not 200' "$code"
            fi
            log "skipping $path: $code"
        fi
    done
    etag=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/v1/technologies/$id" |
        awk 'tolower($1) == "etag:" { sub(/\r$/, ""); $1 = ""; sub(/^ /, ""); print }')
    if [ -z "$etag" ]; then
        printf -v SKIP_revalidate 'no ETag on the detail answer'
    else
        printf 'wrk.headers["If-None-Match"] = [==[%s]==]\n' "$etag" >"$ETAG_LUA"
        code=$(status "$port" "/v1/technologies/$id" "If-None-Match: $etag")
        [ "$code" = 304 ] || printf -v SKIP_revalidate 'answered %s to If-None-Match, not 304' "$code"
        BYTES_revalidate=0
    fi
}

# drain_log LOG SUMMARY: keeps the access log small between runs (it is on, one line
# per request), remembering how many lines the async writer dropped.
DROPPED_LINES=0
drain_log() {
    local n
    n=$({ grep -ho '\[log\] [0-9]* log lines dropped' "$1" || true; } | awk '{ s += $2 } END { print s + 0 }')
    DROPPED_LINES=$(( DROPPED_LINES + n ))
    tail -n 3 "$1" >>"$2" 2>/dev/null || true
    : >"$1"
}

# measure_set PORT ID TAG REPEAT DURATION EXPORT_CONNS LOG: runs every available
# endpoint for DURATION; raw output in $RESULTS_DIR/TAG-KEY-REPEAT.txt. With
# PAIR_BASE_PORT set, the baseline is measured with each endpoint
# (TAG-pair_KEY-REPEAT.txt), and with the default list page also the baseline at its
# size (PAIR_LIST_PORT, TAG-pairlist_KEY-REPEAT.txt) and at its size with its headers
# (PAIR_HEADERS_PORT, TAG-pairheaders_KEY-REPEAT.txt), in SLICES interleaved slices of
# DURATION/SLICES: baseline(s) then Stack Atlas in odd slices, the reverse in even
# ones. Each ratio then compares the same seconds of the machine, whose speed wanders:
# two identical baselines measured 5 s each one after the other differed by up to
# 11% (pairs 0.90–1.11), in 5 interleaved slices of 2 s by up to 3% (0.97–1.03).
PAIR_BASE_PORT='' PAIR_LIST_PORT='' PAIR_HEADERS_PORT=''
measure_set() {
    local port=$1 id=$2 tag=$3 rep=$4 duration=$5 export_conns=$6 logfile=$7
    local entry key label path skip conns lua slices=1 slice
    [ -n "$PAIR_BASE_PORT" ] && slices=$SLICES
    local piece=$(( $(seconds "$duration") / slices ))
    [ "$slices" = 1 ] && piece=$(seconds "$duration")
    [ "$piece" -ge 1 ] || piece=1
    for entry in "${ENDPOINTS[@]}"; do
        IFS='|' read -r key label path <<<"$entry"
        skip="SKIP_$key"
        [ -z "${!skip:-}" ] || continue
        path=${path//@ID@/$id}
        conns=$CONNECTIONS
        [ "$key" = export ] && conns=$export_conns
        lua=
        [ "$key" = revalidate ] && lua=$ETAG_LUA
        log "$tag #$rep: $key ($path)"
        for slice in $(seq "$slices"); do
            if (( slice % 2 == 0 )); then
                run_wrk "$key" "http://127.0.0.1:$port$path" "$RESULTS_DIR/$tag-$key-$rep.txt" "${piece}s" "$conns" "$lua"
            fi
            if [ -n "$PAIR_BASE_PORT" ]; then
                run_wrk baseline "http://127.0.0.1:$PAIR_BASE_PORT$path" "$RESULTS_DIR/$tag-pair_$key-$rep.txt" "${piece}s" "$conns"
                if [ "$key" = list ] && [ -n "$PAIR_LIST_PORT" ]; then
                    run_wrk baseline-list "http://127.0.0.1:$PAIR_LIST_PORT$path" "$RESULTS_DIR/$tag-pairlist_$key-$rep.txt" "${piece}s" "$conns"
                fi
                if [ "$key" = list ] && [ -n "$PAIR_HEADERS_PORT" ]; then
                    run_wrk baseline-headers "http://127.0.0.1:$PAIR_HEADERS_PORT$path" "$RESULTS_DIR/$tag-pairheaders_$key-$rep.txt" "${piece}s" "$conns"
                fi
            fi
            if (( slice % 2 == 1 )); then
                run_wrk "$key" "http://127.0.0.1:$port$path" "$RESULTS_DIR/$tag-$key-$rep.txt" "${piece}s" "$conns" "$lua"
            fi
        done
        drain_log "$logfile" "$RESULTS_DIR/$tag-access-log-tail.txt"
    done
}

# summarise TAG KEY -> "rps p50 p99 errors min_rps max_rps": medians over the repeats,
# errors summed, and the spread of req/s
summarise() {
    local tag=$1 key=$2 f rows
    rows=$(for f in "$RESULTS_DIR/$tag-$key-"*.txt; do [ -f "$f" ] && parse_wrk "$f"; done)
    [ -n "$rows" ] || { echo "- - - - - -"; return; }
    printf '%s %s %s %s %s\n' \
        "$(awk '{print $1}' <<<"$rows" | median)" \
        "$(awk '{print $2}' <<<"$rows" | median)" \
        "$(awk '{print $3}' <<<"$rows" | median)" \
        "$(awk '{s += $4} END {print s + 0}' <<<"$rows")" \
        "$(awk 'NR == 1 || $1 < m {m = $1} END {print m}' <<<"$rows") $(awk 'NR == 1 || $1 > m {m = $1} END {print m}' <<<"$rows")"
}
# paired_ratio TAG NUM DEN: median over the repeats of the req/s of run NUM ÷ the
# req/s of run DEN of the same repeat (files TAG-NUM-R.txt and TAG-DEN-R.txt), e.g.
# an endpoint (KEY) and the baseline measured in the same slices (pair_KEY)
paired_ratio() {
    local tag=$1 num=$2 den=$3 f b rows
    rows=$(for f in "$RESULTS_DIR/$tag-$num-"*.txt; do
        b=$RESULTS_DIR/$tag-$den-${f##*-}
        [ -f "$f" ] && [ -f "$b" ] && echo "$(parse_wrk "$f" | awk '{print $1}') $(parse_wrk "$b" | awk '{print $1}')"
    done)
    [ -n "$rows" ] || { echo "-"; return; }
    awk '$2 > 0 { printf "%.6f\n", $1 / $2 }' <<<"$rows" | median
}
spread() { # MIN MAX -> "min–max" (req/s)
    if [ "$1" = "$2" ]; then echo "–"; else echo "$(fmt_num "$1")–$(fmt_num "$2")"; fi
}

# startup_times NAME ARGS... -> sets STARTUP_MEDIAN_MS, SELF_REPORTED_MS (median of the
# server's own "ready in N ms" log figure)
startup_times() {
    local name=$1; shift
    local times=() selfs=() i logfile
    for i in $(seq "$STARTS"); do
        logfile=$WORK/$name-start-$i.log
        start_server "$name" "$logfile" /readyz "$@"
        times+=("$STARTED_MS")
        kill_started "$STARTED_PID"
        selfs+=("$(grep -o 'ready in [0-9]* ms' "$logfile" | head -n 1 | awk '{print $3}')")
    done
    STARTUP_MEDIAN_MS=$(printf '%s\n' "${times[@]}" | median)
    SELF_REPORTED_MS=$(printf '%s\n' "${selfs[@]}" | awk 'NF' | median)
    log "$name start-up to ready: ${times[*]} ms (median $STARTUP_MEDIAN_MS)"
}

fmt_num() { awk -v v="$1" 'BEGIN { if (v == "-" || v == "nan") print "–"; else printf "%.0f", v }'; }
fmt_ms() { awk -v v="$1" 'BEGIN { if (v == "-" || v == "nan") print "–"; else if (v < 10) printf "%.2f", v; else printf "%.1f", v }'; }
fmt_ratio() { awk -v v="$1" 'BEGIN { if (v == "-" || v == "nan" || v == "") print "–"; else printf "%.3f", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "–"; else printf "%.3f", a / b }'; }

SERVER_ARGS=(--rate-limit "$RATE_LIMIT" --access-log true)
MEMORY_ROWS=()

# ===== 1. embedded catalogue vs baseline ==============================================
log "timing start-up of the embedded catalogue ($STARTS starts)"
startup_times embedded "$SERVER" "${SERVER_ARGS[@]}"
EMB_START=$STARTUP_MEDIAN_MS EMB_SELF=$SELF_REPORTED_MS

BASE_LOG=$RESULTS_DIR/baseline.log
start_server baseline "$BASE_LOG" / "$BASELINE"
BASE_PID=$STARTED_PID BASE_PORT=$STARTED_PORT
SA_LOG=$RESULTS_DIR/stackatlas-embedded.log
start_server stackatlas "$SA_LOG" /readyz "$SERVER" "${SERVER_ARGS[@]}"
SA_PID=$STARTED_PID SA_PORT=$STARTED_PORT
SA_IDLE_RSS=$(rss_kib "$SA_PID")
log "baseline on :$BASE_PORT (pid $BASE_PID), Stack Atlas on :$SA_PORT (pid $SA_PID)"

DETAIL_BYTES=$(curl -s "http://127.0.0.1:$SA_PORT/v1/technologies/nodejs" | wc -c)
BASE_BYTES=$(curl -s "http://127.0.0.1:$BASE_PORT/" | wc -c)
log "detail answer: $DETAIL_BYTES bytes; baseline answer: $BASE_BYTES bytes"
# The baseline stands for the detail answer byte for byte: a catalogue that has grown
# since it was captured would flatter the baseline.
if [ $(( (DETAIL_BYTES - BASE_BYTES) * 100 )) -gt $(( BASE_BYTES * 2 )) ] || [ $(( (BASE_BYTES - DETAIL_BYTES) * 100 )) -gt $(( BASE_BYTES * 2 )) ]; then
    log "warning: the baseline's body differs from the detail answer by over 2%: re-capture examples/baseline_body.json (see its doc comment)"
fi
prepare_endpoints "$SA_PORT" nodejs
# A second baseline answering the default list page's bytes: the framework's ceiling
# for an answer of that size (a larger body costs the client, the kernel and the
# server more per request whatever computes it).
LIST_BODY=$WORK/list-body.json
LIST_HEADERS=$WORK/list-headers.txt
curl -s -D "$LIST_HEADERS.raw" "http://127.0.0.1:$SA_PORT/v1/technologies" >"$LIST_BODY"
tr -d '\r' <"$LIST_HEADERS.raw" | tail -n +2 >"$LIST_HEADERS"   # without the status line
start_server baseline-list "$RESULTS_DIR/baseline-list.log" / "$BASELINE" --body "$LIST_BODY"
BASE_LIST_PID=$STARTED_PID BASE_LIST_PORT=$STARTED_PORT
BASE_LIST_BYTES=$(curl -s "http://127.0.0.1:$BASE_LIST_PORT/" | wc -c)
# A third: the same bytes with the list answer's header block (as captured, constant),
# so the report can tell what those header bytes cost from what serving them costs.
start_server baseline-headers "$RESULTS_DIR/baseline-headers.log" / "$BASELINE" --body "$LIST_BODY" --headers "$LIST_HEADERS"
BASE_HEADERS_PID=$STARTED_PID BASE_HEADERS_PORT=$STARTED_PORT
LIST_HEAD_BYTES=$(wc -c <"$LIST_HEADERS.raw")   # the head captured above
BASE_LIST_HEAD_BYTES=$(curl -s -D - -o /dev/null "http://127.0.0.1:$BASE_LIST_PORT/" | wc -c)
BASE_HEADERS_HEAD_BYTES=$(curl -s -D - -o /dev/null "http://127.0.0.1:$BASE_HEADERS_PORT/" | wc -c)

# Warm-up, not measured: a server's first seconds under load (its heap and caches
# growing to the load) ran slower than the rest, and the first pair of a set (the
# detail's) paid for it: on 2026-12-07 four runs' first detail pairs averaged 0.74 of
# the baseline, their later pairs 0.86.
if [ "$WARMUP" != 0 ]; then
    log "warming up each server for $WARMUP (not measured)"
    for url in "http://127.0.0.1:$BASE_PORT/" "http://127.0.0.1:$BASE_LIST_PORT/" "http://127.0.0.1:$BASE_HEADERS_PORT/" \
        "http://127.0.0.1:$SA_PORT/v1/technologies/nodejs" "http://127.0.0.1:$SA_PORT/v1/technologies"; do
        run_wrk warm-up "$url" "$RESULTS_DIR/warm-up.txt" "$WARMUP" "$CONNECTIONS"
    done
    drain_log "$SA_LOG" "$RESULTS_DIR/embedded-access-log-tail.txt"
fi

PAIR_BASE_PORT=$BASE_PORT PAIR_LIST_PORT=$BASE_LIST_PORT PAIR_HEADERS_PORT=$BASE_HEADERS_PORT
for rep in $(seq "$REPEATS"); do
    measure_set "$SA_PORT" nodejs embedded "$rep" "$DURATION" "$CONNECTIONS" "$SA_LOG"
done
PAIR_BASE_PORT='' PAIR_LIST_PORT='' PAIR_HEADERS_PORT=''
# every baseline run of the set, for the baseline rows
for f in "$RESULTS_DIR"/embedded-pair_*.txt; do cp "$f" "$RESULTS_DIR/embedded-baseline-$(basename "$f" .txt | sed 's/^embedded-pair_//; s/-/_/').txt"; done
for f in "$RESULTS_DIR"/embedded-pairlist_*.txt; do cp "$f" "$RESULTS_DIR/embedded-baselinelist-$(basename "$f" .txt | sed 's/^embedded-pairlist_//; s/-/_/').txt"; done
for f in "$RESULTS_DIR"/embedded-pairheaders_*.txt; do cp "$f" "$RESULTS_DIR/embedded-baselineheaders-$(basename "$f" .txt | sed 's/^embedded-pairheaders_//; s/-/_/').txt"; done
SA_RSS=$(rss_kib "$SA_PID") SA_HWM=$(hwm_kib "$SA_PID")
MEMORY_ROWS+=("| embedded | $(curl -s "http://127.0.0.1:$SA_PORT/readyz" | grep -o '"technologies":[0-9]*' | cut -d: -f2) | $(fmt_ms "$EMB_START") | $(fmt_ms "$EMB_SELF") | $(mib "$SA_IDLE_RSS") | $(mib "$SA_RSS") | $(mib "$SA_HWM") |")
kill_started "$SA_PID"
kill_started "$BASE_PID"
kill_started "$BASE_LIST_PID"
kill_started "$BASE_HEADERS_PID"

read -r B_RPS B_P50 B_P99 B_ERR B_MIN B_MAX < <(summarise embedded baseline)
read -r BL_RPS BL_P50 BL_P99 BL_ERR BL_MIN BL_MAX < <(summarise embedded baselinelist)
read -r BH_RPS BH_P50 BH_P99 BH_ERR BH_MIN BH_MAX < <(summarise embedded baselineheaders)
LIST_VS_SAME_SIZE=$(paired_ratio embedded list pairlist_list)
LIST_VS_SAME_HEADERS=$(paired_ratio embedded list pairheaders_list)
HEADERS_VS_SAME_SIZE=$(paired_ratio embedded pairheaders_list pairlist_list)
TABLE=$WORK/table.md
{
    echo "| endpoint | body bytes | req/s (median) | req/s min–max | p50 ms | p99 ms | × baseline req/s | errors |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    echo "| baseline (constant JSON; all its runs) | $BASE_BYTES | $(fmt_num "$B_RPS") | $(spread "$B_MIN" "$B_MAX") | $(fmt_ms "$B_P50") | $(fmt_ms "$B_P99") | 1.000 | $B_ERR |"
    echo "| baseline at the list page's size (constant JSON) | $BASE_LIST_BYTES | $(fmt_num "$BL_RPS") | $(spread "$BL_MIN" "$BL_MAX") | $(fmt_ms "$BL_P50") | $(fmt_ms "$BL_P99") | $(fmt_ratio "$(paired_ratio embedded pairlist_list pair_list)") | $BL_ERR |"
    echo "| the same, with the list answer's headers (constant) | $BASE_LIST_BYTES | $(fmt_num "$BH_RPS") | $(spread "$BH_MIN" "$BH_MAX") | $(fmt_ms "$BH_P50") | $(fmt_ms "$BH_P99") | $(fmt_ratio "$(paired_ratio embedded pairheaders_list pair_list)") | $BH_ERR |"
    for entry in "${ENDPOINTS[@]}"; do
        IFS='|' read -r key label _ <<<"$entry"
        skip="SKIP_$key"
        if [ -n "${!skip:-}" ]; then
            echo "| $label | – | ${!skip} | – | – | – | – | – |"
            continue
        fi
        read -r rps p50 p99 err min max < <(summarise embedded "$key")
        bytes="BYTES_$key"
        echo "| $label | ${!bytes:-–} | $(fmt_num "$rps") | $(spread "$min" "$max") | $(fmt_ms "$p50") | $(fmt_ms "$p99") | $(fmt_ratio "$(paired_ratio embedded "$key" "pair_$key")") | $err |"
    done
} >"$TABLE"

# ===== 2. synthetic catalogues ===========================================================
SYNTH_TABLE=$WORK/synth.md
SYNTH_NOTE=
if [ -z "$SYNTHETIC" ]; then
    SYNTH_NOTE="Synthetic catalogues skipped: SYNTHETIC is empty."
elif [ "$HAVE_SYNTH" != 1 ]; then
    SYNTH_NOTE="Synthetic catalogues ($SYNTHETIC entries) skipped: examples/synthetic.rs is not in this tree yet (the generator is being written separately); once it exists this script builds and uses it."
    log "$SYNTH_NOTE"
elif ! command -v "${SYNTH%% *}" >/dev/null; then
    SYNTH_NOTE="Synthetic catalogues ($SYNTHETIC entries) skipped: the generator $SYNTH is not built (run without SKIP_BUILD=1)."
    log "$SYNTH_NOTE"
else
    : >"$SYNTH_TABLE"
    for count in $SYNTHETIC; do
        dir=$WORK/synthetic-$count
        log "generating a synthetic catalogue of $count entries"
        # shellcheck disable=SC2086  # SYNTHETIC_GENERATOR may be a command with arguments
        $SYNTH --count "$count" --out "$dir" >"$RESULTS_DIR/synthetic-$count-generate.log" 2>&1 ||
            { tail -n 20 "$RESULTS_DIR/synthetic-$count-generate.log" >&2; die "the generator failed for $count"; }
        # The generator's files written out before timing: otherwise the start-ups
        # compete with the kernel flushing hundreds of MB to disk.
        sync
        startup_times "synthetic-$count" "$SERVER" "${SERVER_ARGS[@]}" --data-dir "$dir"
        s_start=$STARTUP_MEDIAN_MS s_self=$SELF_REPORTED_MS
        s_log=$RESULTS_DIR/stackatlas-synthetic-$count.log
        start_server "synthetic-$count" "$s_log" /readyz "$SERVER" "${SERVER_ARGS[@]}" --data-dir "$dir"
        s_pid=$STARTED_PID s_port=$STARTED_PORT
        s_idle=$(rss_kib "$s_pid")
        s_total=$(curl -s "http://127.0.0.1:$s_port/readyz" | grep -o '"technologies":[0-9]*' | cut -d: -f2)
        # the detail row uses the catalogue's first id (nodejs may not exist there)
        s_id=$(curl -s "http://127.0.0.1:$s_port/v1/technologies?per_page=1&fields=id" | grep -o '"id":"[^"]*"' | head -n 1 | cut -d'"' -f4)
        [ -n "$s_id" ] || s_id=nodejs
        prepare_endpoints "$s_port" "$s_id"
        measure_set "$s_port" "$s_id" "synthetic-$count" 1 "$SYNTH_DURATION" "$SYNTH_EXPORT_CONNECTIONS" "$s_log"
        s_rss=$(rss_kib "$s_pid") s_hwm=$(hwm_kib "$s_pid")
        MEMORY_ROWS+=("| synthetic | ${s_total:-$count} | $(fmt_ms "$s_start") | $(fmt_ms "$s_self") | $(mib "$s_idle") | $(mib "$s_rss") | $(mib "$s_hwm") |")
        kill_started "$s_pid"
        {
            printf '| %s' "$count"
            for key in detail list list2 search1 search3 searchtypo suggest export revalidate; do
                skip="SKIP_$key"
                if [ -n "${!skip:-}" ]; then printf ' | –'; continue; fi
                read -r rps _ _ _ _ _ < <(summarise "synthetic-$count" "$key")
                printf ' | %s' "$(fmt_num "$rps")"
            done
            echo ' |'
        } >>"$SYNTH_TABLE"
        rm -rf "$dir"
    done
fi

# ===== report ============================================================================
ELAPSED=$(( $(date +%s) - T0 ))
{
    echo
    echo "## Stack Atlas load benchmark"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)); git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "wrk -t$THREADS -c$CONNECTIONS --timeout $TIMEOUT --latency, $DURATION per server and endpoint in $SLICES interleaved slice(s); median of $REPEATS repeat(s); 127.0.0.1; access log on; rate limit $RATE_LIMIT/window; no Accept-Encoding (identity)."
    echo "Detail answer (nodejs): $DETAIL_BYTES bytes. × baseline = the median over the $REPEATS repeats of the endpoint's req/s ÷ the baseline's req/s in the same interleaved slices."
    echo "The list's default page reaches $(fmt_ratio "$LIST_VS_SAME_SIZE") of the baseline answering the same number of bytes ($BASE_LIST_BYTES), measured the same way."
    echo "Its header block ($LIST_HEAD_BYTES bytes of head against the baseline's $BASE_LIST_HEAD_BYTES), sent as constant headers by that baseline ($BASE_HEADERS_HEAD_BYTES bytes of head), takes the baseline to $(fmt_ratio "$HEADERS_VS_SAME_SIZE") of itself; the list page reaches $(fmt_ratio "$LIST_VS_SAME_HEADERS") of that baseline with headers."
    echo
    cat "$TABLE"
    echo
    echo "### Start-up and memory"
    echo
    echo "| catalogue | entries | start-up to ready, ms (median of $STARTS) | server's own figure, ms | RSS idle, MiB | RSS after load, MiB | peak RSS, MiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${MEMORY_ROWS[@]}"
    if [ -s "$SYNTH_TABLE" ]; then
        echo
        echo "### Synthetic catalogues: req/s (one -d$SYNTH_DURATION run each; export with $SYNTH_EXPORT_CONNECTIONS connections)"
        echo
        echo "| entries | detail | list | list, 2 filters | q=python | q=python+web+framework | q=pyhton | suggest | export | 304 |"
        echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        cat "$SYNTH_TABLE"
    fi
    [ -z "$SYNTH_NOTE" ] || { echo; echo "$SYNTH_NOTE"; }
    echo
    echo "Access-log lines dropped by the async writer during the runs: $DROPPED_LINES. Total time: ${ELAPSED}s. Raw wrk outputs: $RESULTS_DIR"
} | tee "$RESULTS_DIR/report.md"

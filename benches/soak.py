#!/usr/bin/env python3
"""Bounded soak test of a running Stack Atlas server on this machine.

    soak.py URL [--pid PID] [--duration 60] [--warmup 10] [--concurrency 16]

Sends a mix of every endpoint (good requests, conditional and compressed ones, and
bad ones: unknown parameters, bad pages, unknown ids and routes, wrong methods,
oversized query strings, broken percent-encoding) for a warm-up, then for
--duration seconds, and reports:

- responses by status, overall and per request kind, and latency percentiles;
- connection errors and timeouts, by kind;
- the server's resident memory (VmRSS of /proc/PID/status) after the warm-up, at its
  peak during the run, and after the run, with the growth in per cent.

Exit status: 0 when every answer was below 500, no connection failed, every response
could be parsed (an "invalid response" is one a standard client refuses, such as a
header line over 8190 bytes) and memory grew by at most --max-growth per cent
(default 10); 1 otherwise; 2 on a usage error.

Bounded by design: it refuses any target that is not a loopback address, stops at
--duration seconds (at most 600) or --max-requests requests, whichever comes first,
and every request has a timeout. 429s (rate limiting) are counted, never retried.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import ipaddress
import json
import os
import random
import socket
import string
import sys
import time
import urllib.parse
from typing import NoReturn

import aiohttp

MAX_DURATION = 600
REQUEST_TIMEOUT = 10.0

# Well-known ids with and without an endoflife.date lifecycle, used until the live
# catalogue has been read.
FALLBACK_IDS = ["nodejs", "django", "postgresql", "redis", "rust", "nginx", "kafka"]
SEARCH_TERMS = [
    "python", "rails", "web framework", "postgres", "message broker", "java",
    "cache", "search engine", "rust", "go", "node", "sql", "graphql", "kotlin",
    "réseau", "数据库", "a", "zz", "async io", "http server",
]
UNKNOWN_PARAMS = ["per_pgae", "sort", "limit", "offset", "fields", "q", "include", "x"]
BAD_PAGES = [
    "page=0", "page=-1", "page=abc", "page=1.5", "page=100001", "page=99999999999",
    "page=", "per_page=0", "per_page=101", "per_page=1000", "per_page=-5",
    "page=1&page=2", "per_page=20&per_page=20", "page=%00",
]
WRONG_METHODS = ["POST", "PUT", "DELETE", "PATCH"]


def fail_usage(message: str) -> NoReturn:
    print(f"soak: {message}", file=sys.stderr)
    sys.exit(2)


def check_loopback(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        fail_usage(f"{url!r} is not an http:// URL")
    port = parts.port or 80
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        fail_usage(f"cannot resolve {parts.hostname}: {error}")
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_loopback:
            fail_usage(f"{parts.hostname} resolves to {address}: only loopback targets are allowed")
    return parts.hostname, port


def find_pid_by_port(port: int) -> int | None:
    """The pid of the process listening on a TCP port, from /proc (no ss or lsof)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, state, inode = fields[1], fields[3], fields[9]
                    if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                        inodes.add(inode)
        except FileNotFoundError:
            continue
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in targets:
                    return int(pid)
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
    return None


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


class Catalogue:
    """Ids, aliases and identifiers read from the server, to aim requests with."""

    def __init__(self) -> None:
        self.ids: list[str] = list(FALLBACK_IDS)
        self.aliases: list[str] = ["node", "postgres"]
        self.purls: list[str] = ["pkg:pypi/django@5.0.1"]
        self.cpes: list[str] = ["cpe:2.3:a:nodejs:node.js:22.1.0:*:*:*:*:*:*:*"]
        self.kinds: list[str] = ["language", "runtime", "web_framework", "database"]
        self.tags: list[str] = ["python", "java", "sql"]

    async def load(self, session: aiohttp.ClientSession, base: str) -> None:
        ids, aliases, purls, cpes, kinds, tags = [], [], [], [], set(), collections.Counter()
        page = 1
        while page <= 50:
            async with session.get(f"{base}/v1/technologies?per_page=100&page={page}") as r:
                if r.status != 200:
                    break
                body = await r.json()
            for item in body.get("items", []):
                ids.append(item["id"])
                aliases.extend(a for a in item.get("aliases", []) if a.isascii() and " " not in a)
                kinds.add(item.get("kind"))
                tags.update(item.get("tags", []))
                identifiers = item.get("identifiers") or {}
                purls.extend(identifiers.get("purl", [])[:1])
                cpes.extend(identifiers.get("cpe", [])[:1])
            if page * 100 >= body.get("total", 0):
                break
            page += 1
        if ids:
            self.ids, self.kinds = ids, sorted(k for k in kinds if k)
            self.aliases = aliases or self.aliases
            self.purls = purls or self.purls
            self.cpes = cpes or self.cpes
            self.tags = [t for t, _ in tags.most_common(40)] or self.tags


class Mix:
    """The request mix: (weight, label, builder) where builder gives method, path, headers."""

    def __init__(self, catalogue: Catalogue, rng: random.Random) -> None:
        self.c = catalogue
        self.rng = rng
        self.etags: dict[str, str] = {}
        entries = [
            # good requests, ~75%
            (3, "GET /", lambda: ("GET", "/", {})),
            (3, "GET /healthz", lambda: ("GET", "/healthz", {})),
            (3, "GET /readyz", lambda: ("GET", "/readyz", {})),
            (2, "GET /metrics", lambda: ("GET", "/metrics", {})),
            (10, "GET /v1/technologies", self.list_page),
            (3, "GET /v1/technologies?purl|cpe", self.identifier),
            (10, "GET /v1/technologies/{id}", lambda: ("GET", f"/v1/technologies/{self.id()}", {})),
            (2, "GET /v1/technologies/{alias}", lambda: ("GET", f"/v1/technologies/{urllib.parse.quote(self.rng.choice(self.c.aliases), safe='')}", {})),
            (5, "GET /v1/technologies/{id}/releases", lambda: ("GET", f"/v1/technologies/{self.id()}/releases", {})),
            (5, "GET /v1/technologies/{id}/related", lambda: ("GET", f"/v1/technologies/{self.id()}/related", {})),
            (10, "GET /v1/search", self.search),
            (1, "GET /api-docs/openapi.json", lambda: ("GET", "/api-docs/openapi.json", {})),
            (1, "GET /swagger-ui/", lambda: ("GET", "/swagger-ui/", {})),
            (3, "HEAD (good path)", self.head),
            (6, "GET conditional+compressed+CORS", self.conditional),
            # bad requests, ~25%
            (4, "bad: unknown parameter", self.unknown_param),
            (4, "bad: page/per_page", self.bad_page),
            (4, "bad: unknown id", self.unknown_id),
            (2, "bad: unknown route", self.unknown_route),
            (4, "bad: wrong method", self.wrong_method),
            (1, "bad: CORS preflight", self.preflight),
            (2, "bad: oversized query", self.oversized),
            (2, "bad: broken encoding", self.broken_encoding),
        ]
        self.labels = [label for _, label, _ in entries]
        self.builders = [builder for _, _, builder in entries]
        self.weights = [weight for weight, _, _ in entries]

    def pick(self):
        index = self.rng.choices(range(len(self.builders)), weights=self.weights)[0]
        return self.labels[index], self.builders[index]()

    def id(self) -> str:
        return self.rng.choice(self.c.ids)

    def filters(self) -> list[str]:
        params = []
        if self.rng.random() < 0.4:
            params.append("kind=" + ",".join(self.rng.sample(self.c.kinds, k=min(2, len(self.c.kinds)))))
        if self.rng.random() < 0.3:
            params.append("tag=" + urllib.parse.quote(self.rng.choice(self.c.tags)))
        return params

    def list_page(self):
        params = self.filters()
        params.append(f"page={self.rng.randint(1, 15)}")
        params.append(f"per_page={self.rng.choice([1, 5, 20, 50, 100])}")
        self.rng.shuffle(params)
        return "GET", "/v1/technologies?" + "&".join(params), {}

    def identifier(self):
        if self.rng.random() < 0.5:
            purl = self.rng.choice(self.c.purls)
            if self.rng.random() < 0.5:
                purl += "@1.2.3"
            return "GET", "/v1/technologies?purl=" + urllib.parse.quote(purl, safe=""), {}
        cpe = self.rng.choice(self.c.cpes)
        return "GET", "/v1/technologies?cpe=" + urllib.parse.quote(cpe, safe=""), {}

    def search(self):
        params = ["q=" + urllib.parse.quote(self.rng.choice(SEARCH_TERMS))] + self.filters()
        if self.rng.random() < 0.3:
            params.append(f"page={self.rng.randint(1, 3)}")
        return "GET", "/v1/search?" + "&".join(params), {}

    def head(self):
        path = self.rng.choice(["/", "/healthz", f"/v1/technologies/{self.id()}", "/v1/technologies", "/v1/search?q=db"])
        return "HEAD", path, {}

    def conditional(self):
        path = self.rng.choice([
            "/v1/technologies", f"/v1/technologies/{self.id()}", "/api-docs/openapi.json",
            f"/v1/technologies/{self.id()}/related", "/v1/search?q=python",
        ])
        headers = {
            "Accept-Encoding": self.rng.choice(["gzip", "br", "zstd", "gzip, deflate, br, zstd", "identity"]),
            "Origin": self.rng.choice(["https://example.invalid", "http://localhost:3000", "null"]),
        }
        if path in self.etags:
            headers["If-None-Match"] = self.etags[path]
        elif self.rng.random() < 0.3:
            headers["If-None-Match"] = '"not-a-current-etag"'
        return "GET", path, headers

    def unknown_param(self):
        base = self.rng.choice(["/v1/technologies", "/v1/search?q=go", f"/v1/technologies/{self.id()}", "/healthz", "/"])
        sep = "&" if "?" in base else "?"
        return "GET", f"{base}{sep}{self.rng.choice(UNKNOWN_PARAMS)}=5", {}

    def bad_page(self):
        base = self.rng.choice(["/v1/technologies?", "/v1/search?q=sql&"])
        return "GET", base + self.rng.choice(BAD_PAGES), {}

    def unknown_id(self):
        choice = self.rng.random()
        if choice < 0.6:
            slug = "".join(self.rng.choices(string.ascii_lowercase + "-", k=self.rng.randint(3, 30)))
        elif choice < 0.8:
            slug = "x" * self.rng.choice([101, 300, 2000])
        else:
            slug = self.rng.choice(["%00", "..%2F..%2Fetc", "%E2%98%83", "n%20o", "%FF"])
        suffix = self.rng.choice(["", "/releases", "/related"])
        return "GET", f"/v1/technologies/{slug}{suffix}", {}

    def unknown_route(self):
        return "GET", self.rng.choice([
            "/v2/technologies", "/v1/technologies/nodejs/extra/path", "/v1", "/favicon.ico",
            "/.env", "/v1/search/", "/api-docs/", "/v1/technologies/",
        ]), {}

    def wrong_method(self):
        path = self.rng.choice(["/", "/healthz", "/v1/technologies", f"/v1/technologies/{self.id()}", "/v1/search?q=x"])
        return self.rng.choice(WRONG_METHODS), path, {"Content-Type": "application/json", "X-Soak-Body": "1"}

    def preflight(self):
        return "OPTIONS", self.rng.choice(["/v1/technologies", "/v1/search?q=x"]), {
            "Origin": "https://example.invalid",
            "Access-Control-Request-Method": "GET",
        }

    def oversized(self):
        size = self.rng.choice([1_000, 4_000, 16_000, 40_000])
        name = self.rng.choice(["q", "tag", "zzz"])
        base = "/v1/search?" if name != "zzz" else "/v1/technologies?"
        if name == "tag":
            base = "/v1/technologies?"
        return "GET", base + f"{name}=" + "a" * size, {}

    def broken_encoding(self):
        return "GET", "/v1/search?q=" + self.rng.choice(["%FF", "%ZZ", "%", "%C3%28", "a%00b", "%E2%82"]), {}


class Stats:
    def __init__(self) -> None:
        self.by_status: collections.Counter = collections.Counter()
        self.by_label: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.errors: collections.Counter = collections.Counter()
        self.invalid: collections.Counter = collections.Counter()
        self.error_examples: dict[str, str] = {}
        self.server_errors: list[str] = []
        self.latencies: list[float] = []
        self.requests = 0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def worker(base, sessions, mix: Mix, stats: Stats, deadline: float, budget: list[int]) -> None:
    keepalive, closing = sessions
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        label, (method, path, headers) = mix.pick()
        session = closing if mix.rng.random() < 0.05 else keepalive
        data = b'{"soak":true}' if headers.pop("X-Soak-Body", None) else None
        started = time.monotonic()
        try:
            async with session.request(method, base + path, headers=headers, data=data,
                                       allow_redirects=False) as response:
                await response.read()
                status = response.status
                etag = response.headers.get("ETag")
                if etag and method == "GET" and len(mix.etags) < 5000:
                    mix.etags[path] = etag
        except (aiohttp.ClientResponseError, aiohttp.ClientPayloadError) as error:
            # The server answered, but with a response a standard client refuses: a
            # header line over aiohttp's 8190-byte limit (the usual proxy limit too),
            # a malformed status line, a truncated body.
            kind = type(error).__name__
            stats.invalid[kind] += 1
            stats.error_examples.setdefault(kind, f"{method} {path[:100]}: {error!s:.200}")
            stats.by_label[label]["invalid"] += 1
            continue
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            kind = "timeout" if isinstance(error, asyncio.TimeoutError) else type(error).__name__
            stats.errors[kind] += 1
            stats.error_examples.setdefault(kind, f"{method} {path[:100]}: {error!s:.200}")
            stats.by_label[label]["error"] += 1
            continue
        finally:
            stats.requests += 1
        stats.latencies.append(time.monotonic() - started)
        stats.by_status[status] += 1
        stats.by_label[label][status] += 1
        if status >= 500 and len(stats.server_errors) < 20:
            stats.server_errors.append(f"{status} {method} {path[:160]}")


async def run_phase(base, sessions, mix, seconds, concurrency, budget) -> tuple[Stats, float]:
    stats = Stats()
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(worker(base, sessions, mix, stats, deadline, budget) for _ in range(concurrency)))
    return stats, time.monotonic() - started


async def sample_rss(pid: int, until: float, peak: list[int]) -> None:
    while time.monotonic() < until:
        try:
            peak[0] = max(peak[0], rss_kib(pid))
        except (FileNotFoundError, ProcessLookupError):
            return
        await asyncio.sleep(1)


def print_stats(title: str, stats: Stats, elapsed: float) -> None:
    rate = stats.requests / elapsed if elapsed else 0
    print(f"\n== {title}: {stats.requests} requests in {elapsed:.1f}s ({rate:.0f}/s); "
          f"latency p50 {stats.percentile(50):.1f} ms, p99 {stats.percentile(99):.1f} ms, "
          f"max {stats.percentile(100):.1f} ms")
    print("   by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(stats.by_status.items())))
    print(f"   connection errors: {sum(stats.errors.values())}"
          + ("" if not stats.errors else " (" + ", ".join(f"{k}: {n}" for k, n in stats.errors.items()) + ")"))
    print(f"   invalid responses: {sum(stats.invalid.values())}"
          + ("" if not stats.invalid else " (" + ", ".join(f"{k}: {n}" for k, n in stats.invalid.items()) + ")"))
    for kind, example in stats.error_examples.items():
        print(f"     e.g. {kind}: {example}")
    width = max(len(label) for label in stats.by_label) if stats.by_label else 10
    for label in sorted(stats.by_label):
        counts = stats.by_label[label]
        print(f"   {label:<{width}}  " + ", ".join(f"{s}: {n}" for s, n in sorted(counts.items(), key=lambda kv: str(kv[0]))))
    for line in stats.server_errors:
        print(f"   5xx: {line}")


async def main_async(args, pid: int) -> int:
    base = args.url.rstrip("/")
    rng = random.Random(args.seed)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    keepalive = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=args.concurrency), timeout=timeout,
        auto_decompress=False, skip_auto_headers=("Accept-Encoding",),
    )
    closing = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=args.concurrency, force_close=True), timeout=timeout,
        auto_decompress=False,
        skip_auto_headers=("Accept-Encoding",),
    )
    async with keepalive, closing:
        catalogue = Catalogue()
        try:
            await catalogue.load(keepalive, base)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            print(f"soak: cannot reach {base}: {error}", file=sys.stderr)
            return 1
        print(f"target {base} (pid {pid}); {len(catalogue.ids)} ids, {len(catalogue.aliases)} aliases, "
              f"{len(catalogue.purls)} purls, {len(catalogue.cpes)} cpes; concurrency {args.concurrency}; "
              f"seed {args.seed}")
        mix = Mix(catalogue, rng)
        budget = [args.max_requests]
        rss_start = rss_kib(pid)
        warm, warm_elapsed = await run_phase(base, (keepalive, closing), mix, args.warmup, args.concurrency, budget)
        await asyncio.sleep(1)
        rss_warm = rss_kib(pid)
        peak = [rss_warm]
        sampler = asyncio.create_task(sample_rss(pid, time.monotonic() + args.duration, peak))
        run, run_elapsed = await run_phase(base, (keepalive, closing), mix, args.duration, args.concurrency, budget)
        await sampler
        await asyncio.sleep(1)
        try:
            rss_end = rss_kib(pid)
        except (FileNotFoundError, ProcessLookupError):
            rss_end = None

    print_stats(f"warm-up ({args.warmup}s)", warm, warm_elapsed)
    print_stats(f"run ({args.duration}s)", run, run_elapsed)
    print("\n== memory (VmRSS of pid %d)" % pid)
    print(f"   before warm-up: {rss_start} KiB")
    print(f"   after warm-up:  {rss_warm} KiB")
    print(f"   peak in run:    {peak[0]} KiB")
    failures = []
    if rss_end is None:
        failures.append("the server exited during the run")
        growth = float("nan")
    else:
        growth = (rss_end - rss_warm) / rss_warm * 100
        print(f"   after run:      {rss_end} KiB")
        print(f"   growth after warm-up: {growth:+.1f}% (limit {args.max_growth}%)")
        if growth > args.max_growth:
            failures.append(f"memory grew {growth:.1f}% > {args.max_growth}%")
    total = collections.Counter(warm.by_status) + collections.Counter(run.by_status)
    errors = sum(warm.errors.values()) + sum(run.errors.values())
    invalid = sum(warm.invalid.values()) + sum(run.invalid.values())
    fives = sum(n for s, n in total.items() if s >= 500)
    too_many = total.get(429, 0)
    if fives:
        failures.append(f"{fives} responses were 5xx")
    if errors:
        failures.append(f"{errors} requests failed at the connection level")
    if invalid:
        failures.append(f"{invalid} responses could not be parsed by the client (see invalid responses)")
    if run.requests == 0:
        failures.append("no request was sent")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({
                "url": base, "pid": pid, "seed": args.seed, "concurrency": args.concurrency,
                "warmup": {"seconds": warm_elapsed, "requests": warm.requests,
                           "by_status": {str(k): v for k, v in warm.by_status.items()},
                           "errors": dict(warm.errors), "invalid": dict(warm.invalid)},
                "run": {"seconds": run_elapsed, "requests": run.requests,
                        "by_status": {str(k): v for k, v in run.by_status.items()},
                        "errors": dict(run.errors), "invalid": dict(run.invalid),
                        "by_label": {l: {str(k): v for k, v in c.items()} for l, c in run.by_label.items()},
                        "latency_ms": {"p50": run.percentile(50), "p99": run.percentile(99), "max": run.percentile(100)}},
                "rss_kib": {"start": rss_start, "after_warmup": rss_warm, "peak": peak[0], "end": rss_end},
                "rss_growth_percent": growth, "rate_limited_429": too_many, "failures": failures,
            }, f, indent=2)
    print(f"\n== 429 (rate limited): {too_many}")
    if failures:
        print("SOAK FAILED: " + "; ".join(failures))
        return 1
    print("SOAK PASSED: no 5xx, no connection errors, memory growth within the limit")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="base URL of the server, on a loopback address (http://127.0.0.1:PORT)")
    parser.add_argument("--pid", type=int, help="server pid (default: the process listening on the URL's port)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of measured load (default 60, at most 600)")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of warm-up before the first memory reading (default 10)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="stop after this many requests in all (default 2,000,000)")
    parser.add_argument("--max-growth", type=float, default=10.0, help="fail when VmRSS grows more than this many per cent over the run (default 10)")
    parser.add_argument("--seed", type=int, default=None, help="random seed of the mix (default: random, printed)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    if not 0 < args.duration <= MAX_DURATION or not 0 <= args.warmup <= MAX_DURATION:
        fail_usage(f"--duration must be in (0, {MAX_DURATION}] and --warmup in [0, {MAX_DURATION}]")
    if not 1 <= args.concurrency <= 256:
        fail_usage("--concurrency must be in [1, 256]")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**32)
    _, port = check_loopback(args.url)
    pid = args.pid or find_pid_by_port(port)
    if pid is None:
        fail_usage(f"no process listens on port {port} here; pass --pid")
    try:
        rss_kib(pid)
    except (FileNotFoundError, ProcessLookupError):
        fail_usage(f"no process {pid}")
    hard_limit = args.warmup + args.duration + 60
    try:
        status = asyncio.run(asyncio.wait_for(main_async(args, pid), timeout=hard_limit))
    except asyncio.TimeoutError:
        print(f"soak: stopped after the hard limit of {hard_limit:.0f}s", file=sys.stderr)
        status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()

"""Throughput past one machine: one, two and three `lpscrape crawl --redis` crawlers, and the
writer (`lpscrape store`), against a generated site with politeness off.

Usage: python benchmarks/distributed_bench.py [--articles N] [--crawlers 1,2,3] [--smoke]

The generated N-article site of crawl_bench.py (static files, nginx when installed) and a
redis-server of its own (Debian's package) on 127.0.0.1. For each number of crawlers, on an
empty Redis: the crawlers are started together and timed until the last one ends (each
fetches, extracts on its own core and hands captures to the Redis stream); then the writer
alone drains those captures into a fresh archive, timed until it has stored them all.
Politeness off: no delay, no AutoThrottle, 16 requests at once per host (shared through
Redis, as always). Reported: pages/s of the crawl, CPU% of the crawlers (200% = both cores of
this machine), and the writer's articles/s. No figure is a pass mark.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crawl_bench import build_site, free_port, start_server

POLITENESS_OFF = [
    "--delay", "0",
    "--set", "AUTOTHROTTLE_ENABLED=False",
    "--set", "CONCURRENT_REQUESTS=16",
    "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "--set", "LOG_LEVEL=ERROR",
]  # fmt: skip


def children_cpu() -> float:
    """User + system seconds of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def start_redis(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """redis-server on a free port, no persistence; its URL once it answers."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def lpscrape(*args: str) -> subprocess.Popen[bytes]:
    """`python -m lpscrape ARGS`, quiet."""
    return subprocess.Popen(
        [sys.executable, "-m", "lpscrape", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def ended(proc: subprocess.Popen[bytes], name: str) -> None:
    """Wait for a process that must succeed."""
    _, err = proc.communicate()
    if proc.returncode not in (0, 3):  # 3: completed with alerts (no feed, no REST API here)
        raise RuntimeError(f"{name} exited {proc.returncode}: {err[-2000:]!r}")


def crawl_round(base: str, url: str, crawlers: int) -> dict[str, float]:
    """`crawlers` crawlers on an empty Redis, to the end of the run: wall time and CPU."""
    import redis

    redis.Redis.from_url(url).flushall()
    cpu, start = children_cpu(), time.perf_counter()
    procs = [
        lpscrape("crawl", "--redis", url, "--start-url", base + "/", *POLITENESS_OFF)
        for _ in range(crawlers)
    ]
    for proc in procs:
        ended(proc, "crawler")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu": children_cpu() - cpu}


def drain_round(url: str, db: Path, n: int) -> dict[str, float]:
    """The writer alone, draining what the crawlers handed over: time to store it all."""
    cpu, start = children_cpu(), time.perf_counter()
    ended(lpscrape("store", "--redis", url, "--db", str(db), "--idle-exit", "0.5"), "writer")
    seconds = time.perf_counter() - start - 0.5  # the idle wait before it exits
    conn = sqlite3.connect(db)
    stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    if stored != n:
        raise RuntimeError(f"the writer stored {stored} articles of {n}")
    return {"seconds": seconds, "cpu": children_cpu() - cpu, "stored": stored}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the rounds; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--crawlers", default="1,2,3", help="comma-separated counts")
    parser.add_argument("--smoke", action="store_true", help="40 pages, 1 and 2 crawlers")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    n = 40 if args.smoke else args.articles
    counts = [1, 2] if args.smoke else [int(c) for c in args.crawlers.split(",")]
    rounds: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        (tmp / "site").mkdir()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        build_site(tmp / "site", base, n)
        server, server_name = start_server(tmp, port)
        redis_proc, url = start_redis(tmp)
        try:
            print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
            print(f"site: {n} generated articles served by {server_name}; politeness off")
            print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
            for crawlers in counts:
                crawl = crawl_round(base, url, crawlers)
                write = drain_round(url, tmp / f"archive-{crawlers}.db", n)
                rounds[str(crawlers)] = {
                    "pages_per_s": n / crawl["seconds"],
                    "crawl_cpu_ms_per_page": 1000 * crawl["cpu"] / n,
                    "crawl_cpu_pct": 100 * crawl["cpu"] / crawl["seconds"],
                    "writer_articles_per_s": n / write["seconds"],
                    "writer_cpu_pct": 100 * write["cpu"] / write["seconds"],
                }
                r = rounds[str(crawlers)]
                print(
                    f"{crawlers} crawler(s): {r['pages_per_s']:6.1f} pages/s "
                    f"(CPU {r['crawl_cpu_pct']:4.0f}%, {r['crawl_cpu_ms_per_page']:4.1f} ms/page); "
                    "writer alone: "
                    f"{r['writer_articles_per_s']:6.1f} articles/s "
                    f"(CPU {r['writer_cpu_pct']:4.0f}%)"
                )
        finally:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
            server.terminate()
            server.wait(timeout=10)
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    one = rounds[str(counts[0])]["pages_per_s"]
    speedups = {k: r["pages_per_s"] / one for k, r in rounds.items()}
    print("speed-up over one crawler: " + ", ".join(f"{k}: {v:.2f}x" for k, v in speedups.items()))
    out = {"articles": n, "server": server_name, "cores": os.cpu_count(), "rounds": rounds}
    out["speedups"] = speedups
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()

"""A full crawl of the sample site against bare Scrapy on the same pages, and the re-crawl cost.

Usage: python benchmarks/crawl_speed.py

Runs, in one session on 127.0.0.1 with no politeness delay:
1. `lpscrape crawl` of edition 1 into a fresh archive (discovery, capture, extraction, SQLite);
2. a bare Scrapy spider fetching the same article URLs and doing nothing with them;
3. `lpscrape crawl` again with nothing changed (the nightly case): requests and bytes.
Each crawl runs in its own process (one Twisted reactor per process), timed from outside.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lpscrape.demo import DemoSite, serve

BARE = """
import sys, scrapy
from scrapy.crawler import CrawlerProcess
urls = sys.argv[1:]
class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for u in urls:
            yield scrapy.Request(u)
    def parse(self, response):
        pass
# The same politeness as `lpscrape crawl --delay 0`; no pipelines, no extensions.
p = CrawlerProcess({"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": 8,
                    "CONCURRENT_REQUESTS_PER_DOMAIN": 2, "DOWNLOAD_DELAY": 0,
                    "AUTOTHROTTLE_ENABLED": True, "AUTOTHROTTLE_START_DELAY": 0,
                    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0, "TELNETCONSOLE_ENABLED": False})
p.crawl(Bare); p.start()
"""


def timed(args: list[str]) -> float:
    """Seconds one command takes."""
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    """Print the figures."""
    with tempfile.TemporaryDirectory() as tmp, serve(DemoSite()) as server:
        db = Path(tmp) / "archive.db"
        crawl = [sys.executable, "-m", "lpscrape", "crawl", "--start-url", server.base_url + "/"]
        crawl += ["--db", str(db), "--delay", "0"]
        ours = timed(crawl)
        urls = [server.site.url(a.path) for a in server.site.articles]
        bare = timed([sys.executable, "-c", BARE, *urls])
        timed([*crawl, "--set", "LPSCRAPE_HEALTH_SAMPLE=0"])  # the sample's reads on top: README
        conn = sqlite3.connect(db)
        runs = conn.execute(
            "SELECT requests, bytes_downloaded, new, skipped FROM crawl_runs ORDER BY id"
        ).fetchall()
    (req1, bytes1, new1, _), (req2, bytes2, _, skipped2) = runs
    print(f"sample site: {len(urls)} articles")
    print(f"full crawl   : {ours:6.2f} s, {req1} requests, {bytes1 / 1024:.0f} KiB, {new1} new")
    print(f"bare Scrapy  : {bare:6.2f} s for the {len(urls)} article URLs alone")
    print(f"ratio        : {ours / bare:6.2f}x (process start-up included in both)")
    print(
        f"re-crawl     : {req2} requests, {bytes2 / 1024:.0f} KiB "
        f"({bytes2 / bytes1:.1%} of the full crawl's bytes), {skipped2} articles skipped"
    )


if __name__ == "__main__":
    main()

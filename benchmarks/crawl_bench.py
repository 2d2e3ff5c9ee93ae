"""Crawl throughput of lpscrape against a minimal Scrapy pipeline and bare Scrapy, interleaved.

Usage: python benchmarks/crawl_bench.py [--articles N] [--pairs P] [--smoke]

A generated N-article WordPress-style site (the sample site's article pages, copied under
new permalinks, with robots.txt and a Yoast-style sitemap) is written as static files and
served by nginx when /usr/sbin/nginx exists, else by a threaded Python server in its own
process; the output says which. Each round runs, each in its own process, in rotating order:
1. `lpscrape crawl` into a fresh archive (capture, extraction, SQLite);
2. a minimal pipeline: sitemap fetch + parsel + batched sqlite-utils upsert;
3. bare Scrapy fetching the same article URLs and doing nothing.
Reported per tool: median articles per second, CPU per article and CPU% (user+system of the
process and its children over wall time; 200% = both cores), peak RSS of the process tree,
archive bytes per article; ratios of the medians. Then the no-change re-crawl's requests and
bytes against the full crawl's.
Every crawl uses the same politeness (`--delay 0`: 8 requests, 2 per host, AutoThrottle).
No figure here is a pass mark: the ratios are what to read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

from lpscrape.demo import DemoSite

NGINX = Path("/usr/sbin/nginx")
POLITENESS = {
    "CONCURRENT_REQUESTS": 8,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "ERROR",
}

MINIMAL = """
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider
from sqlite_utils import Database
base, db_path, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
class Minimal(SitemapSpider):
    name = "minimal"
    sitemap_urls = [base + "/sitemap_index.xml"]
    def parse(self, response):
        yield {
            "url": response.url,
            "title": response.css("h1::text").get(),
            "published_at": response.css(
                'meta[property="article:published_time"]::attr(content)').get(),
            "body_text": "\\n".join(response.css("article.single p ::text").getall()),
        }
class Store:
    def open_spider(self, spider=None):
        self.db, self.rows = Database(db_path), []
    def process_item(self, item, spider=None):
        self.rows.append(item)
        if len(self.rows) >= 200:
            self.flush()
        return item
    def flush(self):
        self.db["articles"].upsert_all(self.rows, pk="url")
        self.rows = []
    def close_spider(self, spider=None):
        self.flush()
        self.db.conn.close()
settings.update(ITEM_PIPELINES={"__main__.Store": 100}, CONCURRENT_ITEMS=1)
p = CrawlerProcess(settings)
p.crawl(Minimal); p.start()
"""

BARE = """
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess
settings = json.loads(sys.argv[1])
urls = json.loads(open(sys.argv[2]).read())
class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for u in urls:
            yield scrapy.Request(u)
    def parse(self, response):
        pass
p = CrawlerProcess(settings)
p.crawl(Bare); p.start()
"""

NGINX_CONF = """
daemon off; worker_processes 1; pid {root}/nginx.pid; error_log {root}/error.log;
events {{ worker_connections 256; }}
http {{
  access_log off; default_type text/html; types {{ text/xml xml; text/plain txt; }}
  server {{ listen 127.0.0.1:{port}; root {root}/site; etag on; }}
}}
"""


class Run(NamedTuple):
    """One crawl, measured from outside its process."""

    seconds: float
    cpu: float  # user + system seconds
    peak_rss_mb: float
    articles: int
    db_bytes: int


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_site(root: Path, base: str, n: int) -> list[str]:
    """Write an n-article static site under root; returns the article URLs."""
    demo = DemoSite(base_url=base)
    originals = [(a, demo.respond("GET", a.path, {}).body.decode()) for a in demo.articles]
    (root / "robots.txt").write_text(demo.respond("GET", "/robots.txt", {}).body.decode())
    urls, entries = [], []
    for i in range(n):
        article, html = originals[i % len(originals)]
        path = f"{article.path.rstrip('/')}-{i}/"
        title = re.escape(article.title)
        page = html.replace(article.path, path)
        page = re.sub(f"(<h1[^>]*>){title}", rf"\g<1>{article.title} (No. {i})", page, count=1)
        target = root / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page)
        lastmod = article.modified.isoformat(timespec="seconds")
        entries.append(f"<url><loc>{base}{path}</loc><lastmod>{lastmod}</lastmod></url>")
        urls.append(base + path)
    xmlns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    (root / "post-sitemap.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {xmlns}>{"".join(entries)}</urlset>'
    )
    (root / "sitemap_index.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex {xmlns}><sitemap>'
        f"<loc>{base}/post-sitemap.xml</loc></sitemap></sitemapindex>"
    )
    return urls


def start_server(tmp: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """nginx when installed, else Python's threaded static server, in its own process."""
    if NGINX.exists():
        # nginx's worker drops root for `nobody`, who cannot enter a 0700 temporary folder.
        tmp.chmod(0o755)
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(root=tmp, port=port))
        tmp.chmod(0o755)  # nginx's workers (nobody, when started as root) read the site
        proc = subprocess.Popen([str(NGINX), "-c", str(conf), "-p", str(tmp)])
        name = "nginx (Debian package)"
    else:
        proc = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
            cwd=tmp / "site",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        name = "Python http.server (threaded; nginx not installed)"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, name
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the static server did not start")


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc), 0 if gone."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            statm = Path(f"/proc/{current}/statm").read_text().split()
            total += int(statm[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def measured(args: list[str], db: Path | None, table: str = "articles") -> Run:
    """Run one command to completion; its wall time, CPU (its children's included), peak
    RSS of its whole process tree (sampled every 50 ms), rows and file size."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err_file)
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        if proc.returncode not in (0, 3):  # 3: lpscrape completed with alerts (no feed, API)
            err_file.seek(0)
            error = err_file.read()[-2000:]
            raise RuntimeError(f"{args[:3]} exited {proc.returncode}: {error!r}")
    articles, size = 0, 0
    if db is not None:
        conn = sqlite3.connect(db)
        articles = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        conn.close()
        size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, cpu, max(peak, usage.ru_maxrss * 1024) / 2**20, articles, size)


def where_bytes_go(db: Path, articles: int) -> dict[str, float]:
    """Bytes per article of each part of an archive (SQLite's `dbstat`), largest first."""
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    conn.close()
    parts: dict[str, float] = {}
    for name, size in rows:
        if name.startswith(("idx_", "sqlite_autoindex_")):
            part = "indexes"
        elif name.startswith("articles_fts"):
            part = "full-text index"
        elif name in ("captures", "capture_dicts"):
            part = "captures (raw pages)"
        elif name.startswith(("article_authors", "article_categories", "article_tags")):
            part = "term links"
        elif name in ("articles", "article_versions", "article_changes"):
            part = name
        else:
            part = "other"
        parts[part] = parts.get(part, 0.0) + size / articles
    return dict(sorted(parts.items(), key=lambda kv: -kv[1]))


def summary(name: str, runs: list[Run], n: int) -> dict[str, float]:
    """Medians of one tool's runs."""
    med = statistics.median
    out = {
        "pages_per_s": med(n / r.seconds for r in runs),
        "cpu_ms_per_article": med(1000 * r.cpu / n for r in runs),
        "cpu_pct": med(100 * r.cpu / r.seconds for r in runs),
        "peak_rss_mb": med(r.peak_rss_mb for r in runs),
        "bytes_per_article": med(r.db_bytes / r.articles for r in runs) if runs[0].articles else 0,
        "stored": min(r.articles for r in runs),
    }
    print(
        f"{name:17}: {out['pages_per_s']:7.1f} articles/s, {out['cpu_ms_per_article']:5.2f} ms "
        f"CPU/article, CPU {out['cpu_pct']:4.0f}%, peak RSS {out['peak_rss_mb']:5.0f} MB, "
        f"{out['bytes_per_article'] / 1024:5.1f} KB/article, {out['stored']} stored"
    )
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the rounds and print (and return) the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a few dozen pages, one round")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    n, pairs = (40, 1) if args.smoke else (args.articles, args.pairs)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        (tmp / "site").mkdir()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        urls = build_site(tmp / "site", base, n)
        # Spiders run from files: Scrapy reads a callback's source (`python -c` has none).
        (tmp / "minimal.py").write_text(MINIMAL)
        (tmp / "bare.py").write_text(BARE)
        (tmp / "urls.json").write_text(json.dumps(urls))
        server, server_name = start_server(tmp, port)
        try:
            print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
            print(f"site: {n} generated articles served by {server_name}; {pairs} rounds")
            results: dict[str, list[Run]] = {"lpscrape": [], "minimal": [], "bare": []}
            recrawl = None
            for i in range(pairs):
                order = ["lpscrape", "minimal", "bare"]
                order = order[i % 3 :] + order[: i % 3]
                for tool in order:
                    run_dir = tmp / f"{tool}-{i}"
                    run_dir.mkdir()
                    db = run_dir / "archive.db"
                    if tool == "lpscrape":
                        cmd = [sys.executable, "-m", "lpscrape", "crawl", "--start-url", base + "/"]
                        cmd += ["--db", str(db), "--delay", "0"]
                        results[tool].append(measured(cmd, db))
                        if recrawl is None:
                            measured([*cmd, "--set", "LPSCRAPE_HEALTH_SAMPLE=0"], None)
                            recrawl = db
                    elif tool == "minimal":
                        cmd = [
                            sys.executable,
                            str(tmp / "minimal.py"),
                            base,
                            str(db),
                            json.dumps(POLITENESS),
                        ]
                        results[tool].append(measured(cmd, db))
                    else:
                        cmd = [
                            sys.executable,
                            str(tmp / "bare.py"),
                            json.dumps(POLITENESS),
                            str(tmp / "urls.json"),
                        ]
                        results[tool].append(measured(cmd, None))
            figures = {tool: summary(tool, runs, n) for tool, runs in results.items()}
            ours, minimal = figures["lpscrape"], figures["minimal"]
            ratios = {
                "pages_per_s_vs_minimal": ours["pages_per_s"] / minimal["pages_per_s"],
                "pages_per_s_vs_bare": ours["pages_per_s"] / figures["bare"]["pages_per_s"],
                "cpu_per_article_vs_minimal": ours["cpu_ms_per_article"]
                / minimal["cpu_ms_per_article"],
                "peak_rss_vs_minimal": ours["peak_rss_mb"] / minimal["peak_rss_mb"],
                "bytes_per_article_vs_minimal": ours["bytes_per_article"]
                / minimal["bytes_per_article"],
            }
            for key, value in ratios.items():
                print(f"ratio {key:29}: {value:5.2f}x")
            assert recrawl is not None
            breakdown = {
                tool: where_bytes_go(tmp / f"{tool}-0" / "archive.db", n)
                for tool in ("lpscrape", "minimal")
            }
            conn = sqlite3.connect(recrawl)
            runs = conn.execute(
                "SELECT requests, bytes_downloaded, skipped FROM crawl_runs ORDER BY id"
            ).fetchall()
            conn.close()
            (req1, bytes1, _), (req2, bytes2, skipped) = runs
            share = bytes2 / bytes1 if bytes1 else 0.0
            print(
                f"no-change re-crawl: {req2} requests ({req1} in the full crawl), "
                f"{bytes2 / 1024:.0f} KiB = {share:.1%} of the full crawl's bytes, "
                f"{skipped} articles skipped"
            )
        finally:
            server.terminate()
            server.wait(timeout=10)
    out = {"articles": n, "pairs": pairs, "server": server_name, "figures": figures}
    out.update(ratios=ratios, recrawl={"requests": req2, "bytes_share": share})
    out["bytes_breakdown"] = breakdown
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()

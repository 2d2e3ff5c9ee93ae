"""`lpscrape reparse` against extraction alone on one core, over the same stored captures.

Usage: python benchmarks/reparse_bench.py [--articles N] [--pairs P] [--smoke] [--db ARCHIVE]

Builds an archive by crawling a generated N-article site (see crawl_bench.py), or uses
--db. Then, in interleaved rounds, each in its own process: (1) `lpscrape reparse` of a copy
(every core: extraction in a process pool, writes batched in the parent); (2) the same with
one process (`--workers 1`); (3) extraction alone: decompress and extract every
article capture in one process, nothing written. Reports pages/s medians and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crawl_bench

EXTRACT_ALONE = """
import sqlite3, sys
from lpscrape.archive.payloads import Dictionaries
from lpscrape.extract import extract_article
conn = sqlite3.connect(sys.argv[1])
dictionaries = Dictionaries(conn)
rows = conn.execute(
    "SELECT c.url, coalesce(c.body_gzip, o.body_gzip), coalesce(c.body_zstd, o.body_zstd), "
    "coalesce(c.zstd_dict_id, o.zstd_dict_id) FROM captures c "
    "LEFT JOIN captures o ON o.id = c.revisit_of "
    "WHERE c.kind = 'article' AND c.status = 200 AND c.failure IS NULL ORDER BY c.id"
)
for url, gz, zst, dict_id in rows:
    extract_article(dictionaries.body(gz, zst, dict_id), url)
"""


def timed(args: list[str]) -> float:
    """Seconds one command takes (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def build_archive(tmp: Path, n: int) -> Path:
    """Crawl a generated n-article site into a fresh archive."""
    (tmp / "site").mkdir()
    port = crawl_bench.free_port()
    base = f"http://127.0.0.1:{port}"
    crawl_bench.build_site(tmp / "site", base, n)
    server, _ = crawl_bench.start_server(tmp, port)
    db = tmp / "source.db"
    try:
        cmd = [sys.executable, "-m", "lpscrape", "crawl", "--start-url", base + "/"]
        crawl_bench.measured([*cmd, "--db", str(db), "--delay", "0"], db)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return db


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the rounds and print (and return) the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a few dozen pages, one round")
    parser.add_argument("--db", type=Path, help="an existing archive to reparse copies of")
    args = parser.parse_args(argv)
    n, pairs = (40, 1) if args.smoke else (args.articles, args.pairs)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        source = args.db or build_archive(tmp, n)
        conn = sqlite3.connect(source)
        pages = conn.execute(
            "SELECT count(*) FROM captures WHERE kind = 'article' AND status = 200 "
            "AND failure IS NULL"
        ).fetchone()[0]
        conn.close()
        script = tmp / "extract_alone.py"
        script.write_text(EXTRACT_ALONE)
        times: dict[str, list[float]] = {"reparse": [], "reparse_1": [], "extract_alone": []}
        for i in range(pairs):
            order = list(times)
            order = order[i % 3 :] + order[: i % 3]
            for tool in order:
                if tool == "extract_alone":
                    times[tool].append(timed([sys.executable, str(script), str(source)]))
                    continue
                copy = tmp / f"{tool}-{i}.db"
                shutil.copyfile(source, copy)
                cmd = [sys.executable, "-m", "lpscrape", "reparse", "--db", str(copy)]
                times[tool].append(timed([*cmd, "--workers", "1"] if tool == "reparse_1" else cmd))
    rates = {tool: statistics.median(pages / t for t in ts) for tool, ts in times.items()}
    print(f"reparse of {pages} article captures, {pairs} rounds, {os.cpu_count()} cores")
    for tool, rate in rates.items():
        print(f"{tool:14}: {rate:7.1f} pages/s (process start-up included)")
    ratios = {
        "reparse_vs_extract_alone": rates["reparse"] / rates["extract_alone"],
        "reparse_1_vs_extract_alone": rates["reparse_1"] / rates["extract_alone"],
    }
    for key, value in ratios.items():
        print(f"ratio {key:27}: {value:5.2f}x")
    out = {"pages": pages, "rates": rates, "ratios": ratios}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()

"""Latency of the researchers' archive on a large archive, against plain tools in the same run.

Usage: python benchmarks/archive_latency.py [--articles N] [--repeat R] [--db PATH] [--smoke]

Builds an archive of N generated articles (default 100,000: the sample site's texts reshuffled,
spread over ten years, FTS index filled by the schema's own triggers), then starts two servers
on the same file, each in its own process: `lpscrape serve` and a plain
`datasette serve FILE --setting suggest_facets off` (no metadata, no plugins of ours), and
times over HTTP, the two servers' requests interleaved: the articles table page, a search
for a word in every article (`the`), one for a rare word, an article's page and a canned query.
Then a CSV export of every article: `lpscrape export csv` (in this process) against
`sqlite3 -csv` (the SQLite shell; when missing, `SELECT *` + `csv.writer`), both written to
memory (`/dev/shm` where there is one: the disk's write-back of 200 MB spread single runs by
±50%), in interleaved rounds.

Medians of R rounds (the export: best of 3); the figures that matter are the ratios.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from datasette.utils import tilde_encode
from sqlite_utils import Database

from lpscrape.archive.schema import ensure_schema
from lpscrape.demo.content import articles
from lpscrape.export import export
from lpscrape.serve import ARCHIVE_NAME

SQLITE3 = shutil.which("sqlite3")
PLAIN = ("--setting", "suggest_facets", "off")  # `datasette serve FILE` otherwise as installed

FREQUENT_WORD = "the"  # in every article
RARE_WORD = "zanzibarite"  # planted in one article in a thousand


def build_archive(path: Path, n: int, seed: int = 7) -> float:
    """An archive of `n` generated articles at `path`; returns the seconds it took."""
    start = time.perf_counter()
    db = Database(sqlite3.connect(path))
    ensure_schema(db)
    rng = random.Random(seed)
    pool = [a for edition in (1, 2) for a in articles(edition)]
    first = datetime(2016, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC).isoformat(timespec="seconds")

    def rows():
        for i in range(n):
            a = pool[i % len(pool)]
            paragraphs = list(a.body_blocks)
            head, rest = paragraphs[0], paragraphs[1:]
            rng.shuffle(rest)
            if i % 1000 == 0:
                rest.append(f"A specimen of {RARE_WORD} was shown to the delegates.")
            body = "\n\n".join([head, *rest])
            published = first + timedelta(seconds=rng.randrange(10 * 365 * 86400))
            yield (
                f"https://lordspress.com/{published:%Y/%m/%d}/{a.slug}-{i}/",
                1000 + i,
                a.title,
                a.byline,
                a.dateline,
                published.isoformat(timespec="seconds"),
                None,
                body,
                len(body.split()),
                json.dumps(a.author_names, ensure_ascii=False),
                json.dumps(a.category_names, ensure_ascii=False),
                json.dumps(a.tag_names, ensure_ascii=False),
                "London, UK",
                rng.choice(["Few clouds", "Light rain", "Clear sky", "Overcast clouds"]),
                round(rng.uniform(-2, 28), 1),
                rng.randint(45, 98),
                round(rng.uniform(3, 38), 1),
                now,
                now,
                now,
                1,
                "live",
                "theme",
                "[]",
            )

    columns = (
        "url, post_id, title, byline, dateline, published_at, modified_at, body_text, word_count, "
        "authors, categories, tags, weather_location, weather_condition, weather_temperature_c, "
        "weather_humidity_pct, weather_wind_kmh, weather_observed_at, first_seen_at, "
        "last_seen_at, version, status, extraction_method, extraction_warnings"
    )
    marks = ", ".join("?" * len(columns.split(",")))
    with db.conn:
        db.conn.executemany(f"INSERT INTO articles ({columns}) VALUES ({marks})", rows())
    db.conn.execute("PRAGMA optimize")
    db.conn.close()
    return time.perf_counter() - start


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raw_csv(path: Path, out: Path) -> None:
    """`SELECT *` + `csv.writer`: the floor for a CSV export in Python."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    cursor = conn.execute("SELECT * FROM articles ORDER BY rowid")
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([d[0] for d in cursor.description])
        while batch := cursor.fetchmany(1000):
            writer.writerows(batch)
    conn.close()


def shell_csv(path: Path, out: Path) -> None:
    """The SQLite shell's own CSV of every article."""
    with out.open("wb") as fh:
        subprocess.run(
            [SQLITE3, "-csv", "-header", "-readonly", str(path), "SELECT * FROM articles"],
            stdout=fh,
            check=True,
        )


def best_pair(
    ours: Callable[[], object], floor: Callable[[], object], rounds: int = 3
) -> tuple[float, float]:
    """Best wall times in seconds of `ours()` and `floor()`, run in interleaved rounds."""
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for i, fn in enumerate((ours, floor)):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


def start(args: list[str], port: int) -> subprocess.Popen[bytes]:
    """A server process, once it answers on its port."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=5).read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{args[:4]} did not start")


def fetch_ms(url: str) -> float:
    """Milliseconds to fetch a page whole (it must answer 200)."""
    begin = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
        assert response.status == 200, url
    return (time.perf_counter() - begin) * 1000


def server_figures(path: Path, repeat: int) -> dict[str, dict[str, float]]:
    """Per page: median ms of lpscrape's server and of plain Datasette, requests interleaved."""
    # lpscrape serves the archive as /archive/…, plain Datasette under the file's name.
    names = {"lpscrape": ARCHIVE_NAME, "plain": path.stem}
    url = sqlite3.connect(path).execute("SELECT url FROM articles LIMIT 1").fetchone()[0]
    pages = {
        "table page": "/articles",
        "frequent-word search": f"/articles?_search={FREQUENT_WORD}",
        "rare-word search": f"/articles?_search={RARE_WORD}",
        "article page": f"/articles/{tilde_encode(url)}",
    }
    canned = {"canned query (by_dateline)": "/by_dateline?place=antwerp"}
    ours_port, plain_port = free_port(), free_port()
    while plain_port == ours_port:  # each socket is closed before the next: the OS may repeat
        plain_port = free_port()
    ours = start(
        [sys.executable, "-m", "lpscrape", "serve", "--db", str(path), "--port", str(ours_port)],
        ours_port,
    )
    plain = start(
        [sys.executable, "-m", "datasette", "serve", str(path), "--port", str(plain_port), *PLAIN],
        plain_port,
    )
    times: dict[str, dict[str, list[float]]] = {}
    try:
        for page, target in {**pages, **canned}.items():
            servers = {"lpscrape": ours_port} | ({"plain": plain_port} if page in pages else {})
            for server, port in servers.items():  # warm-up
                fetch_ms(f"http://127.0.0.1:{port}/{names[server]}{target}")
            times[page] = {server: [] for server in servers}
            for i in range(repeat):
                order = list(servers.items())
                for server, port in order if i % 2 == 0 else order[::-1]:
                    page_url = f"http://127.0.0.1:{port}/{names[server]}{target}"
                    times[page][server].append(fetch_ms(page_url))
    finally:
        for proc in (ours, plain):
            proc.terminate()
            proc.wait(timeout=30)
    return {
        page: {server: statistics.median(t) for server, t in by_server.items()}
        for page, by_server in times.items()
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Build the archive, time everything, print (and return) the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", type=Path, help="reuse or keep the archive here")
    parser.add_argument("--smoke", action="store_true", help="500 articles, 2 rounds")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    n, repeat = (500, 2) if args.smoke else (args.articles, args.repeat)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        if not path.exists():
            seconds = build_archive(path, n)
            print(f"built {n:,} articles in {seconds:.1f} s -> {path}")
        size = path.stat().st_size / 2**20
        n = sqlite3.connect(path).execute("SELECT count(*) FROM articles").fetchone()[0]
        print(f"archive: {n:,} articles, {size:,.0f} MiB; {repeat} interleaved rounds")
        pages = server_figures(path, repeat)

        shm = Path("/dev/shm")
        with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else tmp) as out_dir:
            ours_out, floor_out = Path(out_dir) / "ours.csv", Path(out_dir) / "floor.csv"
            floor_name = "sqlite3 -csv" if SQLITE3 else "SELECT * + csv.writer"
            floor = (
                (lambda: shell_csv(path, floor_out))
                if SQLITE3
                else lambda: raw_csv(path, floor_out)
            )
            ours_s, floor_s = best_pair(lambda: export(path, "csv", ours_out), floor)
            mib = ours_out.stat().st_size / 2**20
            with ours_out.open(encoding="utf-8", newline="") as fh:
                rows_ours = sum(1 for _ in csv.reader(fh))
            with floor_out.open(encoding="utf-8", newline="") as fh:
                rows_floor = sum(1 for _ in csv.reader(fh))
            assert rows_ours == rows_floor, (rows_ours, rows_floor)

    print()
    print(f"{'page (median ms)':32} {'lpscrape':>9} {'plain Datasette':>16} {'ratio':>7}")
    for page, by_server in pages.items():
        plain = by_server.get("plain")
        ratio = f"{by_server['lpscrape'] / plain:6.2f}x" if plain else "      -"
        plain_text = f"{plain:16.1f}" if plain else f"{'-':>16}"
        print(f"{page:32} {by_server['lpscrape']:9.1f} {plain_text} {ratio}")
    print(f"CSV of every article ({mib:,.0f} MiB), best of 3:")
    print(f"  lpscrape export csv : {ours_s:6.2f} s")
    print(f"  {floor_name:19} : {floor_s:6.2f} s")
    print(f"  ratio               : {ours_s / floor_s:6.2f}x")
    out = {
        "articles": n,
        "mib": size,
        "repeat": repeat,
        "pages": pages,
        "csv": {"lpscrape_s": ours_s, "floor_s": floor_s, "floor": floor_name, "mib": mib},
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()

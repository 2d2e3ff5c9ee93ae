"""Latency of the researchers' archive on a large archive, against plain SQLite in the same run.

Usage: python benchmarks/archive_latency.py [--articles N] [--repeat R] [--db PATH]

Builds an archive of N generated articles (default 100,000: the sample site's texts reshuffled,
spread over ten years, FTS index filled by the schema's own triggers), then times:

- a `_search` page of `articles` through Datasette (HTML and JSON, with the configured facets
  and the count) against the same search query run directly in SQLite, and against all the SQL
  that page needs (rows, count, five facets) run directly;
- the articles table page with Datasette's facet suggestions on and off (`suggest_facets`);
- a CSV export of every article: `lpscrape export csv` against `SELECT *` + `csv.writer`, and
  Datasette's streamed `.csv?_stream=on` for comparison.

Medians of R runs (the export: best of 3); the figures that matter are the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from lpscrape.archive.schema import ensure_schema
from lpscrape.demo.content import articles
from lpscrape.export import export
from lpscrape.serve import make_datasette

QUERY = "consular access"
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


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of `fn()` in milliseconds (one warm-up call first)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def amedian_ms(fn: Callable[[], Awaitable[object]], repeat: int) -> float:
    """Median wall time of `await fn()` in milliseconds (one warm-up call first)."""
    await fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def raw_search_page(path: Path) -> Callable[[], object]:
    """The `_search` page's row query, run directly."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    sql = (
        "SELECT * FROM articles WHERE rowid IN (SELECT rowid FROM articles_fts "
        "WHERE articles_fts MATCH ?) ORDER BY published_at DESC LIMIT 51"
    )
    match = " ".join(f'"{w}"' for w in QUERY.split())
    return lambda: conn.execute(sql, [match]).fetchall()


def raw_search_page_all_sql(path: Path) -> Callable[[], object]:
    """Everything the `_search` page computes (rows, count, five facets), run directly."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    match = " ".join(f'"{w}"' for w in QUERY.split())
    inner = (
        "SELECT * FROM articles WHERE rowid IN "
        "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q)"
    )
    queries = [
        f"{inner} ORDER BY published_at DESC LIMIT 51",
        f"SELECT count(*) FROM ({inner})",
        f"SELECT j.value, count(*) c FROM ({inner}) i, json_each(i.categories) j "
        "GROUP BY j.value ORDER BY c DESC LIMIT 13",
        f"SELECT j.value, count(*) c FROM ({inner}) i, json_each(i.tags) j "
        "GROUP BY j.value ORDER BY c DESC LIMIT 13",
        f"SELECT j.value, count(*) c FROM ({inner}) i, json_each(i.authors) j "
        "GROUP BY j.value ORDER BY c DESC LIMIT 13",
        f"SELECT dateline, count(*) c FROM ({inner}) GROUP BY dateline ORDER BY c DESC LIMIT 13",
        f"SELECT substr(published_at, 1, 7) m, count(*) FROM ({inner}) GROUP BY m "
        "ORDER BY m DESC LIMIT 13",
    ]
    return lambda: [conn.execute(q, {"q": match}).fetchall() for q in queries]


def raw_csv(path: Path, out: Path) -> None:
    """`SELECT *` + `csv.writer`: the floor for a CSV export."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    cursor = conn.execute("SELECT * FROM articles ORDER BY rowid")
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([d[0] for d in cursor.description])
        while batch := cursor.fetchmany(1000):
            writer.writerows(batch)
    conn.close()


def best_s(fn: Callable[[], object], rounds: int = 3) -> float:
    """Best wall time of `fn()` in seconds."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


async def datasette_figures(path: Path, repeat: int) -> dict[str, float]:
    """Datasette's page times (ms) and its streamed CSV time (s)."""
    name = path.stem
    ds = make_datasette(path)
    await ds.invoke_startup()
    q = QUERY.replace(" ", "+")

    async def get(url: str) -> None:
        response = await ds.client.get(url)
        assert response.status_code == 200, (url, response.text[:300])

    figures = {
        "search_html": await amedian_ms(lambda: get(f"/{name}/articles?_search={q}"), repeat),
        "search_json": await amedian_ms(lambda: get(f"/{name}/articles.json?_search={q}"), repeat),
        "rare_html": await amedian_ms(lambda: get(f"/{name}/articles?_search={RARE_WORD}"), repeat),
        "table_html": await amedian_ms(lambda: get(f"/{name}/articles"), repeat),
    }
    suggesting = make_datasette(path, settings_overrides={"suggest_facets": True})
    await suggesting.invoke_startup()

    async def get_suggesting() -> None:
        response = await suggesting.client.get(f"/{name}/articles")
        assert response.status_code == 200

    figures["table_html_suggest"] = await amedian_ms(get_suggesting, repeat)
    start = time.perf_counter()
    response = await ds.client.get(f"/{name}/articles.csv?_stream=on&_size=max")
    figures["datasette_csv_s"] = time.perf_counter() - start
    figures["datasette_csv_rows"] = (
        sum(1 for _ in csv.reader(io.StringIO(response.text, newline=""))) - 1
    )
    return figures


def main() -> None:
    """Build the archive, time everything, print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", type=Path, help="reuse or keep the archive here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        if not path.exists():
            seconds = build_archive(path, args.articles)
            print(f"built {args.articles:,} articles in {seconds:.1f} s -> {path}")
        size = path.stat().st_size / 2**20
        n = sqlite3.connect(path).execute("SELECT count(*) FROM articles").fetchone()[0]
        print(f"archive: {n:,} articles, {size:,.0f} MiB; query {QUERY!r}")

        raw_rows = median_ms(raw_search_page(path), args.repeat)
        raw_all = median_ms(raw_search_page_all_sql(path), args.repeat)
        ds = asyncio.run(datasette_figures(path, args.repeat))

        ours_out, raw_out = Path(tmp) / "ours.csv", Path(tmp) / "raw.csv"
        ours_s = best_s(lambda: export(path, "csv", ours_out))
        raw_s = best_s(lambda: raw_csv(path, raw_out))
        assert ours_out.read_bytes() == raw_out.read_bytes(), "exports differ"
        mib = ours_out.stat().st_size / 2**20

    print()
    print(f"_search page ({QUERY!r}), median of {args.repeat}:")
    print(f"  Datasette HTML page (rows + count + 5 facets) : {ds['search_html']:8.1f} ms")
    print(f"  Datasette JSON                                : {ds['search_json']:8.1f} ms")
    print(f"  SQLite, the same row query                    : {raw_rows:8.1f} ms")
    print(f"  SQLite, all the page's SQL (rows+count+facets): {raw_all:8.1f} ms")
    print(f"  ratio HTML / same row query                   : {ds['search_html'] / raw_rows:8.1f}x")
    print(f"  ratio HTML / all the page's SQL               : {ds['search_html'] / raw_all:8.2f}x")
    print(f"  rare word ({RARE_WORD!r}) HTML page            : {ds['rare_html']:8.1f} ms")
    print("articles table page (no search):")
    print(f"  configured facets, suggestions off            : {ds['table_html']:8.1f} ms")
    print(f"  same with suggest_facets on                   : {ds['table_html_suggest']:8.1f} ms")
    print(f"CSV export of every article ({mib:,.0f} MiB), best of 3:")
    print(f"  lpscrape export csv                           : {ours_s:8.2f} s")
    print(f"  SQLite SELECT * + csv.writer                  : {raw_s:8.2f} s")
    print(f"  ratio                                         : {ours_s / raw_s:8.2f}x")
    print(
        f"  Datasette .csv?_stream=on&_size=max (once)    : {ds['datasette_csv_s']:8.2f} s "
        f"({ds['datasette_csv_rows']:,} rows, {ds['datasette_csv_s'] / raw_s:.1f}x)"
    )


if __name__ == "__main__":
    main()

"""Real crawls of the sample site on 127.0.0.1 into a real SQLite file, checked by querying it."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import crawl, query

from lpscrape.archive.bodies import version_body_sql
from lpscrape.archive.payloads import capture_body
from lpscrape.demo import DemoServer
from lpscrape.demo.content import (
    ADDED_IN_2,
    EDITED_IN_2,
    REMOVED_IN_2,
    RESTYLED_IN_2,
    REVISED_IN_2,
    SILENTLY_EDITED_IN_2,
    articles,
)

FIELDS = ("title", "byline", "dateline", "published_at", "modified_at", "body_text", "word_count")
LIST_FIELDS = ("authors", "categories", "tags")


def one(db: Path, sql: str, params: tuple = ()) -> object:
    """The single value of a query."""
    return query(db, sql, params)[0][0]


def by_id(edition: int) -> dict[int, object]:
    """The sample site's articles of an edition, by post id."""
    return {a.id: a for a in articles(edition)}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A path for a fresh archive."""
    return tmp_path / "archive.db"


def test_full_crawl_stores_every_article_with_every_field_right(
    demo_server: DemoServer, db: Path
) -> None:
    crawl(demo_server, db)
    base = demo_server.base_url
    expected = {base + a.path: a.expected_record(base) for a in articles(1)}
    cols = ", ".join(("url", *FIELDS, *LIST_FIELDS))
    rows = {r[0]: r for r in query(db, f"SELECT {cols} FROM articles")}
    assert set(rows) == set(expected)
    wrong = []
    for url, row in rows.items():
        stored = dict(zip(("url", *FIELDS, *LIST_FIELDS), row, strict=True))
        for field in LIST_FIELDS:
            stored[field] = json.loads(stored[field])
        wrong += [(url, f) for f in (*FIELDS, *LIST_FIELDS) if stored[f] != expected[url][f]]
    assert wrong == []


def test_crawl_run_row_counts_the_run(demo_server: DemoServer, db: Path) -> None:
    crawl(demo_server, db)
    run = query(db, "SELECT outcome, new, changed, failed, mode FROM crawl_runs")
    assert run == [("completed", 48, 0, 0, "incremental")]


def test_post_ids_come_from_the_rest_api(demo_server: DemoServer, db: Path) -> None:
    crawl(demo_server, db)
    base = demo_server.base_url
    stored = dict(query(db, "SELECT url, post_id FROM articles"))
    assert stored == {base + a.path: a.id for a in articles(1)}


def test_weather_of_first_capture_is_kept(demo_server: DemoServer, db: Path) -> None:
    crawl(demo_server, db)
    rows = query(
        db,
        "SELECT a.weather_condition, c.weather_condition, a.weather_observed_at "
        "FROM articles a JOIN captures c ON c.id = a.first_capture_id",
    )
    assert len(rows) == 48
    assert all(r[0] and r[0] == r[1] and r[2] for r in rows)


def test_captures_keep_the_bytes_as_served(demo_server: DemoServer, db: Path) -> None:
    import hashlib

    crawl(demo_server, db)
    demo_server.site.edition = 2
    crawl(demo_server, db, "--full")
    rows = query(db, "SELECT id, sha256, size, body_zstd IS NOT NULL FROM captures")
    assert sum(1 for row in rows if row[3]) > 0  # past the first pages: zstd, a dictionary
    conn = sqlite3.connect(db)
    for capture_id, sha, size, _ in rows:
        body = capture_body(conn, capture_id)
        assert (hashlib.sha256(body).hexdigest(), len(body)) == (sha, size)
    conn.close()


def test_nothing_off_host_or_disallowed_is_fetched(demo_server: DemoServer, db: Path) -> None:
    crawl(demo_server, db)
    base = demo_server.base_url
    urls = [r[0] for r in query(db, "SELECT url FROM captures")]
    assert urls and all(u.startswith(base + "/") for u in urls)
    assert all("utm_" not in u for u in urls)
    paths = [r.path for r in demo_server.site.requests]
    assert not [p for p in paths if p.startswith("/private/")]
    assert "/robots.txt" in paths


def test_recrawl_with_nothing_changed_is_cheap_and_changes_nothing(
    demo_server: DemoServer, db: Path
) -> None:
    crawl(demo_server, db)
    before = query(db, "SELECT url, version, content_hash, last_seen_at FROM articles")
    first = len(demo_server.site.requests)
    crawl(demo_server, db, "--set", "LPSCRAPE_HEALTH_SAMPLE=0")  # no health sample re-read
    assert query(db, "SELECT url, version, content_hash, last_seen_at FROM articles") == before
    assert one(db, "SELECT count(*) FROM article_versions") == 48
    second = demo_server.site.requests[first:]
    assert not [r for r in second if r.path.count("/") == 5 and r.path.startswith("/20")]
    runs = query(db, "SELECT skipped, new, changed, bytes_downloaded FROM crawl_runs ORDER BY id")
    assert runs[1][:3] == (48, 0, 0)
    assert runs[1][3] < 0.05 * runs[0][3]


def test_full_recrawl_touches_only_last_seen(demo_server: DemoServer, db: Path) -> None:
    crawl(demo_server, db)
    before = dict(query(db, "SELECT url, first_seen_at || version || content_hash FROM articles"))
    time.sleep(1.1)  # fetch times have one-second resolution
    crawl(demo_server, db, "--full")
    after = dict(query(db, "SELECT url, first_seen_at || version || content_hash FROM articles"))
    assert after == before
    assert one(db, "SELECT count(*) FROM articles WHERE last_seen_at > first_seen_at") == 48
    assert query(db, "SELECT unchanged, mode FROM crawl_runs WHERE id = 2") == [(48, "full")]
    assert one(db, "SELECT count(*) FROM article_versions") == 48


def test_conditional_requests_get_304_and_store_nothing_new(
    demo_server: DemoServer, db: Path
) -> None:
    crawl(demo_server, db)
    # As if the sitemap gave no lastmod (WordPress core sitemaps do not): only ETags remain.
    conn = sqlite3.connect(db)
    conn.execute("UPDATE articles SET sitemap_lastmod = NULL")
    conn.commit()
    conn.close()
    first = len(demo_server.site.requests)
    crawl(demo_server, db, "--set", "LPSCRAPE_HEALTH_SAMPLE=0")  # no health sample re-read
    article_requests = [r for r in demo_server.site.requests[first:] if r.path.startswith("/20")]
    assert len(article_requests) == 48
    assert all(r.status == 304 and r.bytes_sent == 0 for r in article_requests)
    assert all("If-None-Match" in r.headers for r in article_requests)
    assert one(db, "SELECT not_modified FROM crawl_runs WHERE id = 2") == 48
    assert one(db, "SELECT count(*) FROM article_versions") == 48


def test_second_edition_makes_versions_and_marks_the_removed_article(
    demo_server: DemoServer, db: Path
) -> None:
    crawl(demo_server, db)
    demo_server.site.edition = 2
    crawl(demo_server, db)
    base = demo_server.base_url
    old, new = by_id(1), by_id(2)
    for post_id in REVISED_IN_2:
        url = base + old[post_id].path
        assert one(db, "SELECT version FROM articles WHERE url = ?", (url,)) == 2
        versions = query(
            db,
            f"SELECT version, {version_body_sql('v')} FROM article_versions v WHERE url = ? "
            "ORDER BY 1",
            (url,),
        )
        assert versions == [(1, old[post_id].body_text), (2, new[post_id].body_text)]
    for post_id in RESTYLED_IN_2:  # spacing or typography only: the same version
        url = base + old[post_id].path
        versions = query(
            db,
            f"SELECT version, {version_body_sql('v')} FROM article_versions v WHERE url = ?",
            (url,),
        )
        assert versions == [(1, old[post_id].body_text)]
        assert new[post_id].body_text != old[post_id].body_text
    for post_id in REMOVED_IN_2:
        url = base + old[post_id].path
        assert one(db, "SELECT status FROM articles WHERE url = ?", (url,)) == "gone"
        assert one(db, "SELECT body_text FROM articles WHERE url = ?", (url,)) is not None
    for post_id in ADDED_IN_2:
        url = base + new[post_id].path
        assert one(db, "SELECT version FROM articles WHERE url = ?", (url,)) == 1
    # The silent edit's lastmod did not move: it is seen only if the health sample (the
    # articles seen longest ago, which depends on the first run's fetch order) re-read it.
    silent = base + old[SILENTLY_EDITED_IN_2[0]].path
    reread = "SELECT count(*) FROM captures WHERE run_id = 2 AND url = ? AND status = 200"
    changed = len(REVISED_IN_2) + one(db, reread, (silent,))
    assert query(db, "SELECT new, changed, gone FROM crawl_runs WHERE id = 2") == [(3, changed, 1)]


def test_full_text_index_follows_edits(demo_server: DemoServer, db: Path) -> None:
    crawl(demo_server, db)
    demo_server.site.edition = 2
    crawl(demo_server, db)
    edited = by_id(2)[EDITED_IN_2[-1]]
    hits = query(
        db,
        "SELECT a.title FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH ?",
        (f'"{edited.title}"',),
    )
    assert hits == [(edited.title,)]
    conn = sqlite3.connect(db)  # raises if the index and the articles disagree
    conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
    conn.close()


def test_retry_after_is_honoured_then_the_page_is_kept(demo_server: DemoServer, db: Path) -> None:
    path = articles(1)[5].path
    demo_server.site.faults[path] = [503, 429]
    crawl(demo_server, db)
    hits = [r for r in demo_server.site.requests if r.path == path]
    assert [r.status for r in hits] == [503, 429, 200]
    url = demo_server.base_url + path
    assert one(db, "SELECT count(*) FROM articles WHERE url = ?", (url,)) == 1


def test_without_sitemap_or_api_listings_find_every_article(db: Path) -> None:
    from lpscrape.demo import DemoSite, serve

    with serve(DemoSite(rest_api=False)) as server:
        server.site.faults["/sitemap_index.xml"] = [404]
        result = crawl(server, db, check=False)
        paths = {r.path for r in server.site.requests}
    assert "/page/2/" in paths
    assert one(db, "SELECT count(*) FROM articles") == 48
    # robots.txt names that sitemap: its absence is a failure the archivist hears of
    assert result.returncode == 3 and "(http_404 ×1), e.g. http" in result.stderr


def test_killed_crawl_resumes_to_a_complete_archive(demo_server: DemoServer, db: Path) -> None:
    import subprocess
    import sys

    for a in articles(1):
        demo_server.site.delays[a.path] = 0.4
    args = ["crawl", "--start-url", demo_server.base_url + "/", "--db", str(db), "--delay", "0"]
    proc = subprocess.Popen([sys.executable, "-m", "lpscrape", *args], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.3)
        ready = db.exists() and query(db, "SELECT 1 FROM sqlite_master WHERE name = 'articles'")
        if ready and one(db, "SELECT count(*) FROM articles") >= 5:
            break
    proc.kill()  # SIGKILL: no clean shutdown, nothing flushed
    proc.wait()
    stored = one(db, "SELECT count(*) FROM articles")
    assert 0 < stored < 48
    demo_server.site.delays.clear()
    result = crawl(demo_server, db, check=False)
    assert result.returncode == 3  # the killed run is named in this run's alert
    assert "ALERT: run 1 (started " in result.stdout + result.stderr
    assert one(db, "SELECT count(*) FROM articles") == 48
    assert one(db, "SELECT count(*) FROM article_versions") == 48
    assert one(db, "SELECT count(DISTINCT url) FROM article_versions") == 48
    assert query(db, "SELECT outcome FROM crawl_runs ORDER BY id") == [("aborted",), ("completed",)]
    # The killed run's counts are what it stored, read back by the run that found it open.
    assert query(db, "SELECT new, changed, failed FROM crawl_runs WHERE id = 1") == [(stored, 0, 0)]
    assert one(db, "SELECT new FROM crawl_runs WHERE id = 2") == 48 - stored


def test_a_page_that_keeps_timing_out_is_counted_and_raised(
    demo_server: DemoServer, db: Path
) -> None:
    slow = articles(1)[3]
    demo_server.site.delays[slow.path] = 2.0
    result = crawl(
        demo_server, db, "--set", "DOWNLOAD_TIMEOUT=0.5", "--set", "RETRY_BACKOFF_BASE=0.05",
        check=False,
    )  # fmt: skip
    assert result.returncode == 3  # completed, with an alert for cron to mail
    assert "ALERT: 1 requests failed (timeout ×1)" in result.stderr
    assert query(db, "SELECT outcome, failed, failures FROM crawl_runs") == [
        ("completed", 1, '{"timeout": 1}')
    ]
    assert one(db, "SELECT count(*) FROM articles") == 47


def test_a_theme_change_falls_back_and_raises_an_alert(demo_server: DemoServer, db: Path) -> None:
    demo_server.site.redesigned = True
    result = crawl(demo_server, db, check=False)
    assert result.returncode == 3
    assert "the site's theme may have changed" in result.stderr
    assert one(db, "SELECT count(*) FROM articles WHERE extraction_method = 'fallback'") == 48

    def without_caption(a) -> str:  # trafilatura keeps no figcaption: known, accepted loss
        blocks = a.body_text.split("\n\n")
        return "\n\n".join(b for b in blocks if not (a.figure and b == a.figure.caption))

    expected = {demo_server.base_url + a.path: without_caption(a) for a in articles(1)}
    stored = dict(query(db, "SELECT url, body_text FROM articles"))
    assert stored == expected  # the generic extractor still finds every paragraph


def test_a_page_failing_after_retries_is_counted_then_fetched_next_run(
    demo_server: DemoServer, db: Path
) -> None:
    broken = articles(1)[7]
    demo_server.site.faults[broken.path] = [500] * 5  # the first try and all four retries
    first = crawl(
        demo_server, db, "--set", "RETRY_BACKOFF_BASE=0.05", check=False
    )  # fmt: skip
    assert first.returncode == 3 and "ALERT: 1 requests failed (http_500 ×1)" in first.stderr
    assert one(db, "SELECT failed FROM crawl_runs WHERE id = 1") == 1
    assert one(db, "SELECT count(*) FROM articles") == 47
    crawl(demo_server, db)  # the sitemap still lists it: the next run fetches it
    url = demo_server.base_url + broken.path
    assert one(db, "SELECT count(*) FROM articles WHERE url = ?", (url,)) == 1
    assert one(db, "SELECT new FROM crawl_runs WHERE id = 2") == 1

"""Issue #8, one test per fault: a hostile site on 127.0.0.1, a real crawl, a real archive.
Each asserts the exit status, what `crawl_runs` says, and that no article got a wrong version.
RELIABILITY.md lists them."""

from __future__ import annotations

import functools
import gzip
import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, crawl, query, run_cli
from faultsite import (
    DB_ERROR_PAGE,
    JPEG,
    NGINX_502,
    PDF,
    Drop,
    FaultSite,
    Pass,
    gzip_bomb,
    html,
    redirect,
)
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Headers, HtmlResponse, Request
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from lpscrape.archive.payloads import capture_body
from lpscrape.archive.reparse import reparse
from lpscrape.archive.schema import SCHEMA_VERSION
from lpscrape.archive.store import Archive
from lpscrape.archive.warc import export_warc
from lpscrape.demo import DemoServer, serve
from lpscrape.demo.content import LONDON
from lpscrape.demo.site import Response
from lpscrape.middlewares import SizeLimit, StoppedBodyMiddleware

# Short waits: the faults are real, the patience is not.
FAST = (
    "--set", "RETRY_BACKOFF_BASE=0.05", "--set", "RETRY_BACKOFF_MAX=1",
    "--set", "RETRY_TIMES=1", "--set", "DOWNLOAD_TIMEOUT=2",
)  # fmt: skip


def run(server: DemoServer, db: Path, *extra: str) -> subprocess.CompletedProcess:
    """A crawl of the hostile site, whatever its exit status."""
    return crawl(server, db, *FAST, *extra, check=False)


def one(db: Path, sql: str, params: tuple = ()) -> object:
    """The single value of a query."""
    return query(db, sql, params)[0][0]


def last_run(db: Path) -> dict[str, object]:
    """The latest `crawl_runs` row, JSON columns decoded."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone())
    conn.close()
    for key in ("failures", "failure_examples", "warnings", "alerts"):
        row[key] = json.loads(row[key] or "null")
    return row


def versions(db: Path) -> list[tuple]:
    """Every stored version: URL, number, hash."""
    return query(db, "SELECT url, version, content_hash FROM article_versions ORDER BY 1, 2")


def alerts(result: subprocess.CompletedProcess) -> list[str]:
    """The ALERT lines a cron mail would carry."""
    return [line for line in result.stderr.splitlines() if line.startswith("lpscrape: ALERT: ")]


@pytest.fixture(scope="module")
def good_archive_file(hostile_server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of the well-behaved site, made once."""
    db = tmp_path_factory.mktemp("good") / "archive.db"
    hostile_server.site.reset()
    crawl(hostile_server, db)
    return db


@pytest.fixture
def good_archive(good_archive_file: Path, tmp_path: Path, hostile: DemoServer) -> Path:
    """A copy of the good archive for one test."""
    db = tmp_path / "archive.db"
    shutil.copy(good_archive_file, db)
    return db


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A path for a fresh archive."""
    return tmp_path / "archive.db"


# -- silent failures: each is now counted by reason, alerts and exits 3 -----------------------


def test_error_page_on_every_article_over_a_good_archive(
    hostile: DemoServer, good_archive: Path
) -> None:
    site = hostile.site
    for article in site.articles:
        site.answer(article.path, html(DB_ERROR_PAGE))
    before = versions(good_archive)
    result = run(hostile, good_archive, "--full")
    assert result.returncode == 3
    failed, none = alerts(result)
    assert failed.startswith("lpscrape: ALERT: 6 requests failed (error_page ×6), e.g. http")
    assert none == (
        "lpscrape: ALERT: 6 articles were expected and none was stored: "
        "the site may be down or serving errors"
    )
    run_row = last_run(good_archive)
    assert run_row["outcome"] == "completed"
    assert (run_row["failed"], run_row["failures"]) == (6, {"error_page": 6})
    assert (run_row["new"], run_row["changed"], run_row["unchanged"]) == (0, 0, 0)
    assert versions(good_archive) == before
    kept = "SELECT count(*) FROM captures WHERE run_id = ? AND failure = 'error_page'"
    assert one(good_archive, kept, (run_row["id"],)) == 6


def test_error_pages_on_two_articles(hostile: DemoServer, good_archive: Path) -> None:
    site = hostile.site
    site.answer(site.articles[1].path, html(DB_ERROR_PAGE))
    site.answer(site.articles[4].path, html(NGINX_502))
    before = versions(good_archive)
    result = run(hostile, good_archive, "--full")
    assert result.returncode == 3
    assert "ALERT: 2 requests failed (error_page ×2)" in result.stderr
    run_row = last_run(good_archive)
    assert (run_row["failures"], run_row["unchanged"]) == ({"error_page": 2}, 4)
    assert sorted(run_row["failure_examples"]["error_page"]) == sorted(
        hostile.base_url + site.articles[i].path for i in (1, 4)
    )
    assert versions(good_archive) == before


def test_archived_articles_answering_pages_that_are_not_articles(
    hostile: DemoServer, good_archive: Path
) -> None:
    site = hostile.site
    home = site.respond("GET", "/", {}).body  # a theme that shows the front page instead
    site.answer(site.articles[1].path, html(home))
    site.answer(site.articles[2].path, redirect(hostile.base_url + "/"))  # 301 to the home
    before = versions(good_archive)
    result = run(hostile, good_archive, "--full")
    assert result.returncode == 3
    assert "ALERT: 2 requests failed (not_article ×2)" in result.stderr
    run_row = last_run(good_archive)
    assert (run_row["failures"], run_row["unchanged"]) == ({"not_article": 2}, 4)
    assert sorted(run_row["failure_examples"]["not_article"]) == sorted(
        hostile.base_url + site.articles[i].path for i in (1, 2)
    )
    assert versions(good_archive) == before
    live = "SELECT count(*) FROM articles WHERE status = 'live'"
    assert one(good_archive, live) == 6


def test_a_deleted_post_redirected_home_is_gone_not_a_failure(
    hostile: DemoServer, good_archive: Path
) -> None:
    site = hostile.site
    deleted = site.articles[3]
    site.removed.add(deleted.path)  # out of the sitemaps…
    site.answer(deleted.path, redirect(hostile.base_url + "/"))  # …and sent to the home page
    result = run(hostile, good_archive)
    assert (result.returncode, result.stderr) == (0, "")  # what SEO plugins do: no alarm
    run_row = last_run(good_archive)
    assert (run_row["gone"], run_row["failed"]) == (1, 0)
    status = "SELECT status FROM articles WHERE url = ?"
    assert one(good_archive, status, (hostile.base_url + deleted.path,)) == "gone"
    assert run(hostile, good_archive).returncode == 0  # and not asked about every night after


def test_a_fresh_crawl_of_pages_that_are_not_articles_is_no_failure(
    hostile: DemoServer, db: Path
) -> None:
    site = hostile.site
    site.answer(site.articles[1].path, html(site.respond("GET", "/", {}).body))
    result = run(hostile, db)
    assert (result.returncode, result.stderr) == (0, "")  # never archived: nothing was lost
    assert (last_run(db)["failed"], last_run(db)["new"]) == (0, 5)


def test_robots_txt_forbidding_an_archived_article_is_a_failure(
    hostile: DemoServer, good_archive: Path
) -> None:
    site = hostile.site
    forbidden = site.articles[2]
    rules = f"User-agent: *\nDisallow: {forbidden.path}\n".encode()
    site.answer("/robots.txt", Response(200, {"Content-Type": "text/plain"}, rules))
    result = run(hostile, good_archive)
    assert result.returncode == 3
    assert "ALERT: 1 requests failed (robots_txt ×1)" in result.stderr
    run_row = last_run(good_archive)
    assert run_row["failure_examples"] == {"robots_txt": [hostile.base_url + forbidden.path]}
    assert not [r for r in site.requests if r.path == forbidden.path]


class Faults(NamedTuple):
    """One crawl of a site where most articles fail, each its own way."""

    result: subprocess.CompletedProcess
    db: Path
    base: str
    path: dict[str, str]  # fault -> the article path that had it
    run: dict[str, object]


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faults]:
    """A ten-article site: nine answer with a fault, one well; one crawl (DOWNLOAD_MAXSIZE 1 MB)."""
    with serve(FaultSite(size=10)) as server:
        site, base = server.site, server.base_url
        articles = site.articles
        answers = {
            "pdf": Response(200, {"Content-Type": "application/pdf"}, PDF),
            "jpeg": html(JPEG),  # labelled HTML: the bytes tell
            "empty": html(b""),
            "bomb": gzip_bomb(12),
            "too_large": html(b"<p>" + b"x" * 1_500_000 + b"</p>"),
            "loop": redirect(base + "/loop/"),
            "offsite": redirect("http://elsewhere.invalid/stolen-story/"),
            "http_500": html(b"<h1>Internal Server Error</h1>", 500),
            "http_429": html(b"<h1>Slow down</h1>", 429, **{"Retry-After": "0"}),
        }
        path = {name: articles[i].path for i, name in enumerate(answers)}
        for name, answer in answers.items():
            site.answer(path[name], answer)
        site.answer("/loop/", redirect(base + path["loop"], 302))
        db = tmp_path_factory.mktemp("faults") / "archive.db"
        result = run(server, db, "--set", "DOWNLOAD_MAXSIZE=1000000")
        yield Faults(result, db, base, path, last_run(db))


def assert_failed_alone(faults: Faults, name: str, reason: str, count: int = 1) -> None:
    """The run alerted; `name`'s article failed with `reason`, was named, and is not stored."""
    assert faults.result.returncode == 3
    assert faults.run["failures"][reason] == count
    assert faults.base + faults.path[name] in faults.run["failure_examples"][reason]
    assert faults.run["new"] == 1  # the one good article; nothing else
    stored = "SELECT count(*) FROM articles WHERE url = ?"
    assert one(faults.db, stored, (faults.base + faults.path[name],)) == 0


def kept(faults: Faults, name: str) -> list[tuple]:
    """Status and reason of the responses kept for `name`'s article."""
    url = faults.base + faults.path[name]
    return query(faults.db, "SELECT status, failure FROM captures WHERE url = ?", (url,))


def test_a_pdf_a_jpeg_and_an_empty_200_at_article_urls(faults: Faults) -> None:
    assert_failed_alone(faults, "pdf", "not_html", 2)
    assert_failed_alone(faults, "jpeg", "not_html", 2)
    assert_failed_alone(faults, "empty", "empty")
    assert [kept(faults, n) for n in ("pdf", "jpeg", "empty")] == [
        [(200, "not_html")],
        [(200, "not_html")],
        [(200, "empty")],
    ]


def test_a_gzip_bomb(faults: Faults) -> None:
    assert_failed_alone(faults, "bomb", "decompression_bomb")


def test_a_body_past_the_size_limit(faults: Faults) -> None:
    assert_failed_alone(faults, "too_large", "too_large")
    # The answer is kept, status and headers, without the body it was stopped before.
    assert kept(faults, "too_large") == [(200, "too_large")]
    url = faults.base + faults.path["too_large"]
    headers, size = query(faults.db, "SELECT headers, size FROM captures WHERE url = ?", (url,))[0]
    assert json.loads(headers)["Content-Length"] == [str(len(b"<p></p>") + 1_500_000)]
    assert size == 0


def test_a_body_of_undeclared_length_is_stopped_at_the_size_limit() -> None:
    limit, request = SizeLimit(1000), Request("http://127.0.0.1/2025/01/01/long/")
    limit.headers_received(Headers(), -1, request)  # no Content-Length: read on
    limit.bytes_received(b"x" * 600, request)
    with pytest.raises(StopDownload) as stopped:
        limit.bytes_received(b"x" * 600, request)
    assert stopped.value.fail is False  # the response goes on, to be kept as a failure
    assert request.meta["lpscrape_failure"] == "too_large"
    # Its retry (or a redirect) carries this meta: a new answer is judged afresh.
    retry = request.replace()
    limit.headers_received(Headers(), 37, retry)
    limit.bytes_received(b"x" * 37, retry)
    assert "lpscrape_failure" not in retry.meta and retry.meta["lpscrape_bytes"] == 37


def test_a_stopped_compressed_body_is_dropped_before_decompression() -> None:
    request = Request("http://127.0.0.1/2025/01/01/long/", meta={"lpscrape_failure": "too_large"})
    part = gzip.compress(b"<p>" + b"x" * 5_000_000)[:20_000]  # inflates past a 1 MB limit
    response = HtmlResponse(
        request.url, body=part, headers={"Content-Encoding": "gzip"}, request=request
    )
    kept = StoppedBodyMiddleware().process_response(request, response)
    assert kept.body == b"" and b"Content-Encoding" not in kept.headers
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 1_000_000})
    decompression = HttpCompressionMiddleware.from_crawler(crawler)
    with pytest.raises(IgnoreRequest):  # what the part alone would have become: a "bomb"
        decompression.process_response(request, response)
    assert decompression.process_response(request, kept).body == b""


def test_a_redirect_loop(faults: Faults) -> None:
    assert_failed_alone(faults, "loop", "redirect_loop")
    closing = query(faults.db, "SELECT url, status FROM captures WHERE failure = 'redirect_loop'")
    assert closing == [(faults.base + "/loop/", 302)]  # the 3xx that closed the loop, kept


def test_an_article_redirected_off_the_host(faults: Faults) -> None:
    assert_failed_alone(faults, "offsite", "offsite_redirect")
    urls = [r[0] for r in query(faults.db, "SELECT url FROM captures")]
    assert all(u.startswith(faults.base + "/") for u in urls)


def test_the_same_faults_over_a_good_archive_leave_every_article_as_it_was(
    hostile: DemoServer, good_archive: Path
) -> None:
    site, base = hostile.site, hostile.base_url
    answers = {
        "not_html": Response(200, {"Content-Type": "application/pdf"}, PDF),
        "empty": html(b""),
        "decompression_bomb": gzip_bomb(12),
        "too_large": html(b"<p>" + b"x" * 1_500_000 + b"</p>"),
        "redirect_loop": redirect(base + "/loop/"),
        "offsite_redirect": redirect("http://elsewhere.invalid/stolen-story/"),
    }
    failing = {reason: base + a.path for reason, a in zip(answers, site.articles, strict=True)}
    for reason, answer in answers.items():
        site.answer(failing[reason].removeprefix(base), answer)
    site.answer("/loop/", redirect(failing["redirect_loop"], 302))
    before = versions(good_archive)
    articles = "SELECT url, title, status, version FROM articles ORDER BY url"
    stored = query(good_archive, articles)
    result = run(hostile, good_archive, "--full", "--set", "DOWNLOAD_MAXSIZE=1000000")
    assert result.returncode == 3
    row = last_run(good_archive)
    assert row["outcome"] == "completed" and row["failed"] == 6
    assert row["failures"] == dict.fromkeys(answers, 1)
    assert {r: row["failure_examples"][r] for r in answers} == {
        r: [url] for r, url in failing.items()
    }
    assert (row["new"], row["changed"], row["held"]) == (0, 0, 0)
    assert versions(good_archive) == before and query(good_archive, articles) == stored


def test_failed_responses_are_kept_with_status_headers_and_reason(faults: Faults) -> None:
    assert_failed_alone(faults, "http_500", "http_500")
    assert_failed_alone(faults, "http_429", "http_429")
    rows = query(
        faults.db,
        "SELECT kind, status, failure, json_extract(headers, '$.Content-Type[0]') FROM captures "
        "WHERE failure LIKE 'http_%' ORDER BY status, id",
    )
    html_type = "text/html; charset=UTF-8"
    assert rows == [  # the answer the retry replaced, then the last one
        ("retried", 429, "http_429", html_type),
        ("article", 429, "http_429", html_type),
        ("retried", 500, "http_500", html_type),
        ("article", 500, "http_500", html_type),
    ]


def test_every_failure_of_the_run_is_in_its_alert(faults: Faults) -> None:
    assert faults.run["failed"] == 9 == sum(faults.run["failures"].values())
    line = next(a for a in alerts(faults.result) if "requests failed" in a)
    assert line.startswith("lpscrape: ALERT: 9 requests failed (not_html ×2, ")
    assert all(f"{reason} ×" in line for reason in faults.run["failures"])


def test_a_retried_answer_and_a_followed_redirect_are_kept_too(
    hostile: DemoServer, db: Path
) -> None:
    site, base = hostile.site, hostile.base_url
    busy, moved = site.articles[1], site.articles[2]
    site.answer(busy.path, html(b"<h1>Busy</h1>", status=503, **{"Retry-After": "0"}), Pass)
    site.answer(moved.path, redirect(base + moved.path + "?from=old"), Pass)
    result = run(hostile, db)
    assert (result.returncode, result.stderr) == (0, "")  # both ended well: nothing to alert
    assert (last_run(db)["new"], last_run(db)["failed"]) == (6, 0)
    kept = "SELECT kind, status, failure, url, id FROM captures WHERE url LIKE ? ORDER BY id"
    [retried, page] = query(db, kept, (base + busy.path,))
    assert retried[:4] == ("retried", 503, "http_503", base + busy.path)
    assert page[:3] == ("article", 200, None)
    conn = sqlite3.connect(db)
    assert capture_body(conn, retried[4]) == b"<h1>Busy</h1>"  # as served
    conn.close()
    [hop, *_] = query(db, kept, (base + moved.path + "%",))
    assert hop[:4] == ("redirect", 301, None, base + moved.path)
    location = "SELECT json_extract(headers, '$.Location[0]') FROM captures WHERE id = ?"
    assert one(db, location, (hop[4],)) == base + moved.path + "?from=old"


# -- no wrong version, ever ----------------------------------------------------------------


def test_a_canonical_naming_another_article_never_overwrites_it(
    hostile: DemoServer, db: Path
) -> None:
    site, base = hostile.site, hostile.base_url
    page, other = site.articles[0], site.articles[1]

    def points_elsewhere(body: bytes) -> bytes:
        return body.replace(
            f'rel="canonical" href="{base}{page.path}"'.encode(),
            f'rel="canonical" href="{base}{other.path}"'.encode(),
        ).replace(
            f'og:url" content="{base}{page.path}"'.encode(),
            f'og:url" content="{base}{other.path}"'.encode(),
        )

    site.rewrites[page.path] = points_elsewhere
    assert run(hostile, db).returncode == 0
    assert run(hostile, db, "--full").returncode == 0  # the nightly run changes nothing
    titles = dict(query(db, "SELECT url, title FROM articles"))
    assert titles == {base + a.path: a.title for a in site.articles}
    assert one(db, "SELECT count(*) FROM article_versions") == 6
    warnings = json.loads(
        one(db, "SELECT extraction_warnings FROM articles WHERE url = ?", (base + page.path,))
    )
    assert f"canonical_url: {base}{other.path} is not this page's; keyed by the URL" in warnings
    runs = "SELECT outcome, new, changed, unchanged, failed, held FROM crawl_runs ORDER BY id"
    assert query(db, runs) == [("completed", 6, 0, 0, 0, 0), ("completed", 0, 0, 6, 0, 0)]


def test_a_collapsed_body_is_held_for_review_not_stored(
    hostile: DemoServer, good_archive: Path
) -> None:
    site, base = hostile.site, hostile.base_url
    target = site.articles[2]

    def nested(body: bytes) -> bytes:  # 5,000 wrappers: past what the parser follows
        start = body.index(b'<article class="small single">')
        end = body.index(b"</article>") + len(b"</article>")
        return body[:start] + b"<div>" * 5000 + body[start:end] + b"</div>" * 5000 + body[end:]

    site.rewrites[target.path] = nested
    url = base + target.path
    good = one(good_archive, "SELECT body_text FROM articles WHERE url = ?", (url,))
    before = versions(good_archive)
    result = run(hostile, good_archive, "--full")
    assert result.returncode == 3
    assert f"ALERT: new version of {url} held for review, not stored: body collapsed" in (
        result.stderr
    )
    run_row = last_run(good_archive)
    assert (run_row["held"], run_row["unchanged"], run_row["changed"]) == (1, 5, 0)
    assert versions(good_archive) == before
    assert one(good_archive, "SELECT body_text FROM articles WHERE url = ?", (url,)) == good
    held = "SELECT review FROM captures WHERE url = ? AND run_id = ?"
    assert one(good_archive, held, (url, run_row["id"])).startswith("body collapsed from")


# -- the archive knows itself ----------------------------------------------------------------


def assert_one_line(result: subprocess.CompletedProcess, status: int) -> str:
    """The exit status, and one `lpscrape:` line on stderr, no traceback; returns the line."""
    assert result.returncode == status, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lpscrape: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_another_programs_sqlite_file_is_refused_untouched(
    hostile: DemoServer, tmp_path: Path, journal: str
) -> None:
    notes = tmp_path / "notes.db"
    conn = sqlite3.connect(notes)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('call the archivist')")
    conn.commit()
    conn.close()
    before = notes.read_bytes()
    line = assert_one_line(run(hostile, notes), 2)
    assert "SQLite database of another program (notes), not an lpscrape archive" in line
    assert notes.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]
    assert hostile.site.requests == []


def test_a_run_log_on_a_full_disk_is_one_line_not_a_traceback_per_record() -> None:
    script = (
        "import logging\n"
        "from lpscrape.runlog import QuietFileHandler\n"
        "logging.getLogger().addHandler(logging.NullHandler())\n"  # the console's, in a crawl
        "handler = QuietFileHandler('/dev/full')\n"  # every write: ENOSPC, as a full disk
        "logging.getLogger().addHandler(handler)\n"
        "for i in range(50):\n"
        "    logging.getLogger('x').warning('record %d', i)\n"
        "handler.close()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stderr == "lpscrape: run log /dev/full not written: No space left on device\n"


def test_a_record_that_cannot_be_formatted_does_not_end_the_run_log(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    script = (
        "import logging\n"
        "from lpscrape.runlog import QuietFileHandler\n"
        "logging.getLogger().addHandler(logging.NullHandler())\n"
        f"handler = QuietFileHandler({str(log)!r})\n"
        "logging.getLogger().addHandler(handler)\n"
        "logging.getLogger('x').warning('%d pages', 'many')\n"  # a library's bad call
        "logging.getLogger('x').warning('after it')\n"
        "handler.close()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert "--- Logging error ---" in result.stderr  # Python's own report of that record
    assert "not written" not in result.stderr  # the disk is not blamed
    assert log.read_text() == "after it\n"  # and the run's log goes on


def v1_archive(path: Path) -> Path:
    """A version 1 archive, as the first lpscrape wrote them."""
    conn = sqlite3.connect(path)
    conn.executescript((Path(__file__).parent / "files" / "archive_v1.sql").read_text())
    conn.close()
    return path


def test_an_older_archive_is_migrated_forward(hostile: DemoServer, tmp_path: Path) -> None:
    db = v1_archive(tmp_path / "archive.db")
    old_versions = versions(db)
    assert run(hostile, db).returncode == 0
    assert (one(db, "PRAGMA user_version"), one(db, "PRAGMA application_id")) == (
        SCHEMA_VERSION,
        0x4C505343,
    )
    # Version 4 names each article's publication: older archives' by the article's host.
    assert set(query(db, "SELECT DISTINCT publication FROM articles")) == {
        ("lordspress.example",),
        (urlsplit(hostile.base_url).netloc,),
    }
    assert set(old_versions) < set(versions(db))  # the old archive's versions, kept
    # Version 5 keeps each article's publication day: the old archive's too (London days).
    assert one(db, "SELECT count(*) FROM articles WHERE published_day IS NULL") == 0
    days = query(db, "SELECT url, published_day FROM articles")
    assert all(url.split("/")[3:6] == day.split("-") for url, day in days)  # /YYYY/MM/DD/
    assert one(db, "SELECT count(*) FROM articles") == 2 + 6
    assert query(db, "SELECT id, outcome, failures FROM crawl_runs") == [
        (1, "completed", None),
        (2, "completed", "{}"),
    ]
    assert one(db, "PRAGMA integrity_check") == "ok"


LINK_TABLES = (
    "SELECT sql FROM sqlite_master WHERE name IN "
    "('article_authors', 'article_categories', 'article_tags') ORDER BY name"
)
LINKS = (
    "SELECT 'a', article_url, author_id, position FROM article_authors UNION ALL "
    "SELECT 'c', article_url, category_id, position FROM article_categories UNION ALL "
    "SELECT 't', article_url, tag_id, position FROM article_tags"
)


def test_a_version_4_archive_is_migrated_forward_and_still_rebuilds(
    hostile: DemoServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"  # written by the code of commit f7baad0 (schema version 4)
    conn = sqlite3.connect(db)
    conn.executescript((Path(__file__).parent / "files" / "archive_v4.sql").read_text())
    conn.close()
    old_versions = versions(db)
    assert len(old_versions) == 4 and one(db, "PRAGMA user_version") == 4
    old_links = set(query(db, LINKS))
    assert old_links and run(hostile, db).returncode == 0
    assert one(db, "PRAGMA user_version") == SCHEMA_VERSION
    # Version 7's link tables, clustered on their key, with every link of the old archive.
    assert [sql.endswith("WITHOUT ROWID") for (sql,) in query(db, LINK_TABLES)] == [True] * 3
    assert old_links <= set(query(db, LINKS))
    assert set(old_versions) < set(versions(db))  # kept, beside the new crawl's
    days = query(db, "SELECT url, published_day FROM articles")  # version 5's column, filled
    assert len(days) == 3 + 6 and all(u.split("/")[3:6] == d.split("-") for u, d in days)
    search = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'embassy'"
    assert one(db, search) >= 1  # the old articles are still found (treaties finds treaty)
    before = versions(db)
    archive = Archive.open(db)
    reparse(archive)  # the old captures alone rebuild the same versions
    archive.close()
    assert versions(db) == before
    assert one(db, "PRAGMA integrity_check") == "ok"


def test_a_newer_archive_is_refused(hostile: DemoServer, tmp_path: Path) -> None:
    db = v1_archive(tmp_path / "archive.db")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.execute("PRAGMA application_id = 1280332611")  # "LPSC"
    conn.close()
    before = db.read_bytes()
    line = assert_one_line(run(hostile, db), 2)
    assert f"schema version 99, newer than this lpscrape understands ({SCHEMA_VERSION})" in line
    assert db.read_bytes() == before


# -- storage errors --------------------------------------------------------------------------


def test_disk_full_mid_run_fails_cleanly_and_loses_nothing(
    hostile: DemoServer, good_archive: Path
) -> None:
    def padded(body: bytes) -> bytes:  # ~100 KiB more to store per page, in a comment
        return body.replace(b"</body>", f"<!-- {os.urandom(60_000).hex()} --></body>".encode())

    for article in hostile.site.articles:
        hostile.site.rewrites[article.path] = padded
    limit = good_archive.stat().st_size + 150_000
    before = versions(good_archive)

    def small_disk() -> None:  # the file size limit: writes past it fail as on a full disk
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    args = ["crawl", "--start-url", hostile.base_url + "/", "--db", str(good_archive)]
    told = good_archive.with_name("alert.txt")  # the alert command still tells someone
    result = subprocess.run(
        [sys.executable, "-m", "lpscrape", *args, "--delay", "0", "--full",
         "--set", "ARCHIVE_BATCH_SIZE=2", "--set", f"LPSCRAPE_ALERT_COMMAND=tee {told}"],
        capture_output=True, text=True, cwd=ROOT, preexec_fn=small_disk, timeout=120,
    )  # fmt: skip
    line = assert_one_line(result, 1)
    assert line.startswith("lpscrape: crawl failed: storage error: ")
    assert "- storage error: " in told.read_text()
    run_row = last_run(good_archive)
    assert run_row["outcome"] == "failed" and run_row["error"].startswith("storage error")
    assert one(good_archive, "PRAGMA integrity_check") == "ok"
    assert query(good_archive, "PRAGMA foreign_key_check") == []
    # Nothing half-written: every article has its version and the capture it came from,
    # and every capture of the failed run that was kept is whole.
    orphans = (
        "SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM article_versions v "
        "WHERE v.url = a.url AND v.version = a.version AND v.content_hash = a.content_hash) "
        "OR NOT EXISTS (SELECT 1 FROM captures c WHERE c.id = a.latest_capture_id)"
    )
    assert one(good_archive, orphans) == 0
    assert versions(good_archive) == before  # a comment more on each page: no new version
    kept = query(
        good_archive, "SELECT size, id FROM captures WHERE run_id = 2 AND revisit_of IS NULL"
    )
    conn = sqlite3.connect(good_archive)
    assert kept and all(len(capture_body(conn, capture_id)) == size for size, capture_id in kept)
    conn.close()
    assert len(kept) < 13  # the run stopped part-way
    hostile.site.rewrites.clear()
    assert run(hostile, good_archive, "--full").returncode == 0  # the next run completes
    assert last_run(good_archive)["unchanged"] == 6


@pytest.mark.skipif(not shutil.which("chattr"), reason="needs chattr to make a file read-only")
def test_an_io_error_mid_run_is_one_line_and_the_next_run_closes_the_run(
    hostile: DemoServer, good_archive: Path
) -> None:
    for article in hostile.site.articles:  # slow pages: the file goes read-only mid-run
        hostile.site.delays[article.path] = 0.4
    before = versions(good_archive)
    crawling = subprocess.Popen(
        [sys.executable, "-m", "lpscrape", "crawl", "--start-url", hostile.base_url + "/",
         "--db", str(good_archive), "--delay", "0", "--full", *FAST,
         "--set", "ARCHIVE_BATCH_SIZE=1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wal = good_archive.with_name(good_archive.name + "-wal")
    deadline = time.monotonic() + 60
    while not wal.exists() or wal.stat().st_size < 100_000:  # a few captures written
        assert time.monotonic() < deadline and crawling.poll() is None, "nothing was written"
        time.sleep(0.02)
    frozen = [str(good_archive), str(wal)]
    if subprocess.run(["chattr", "+i", *frozen], capture_output=True).returncode:
        crawling.kill()
        pytest.skip("cannot make a file read-only here")
    try:
        _, err = crawling.communicate(timeout=120)
        # The file cannot say how the run ended: a note beside it does, and status reads it.
        assert crawling.returncode == 1 and err.count("\n") == 1, err
        assert err.startswith("lpscrape: crawl failed: storage error: disk I/O error; ")
        assert err.endswith("(run 2 closed as failed by the next run)\n")
        status = run_cli("status", "--db", str(good_archive), check=False).stdout
        assert "Run 2 failed and could not be closed in the archive: storage error: disk I/O" in (
            " ".join(status.split())
        )
    finally:
        subprocess.run(["chattr", "-i", *frozen], check=True)
    assert one(good_archive, "PRAGMA integrity_check") == "ok"
    assert versions(good_archive) == before  # nothing half-written, no wrong version
    result = run(hostile, good_archive)  # the next run closes run 2 as what it was
    assert result.returncode == 3
    started = one(good_archive, "SELECT started_at FROM crawl_runs WHERE id = 2")
    assert alerts(result) == [
        f"lpscrape: ALERT: run 2 (started {started}) "
        "failed and could not be closed then: storage error: disk I/O error; the unfinished "
        "batch was rolled back — free some space or fix the file, and the next run fetches "
        "what this one could not store (marked failed now)"
    ]
    closed = query(good_archive, "SELECT outcome, error, finished_at FROM crawl_runs WHERE id = 2")
    assert closed[0][0] == "failed" and closed[0][1].startswith("storage error: disk I/O error")
    assert closed[0][2] is not None
    assert last_run(good_archive)["outcome"] == "completed" and versions(good_archive) == before
    assert not good_archive.with_name("archive.db.unclosed").exists()


def test_a_bug_in_the_store_worker_fails_the_run_in_one_line_and_never_hangs(
    hostile: DemoServer, good_archive: Path, tmp_path: Path
) -> None:
    """Not an SQLite error: the worker must say so, roll back, and the crawl must end."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "from lpscrape.archive import store\n"
        "real, calls = store.Archive.add, [0]\n"
        "def add(self, *args, **kwargs):\n"
        "    calls[0] += 1\n"
        "    if calls[0] == 3:\n"
        "        raise KeyError('a bug in the store')\n"
        "    return real(self, *args, **kwargs)\n"
        "store.Archive.add = add\n"
    )
    told = tmp_path / "alert.txt"
    args = ["crawl", "--start-url", hostile.base_url + "/", "--db", str(good_archive)]
    result = subprocess.run(
        [sys.executable, "-m", "lpscrape", *args, "--delay", "0", "--full",
         "--set", f"LPSCRAPE_ALERT_COMMAND=tee {told}"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "PYTHONPATH": str(hooks)},
    )  # fmt: skip
    line = assert_one_line(result, 1)
    assert "the store worker failed: KeyError: 'a bug in the store'" in line
    assert "the store worker failed" in told.read_text()
    logs = "".join(p.read_text() for p in (good_archive.parent / "logs").glob("crawl-*.log"))
    assert "Traceback" in logs and "raise KeyError('a bug in the store')" in logs
    run_row = last_run(good_archive)
    assert run_row["outcome"] == "failed" and "KeyError" in run_row["error"]
    assert one(good_archive, "PRAGMA integrity_check") == "ok"
    assert run(hostile, good_archive, "--full").returncode == 0  # the next run completes


@pytest.mark.skipif(not shutil.which("chattr"), reason="needs chattr to make a file read-only")
def test_a_read_only_archive_is_refused_in_one_line(
    hostile: DemoServer, good_archive: Path
) -> None:
    before = good_archive.read_bytes()
    beside = sorted(good_archive.parent.iterdir())
    # Root ignores file modes; the immutable flag stops root too.
    make = ["chattr", "+i"] if os.geteuid() == 0 else ["chmod", "a-w"]
    if subprocess.run([*make, str(good_archive)], capture_output=True).returncode:
        pytest.skip("cannot make a file read-only here")
    try:
        line = assert_one_line(run(hostile, good_archive), 2)
    finally:
        undo = ["chattr", "-i"] if os.geteuid() == 0 else ["chmod", "u+w"]
        subprocess.run([*undo, str(good_archive)], check=True)
    assert "the file is read-only" in line
    assert good_archive.read_bytes() == before
    assert sorted(good_archive.parent.iterdir()) == beside  # no -wal or -shm made beside it
    assert hostile.site.requests == []  # the reachability check connects, asks for nothing


# -- one crawl per archive ---------------------------------------------------------------------


def start_slow_crawl(server: DemoServer, db: Path) -> subprocess.Popen:
    """A crawl that takes a few seconds, started in the background; returns once it holds
    the archive's lock."""
    for article in server.site.articles:
        server.site.delays[article.path] = 0.3
    args = ["crawl", "--start-url", server.base_url + "/", "--db", str(db), "--delay", "0"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "lpscrape", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = db.with_name(db.name + ".lock")
    deadline = time.monotonic() + 30
    while not (lock.exists() and lock.read_text() and len(server.site.timeline) > 4):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return proc


def test_a_second_crawl_on_the_same_archive_exits_at_once(hostile: DemoServer, db: Path) -> None:
    first = start_slow_crawl(hostile, db)
    started = time.monotonic()
    line = assert_one_line(run(hostile, db), 75)
    assert time.monotonic() - started < 10
    assert f"is being written by another process (pid {first.pid}, a crawl since" in line
    assert first.wait(timeout=60) == 0
    assert query(db, "SELECT outcome, new FROM crawl_runs") == [("completed", 6)]
    probes = [r for r in hostile.site.requests if r.path == "/robots.txt"]
    assert len(probes) == 1  # the first crawl's own: the second never asked for anything


def test_a_lock_left_by_a_killed_crawl_is_taken_over(hostile: DemoServer, db: Path) -> None:
    killed = start_slow_crawl(hostile, db)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    hostile.site.delays.clear()
    result = run(hostile, db)
    assert f"lpscrape: took over the lock of {db} left by pid {killed.pid}" in result.stderr
    assert query(db, "SELECT outcome FROM crawl_runs ORDER BY id") == [
        ("aborted",),
        ("completed",),
    ]
    assert one(db, "SELECT count(*) FROM articles") == 6
    # The killed run could not say so itself: the next one does, in its alerts and its exit.
    assert result.returncode == 3
    assert "ALERT: run 1 (started " in result.stdout + result.stderr
    assert "never closed: the crawl was killed or crashed" in result.stdout + result.stderr
    assert "killed or crashed); found by run 2" in one(
        db, "SELECT error FROM crawl_runs WHERE id = 1"
    )
    assert run(hostile, db).returncode == 0  # said once: the run after is quiet


# -- discovery ---------------------------------------------------------------------------------


def robots(*sitemaps: str) -> Response:
    """A robots.txt naming these sitemaps."""
    lines = ["User-agent: *", "Disallow: /wp-admin/", "", *(f"Sitemap: {s}" for s in sitemaps)]
    return Response(200, {"Content-Type": "text/plain"}, "\n".join(lines).encode())


def test_a_huge_sitemap_never_starves_the_real_articles(hostile: DemoServer, db: Path) -> None:
    site = hostile.site
    junk = "".join(
        f"<url><loc>{hostile.base_url}/junk/{i}/</loc><lastmod>2030-01-01</lastmod></url>"
        for i in range(60_000)
    )
    xml = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{junk}</urlset>'
    site.answer("/robots.txt", robots("/sitemap_index.xml", "big-sitemap.xml"))  # relative too
    site.answer(
        "/big-sitemap.xml", Response(200, {"Content-Type": "application/xml"}, xml.encode())
    )
    result = run(hostile, db, "--set", "LPSCRAPE_SITEMAP_MAX_URLS=20")
    assert result.returncode == 3
    run_row = last_run(db)
    assert run_row["new"] == 6  # every real article
    assert run_row["sitemap_deferred"] == 60_000 - 20
    assert "cap of 20 URLs per run was reached: 59980 URLs wait" in result.stderr
    assert len([r for r in site.requests if r.path.startswith("/junk/")]) == 20


def test_a_sitemap_named_twice_still_ends_discovery_and_marks_gone(
    hostile: DemoServer, good_archive: Path
) -> None:
    site, base = hostile.site, hostile.base_url
    site.answer("/robots.txt", robots(f"{base}/sitemap_index.xml", f"{base}/post-sitemap.xml"))
    removed = site.articles[3]
    site.removed.add(removed.path)
    result = run(hostile, good_archive)
    assert (result.returncode, result.stderr) == (0, "")
    assert (last_run(good_archive)["gone"], last_run(good_archive)["failed"]) == (1, 0)
    status = "SELECT status FROM articles WHERE url = ?"
    assert one(good_archive, status, (base + removed.path,)) == "gone"
    paths = [r.path for r in site.requests]
    assert paths.count("/post-sitemap.xml") == 1
    assert paths.count("/robots.txt") == 1  # once a run: the start check only connects


def test_robots_txt_that_cannot_be_fetched_is_a_failure_and_discovery_goes_on(
    hostile: DemoServer, db: Path
) -> None:
    hostile.site.answer("/robots.txt", Drop)
    result = run(hostile, db)
    assert result.returncode == 3 and "Traceback" not in result.stderr
    run_row = last_run(db)
    assert (run_row["failures"], run_row["new"]) == ({"connection": 1}, 6)  # guessed sitemaps
    assert run_row["failure_examples"] == {"connection": [hostile.base_url + "/robots.txt"]}


def test_robots_txt_forbidding_everything_is_not_a_quiet_success(
    hostile: DemoServer, db: Path
) -> None:
    forbid = b"User-agent: *\nDisallow: /20\n"  # every permalink: /YYYY/MM/DD/slug/
    hostile.site.answer("/robots.txt", Response(200, {"Content-Type": "text/plain"}, forbid))
    result = run(hostile, db)
    assert result.returncode == 3
    assert "6 articles were expected and none was stored, 6 forbidden by robots.txt" in (
        result.stderr
    )
    assert not [r for r in hostile.site.requests if r.path.startswith("/20")]


# -- politeness by host ------------------------------------------------------------------------


def longest_quiet(site: FaultSite, since: float) -> float:
    """The longest time the site saw no new request, between requests arriving after
    `since` (timer jitter under load does not matter, only the length of the silence)."""
    starts = sorted(t for t, _, _ in site.timeline if t >= since)
    return max((b - a for a, b in itertools.pairwise(starts)), default=0.0)


def test_retry_after_pauses_the_whole_host(hostile: DemoServer, db: Path) -> None:
    site = hostile.site
    busy = Response(503, {"Content-Type": "text/html", "Retry-After": "1"}, b"<h1>busy</h1>")
    site.answer("/feed/", busy, Pass)
    assert run(hostile, db, "--set", "RETRY_BACKOFF_MAX=5").returncode == 0
    t503 = next(t for t, p, s in site.timeline if p == "/feed/" and s == 503)
    # The whole host waited (Retry-After: 1), not just the feed; the margin is for a request
    # already on its way when the pause began, on a loaded machine.
    assert longest_quiet(site, t503) >= 0.8
    retried = next(t for t, p, s in site.timeline if p == "/feed/" and s == 200)
    assert retried >= t503 + 0.95
    assert len([t for t, _, _ in site.timeline if t > t503]) > 6  # others waited, then went
    assert last_run(db)["new"] == 6


@pytest.mark.parametrize("fault", ["timeout", "reset"])
def test_a_failed_connection_pauses_the_host(hostile: DemoServer, db: Path, fault: str) -> None:
    site = hostile.site
    for article in site.articles:  # work that would go on during the pause, were there none
        site.delays[article.path] = 0.1
    if fault == "timeout":  # the feed, asked for early: both tries time out
        site.delays["/feed/"] = 1.0
    else:  # the feed's connection drops twice, then the feed answers. Twice: a drop on a
        # reused keep-alive connection is retried once by Twisted's connection pool itself,
        # at once and unseen by Scrapy; the second drop is Scrapy's to retry.
        site.answer("/feed/", Drop, Drop, Pass)
    extra = ("--set", "DOWNLOAD_TIMEOUT=0.4", "--set", "RETRY_BACKOFF_BASE=1.0")
    result = run(hostile, db, *extra)
    first = next(t for t, p, _ in site.timeline if p == "/feed/")
    # The backoff (1 s) held every request of the host; a request already on its way when
    # the pause began may still arrive late on a loaded machine, hence the margin. Without
    # the pause the longest silence is about one article's delay (0.1 s).
    assert longest_quiet(site, first) >= 0.55
    assert len([t for t, _, _ in site.timeline if t > first]) > 6  # others waited, then went
    assert last_run(db)["new"] == 6
    if fault == "timeout":  # counted, explained, alerted
        assert result.returncode == 3
        assert last_run(db)["failures"] == {"timeout": 1}
    else:  # the retry after the pause succeeds
        assert result.returncode == 0


# -- every response kept, identical bytes once ----------------------------------------------


def test_identical_payloads_are_stored_once(hostile: DemoServer, db: Path, tmp_path: Path) -> None:
    noon = datetime(2025, 10, 21, 12, 0, tzinfo=LONDON)
    hostile.site.clock = lambda: noon  # the header's date and weather stand still
    assert run(hostile, db).returncode == 0
    size = db.stat().st_size
    assert run(hostile, db, "--full").returncode == 0
    second = query(
        db,
        "SELECT coalesce(c.body_gzip, c.body_zstd) IS NULL, o.sha256 = c.sha256, o.run_id "
        "FROM captures c "
        "LEFT JOIN captures o ON o.id = c.revisit_of WHERE c.run_id = 2 AND c.status = 200",
    )
    assert second and set(second) == {(1, 1, 1)}  # every 200 of run 2 points to run 1's bytes
    runs = "SELECT outcome, new, changed, unchanged, failed FROM crawl_runs ORDER BY id"
    assert query(db, runs) == [("completed", 6, 0, 0, 0), ("completed", 0, 0, 6, 0)]
    assert db.stat().st_size < size * 1.1
    archive = Archive.open(db)
    reparse(archive)  # revisits still give their bytes
    archive.close()
    assert one(db, "SELECT count(*) FROM article_versions") == 6
    warc = tmp_path / "archive.warc.gz"
    export_warc(db, warc)

    with warc.open("rb") as stream:
        kinds = [r.rec_type for r in ArchiveIterator(stream)]
    assert kinds.count("revisit") == len(second)


# -- progress ----------------------------------------------------------------------------------


def test_progress_on_a_terminal_in_the_log_otherwise(hostile: DemoServer, db: Path) -> None:
    import pty

    for article in hostile.site.articles:
        hostile.site.delays[article.path] = 0.1
    every = ("--set", "LPSCRAPE_PROGRESS_INTERVAL=0.05")
    logged = run(hostile, db, *every, "-v")  # not a terminal: progress is a log line
    assert "[lpscrape.progress] INFO: progress: [00:0" in logged.stderr
    assert "\r" not in logged.stderr
    leader, follower = pty.openpty()
    args = ["crawl", "--start-url", hostile.base_url + "/", "--db", str(db), "--delay", "0"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "lpscrape", *args, *every, "--full"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=60) == 0
    os.close(leader)
    assert b"\r[00:0" in seen and b"fetched" in seen  # a line rewritten in place
    assert b"INFO" not in seen


def test_a_site_with_no_post_is_not_a_quiet_success(tmp_path: Path, db: Path) -> None:
    """A start URL that is not a WordPress site (a plain page, every other path 404): nothing
    to archive, and the archivist hears it (it would otherwise end `completed`, exit 0)."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html><body><p>Welcome</p></body></html>")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "site"))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        args = ["crawl", "--start-url", url, "--db", str(db), "--delay", "0"]
        result = subprocess.run(
            [sys.executable, "-m", "lpscrape", *args],
            capture_output=True, text=True, timeout=120, cwd=ROOT,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 3, result.stderr
    assert "lpscrape: ALERT: no article was found" in result.stderr
    assert last_run(db)["outcome"] == "completed" and last_run(db)["new"] == 0

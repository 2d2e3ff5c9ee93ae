"""A host that asks for long pauses, and a crawl stopped while it waits: a hostile site on
127.0.0.1, a real `lpscrape crawl` in its own process, a real archive (RELIABILITY.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from conftest import ROOT, calls, crawl, last_run, query, recorder
from faultsite import FaultSite, Pass, html

from lpscrape.demo import DemoServer

# Short waits where the test is not about them.
FAST = (
    "--set",
    "RETRY_BACKOFF_BASE=0.05",
    "--set",
    "RETRY_BACKOFF_MAX=1",
    "--set",
    "RETRY_TIMES=2",
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A path for a fresh archive."""
    return tmp_path / "archive.db"


def alerts(stderr: str) -> list[str]:
    """The ALERT lines a cron mail would carry."""
    return [line for line in stderr.splitlines() if line.startswith("lpscrape: ALERT: ")]


def too_many(retry_after: str) -> object:
    """A `429` asking for a pause of `retry_after`."""
    return html(b"<h1>Too many requests</h1>", 429, **{"Retry-After": retry_after})


def article_hits(site: FaultSite, status: int | None = None) -> list[tuple[float, str, int]]:
    """The requests the site saw for its articles (with this status)."""
    paths = {a.path for a in site.articles}
    return [e for e in site.timeline if e[1] in paths and status in (None, e[2])]


# -- a Retry-After longer than the crawl waits: the host is given up for the run ---------------


def in_an_hour() -> str:
    """An HTTP date one hour from now."""
    return format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)


@pytest.mark.parametrize("retry_after", ["3600", "date"])
def test_a_host_asking_for_a_longer_pause_than_the_crawl_waits_is_given_up(
    hostile: DemoServer, db: Path, retry_after: str
) -> None:
    site, host = hostile.site, hostile.base_url.removeprefix("http://")
    for article in site.articles:
        site.answer(article.path, too_many(in_an_hour() if retry_after == "date" else "3600"))
    result = crawl(hostile, db, *FAST, "--set", "RETRY_AFTER_MAX=5", check=False)
    assert result.returncode == 3, result.stderr
    # The first 429 gave the host up: only the requests already on their way (at most
    # CONCURRENT_REQUESTS_PER_DOMAIN) reached it, none was retried (the old crawl paused
    # RETRY_BACKOFF_MAX and asked every article three times, 18 requests).
    refused = article_hits(site, 429)
    assert 1 <= len(refused) <= 2 and len(article_hits(site)) == len(refused)
    first = min(t for t, _, _ in refused)
    assert not [e for e in site.timeline if e[0] > first + 1.0]  # nothing asked after it
    run = last_run(db)
    assert run["outcome"] == "completed"
    assert run["failures"] == {"http_429": len(refused), "retry_after": 6 - len(refused)}
    assert run["failed"] == 6 and run["new"] == 0
    lines = alerts(result.stderr)
    pause = next(a for a in lines if "asked for a pause of" in a)
    assert pause.startswith(f"lpscrape: ALERT: {host} asked for a pause of ")
    seconds = float(pause.split("asked for a pause of ")[1].split(" s ")[0])
    assert 3500 <= seconds <= 3600
    assert "longer than the crawl waits (RETRY_AFTER_MAX, 5 s)" in pause
    assert f"its {6 - len(refused)} other requests were not sent (counted as retry_after)" in pause
    assert any(a.startswith("lpscrape: ALERT: 6 requests failed (") for a in lines)
    # Each 429 the site gave is kept, with its Retry-After, as the failed fetch it ended.
    kept = query(
        db,
        "SELECT kind, failure, json_extract(headers, '$.Retry-After[0]') FROM captures "
        "WHERE status = 429",
    )
    assert len(kept) == len(refused)
    assert {(k, f) for k, f, _ in kept} == {("article", "http_429")}
    examples = run["failure_examples"]["retry_after"]
    assert examples and all(u.startswith(hostile.base_url + "/20") for u in examples)


def test_a_retry_after_the_crawl_waits_for_is_honoured_in_full(
    hostile: DemoServer, db: Path
) -> None:
    site = hostile.site
    busy = html(b"<h1>busy</h1>", 503, **{"Retry-After": "2"})
    site.answer("/feed/", busy, Pass)
    # The backoff's own cap (0.5 s) no longer shortens the pause the site asked for.
    extra = ("--set", "RETRY_BACKOFF_MAX=0.5", "--set", "RETRY_AFTER_MAX=5")
    result = crawl(hostile, db, *extra, check=False)
    assert (result.returncode, result.stderr) == (0, "")
    t503 = next(t for t, p, s in site.timeline if p == "/feed/" and s == 503)
    retried = next(t for t, p, s in site.timeline if p == "/feed/" and s == 200)
    assert retried >= t503 + 1.9
    assert last_run(db)["new"] == 6


# -- SIGTERM (a service stop) or SIGINT (Ctrl+C) while the crawl waits out a pause ------------


def start(server: DemoServer, db: Path, *extra: str) -> subprocess.Popen:
    """`lpscrape crawl` in a process group of its own, as systemd starts a service."""
    args = ["crawl", "--start-url", server.base_url + "/", "--db", str(db), "--delay", "0"]
    return subprocess.Popen(
        [sys.executable, "-m", "lpscrape", *args, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_until(condition: object, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait for `condition()` while the crawl runs."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the site never saw what the test waits for"
        time.sleep(0.05)


def stop(proc: subprocess.Popen, signum: int) -> tuple[float, str, str]:
    """Send `signum` to the crawl's whole process group (systemd's stop sends SIGTERM to every
    process of the unit; Ctrl+C sends SIGINT to the terminal's group); when it was sent, and
    what the crawl printed. Fails if the crawl is not over within a minute (systemd would kill
    it after 90 s)."""
    sent = time.monotonic()
    os.killpg(proc.pid, signum)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("the crawl was still running a minute after the signal") from None
    return sent, out, err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_crawl_stopped_while_it_waits_out_pauses_stops_at_once_and_keeps_every_answer(
    hostile: DemoServer, db: Path, tmp_path: Path, signum: int
) -> None:
    site = hostile.site
    for article in site.articles:  # pauses the crawl is willing to wait for, again and again
        site.answer(article.path, too_many("2"))
    command, received = recorder(tmp_path, "alert")
    proc = start(hostile, db, "--set", f"LPSCRAPE_ALERT_COMMAND={command}")
    try:
        # Signalled early in a pause, after at least five 429s: retries are planned (some
        # waiting in the scheduler, some here), other articles wait for the pause's end.
        def in_a_pause() -> bool:
            quiet = time.monotonic() - max((t for t, _, _ in site.timeline), default=0.0)
            return len(article_hits(site, 429)) >= 5 and 0.3 < quiet < 1.0

        wait_until(in_a_pause, proc)
        sent, out, err = stop(proc, signum)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    # Stopped in seconds (it waited out every pause, sending new articles' requests between
    # them, for 280-406 s); and nothing went out after the signal.
    assert time.monotonic() - sent < 30
    assert not [e for e in site.timeline if e[0] > sent]
    answered = article_hits(site, 429)
    asked = {path for _, path, _ in answered}
    assert proc.returncode == 1
    run = last_run(db)
    assert run["outcome"] == "aborted"
    # Every 429 the site gave is kept — the last of each article as its failed fetch, the
    # others as answers a retry replaced, whether or not that retry was ever sent — and each
    # article asked for counts once, in the run and in its alert.
    kept = query(db, "SELECT url, kind, failure FROM captures WHERE status = 429 ORDER BY id")
    assert len(kept) == len(answered)
    assert {f for _, _, f in kept} == {"http_429"}
    finals = [u for u, k, _ in kept if k == "article"]
    assert sorted(finals) == sorted(hostile.base_url + p for p in asked)
    assert len(kept) - len(finals) == len([k for _, k, _ in kept if k == "retried"])
    n = len(asked)
    assert run["failures"] == {"http_429": n} and run["failed"] == n
    stopped = next(a for a in run["alerts"] if a.startswith("the crawl was stopped"))
    assert f"{n} requests failed (http_429 ×{n})" in stopped
    assert not [a for a in run["alerts"] if "no article was found" in a]
    assert run["error"] == stopped
    assert f"lpscrape: crawl aborted: {stopped}" in err.splitlines()
    assert "Traceback" not in err
    # The alert reached the archivist's command, naming the stop and the 429s.
    [delivered] = calls(received)
    assert "the crawl was stopped before it finished" in delivered["stdin"]
    assert f"http_429 ×{n}" in delivered["stdin"]
    assert "ALERT: the crawl was stopped" in out  # the summary on stdout lists them too


def test_a_crawl_stopped_before_any_article_never_says_none_was_found(
    hostile: DemoServer, db: Path
) -> None:
    """A fresh archive, stopped while discovery was still reading the sitemaps: no article
    asked for yet, no failure; the run says it was stopped, not that the site has no post."""
    site = hostile.site
    site.delays["/post-sitemap.xml"] = 3.0
    proc = start(hostile, db)
    try:
        wait_until(lambda: any(p == "/sitemap_index.xml" for _, p, _ in site.timeline), proc)
        time.sleep(0.5)  # the post sitemap is on its way, slowly
        _, _, err = stop(proc, signal.SIGTERM)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1
    run = last_run(db)
    assert (run["outcome"], run["failed"], run["new"]) == ("aborted", 0, 0)
    assert not article_hits(site)
    assert [a.split(",")[0] for a in run["alerts"]] == [
        "the crawl was stopped before it finished (SIGTERM or SIGINT: a service stop"
    ]
    assert "no article was found" not in err

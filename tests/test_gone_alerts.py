"""Articles marked gone that the archivist must hear about: pages the site still lists but
does not serve, and most of the archive gone at once (RELIABILITY.md). Real crawls of a
hostile site on 127.0.0.1 into real archives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import crawl, query, run_cli
from faultsite import html

from lpscrape.demo import DemoServer

NOT_FOUND = b"<html><body><h1>Page not found</h1></body></html>"
# Runs of six articles are judged (and so make a baseline) like runs of the real site's.
JUDGED = ("--set", "LPSCRAPE_DRIFT_MIN_ARTICLES=3")


@pytest.fixture(scope="module")
def healthy_archive(hostile_server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three healthy runs of the well-behaved site: a baseline for drift."""
    db = tmp_path_factory.mktemp("healthy") / "archive.db"
    hostile_server.site.reset()
    for _ in range(3):
        crawl(hostile_server, db, *JUDGED)
    return db


@pytest.fixture
def archive(healthy_archive: Path, tmp_path: Path, hostile: DemoServer) -> Path:
    """A copy of the healthy archive for one test."""
    db = tmp_path / "archive.db"
    shutil.copy(healthy_archive, db)
    return db


def last_run(db: Path) -> tuple[int, int, list[str]]:
    """The latest run's id, `gone` and alerts."""
    [(run_id, gone, alerts)] = query(
        db, "SELECT id, gone, alerts FROM crawl_runs ORDER BY id DESC LIMIT 1"
    )
    return run_id, gone, json.loads(alerts or "[]")


def alert_lines(stderr: str) -> list[str]:
    """The ALERT lines a cron mail would carry, without their prefix."""
    prefix = "lpscrape: ALERT: "
    return [line.removeprefix(prefix) for line in stderr.splitlines() if line.startswith(prefix)]


def kept_text(db: Path, url: str) -> tuple[str, int]:
    """An article's status and the length of its text."""
    [(status, length)] = query(
        db, "SELECT status, length(body_text) FROM articles WHERE url = ?", (url,)
    )
    return status, length


def test_articles_the_sitemap_still_lists_answering_404_are_gone_and_alerted(
    hostile: DemoServer, archive: Path
) -> None:
    site, base = hostile.site, hostile.base_url
    missing = [site.articles[1], site.articles[4]]
    site.answer(missing[0].path, html(NOT_FOUND, 404))
    site.answer(missing[1].path, html(NOT_FOUND, 410))
    # Two of six, fewer articles than LPSCRAPE_DRIFT_MIN_ARTICLES (10): no share is judged,
    # yet a page the site lists and does not serve is news by itself.
    result = crawl(hostile, archive, "--full", check=False)
    assert result.returncode == 3, result.stderr
    _, gone, alerts = last_run(archive)
    assert gone == 2
    [line] = alert_lines(result.stderr)
    assert line == alerts[0]
    assert line.startswith(
        "2 articles the site still lists (its sitemaps, feed or REST API) answered 404 or 410, "
        "e.g. "
    )
    assert all(base + a.path in line for a in missing)
    assert "marked gone, their text kept" in line
    for article in missing:  # still marked gone, the text kept
        status, length = kept_text(archive, base + article.path)
        assert status == "gone" and length > 500
    live = "SELECT count(*) FROM articles WHERE status = 'live'"
    assert query(archive, live) == [(4,)]


def test_every_article_gone_at_once_is_an_alarm_and_nothing_claims_nothing_was_lost(
    hostile: DemoServer, archive: Path
) -> None:
    site, base = hostile.site, hostile.base_url
    for article in site.articles:
        site.answer(article.path, html(NOT_FOUND, 404))
    result = crawl(hostile, archive, "--full", *JUDGED, check=False)
    assert result.returncode == 3, result.stderr
    run_id, gone, alerts = last_run(archive)
    assert gone == 6
    lines = alert_lines(result.stderr)
    assert lines == alerts
    assert any(a.startswith("6 articles the site still lists") for a in lines)
    assert (
        "every live article of the site (6) was marked gone in this run: the site may be broken "
        "rather than pruned; the archive keeps their text, and each is live again when a later "
        "run finds it"
    ) in lines
    # The drift alert (no article found, against the baseline of the three runs before) is
    # there, and nothing anywhere says that nothing was lost.
    [paragraph] = [a for a in lines if a.startswith(f"Run {run_id} drifted")]
    assert "an article the run marked gone keeps its text" in paragraph
    assert "(the run's other alerts count them by reason" in paragraph  # not only the URL
    # No field drifted, articles went missing: no advice to adjust the extractor.
    status = run_cli("status", "--db", str(archive)).stdout
    assert f"Run {run_id} found far fewer articles than usual" in status
    assert "adjust the extractor" not in status
    [(health_alert,)] = query(archive, "SELECT alert FROM run_health WHERE run_id = ?", (run_id,))
    assert "nothing was lost" not in result.stderr + result.stdout + json.dumps(alerts)
    assert "nothing was lost" not in (health_alert or "")
    assert kept_text(archive, base + site.articles[0].path)[0] == "gone"


def test_a_large_share_of_the_archive_removed_in_one_run_is_an_alarm(
    hostile: DemoServer, archive: Path
) -> None:
    site = hostile.site
    site.removed.add(site.articles[2].path)  # out of the sitemaps, 404: a post deleted
    result = crawl(hostile, archive, "--full", *JUDGED, check=False)
    assert (result.returncode, result.stderr) == (0, "")  # one of six: the site was pruned
    assert last_run(archive)[1] == 1
    site.removed.update(a.path for a in site.articles[:2])  # two of the five left
    share = ("--set", "LPSCRAPE_ALERT_SHARE=0.3")
    result = crawl(hostile, archive, "--full", *JUDGED, *share, check=False)
    assert result.returncode == 3
    _, gone, alerts = last_run(archive)
    assert gone == 2
    assert (
        alert_lines(result.stderr)
        == alerts
        == [
            "2 of the 5 live articles (40%) were marked gone in this run: the site may be broken "
            "rather than pruned; the archive keeps their text, and each is live again when a later "
            "run finds it"
        ]
    )

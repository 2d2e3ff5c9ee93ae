"""robots.txt is obeyed by every request to the publication's host: the feed, the REST API,
sitemaps, listings and articles alike; robots.txt is the first request and is asked for once.
Real crawls (`lpscrape crawl`) of a small sample site on 127.0.0.1 into a real archive file,
judged by the site's own request log."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import crawl, query
from faultsite import FaultSite

from lpscrape.demo import DemoServer, serve

FORBID_FEED_AND_API = "Disallow: /feed/\nDisallow: /wp-json/\n"
FORBID_ALL = "Disallow: /\n"


class RobotsSite(FaultSite):
    """The small sample site whose robots.txt carries `rules` (None: the sample's own) and
    still names its sitemap index."""

    rules: str | None = None

    def _robots(self) -> str:
        if self.rules is None:
            return super()._robots()
        return f"User-agent: *\n{self.rules}\nSitemap: {self.base}/sitemap_index.xml\n"


def requests_of(server: DemoServer, since: int = 0) -> list[tuple[str, str]]:
    """(method, path with query) of every request the site saw, from the `since`-th on."""
    return [(r.method, r.path) for r in server.site.requests[since:]]


def discovery_paths(requests: list[tuple[str, str]]) -> list[str]:
    return [p for _, p in requests if p.startswith(("/feed", "/wp-json"))]


def last_run_log(db: Path) -> str:
    """The newest run's log file (`logs/` beside the archive)."""
    return sorted((db.parent / "logs").glob("*.log"))[-1].read_text(encoding="utf-8")


def last_run(db: Path) -> tuple[str, int, int, dict, list]:
    """The newest run's outcome, new articles, failed count, failures and alerts."""
    [(outcome, new, failed, failures, alerts)] = query(
        db,
        "SELECT outcome, new, failed, failures, alerts FROM crawl_runs ORDER BY id DESC LIMIT 1",
    )
    return outcome, new, failed, json.loads(failures or "{}"), json.loads(alerts or "[]")


def test_a_forbidden_feed_and_rest_api_are_never_requested_and_the_run_says_so(
    tmp_path: Path,
) -> None:
    db = tmp_path / "archive.db"
    site = RobotsSite()
    site.rules = FORBID_FEED_AND_API
    with serve(site) as server:
        base = server.base_url
        result = crawl(server, db)
        seen = requests_of(server)
        # Not one request to the feed or the REST API (categories, tags, posts), ever.
        assert discovery_paths(seen) == []
        # The sitemaps found every article; the run is a normal one, without alarm.
        assert result.returncode == 0, result.stderr
        assert query(db, "SELECT count(*) FROM articles") == [(6,)]
        assert last_run(db) == ("completed", 6, 0, {}, [])
        # …and it says which sources robots.txt kept it from, as forbidden, not as failed.
        log = last_run_log(db)
        assert f"robots.txt forbids {base}/feed/ (feed): not fetched" in log
        for taxonomy in ("categories", "tags", "posts"):
            assert f"robots.txt forbids {base}/wp-json/wp/v2/{taxonomy}?" in log
        assert "'lpscrape/forbidden_sources': 4," in log
        assert "'lpscrape/forbidden_sources/feed': 1," in log
        assert "'lpscrape/forbidden_sources/api': 3," in log
        assert query(db, "SELECT count(*) FROM captures WHERE kind IN ('feed', 'api')") == [(0,)]

        # The site allows them again: they are fetched (and their validators stored)…
        site.rules = None
        before = len(site.requests)
        crawl(server, db)
        assert "/feed/" in discovery_paths(requests_of(server, before))
        # …then forbids them: a re-crawl holding their ETags does not ask for them either.
        site.rules = FORBID_FEED_AND_API
        before = len(site.requests)
        result = crawl(server, db)
        assert result.returncode == 0, result.stderr
        assert discovery_paths(requests_of(server, before)) == []
        assert last_run(db)[0] == "completed" and last_run(db)[2:] == (0, {}, [])


def test_disallow_all_sends_nothing_but_robots_txt(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    site = RobotsSite()
    site.rules = FORBID_ALL
    with serve(site) as server:
        base = server.base_url
        result = crawl(server, db, check=False)
        # Said as what it is, not as a site that may not be WordPress.
        assert result.returncode == 3
        assert "no article was found: robots.txt forbids" in result.stderr
        assert "WordPress" not in result.stderr
        # The crawl's own fetch of robots.txt, once; nothing else.
        assert requests_of(server) == [("GET", "/robots.txt")]
        assert query(db, "SELECT kind FROM captures") == [("robots",)]
        log = last_run_log(db)
        for url, kind in [
            (f"{base}/sitemap_index.xml", "sitemap"),
            (f"{base}/feed/", "feed"),
            (f"{base}/", "listing"),  # no sitemap could be read: the listings, forbidden too
        ]:
            assert f"robots.txt forbids {url} ({kind}): not fetched" in log

        # An archive that knows articles: still nothing but robots.txt.
        site.rules = None
        crawl(server, db, "--set", "LPSCRAPE_HEALTH_SAMPLE=0")
        assert query(db, "SELECT count(*) FROM articles") == [(6,)]
        site.rules = FORBID_ALL
        before = len(site.requests)
        crawl(server, db, "--full", check=False)
        assert requests_of(server, before) == [("GET", "/robots.txt")]


def test_the_first_request_is_get_robots_txt_even_when_it_is_missing(tmp_path: Path) -> None:
    site = RobotsSite()
    with serve(site) as server:
        crawl(server, tmp_path / "one.db")
        assert requests_of(server)[0] == ("GET", "/robots.txt")
        assert not [r for r in server.site.requests if r.method != "GET"]  # no HEAD / probe

        # A site without robots.txt (404) is reachable: the crawl goes on, robots.txt first.
        site.answer("/robots.txt", site._not_found("/robots.txt"))
        before = len(site.requests)
        result = crawl(server, tmp_path / "two.db")
        assert result.returncode == 0, result.stderr
        seen = requests_of(server, before)
        assert seen[0] == ("GET", "/robots.txt") and ("GET", "/robots.txt") not in seen[1:]
        assert query(tmp_path / "two.db", "SELECT count(*) FROM articles") == [(6,)]

"""What a crawl learns from the archive at start: validators, known URLs, the health sample."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from sqlite_utils import Database

from .schema import SECTION_SQL
from .store import ArchiveError, open_readonly

Validators = dict[str, dict[str, str | None]]


class Known(NamedTuple):
    """The archive's validators for a crawl's conditional requests and lastmod skips."""

    articles: Validators  # per fetch URL: etag, last_modified, sitemap_lastmod (live articles)
    pages: Validators  # per URL: etag, last_modified of feeds and API pages ({}: a full crawl)
    sources_before: int = 0  # sitemaps, feeds and API pages the last completed run read


def known_for_crawl(
    db_path: str | Path, publication: str | None, sample: int, full: bool, start_url: str = ""
) -> Known:
    """The validators a crawl of `publication` (from `start_url`) starts from (empty without a
    usable archive)."""
    # Every live article's, and unless `full` the pages' too, minus those of a health sample
    # of `sample` articles read in full. An unusable archive is the pipeline's to report.
    try:
        archive = open_readonly(db_path)
    except ArchiveError:
        return Known({}, {})
    try:
        articles = archive.known_articles()  # also finds articles gone from the sitemap
        before = sources_read(archive.db, start_url)
        if full:
            return Known(articles, {}, before)
        # Issue #9: a sample read in full, so every run measures the current theme.
        reread_sample(archive.db, articles, sample, publication)
        return Known(articles, archive.known_pages(), before)
    finally:
        archive.close()


def sources_read(db: Database, start_url: str) -> int:
    """How many of the site's discovery sources (sitemaps, feed, REST API pages) the last
    completed run from `start_url` read (answered 200 or 304, nothing wrong with them)."""
    row = db.execute(
        "SELECT count(*) FROM captures WHERE kind IN ('sitemap', 'feed', 'api') "
        "AND status IN (200, 304) AND failure IS NULL AND run_id = (SELECT max(id) "
        "FROM crawl_runs WHERE outcome = 'completed' AND start_url = ?)",
        [start_url],
    ).fetchone()
    return row[0] if row else 0


def reread_sample(
    db: Database,
    known: Validators,
    size: int,
    publication: str | None = None,
) -> int:
    """Forget the validators of `size` articles seen longest ago, so a run reads them anew:
    taken in turn from each primary category (the oldest-seen of each, then the next…).

    An incremental run skips what has not changed; without this sample it would often
    measure nothing and a theme change would wait for new articles to show. Themes style
    categories apart (a template per section): a sample spread over them sees a change to
    one section's template on several of its articles the same night. With `publication`,
    the sample is that publication's own (each publication of an archive gets `size`).
    """
    if size <= 0 or not known:
        return 0
    rows = db.execute(
        "SELECT fetch_url FROM (SELECT fetch_url, last_seen_at, url, row_number() OVER ("
        f"PARTITION BY {SECTION_SQL} ORDER BY last_seen_at, url) AS turn FROM articles a "
        "WHERE status = 'live' AND fetch_url IS NOT NULL AND (? IS NULL OR publication = ?)) "
        "ORDER BY turn, last_seen_at, url LIMIT ?",
        [publication, publication, size],
    ).fetchall()
    chosen = [url for (url,) in rows if url in known]
    for url in chosen:
        known[url] = {"etag": None, "last_modified": None, "sitemap_lastmod": None}
    return len(chosen)

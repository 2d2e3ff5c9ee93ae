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


def known_for_crawl(db_path: str | Path, publication: str | None, sample: int, full: bool) -> Known:
    """The validators a crawl of `publication` starts from (empty without a usable archive)."""
    # Every live article's, and unless `full` the pages' too, minus those of a health sample
    # of `sample` articles read in full. An unusable archive is the pipeline's to report.
    try:
        archive = open_readonly(db_path)
    except ArchiveError:
        return Known({}, {})
    try:
        articles = archive.known_articles()  # also finds articles gone from the sitemap
        if full:
            return Known(articles, {})
        # Issue #9: a sample read in full, so every run measures the current theme.
        reread_sample(archive.db, articles, sample, publication)
        return Known(articles, archive.known_pages())
    finally:
        archive.close()


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

"""What the archivist must look at after a run, in one line each: the same wording whether
the run was one process (the archive pipeline) or several crawlers and a writer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

EXAMPLES_PER_REASON = 5  # failed URLs kept per reason, held versions named per run


@dataclass
class RunTotals:
    """A run's totals that can raise an alert."""

    failures: Mapping[str, int] = field(default_factory=dict)  # reason -> count
    examples: Mapping[str, Sequence[str]] = field(default_factory=dict)  # reason -> URLs
    attempts: int = 0  # article pages asked for
    forbidden: int = 0  # article pages robots.txt forbade
    refreshed: int = 0  # article pages stored or confirmed unchanged
    held: Sequence[tuple[str | None, str | None]] = ()  # (url, why) of held versions
    articles: int = 0  # article records read
    degraded: int = 0  # of them, missing a key field
    crashed: int = 0  # pages the extractor crashed on
    deferred: int = 0  # sitemap URLs left for a later run
    # (id, started, error) of runs an earlier crawl left open: killed, or its error noted
    left_open: Sequence[tuple[int, str, str | None]] = ()
    skipped: int = 0  # articles found and not asked for (their lastmod unchanged)
    forbidden_sources: int = 0  # discovery sources robots.txt forbade (feed, API, sitemaps…)
    lost_crawlers: int = 0  # crawlers of a shared frontier that died (or stalled) mid-run
    taken_back: int = 0  # the requests they held, fetched again by the others
    stopped: bool = False  # the crawl was stopped before it finished (SIGTERM, SIGINT)
    requests: int = 0  # requests sent
    # Hosts given up for the run: (host, the pause it asked for in seconds, requests not sent)
    given_up: Sequence[tuple[str, float, int]] = ()
    gone: int = 0  # articles the run marked gone
    live_before: int = 0  # live articles of the site the archive had when the run began
    listed_gone: int = 0  # of the gone, those the site still listed (sitemaps, feed, API)
    listed_gone_examples: Sequence[str] = ()
    sources_read: int = 0  # sitemaps, feeds and API pages read (200 or 304, nothing wrong)
    sources_before: int = 0  # the same in the last completed run from the same start URL


def limits(settings: Any) -> dict[str, Any]:
    """`alert_lines`' thresholds from a crawl's (or the writer's) Scrapy settings."""
    return {
        "min_articles": settings.getint("LPSCRAPE_DRIFT_MIN_ARTICLES", 10),
        "share": settings.getfloat("LPSCRAPE_ALERT_SHARE", 0.2),
        "cap": settings.getint("LPSCRAPE_SITEMAP_MAX_URLS"),
        "max_wait": settings.getfloat("RETRY_AFTER_MAX", 120.0),
    }


def _ranked(failures: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(failures.items(), key=lambda kv: -kv[1])


def _reasons(failures: Mapping[str, int]) -> str:
    """`reason ×count, …`, the commonest first."""
    return ", ".join(f"{r} ×{n}" for r, n in _ranked(failures))


def stopped_line(t: RunTotals) -> str:
    """What a run stopped before its end had done, in one line (also its `error`)."""
    failed = sum(t.failures.values())
    reasons = _reasons(t.failures)
    return (
        "the crawl was stopped before it finished (SIGTERM or SIGINT: a service stop, a kill "
        f"or Ctrl+C), after {t.requests} requests: {t.refreshed} articles stored or confirmed, "
        f"{failed} requests failed{f' ({reasons})' if reasons else ''}, every answer received "
        "kept; what it did not reach waits for the next run"
    )


def mass_gone(t: RunTotals, min_articles: int, share: float) -> bool:
    """True when the run marked gone so large a share of the live articles (all of them, or
    `share` of at least `min_articles`) that the site is more likely broken than pruned."""
    if not t.gone or not t.live_before:
        return False
    return t.gone >= t.live_before or (
        t.live_before >= min_articles and t.gone / t.live_before >= share
    )


def alert_lines(
    t: RunTotals,
    min_articles: int = 10,
    share: float = 0.2,
    cap: int | None = None,
    max_wait: float | None = None,
) -> list[str]:
    """One line per thing to look at; none for a healthy run."""
    out = [
        f"run {run_id} (started {started}) failed and could not be closed then: {error} "
        "(marked failed now)"
        if error
        else f"run {run_id} (started {started}) never closed: the crawl was killed or crashed "
        "(marked aborted; what it fetched and did not store was fetched again)"
        for run_id, started, error in t.left_open
    ]
    if t.stopped:
        out.append(stopped_line(t))
    for host, seconds, not_sent in t.given_up:
        limit = f" (RETRY_AFTER_MAX, {max_wait:.0f} s)" if max_wait is not None else ""
        out.append(
            f"{host} asked for a pause of {seconds:.0f} s (Retry-After), longer than the crawl "
            f"waits{limit}: nothing more was sent to it in this run, and its {not_sent} other "
            "requests were not sent (counted as retry_after); the next run asks again"
        )
    if failed := sum(t.failures.values()):
        commonest = _ranked(t.failures)[0][0]
        first = next(iter(t.examples.get(commonest) or ["?"]))
        out.append(f"{failed} requests failed ({_reasons(t.failures)}), e.g. {first}")
    expected = t.attempts + t.forbidden
    if expected and not t.refreshed:
        why = f", {t.forbidden} forbidden by robots.txt" if t.forbidden else ""
        out.append(
            f"{expected} articles were expected and none was stored{why}: "
            "the site may be down or serving errors"
        )
    elif not expected and not t.skipped and not t.failures and not t.stopped:
        if t.forbidden_sources:
            out.append(
                f"no article was found: robots.txt forbids {t.forbidden_sources} of the places "
                "articles are found by (sitemaps, feed, REST API, listings), so they were not "
                "asked for; see the run's log for which"
            )
        else:
            out.append(
                "no article was found: neither the sitemaps, the feed nor the REST API listed "
                "a post; is the start URL a WordPress site's home page?"
            )
    if t.sources_before and not t.sources_read and not t.stopped:
        out.append(
            "none of the site's sitemaps, feed or REST API answered in this run "
            f"({t.sources_before} read in the last one): articles were found through listing "
            "pages only, and "
            "older ones the listings no longer show are not checked; see robots.txt's Sitemap "
            "lines and the sitemap URLs in the run's log"
        )
    if t.listed_gone:
        eg = ", ".join(t.listed_gone_examples[:2])
        out.append(
            f"{t.listed_gone} articles the site still lists (its sitemaps, feed or REST API) "
            f"answered 404 or 410, e.g. {eg}: marked gone, their text kept; a page the site "
            "lists and does not serve means the site (permalinks, a cache, a plugin) or its "
            "sitemap is broken"
        )
    if mass_gone(t, min_articles, share):
        which = (
            f"every live article of the site ({t.live_before}) was"
            if t.gone >= t.live_before
            else f"{t.gone} of the {t.live_before} live articles "
            f"({t.gone / t.live_before:.0%}) were"
        )
        out.append(
            f"{which} marked gone in this run: the site may be broken rather than pruned; the "
            "archive keeps their text, and each is live again when a later run finds it"
        )
    for url, note in t.held[:EXAMPLES_PER_REASON]:
        out.append(f"new version of {url} held for review, not stored: {note}")
    if len(t.held) > EXAMPLES_PER_REASON:
        out.append(f"… and {len(t.held) - EXAMPLES_PER_REASON} more versions held")
    if t.articles >= min_articles and t.degraded / t.articles >= share:
        out.append(
            f"extraction degraded on {t.degraded} of {t.articles} articles "
            f"({t.degraded / t.articles:.0%}): the site's theme may have changed"
        )
    if t.crashed:
        out.append(f"extraction crashed on {t.crashed} pages (captures kept; see the log)")
    if t.lost_crawlers:
        out.append(
            f"{t.lost_crawlers} crawler process{'es' if t.lost_crawlers > 1 else ''} stopped "
            "without leaving the run (killed, or stalled past LPSCRAPE_REDIS_TTL): the "
            f"{t.taken_back} requests held went back to the queue and were fetched by the "
            "others; see the crawler hosts' logs"
        )
    if t.deferred:
        cap_text = f" of {cap} URLs per run" if cap else ""
        out.append(
            f"the sitemaps' cap{cap_text} was reached: {t.deferred} URLs wait "
            "for the next run (LPSCRAPE_SITEMAP_MAX_URLS)"
        )
    return out

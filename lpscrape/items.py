"""What flows from the spider through the pipelines: one fetched response, or one failed fetch."""

from __future__ import annotations

from dataclasses import dataclass, field

from lpscrape.extract import Article

# Capture kinds of answers that reached no callback: one a retry replaced (the 503 before the
# 200), a redirect followed (the 301 before the page). Kept, never counted as fetches.
RETRIED, REDIRECT = "retried", "redirect"
EARLIER_KINDS = frozenset({RETRIED, REDIRECT})


@dataclass
class Capture:
    """One response exactly as served, with what extraction made of it."""

    url: str
    status: int
    body: bytes = field(repr=False)
    headers: dict[str, list[str]] = field(default_factory=dict, repr=False)
    fetched_at: str = ""
    kind: str = "article"  # article | listing | sitemap | feed | api | robots | retried | redirect
    sitemap_lastmod: str | None = None
    # Why this response is a failed fetch (see `lpscrape.failures`); None when usable.
    failure: str | None = None
    # How the URL was found: robots | sitemap (a post sitemap) | sitemap-other | feed | api |
    # listing | archive (a known URL); post sources tell the extractor the page is a post.
    discovered_via: str | None = None
    # The URL the spider asked for, when redirects ended elsewhere; None otherwise.
    requested_url: str | None = None
    # Which publication the page belongs to (None: named by its host when stored).
    publication: str | None = None
    # A REST API terms answer's taxonomy (categories | tags), as the spider asked for it.
    taxonomy: str | None = None
    record: Article | None = field(default=None, repr=False)
    # A REST API answer's rows (posts, or the taxonomy's terms), parsed where captures are
    # extracted (`lpscrape.worker.extract`): the archive only inserts them.
    api_rows: list[dict[str, str | int | None]] | None = field(default=None, repr=False)

    def header(self, name: str) -> str | None:
        """The first value of a response header, case-insensitively."""
        wanted = name.lower()
        for key, values in self.headers.items():
            if len(key) == len(wanted) and key.lower() == wanted and values:
                return values[0]
        return None


@dataclass
class FetchFailure:
    """A request that ended without a response to keep (timeout, refused, too large…)."""

    url: str  # as the spider asked for it
    kind: str
    reason: str
    detail: str = ""
    discovered_via: str | None = None

"""Why a fetch failed: one short reason per failed request, from its response or its error."""

from __future__ import annotations

import re

# The reasons a request can fail, as counted in `crawl_runs.failures` (besides `http_NNN`).
REASONS = {
    "http_NNN": "the site answered with this HTTP status (after retries)",
    "error_page": "a 200 whose page is a WordPress, PHP or proxy error page",
    "not_article": "an archived article's URL answered 200 with a page that is not an article",
    "robots_txt": "robots.txt now forbids an archived article's URL; it was not refreshed",
    "not_html": "an article or listing URL answered with something that is not HTML",
    "empty": "a 200 with an empty body",
    "not_sitemap": "a sitemap URL answered with something that is not a sitemap",
    "not_feed": "the feed URL answered with something that is not a feed",
    "not_json": "a REST API URL answered with something that is not JSON",
    "too_large": "the body was larger than DOWNLOAD_MAXSIZE; the download was cancelled",
    "decompression_bomb": "the body decompressed to more than DOWNLOAD_MAXSIZE",
    "redirect_loop": "redirects that come back to a URL already visited, or too many of them",
    "offsite_redirect": "a redirect to a host that is not the publication's",
    "timeout": "no complete answer within DOWNLOAD_TIMEOUT (after retries)",
    "connection": "the connection was refused, reset or lost (after retries)",
    "dns": "the host name could not be resolved",
    "retry_after": "not sent: the host asked for a pause (Retry-After) longer than "
    "RETRY_AFTER_MAX, so the run gave it up",
    "error": "any other download error",
}
# Kinds whose answer must be an HTML page.
HTML_KINDS = {"article", "listing"}
# Statuses that are an answer, not a failure, for each kind: a missing feed or a disabled REST
# API is normal, and a 404 of a known article marks it gone.
NORMAL_STATUSES = {
    "article": {304, 404, 410},
    "listing": {404, 410},
    "sitemap": set(),
    "feed": {304, 404, 410},
    "api": {304, 400, 401, 403, 404, 410},
    "robots": {404, 410, 401, 403},
}
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Magic numbers of what is surely not a page, whatever the Content-Type says.
_NOT_HTML_MAGIC = (b"%PDF", b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"PK\x03\x04", b"RIFF")
# Error pages served with 200 by WordPress core, PHP and the usual proxies and CDNs. A page
# whose visible text is short and matches one of these is an error page, not an article.
_ERROR_TEXTS = re.compile(
    r"error establishing a database connection|"
    r"there has been a critical error on (?:this|your) website|"
    r"briefly unavailable for scheduled maintenance|"
    r"one or more database tables are unavailable|"
    r"\b(?:502 bad gateway|503 service (?:temporarily )?unavailable|504 gateway time-?out|"
    r"500 internal server error)\b|"
    r"web server is returning an unknown error|"
    r"the origin web server timed out|"
    r"checking your browser before accessing|"
    r"attention required! \| cloudflare|"
    r"guru meditation|"
    r"this site can.t be reached|"
    r"the requested url could not be retrieved",
    re.IGNORECASE,
)
# PHP's own fatal error markup, printed into whatever the page had sent so far.
_PHP_FATAL = re.compile(
    rb"<b>(?:fatal|parse) error</b>:.{0,2000}? on line <b>\d+</b>", re.IGNORECASE | re.DOTALL
)
_WP_DIE = re.compile(rb"<body[^>]*\bid=[\"']error-page[\"']", re.IGNORECASE)
_TAGS = re.compile(rb"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)
SHORT_PAGE_CHARS = 3000  # visible text of an error page; articles are far longer


def visible_text(body: bytes) -> str:
    """The page's text without tags, scripts or styles, whitespace collapsed."""
    # bytes.split() splits on the same ASCII whitespace as `\s` in a bytes pattern, at half
    # the cost of a regex substitution.
    return b" ".join(_TAGS.sub(b" ", body).split()).decode("utf-8", "replace")


def is_error_page(body: bytes, text_chars: int = 0) -> bool:
    """True for the error pages WordPress, PHP and proxies serve with a 200 status
    (`text_chars`: visible text already known to be on the page, an article's body)."""
    head = body[:500_000]
    if _PHP_FATAL.search(head) or _WP_DIE.search(head):
        return True
    if text_chars > SHORT_PAGE_CHARS:
        return False  # more text than an error page shows
    text = visible_text(head)
    return len(text) <= SHORT_PAGE_CHARS and bool(_ERROR_TEXTS.search(text))


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """True when the body is an HTML page (by its Content-Type, or its first bytes)."""
    start = body.lstrip()[:16]
    if start.startswith(_NOT_HTML_MAGIC):
        return False
    if content_type:
        return content_type.split(";")[0].strip().lower() in _HTML_TYPES
    return start[:1] == b"<"


def response_failure(
    kind: str,
    status: int,
    body: bytes,
    content_type: str | None = None,
    expected: tuple[int, ...] | list[int] = (),
    error_pages: bool = True,
) -> str | None:
    """Why a response of this kind is a failure, or None when it is a usable answer
    (`expected`: statuses this request was ready for, such as a guessed sitemap's 404;
    `error_pages=False` leaves the error-page check to `error_page_failure`)."""
    if status in NORMAL_STATUSES.get(kind, set()) or status in expected:
        return None
    if not 200 <= status < 300:
        return f"http_{status}"
    if not body.strip():
        return None if kind == "robots" else "empty"
    if kind in HTML_KINDS and not looks_like_html(body, content_type):
        return "not_html"
    if error_pages and is_error_page(body):
        return "error_page"
    return None


def error_page_failure(status: int, body: bytes, text_chars: int = 0) -> str | None:
    """ "error_page" for a usable 2xx answer whose page is an error page (the check the crawl
    leaves to the store worker for article pages: it is the costliest one)."""
    return "error_page" if 200 <= status < 300 and is_error_page(body, text_chars) else None


def exception_failure(exc: BaseException) -> str:
    """The reason for a request that failed without a usable response."""
    # Imported here: the store worker checks pages with this module and never loads Scrapy.
    from scrapy.exceptions import (
        CannotResolveHostError,
        DownloadCancelledError,
        DownloadConnectionRefusedError,
        DownloadFailedError,
        DownloadTimeoutError,
        IgnoreRequest,
        ResponseDataLossError,
    )
    from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost, DNSLookupError
    from twisted.internet.error import TimeoutError as TwistedTimeoutError
    from twisted.web.client import ResponseFailed, ResponseNeverReceived

    if isinstance(exc, DownloadTimeoutError | TwistedTimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, DownloadCancelledError):
        return "too_large"  # Scrapy cancels a download itself only past DOWNLOAD_MAXSIZE
    if isinstance(exc, CannotResolveHostError | DNSLookupError):
        return "dns"
    connection = (
        DownloadConnectionRefusedError,
        DownloadFailedError,
        ResponseDataLossError,
        ResponseNeverReceived,
        ResponseFailed,
        ConnectError,
        ConnectionDone,
        ConnectionLost,
        ConnectionError,
    )
    if isinstance(exc, connection):
        return "connection"
    if isinstance(exc, IgnoreRequest) and isinstance(exc.__cause__, ValueError):
        return "decompression_bomb"  # HttpCompressionMiddleware stopped at DOWNLOAD_MAXSIZE
    return "error"

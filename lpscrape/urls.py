"""URL hygiene: tracking parameters stripped, fragments dropped, hosts compared."""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_ga"}


# A URL already as clean_url makes it: lower-case scheme and host, no query, no fragment, no
# whitespace, no IPv6 brackets (the common case: 10x cheaper to recognise than to take apart
# and rebuild).
_CLEAN = re.compile(r"[a-z][a-z0-9+.-]*://[^/?#A-Z\s\[\]]+(?:/[^?#\s]*)?")


@functools.lru_cache(maxsize=8192)  # one URL is cleaned several times as it is stored
def clean_url(url: str) -> str:
    """The URL without `utm_*` and click-id parameters or a fragment."""
    if _CLEAN.fullmatch(url):
        return url
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, urlencode(query), ""))


def redacted(url: str) -> str:
    """The URL with any password in it replaced by `***` (for alerts and logs)."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


DEFAULT_PORTS = {"http": 80, "https": 443}


def explicit_port(url: str) -> int | None:
    """The URL's port when it is not its scheme's default; None otherwise (or if invalid)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    return None if port == DEFAULT_PORTS.get(parts.scheme) else port


def same_host(url: str, hosts: set[str], port: int | None = None) -> bool:
    """True when the URL is http(s) on one of the publication's hosts, and on its port when
    the publication has one (a local mirror's other ports are other sites)."""
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and (parts.hostname or "") in hosts
        and explicit_port(url) == port
    )


def publication_of(url: str) -> str:
    """A publication's default name from any of its URLs: the host without www (and port)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}:{parts.port}" if parts.port else host


class BadURL(ValueError):
    """A URL given on the command line (or in a setting) that cannot be used: one line."""


WEB = ("http", "https")
REDIS = ("redis", "rediss", "unix")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def check_url(url: str, name: str, schemes: tuple[str, ...] = WEB, kind: str = "an http(s)") -> str:
    """The one check of every URL the command line takes (a start URL, extract's URL and
    --url, cite's URL and --archive-url, --redis): one that Python can parse (no unclosed
    `[`, a numeric port in range), without spaces or control characters, of one of `schemes`
    and with a host (a `unix://` URL: a path). Returns the URL; BadURL in one line naming it
    by `name` (`start URL`, `--redis`) otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number, or out of range
    except ValueError as exc:  # an unclosed [IPv6 address, a port out of range
        raise BadURL(f"{name} {url!r} is not a valid URL: {exc}") from None
    if _SPACE_OR_CONTROL.search(url):
        raise BadURL(f"{name} {url!r} is not a valid URL: it contains a space or control character")
    where = parts.path if parts.scheme == "unix" else parts.hostname
    if parts.scheme not in schemes or not where or port == 0:
        raise BadURL(f"{name} must be {kind} URL, got {url!r}")
    return url

"""Citations of archived articles: plain text, BibTeX and CSL-JSON.

Standard library only: the Datasette plugin uses this module too, and a published copy of the
archive (`lpscrape export datasette`) carries it beside its plugins.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

PUBLICATION = "Lord's Press"
LIVE_HOST = "lordspress.com"  # the live site's: its articles are Lord's Press's by default
PUBLISHER_ZONE = ZoneInfo("Europe/London")
FORMATS = ("text", "bibtex", "csl-json")
DEFAULT_ARCHIVE_URL = "http://127.0.0.1:8001"
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Bylines that name a desk rather than a person: never split into given and family names.
_CORPORATE = re.compile(r"\b(staff|writers?|desk|editors?|reporters?|correspondents|press)\b", re.I)


class CiteError(ValueError):
    """The article cannot be cited as asked: one line a person can act on."""


class AmbiguousArticle(CiteError):
    """A path that names an article in several publications of the archive."""

    def __init__(self, path: str, matches: dict[str, str]) -> None:
        self.path = path
        self.matches = matches  # publication -> the article's archive key
        super().__init__(
            f"{path} is an article of {len(matches)} publications ({', '.join(matches)}): "
            "choose one with --publication NAME, or give the article's full URL"
        )


@dataclass(frozen=True)
class Citation:
    """What a citation of one archived version of an article says."""

    url: str
    title: str
    authors: tuple[str, ...]
    byline: str | None
    published_at: str | None
    published_day: str | None  # the archive's, for the current version (the page's zone)
    version: int
    versions: int
    archived_at: str
    capture_id: int | None
    permalink: str
    publication: str = PUBLICATION  # as a reference names it (the site's own name)

    @property
    def published(self) -> date | None:
        """The publication day in the publisher's time zone, as the archive keeps it (an
        older version's: its instant read in London)."""
        if self.published_day:
            return date.fromisoformat(self.published_day)
        return _local_day(self.published_at)

    @property
    def archived(self) -> date | None:
        """The day the cited version was captured (UTC)."""
        return _local_day(self.archived_at, zone=None)


def _local_day(instant: str | None, zone: ZoneInfo | None = PUBLISHER_ZONE) -> date | None:
    if not instant:
        return None
    try:
        moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    except ValueError:
        return None
    if zone is not None and moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.date()


def article_path(url: str) -> str:
    """The part of an article's URL that names it on the site: `/2025/09/10/slug/`."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def route_path(url: str, publication: str | None = None) -> str:
    """An article's path in the archive's permalinks: its path on the site, a query kept in
    the path (`?` as `%3F`: `/?p=123` is a WordPress permalink too), ending in `/` so that a
    suffix (`version/2`, `changes`) stays apart from it; `/@NAME` first when `publication`
    is given (an archive of several publications names it in every permalink)."""
    path = quote(unquote(article_path(url)), safe="/=&")
    path = path if path.endswith("/") else path + "/"
    return f"/@{quote(publication, safe='')}{path}" if publication else path


def permalink(
    archive_url: str,
    database: str,
    url: str,
    version: int | None = None,
    publication: str | None = None,
) -> str:
    """The archive's readable, stable address of an article (of one version when given)."""
    link = f"{archive_url.rstrip('/')}/{quote(database)}/article{route_path(url, publication)}"
    return link + (f"version/{version}" if version else "")


def _publication_column(conn: sqlite3.Connection) -> str:
    """`publication`, or `NULL` in an archive from before several publications."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(articles)")}
    return "publication" if "publication" in columns else "NULL"


def publications(conn: sqlite3.Connection) -> list[str]:
    """The publications the archive's articles belong to, by name."""
    column = _publication_column(conn)
    sql = f"SELECT DISTINCT {column} FROM articles WHERE {column} IS NOT NULL ORDER BY 1"
    return [r[0] for r in conn.execute(sql)]


def permalink_publication(conn: sqlite3.Connection, url: str) -> str | None:
    """The publication an article's permalink names: its own when the archive holds several
    (so that a permalink never changes again), none in an archive of one."""
    if len(publications(conn)) < 2:
        return None
    row = conn.execute("SELECT publication FROM articles WHERE url = ?", [url]).fetchone()
    return row[0] if row else None


def publication_title(conn: sqlite3.Connection, key: str) -> str:
    """The publication's name as a citation gives it: the one its pages give themselves
    (`og:site_name`), else the name the archivist gave the publication, else the site's host
    (Lord's Press for the live site's)."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(articles)")}
    wanted = [c if c in columns else "NULL" for c in ("site_name", "publication")]
    row = conn.execute(f"SELECT {', '.join(wanted)} FROM articles WHERE url = ?", [key]).fetchone()
    site_name, publication = row or (None, None)
    host = (urlsplit(key).hostname or "").removeprefix("www.")
    if site_name:
        return site_name
    if publication and publication != host and not publication.startswith(f"{host}:"):
        return publication
    return PUBLICATION if host == LIVE_HOST or not host else host


def find_article(conn: sqlite3.Connection, url: str, publication: str | None = None) -> str:
    """The archive key of an article given its URL (canonical, fetched, or on another host)
    or its path, in `publication` when given; a path of several publications' articles is
    `AmbiguousArticle` unless `publication` chooses one."""
    column = _publication_column(conn)
    if publication is not None and publication not in (known := publications(conn)):
        names = ", ".join(known) or "none"
        raise CiteError(f"no publication {publication!r} in the archive (it holds: {names})")
    for where in ("url = ?", "fetch_url = ?"):
        row = conn.execute(f"SELECT url, {column} FROM articles WHERE {where}", [url]).fetchone()
        if row:
            if publication is None or row[1] == publication:
                return row[0]
            raise CiteError(f"{url} is an article of {row[1]}, not of {publication}")
    wanted = unquote(article_path(url)).rstrip("/")
    if wanted:
        like = "%" + wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = conn.execute(
            f"SELECT url, {column} FROM articles WHERE url LIKE ? ESCAPE '\\' ORDER BY url",
            [like],
        ).fetchall()
        matches: dict[str, str] = {}
        for key, found in rows:
            if unquote(article_path(key)).rstrip("/") == wanted:
                matches.setdefault(found or "", key)
        if publication is not None:
            matches = {p: k for p, k in matches.items() if p == publication}
        if len(matches) > 1:
            raise AmbiguousArticle(article_path(url), dict(sorted(matches.items())))
        if matches:
            return next(iter(matches.values()))
    where = f" in {publication}" if publication is not None else ""
    raise CiteError(f"no archived article at {url}{where}: give its URL as the archive lists it")


def citation(
    conn: sqlite3.Connection,
    url: str,
    *,
    database: str,
    archive_url: str = DEFAULT_ARCHIVE_URL,
    version: int | None = None,
    publication: str | None = None,
) -> Citation:
    """The citation of an archived article (its current version unless `version` is given),
    at a path of several publications' articles the one in `publication`."""
    key = find_article(conn, url, publication)
    versions = conn.execute(
        "SELECT max(version) FROM article_versions WHERE url = ?", [key]
    ).fetchone()[0]
    chosen = versions if version is None else version
    row = conn.execute(
        "SELECT v.title, v.authors, v.byline, v.published_at, v.version, c.fetched_at, "
        "v.first_seen_at, v.capture_id, a.published_day FROM article_versions v "
        "LEFT JOIN captures c ON c.id = v.capture_id "
        "LEFT JOIN articles a ON a.url = v.url AND a.version = v.version "
        "AND a.published_at IS v.published_at WHERE v.url = ? AND v.version = ?",
        [key, chosen],
    ).fetchone()
    if row is None:
        raise CiteError(f"{key} has no version {chosen} (it has {versions or 0})")
    title, authors, byline, published_at, number, fetched_at, first_seen, capture_id, day = row
    try:
        names = tuple(str(n) for n in json.loads(authors or "[]"))
    except ValueError:
        names = ()
    return Citation(
        url=key,
        title=title or "",
        authors=names or ((byline,) if byline else ()),
        byline=byline,
        published_at=published_at,
        published_day=day,
        version=number,
        versions=versions,
        archived_at=fetched_at or first_seen,
        capture_id=capture_id,
        permalink=permalink(archive_url, database, key, number, permalink_publication(conn, key)),
        publication=publication_title(conn, key),
    )


def _long_date(day: date | None) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else "n.d."


def _names(authors: tuple[str, ...]) -> str:
    if len(authors) <= 2:
        return " and ".join(authors)
    return ", ".join(authors[:-1]) + ", and " + authors[-1]


def as_text(c: Citation) -> str:
    """A reference a reader can paste into a footnote."""
    who = f"{_names(c.authors)}. " if c.authors else ""
    title = c.title.rstrip(".")
    return (
        f"{who}“{title}.” {c.publication}, {_long_date(c.published)}. {c.url}. "
        f"Archived {_long_date(c.archived)} (version {c.version} of {c.versions}): {c.permalink}."
    )


_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _latex(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in text)


def _is_corporate(name: str) -> bool:
    return bool(_CORPORATE.search(name)) or len(name.split()) == 1


def _bibtex_name(name: str) -> str:
    return "{" + _latex(name) + "}" if _is_corporate(name) else _latex(name)


def bibtex_key(c: Citation) -> str:
    """A readable key: first author's last word (else the publication), year, first long word
    of the title."""

    def ascii_word(text: str) -> str:
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]", "", plain.lower())

    who = ascii_word(c.authors[0].split()[-1]) if c.authors else ""
    words = [w for w in (ascii_word(w) for w in c.title.split()) if len(w) > 3]
    year = str(c.published.year) if c.published else "nd"
    return f"{who or ascii_word(c.publication) or 'article'}{year}{words[0] if words else ''}"


def as_bibtex(c: Citation) -> str:
    """A BibTeX (and biblatex) entry of type @article, the site as the journal."""
    link = c.permalink.replace("%", r"\%")  # in a note's \url, a bare % would end the line
    fields = [
        ("author", " and ".join(_bibtex_name(n) for n in c.authors)),
        ("title", "{" + _latex(c.title) + "}"),
        ("journal", _latex(c.publication)),
        ("date", c.published.isoformat() if c.published else ""),
        ("year", str(c.published.year) if c.published else ""),
        ("month", MONTHS[c.published.month - 1][:3].lower() if c.published else ""),
        ("url", c.url),
        ("urldate", c.archived.isoformat() if c.archived else ""),
        ("version", str(c.version)),
        (
            "note",
            f"Archived {c.archived_at} (version {c.version} of {c.versions}): \\url{{{link}}}",
        ),
    ]
    # The month as BibTeX's own macro (`apr`, unbraced), so styles print it in their language.
    body = ",\n".join(
        f"  {k} = {v}" if k == "month" else f"  {k} = {{{v}}}" for k, v in fields if v
    )
    return f"@article{{{bibtex_key(c)},\n{body}\n}}"


def _csl_name(name: str) -> dict[str, str]:
    if _is_corporate(name):
        return {"literal": name}
    given, _, family = name.rpartition(" ")
    return {"family": family, "given": given}


def _date_parts(day: date | None) -> dict[str, Any] | None:
    return {"date-parts": [[day.year, day.month, day.day]]} if day else None


def as_csl(c: Citation) -> list[dict[str, Any]]:
    """CSL-JSON (the citation style language's data format): a list of one item."""
    item: dict[str, Any] = {
        "id": bibtex_key(c),
        "type": "article-newspaper",
        "title": c.title,
        "author": [_csl_name(n) for n in c.authors],
        "container-title": c.publication,
        "issued": _date_parts(c.published),
        "URL": c.url,
        "accessed": _date_parts(c.archived),
        "archive": f"{c.publication}: the archive (lpscrape)",
        "archive_location": c.permalink,
        "version": str(c.version),
        "note": f"Archived {c.archived_at}; version {c.version} of {c.versions}",
    }
    return [{k: v for k, v in item.items() if v not in (None, [], "")}]


def render(c: Citation, fmt: str) -> str:
    """The citation in one of `FORMATS`."""
    if fmt == "text":
        return as_text(c)
    if fmt == "bibtex":
        return as_bibtex(c)
    if fmt == "csl-json":
        return json.dumps(as_csl(c), ensure_ascii=False, indent=2)
    raise CiteError(f"unknown citation format {fmt!r}: use one of {', '.join(FORMATS)}")

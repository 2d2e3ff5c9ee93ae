"""Datasette plugin for the Lord's Press archive.

A month facet and an array facet that scales, searches that never fail on punctuation or an
empty box (the table's `?_search=` and the `search` query read the box alike: words to find,
only words to leave out, or no word at all), highlighted search snippets (escaped), a note
when the `search` query shows only its best hits, and a startup check that refuses write
queries. Loaded from this folder by `lpscrape serve` (and by `datasette --plugins-dir`);
it adds no write path of its own.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

import datasette.facets
from datasette import filters as stock_filters
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ArrayFacet, ColumnFacet, DateFacet, Facet
from datasette.filters import FilterArguments
from datasette.plugins import pm
from datasette.utils import (
    escape_sqlite,
    path_with_added_args,
    path_with_removed_args,
    tilde_decode,
)
from datasette.utils.asgi import BadRequest, Request
from markupsafe import Markup, escape

MONTH_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]*"
SNIPPET_COLUMN = "snippet"


_FTS_TOKEN = re.compile(r'(-?)"([^"]*)"?(\*?)|(\S+)')


def _fts_parts(query: str | None) -> tuple[list[str], list[str]]:
    """The words, phrases and prefixes to find (`OR ` before an alternative) and those to
    leave out, each quoted for FTS5. `OR` (or `or`) between two terms joins them, `NOT term`
    leaves the term out as `-term` does, `AND` is what words do anyway; otherwise these are
    words like any other, except the capitalised ones, dropped with punctuation alone."""
    positives: list[str] = []
    negatives: list[str] = []
    pending_or = pending_not = False
    tokens = list(_FTS_TOKEN.finditer(query or ""))
    for index, match in enumerate(tokens):
        negate, phrase, star, bare = match.groups()
        if bare is not None:
            follows = index + 1 < len(tokens)
            if bare in ("OR", "or") and positives and follows:  # "treaty or envoy", as typed
                pending_or = True
                continue
            if bare == "NOT" and follows:
                pending_not = True
                continue
            if bare in ("OR", "AND", "NOT"):
                continue
            negate = "-" if bare.startswith("-") and len(bare) > 1 else ""
            phrase, star = bare.lstrip("-") if negate else bare, ""
            if phrase.endswith("*"):
                phrase, star = phrase.rstrip("*"), "*"
        if not re.search(r"[^\W_]", phrase):
            continue  # nothing FTS5 would index: punctuation alone
        term = '"' + phrase.replace('"', "") + '"' + star
        if negate or pending_not:
            negatives.append(term)
        else:
            positives.append(f"OR {term}" if pending_or else term)
        pending_or = pending_not = False
    return positives, negatives


def fts_terms(query: str | None) -> str:
    """A search box's text as an FTS5 query that never fails: every word must appear
    (`treaty envoy`), `"an exact phrase"`, a prefix (`treat*`), `OR` (or `or`) between
    alternatives, `-word` or `NOT word` to exclude; any other punctuation is text. "" when
    there is no word to find (blank, punctuation, operators, or only words to leave out)."""
    positives, negatives = _fts_parts(query)
    if not positives:
        return ""
    return " ".join(positives) + "".join(f" NOT {t}" for t in negatives)


def fts_excluded(query: str | None) -> str:
    """For a search of only words to leave out (`-treaty -envoy`): an FTS5 query matching the
    articles that have any of them (`"treaty" OR "envoy"`), to be subtracted from every
    article (FTS5 has no bare NOT); "" for any other search."""
    positives, negatives = _fts_parts(query)
    return "" if positives else " OR ".join(negatives)


def search_mode(query: str | None) -> str:
    """How a search box's text is answered: `all` (blank: no search), `match` (words to find),
    `exclude` (only words to leave out: every article without them) or `nothing` (no word
    to search for: `*`, `^`, `AND`…: no article)."""
    if not (query or "").strip():
        return "all"
    positives, negatives = _fts_parts(query)
    return "match" if positives else "exclude" if negatives else "nothing"


def safe_escape_fts(query: str | None) -> str:
    """`fts_terms`, but a query with no word to find matches nothing instead of raising an
    FTS5 syntax error (`"`, `""`, blanks, `-treaty`)."""
    return fts_terms(query) or '""'


def safe_fts_excluded(query: str | None) -> str:
    """`fts_excluded`, but matching nothing (never an FTS5 syntax error) when it is ""."""
    return fts_excluded(query) or '""'


def search_note(query: str | None) -> str | None:
    """What a page says above the results of a search with no word to find, else None."""
    mode = search_mode(query)
    if mode == "nothing":
        return (
            f"“{query}” has no word to search for, so no article is listed: type a word "
            "(treaty), a phrase in double quotes, a prefix (treat*), treaty OR envoy, and "
            "-word or NOT word to leave out articles with that word."
        )
    if mode == "exclude":
        words = ", ".join(term.replace('"', "") for term in _fts_parts(query)[1])
        return (
            f"“{query}” only leaves words out: listed are the articles that have none of "
            f"them ({words})."
        )
    return None


# Letters that Unicode does not decompose into a base letter and an accent.
_FOLD = str.maketrans({"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
                       "ß": "ss", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "þ": "th", "Þ": "th",
                       "ı": "i"})  # fmt: skip


def fold(text: str | None) -> str | None:
    """Text for matching as people type it: accents dropped, case folded (MÜNCHEN → munchen,
    KØBENHAVN → kobenhavn)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


async def facet_rows(facet: Facet, sql: str) -> Any:
    """A facet's counting query under the facet time limit; None when it ran out of time."""
    try:
        return await facet.ds.execute(
            facet.database,
            sql,
            facet.params,
            truncate=False,
            custom_time_limit=facet.ds.setting("facet_time_limit_ms"),
        )
    except QueryInterrupted:
        return None


def toggle_values(
    facet: Facet, rows: list[Any], key: str, chosen: set[str | None]
) -> list[dict[str, Any]]:
    """Facet values with counts and the URL that toggles each as a `key=value` filter."""
    values = []
    for row in rows:
        value = str(row["value"])
        selected = value in chosen
        change = path_with_removed_args if selected else path_with_added_args
        path = change(facet.request, {key: value})
        values.append(
            {
                "value": value,
                "label": value,
                "count": row["count"],
                "toggle_url": facet.ds.absolute_url(facet.request, path),
                "selected": selected,
            }
        )
    return values


class FastArrayFacet(ArrayFacet):
    """Datasette's array facet with a query that scales: on 100,000 articles the stock one
    (`SELECT DISTINCT value, inner.*`, body text included) takes ~4 s and times out; this one
    counts each row once per value (duplicates inside one array ignored) in ~0.15 s."""

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Values of a JSON-array column with the number of rows containing each."""
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            array = f"CASE WHEN json_valid(i.{escape_sqlite(column)}) "
            array += f"THEN i.{escape_sqlite(column)} ELSE '[]' END"
            sql = (
                f"select j.value as value, count(*) as count from ({self.sql}) i, "
                f"json_each({array}) j "
                f"where j.key = (select min(k.key) from json_each({array}) k "
                "where k.value = j.value) "
                f"group by j.value order by count desc, value limit {size + 1}"
            )
            rows = await facet_rows(self, sql)
            if rows is None:
                timed_out.append(column)
                continue
            key = f"{column}__arraycontains"
            chosen = {v for k, v in pairs if k == key}
            values = toggle_values(self, rows.rows[:size], key, chosen)
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": values,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {"_facet_array": column})
                    ),
                    "truncated": len(rows) > size,
                }
            )
        return results, timed_out


class MonthFacet(Facet):
    """`{"month": "published_at"}`: counts per YYYY-MM of an ISO 8601 column, newest first."""

    type = "month"

    async def suggest(self) -> list[dict[str, Any]]:
        """Never suggested: configured where researchers need it."""
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        """One value per month present; selecting one filters `column__startswith=YYYY-MM`."""
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            sql = (
                f"select substr({col}, 1, 7) as value, count(*) as count from ({self.sql}) "
                f"where {col} glob '{MONTH_GLOB}' group by value order by value desc "
                f"limit {size + 1}"
            )
            rows = await facet_rows(self, sql)
            if rows is None:
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = toggle_values(self, rows.rows[:size], key, {args.get(key)})
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": values,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": path_with_removed_args(self.request, {"_facet_month": column}),
                    "truncated": len(rows) > size,
                }
            )
        return results, timed_out


# Datasette's own facet classes come from its `datasette.facets` plugin; it is replaced by the
# same classes with the array facet swapped for the one above (a second "array" class would
# make every array facet appear twice).
if pm.is_registered(datasette.facets):
    pm.unregister(datasette.facets)


@hookimpl
def register_facet_classes() -> list[type[Facet]]:
    """Column and date facets as Datasette has them, the fast array facet, the month facet."""
    return [ColumnFacet, DateFacet, FastArrayFacet, MonthFacet]


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Replace `escape_fts` (registered by Datasette before us) with the search-box one; add
    `lp_fold` (accent- and case-free text) for the dateline query."""
    conn.create_function("escape_fts", 1, safe_escape_fts, deterministic=True)
    conn.create_function("lp_fts_exclude", 1, safe_fts_excluded, deterministic=True)
    conn.create_function("lp_search_mode", 1, search_mode, deterministic=True)
    conn.create_function("lp_fold", 1, fold, deterministic=True)
    conn.set_authorizer(_authorize)


# SQL functions no reader needs: `fts3_tokenizer` (in SQLite builds with FTS3 tokenizers
# enabled, Debian's among them) shows a pointer's address and registers one given as a blob.
_DENIED_FUNCTIONS = {"fts3_tokenizer"}


def _authorize(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
    """Every statement as SQLite allows it, but the functions above."""
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


# -- dates as people write them ----------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
         ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
         ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
         ("december", "dec")],
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = r"(?P<month_name>[a-z]+)\.?"
_PERIODS = [
    (re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:[t ][\d:.+z-]*)?"), "day"),
    (re.compile(r"(?P<year>\d{4})[/.](?P<month>\d{1,2})[/.](?P<day>\d{1,2})"), "day"),
    (re.compile(r"(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})"), "day"),
    (re.compile(r"(?P<day>\d{1,2})(?:st|nd|rd|th)? " + _MONTH + r",? (?P<year>\d{4})"), "day"),
    (re.compile(_MONTH + r" (?P<day>\d{1,2})(?:st|nd|rd|th)?,? (?P<year>\d{4})"), "day"),
    (re.compile(r"(?P<year>\d{4})[-/](?P<month>\d{1,2})"), "month"),
    (re.compile(r"(?P<month>\d{1,2})[/.](?P<year>\d{4})"), "month"),
    (re.compile(_MONTH + r",? (?P<year>\d{4})"), "month"),
    (re.compile(r"(?P<year>\d{4})"), "year"),
]
DATE_FORMATS = (
    "2025-09-03, 2025/09/03, 3 September 2025, 3 Sept 2025, 03/09/2025 (day first), "
    "September 2025, Sept 2025, 2025-09 or 2025"
)
# lpscrape.archive.changes' classes (the plugin may run without lpscrape: a public copy).
CHANGE_CLASSES = (
    "correction", "rewrite", "retitled", "byline", "terms", "revised", "minor", "formatting",
    "whitespace", "dates", "unpublished", "republished", "silent",
)  # fmt: skip
# A range's end parameter and its start: an end before the start is said, not an empty list.
RANGE_STARTS = {"last_date": "first_date"}


class InputError(sqlite3.OperationalError):
    """What was typed in a query's form cannot be used: shown instead of any row (and a 400
    for every format, the CSV included)."""


class DateError(InputError):
    """A date the archive cannot read."""


def period(text: str) -> tuple[date, date]:
    """The first day of the period a written date names and the day after its last day."""
    cleaned = " ".join(text.replace(",", " , ").split()).replace(" ,", ",").lower()
    for pattern, size in _PERIODS:
        m = pattern.fullmatch(cleaned)
        if not m:
            continue
        parts = m.groupdict()
        month = _MONTHS.get(parts["month_name"]) if parts.get("month_name") else parts.get("month")
        if parts.get("month_name") and month is None:
            break
        try:
            year, month_n = int(parts["year"]), int(month or 1)
            first = date(year, month_n, int(parts.get("day") or 1))
        except ValueError:
            break
        try:
            if size == "day":
                return first, first + timedelta(days=1)
            if size == "month":
                return first, date(year + (month_n == 12), month_n % 12 + 1, 1)
            return first, date(year + 1, 1, 1)
        except (ValueError, OverflowError):  # the day after 31 December 9999
            raise DateError(f"{text!r} is past the last date this archive can compare") from None
    raise DateError(f"cannot read {text!r} as a date: write it as {DATE_FORMATS}")


def _typed(request: Any, key: str) -> str:
    return (request.args.get(key) or "").strip() if request else ""


def _date_bound(index: int) -> Callable[[str, Any], str | None]:
    def bound(key: str, request: Any) -> str | None:
        written = _typed(request, key)
        if not written:
            return None
        days = period(written)
        start = _typed(request, RANGE_STARTS.get(key, ""))
        if index and start and period(start)[0] >= days[1]:
            raise DateError(
                f"{key} {written!r} comes before {RANGE_STARTS[key]} {start!r}: no day is "
                "between them (swap the two dates)"
            )
        return days[index].isoformat()

    return bound


def change_class(key: str, request: Any) -> str:
    """`:_lpclass_X`: the class of change typed in parameter X, lower case ('' for every
    class); one the archive does not know is an error, never an empty list."""
    written = _typed(request, key).lower()
    if written and written not in CHANGE_CLASSES:
        raise InputError(
            f"no class of change is called {written!r}: type one of {', '.join(CHANGE_CLASSES)}"
            " (or nothing, for every change)"
        )
    return written


MAGIC_PARAMETERS: dict[str, Callable[[str, Any], str | None]] = {
    "lpfrom": _date_bound(0),
    "lpuntil": _date_bound(1),
    "lpclass": change_class,
}
_MAGIC_USED = re.compile(r":_(" + "|".join(MAGIC_PARAMETERS) + r")_(\w+)")


@hookimpl
def register_magic_parameters() -> list[tuple[str, Callable[[str, Any], str | None]]]:
    """`:_lpfrom_X` is the first day of the date typed in parameter X (ISO, or NULL when it is
    empty); `:_lpuntil_X` the day after its period ends; `:_lpclass_X` a class of change. What
    cannot be read is an error message on the page, never every row (or none)."""
    return list(MAGIC_PARAMETERS.items())


async def unusable_input(datasette: Any, scope: dict[str, Any]) -> str | None:
    """Why a canned query's CSV cannot be built from what was typed in its form, or None.
    (Datasette's CSV of a query that failed is an empty 200: a script would save it.)"""
    path = scope.get("path", "")
    if scope.get("type") != "http" or not path.endswith(".csv") or path.count("/") != 2:
        return None
    database, name = (tilde_decode(part) for part in path[1:-4].split("/"))
    if database not in datasette.databases:
        return None
    query = await datasette.get_canned_query(database, name, None)
    if not query:
        return None
    request = Request(scope, None)
    for prefix, key in _MAGIC_USED.findall(query.get("sql") or ""):
        try:
            MAGIC_PARAMETERS[prefix](key, request)
        except InputError as exc:
            return str(exc)
    return None


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[Any], Any]:
    """A canned query's CSV answers 400 with the reason when its form's input is unusable;
    anything but GET and HEAD answers 405 (the archive is read-only: Datasette itself would
    fail a POST to a table or a canned query with a 500 and a traceback in the log)."""

    def wrap(app: Any) -> Any:
        async def checked(scope: dict[str, Any], receive: Any, send: Any) -> None:
            status, headers = 400, [(b"content-type", b"text/plain; charset=utf-8")]
            if scope.get("type") == "http" and scope.get("method") not in ("GET", "HEAD"):
                problem: str | None = "the archive is read-only: only GET and HEAD are served"
                status, headers = 405, [*headers, (b"allow", b"GET, HEAD")]
            else:
                problem = await unusable_input(datasette, scope)
            if problem is None:
                await app(scope, receive, send)
                return
            body = f"lpscrape: {problem}\n".encode()
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        return checked

    return wrap


# Datasette's `?_search=` filter, one of three in its `datasette.filters` plugin, is replaced
# by `search_filters` below; the other two stay as they are.
if pm.is_registered(stock_filters):
    pm.unregister(stock_filters)
    _kept_filters = ModuleType("datasette.filters")
    _kept_filters.where_filters = stock_filters.where_filters  # type: ignore[attr-defined]
    _kept_filters.through_filters = stock_filters.through_filters  # type: ignore[attr-defined]
    pm.register(_kept_filters, "datasette.filters")


def search_clause(pk: str, fts_table: str, target: str, param: str, text: str) -> str:
    """The WHERE clause of one search box: its words found (`match`), every article without
    the words it leaves out (`exclude`), or no article when it has no word (`nothing`)."""
    mode = search_mode(text)
    if mode == "nothing":
        return "0"
    negate, function = ("not ", "lp_fts_exclude") if mode == "exclude" else ("", "escape_fts")
    return (
        f"{escape_sqlite(pk)} {negate}in (select rowid from {escape_sqlite(fts_table)} "
        f"where {escape_sqlite(target)} match {function}(:{param}))"
    )


@hookimpl(specname="filters_from_request")
def search_filters(request: Any, database: str, table: str, datasette: Any) -> Any:
    """`?_search=` (and `?_search_COLUMN=`) as the `search` query answers it: words found,
    only words left out (every article without them: FTS5 has no bare NOT), no word at all
    (no article, and a note saying why); a blank box is no search. `_searchmode=raw` is
    Datasette's own."""
    stock = stock_filters.search_filters(request, database, table, datasette)

    async def inner() -> FilterArguments:
        metadata = datasette.table_metadata(database, table)
        raw = (request.args.get("_searchmode") or metadata.get("searchmode")) == "raw"
        if raw:
            return await stock()
        db = datasette.get_database(database)
        fts_table = request.args.get("_fts_table") or metadata.get("fts_table")
        fts_table = fts_table or await db.fts_table(table)
        fts_pk = request.args.get("_fts_pk", metadata.get("fts_pk", "rowid"))
        found = FilterArguments([], {}, [], {"supports_search": bool(fts_table)})
        boxes = {
            key: request.args[key]
            for key in request.args
            if key.startswith("_search") and key != "_searchmode" and request.args[key].strip()
        }
        if not fts_table or not boxes:
            return found
        if "_search" in boxes:
            boxes = {"_search": boxes["_search"]}
        for i, (key, text) in enumerate(boxes.items()):
            column = key.split("_search_", 1)[1] if key != "_search" else None
            if column is not None and column not in await db.table_columns(fts_table):
                raise BadRequest("Cannot search by that column")
            param = "search" if column is None else f"search_{i}"
            pk = fts_pk if column is None else "rowid"
            found.where_clauses.append(
                search_clause(pk, fts_table, column or fts_table, param, text)
            )
            found.params[param] = text
            where = f"search{f' column {column!r}' if column else ''}"
            mode = search_mode(text)
            found.human_descriptions.append(
                f'{where} matches "{text}"'
                if mode == "match"
                else f'{where} leaves out "{text}"'
                if mode == "exclude"
                else f'{where} for "{text}" has no word to look for'
            )
            found.extra_context["search"] = text
            found.extra_context["lp_search_note"] = search_note(text)
        return found

    return inner


SEARCH_QUERY = "search"


async def search_hits(db: Any, fts_table: str, text: str) -> int:
    """How many articles the search box's `text` lists, all of them (the query shows some)."""
    mode = search_mode(text)
    fts = escape_sqlite(fts_table)
    if mode == "match":
        sql, params = f"select count(*) from {fts} where {fts} match ?", [fts_terms(text)]
    elif mode == "exclude":
        sql = f"select count(*) from articles where rowid not in (select rowid from {fts} "
        sql += f"where {fts} match ?)"
        params = [fts_excluded(text)]
    else:
        return 0
    return (await db.execute(sql, params)).rows[0][0]


@hookimpl
def extra_template_vars(template: str, database: str | None, request: Any, datasette: Any) -> Any:
    """On the `search` query's page: the note on a search with no word to find or only words
    to leave out, and, when it shows fewer articles than match, how many match and where
    to page through all of them."""
    if not template.startswith("query") or request is None or database is None:
        return {}
    if request.url_vars.get("table") != SEARCH_QUERY:
        return {}

    async def search_vars() -> dict[str, Any]:
        query = await datasette.get_canned_query(database, SEARCH_QUERY, request.actor)
        text = request.args.get("q") or ""
        mode = search_mode(text)
        if query is None or mode == "all":
            return {}
        found: dict[str, Any] = {"lp_search_note": search_note(text)}
        limit = re.search(r"\blimit\s+(\d+)", query["sql"], re.I)
        fts_table = datasette.table_metadata(database, "articles").get("fts_table")
        if not (limit and fts_table):
            return found
        shown = int(limit[1])
        hits = await search_hits(datasette.get_database(database), fts_table, text)
        if hits > shown:
            best, which = ("best", "matching articles")
            if mode == "exclude":
                best, which = ("newest", "articles without those words")
            found["lp_search_cut"] = Markup(
                "Only the {best} {shown:,} of the {hits:,} {which} are listed. All {hits:,}, "
                'page by page and sortable: <a class="lp-search-all" href="{href}">the same '
                "search on the articles table</a>."
            ).format(
                best=best,
                which=which,
                shown=shown,
                hits=hits,
                href=datasette.urls.table(database, "articles") + "?_search=" + quote_plus(text),
            )
        return found

    return search_vars


# The search query's snippet marks its hits ⟦so⟧: brackets no article text of ours carries,
# where `<mark>` would be ambiguous (an article about HTML may print it).
_MARK = re.compile(r"⟦([^⟦⟧]*)⟧")


@hookimpl
def render_cell(value: Any, column: str, table: str | None) -> Markup | None:
    """Query results' `snippet` column: text escaped, then its ⟦hits⟧ marked."""
    if table is None and column == SNIPPET_COLUMN and isinstance(value, str):
        return Markup(_MARK.sub(r"<mark>\1</mark>", str(escape(value))))
    return None


@hookimpl
def startup(datasette: Any) -> None:
    """Refuse to serve any canned query that writes: the archive is read-only."""
    for name, database in (datasette.metadata("databases") or {}).items():
        for query_name, query in (database.get("queries") or {}).items():
            if isinstance(query, dict) and query.get("write"):
                raise RuntimeError(f"write query {name}/{query_name} refused: read-only archive")

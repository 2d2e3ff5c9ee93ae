"""Datasette plugin for the Lord's Press archive.

A month facet and an array facet that scales, searches that never fail on punctuation or an
empty box, highlighted search snippets (escaped), a JSON-list filter for the article page,
and a startup check that refuses write queries. Loaded from this folder by `lpscrape serve`
(and by `datasette --plugins-dir`); it adds no write path of its own.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import datasette.facets
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ArrayFacet, ColumnFacet, DateFacet, Facet
from datasette.plugins import pm
from datasette.utils import escape_fts, escape_sqlite, path_with_added_args, path_with_removed_args
from markupsafe import Markup, escape

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Any]

MONTH_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]*"
SNIPPET_COLUMN = "snippet"


def safe_escape_fts(query: str | None) -> str:
    """Datasette's `escape_fts`, but a query with no searchable term matches nothing instead
    of raising an FTS5 syntax error (`"`, `""`, blanks)."""
    escaped = escape_fts(query or "")
    return escaped or '""'


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
    """Replace `escape_fts` (registered by Datasette before us) with the error-free one."""
    conn.create_function("escape_fts", 1, safe_escape_fts, deterministic=True)


@hookimpl
def asgi_wrapper() -> Callable[[ASGIApp], ASGIApp]:
    """Drop `_search=` parameters that hold no searchable term: an empty search box lists
    everything instead of failing."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def stripped(scope: Scope, receive: Any, send: Any) -> Any:
            if scope.get("type") == "http" and b"_search" in scope.get("query_string", b""):
                pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
                kept = [
                    (k, v)
                    for k, v in pairs
                    if not (k.startswith("_search") and k != "_searchmode" and not escape_fts(v))
                ]
                if len(kept) != len(pairs):
                    scope = dict(scope, query_string=urlencode(kept).encode("latin-1"))
            return await app(scope, receive, send)

        return stripped

    return wrap


def json_list(value: Any) -> list[str]:
    """A JSON array column (categories, tags, authors) as a list of strings; [] otherwise."""
    try:
        items = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return []
    return [str(item) for item in items] if isinstance(items, list) else []


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    """The `lp_json_list` filter used by the article page."""
    env.filters["lp_json_list"] = json_list


_MARK = re.compile(r"&lt;(/?)mark&gt;")


@hookimpl
def render_cell(value: Any, column: str, table: str | None) -> Markup | None:
    """Query results' `snippet` column: text escaped, then only the `<mark>` tags restored."""
    if table is None and column == SNIPPET_COLUMN and isinstance(value, str):
        return Markup(_MARK.sub(r"<\1mark>", str(escape(value))))
    return None


@hookimpl
def startup(datasette: Any) -> None:
    """Refuse to serve any canned query that writes: the archive is read-only."""
    for name, database in (datasette.metadata("databases") or {}).items():
        for query_name, query in (database.get("queries") or {}).items():
            if isinstance(query, dict) and query.get("write"):
                raise RuntimeError(f"write query {name}/{query_name} refused: read-only archive")

"""Datasette plugin: the archive's own pages for reading articles as a historian does.

- `/{db}/article/{path}`: the readable, stable permalink of an article (its path on the site,
  `/2025/09/10/slug/`); it leads to the article's page. In an archive of several publications
  the permalink names the article's own: `/{db}/article/@{publication}/{path}`; a bare path
  that several publications' articles share answers 300, a page listing them.
- `/{db}/article/{path}version/{n}`: one version as it read then.
- `/{db}/article/{path}changes`: the edit history, each change with its class and the removed
  and added words marked.
- `/{db}/article/{path}cite?format=text|bibtex|csl-json`: the citation, for download.
- `/{db}/capture/{id}`: a capture as it was served, inside a sandboxed frame, and
  `/{db}/capture/{id}/raw`: its bytes, served under a Content-Security-Policy that disables
  scripts and every outside request, so hostile markup stays inert.

Read-only: every page is a SELECT. Scraped text is escaped everywhere (autoescaped templates,
`markupsafe.escape` for the diffs).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote, unquote

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape


def _load(name: str) -> ModuleType:
    """`lpscrape.<name>`, or the copy a published archive carries beside its plugins."""
    try:
        return importlib.import_module(f"lpscrape.{name}")
    except ImportError:  # a public copy served by a Datasette without lpscrape installed
        path = Path(__file__).parent / "lpscrape_lib" / f"{name.rsplit('.', 1)[-1]}.py"
        alias = f"lpscrape_{name.rsplit('.', 1)[-1]}"
        spec = importlib.util.spec_from_file_location(alias, path)
        if spec is None or spec.loader is None:
            raise
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(alias, module)
        spec.loader.exec_module(module)
    return module


cite = _load("cite")
version_body_sql = _load("archive.bodies").version_body_sql
payloads = _load("archive.payloads")
json_list = _load("archive.jsoncols").json_list

# The raw capture may do nothing on its own: no script, no request to any server (ours
# included), no form, no plugin; inline styles only. `sandbox` also gives it an opaque origin.
CAPTURE_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)
# The page that frames a capture: the frame may show the archive's pages only, so a link in
# the captured page cannot load the live site in its place (under "as captured").
FRAME_CSP = "frame-src 'self'"
CONTEXT_PARAGRAPHS = 1  # unchanged paragraphs shown either side of a change
ARTICLE_ROUTE = (
    r"^/(?P<database>[^/]+)/article(?:/@(?P<publication>[^/]+))?(?P<path>/.*?)"
    r"(?P<action>version/\d+|changes|cite)?$"
)
# The same page asked for with a slash after it (`…/changes/`), as people type addresses.
_ACTION_SLASH = re.compile(r"(?<=/)(version/\d+|changes|cite)/$")


# -- shared ------------------------------------------------------------------------------------


def archive_path(database: str, url: str, suffix: str = "", publication: str | None = None) -> str:
    """The archive's path of an article (`/db/article/2025/09/10/slug/`, with `@publication/`
    first when given), plus `suffix`."""
    return f"/{quote(database)}/article{cite.route_path(url, publication)}{suffix}"


async def permalink_path(db: Any, url: str, suffix: str = "") -> str:
    """The permalink of an article of `db` (naming its publication when `db` holds several),
    plus `suffix`."""
    publications, several = await _article_publications(db)
    return archive_path(db.name, url, suffix, publications.get(url) if several else None)


def row_path(database: str, url: str) -> str:
    """Datasette's own page of the article (its `articles` row)."""
    return f"/{quote(database)}/articles/{tilde_encode(url)}"


async def _database(datasette: Any, request: Any) -> Any:
    name = request.url_vars["database"]
    try:
        db = datasette.get_database(name)
    except KeyError:
        raise NotFound(f"no database {name}") from None
    await datasette.ensure_permissions(request.actor, [("view-database", name), "view-instance"])
    return db


async def _article_url(db: Any, path: str, publication: str | None = None) -> str:
    """The archive key of the article at `path` on the site (in `publication` when given);
    NotFound when there is none, `cite.AmbiguousArticle` when several publications have one."""
    try:
        return await db.execute_fn(lambda conn: cite.find_article(conn, path, publication))
    except cite.AmbiguousArticle:
        raise
    except (cite.CiteError, ValueError):  # ValueError: no URL at all (`//[x/`)
        where = f" in {publication}" if publication else ""
        raise NotFound(f"no archived article at {path}{where}") from None


async def _rows(db: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    results = await db.execute(sql, params)
    return [dict(r) for r in results.rows]


# -- diffs ---------------------------------------------------------------------------------------


def _paragraphs(diff: list[list[str]]) -> list[list[tuple[str, str]]]:
    """The diff cut into paragraphs of the new text; removed breaks stay inline as ¶."""
    paragraphs: list[list[tuple[str, str]]] = [[]]
    for op, text in diff:
        if op == "-":
            if text.strip():
                paragraphs[-1].append(("-", re.sub(r"\s*\n\s*\n\s*", " ¶ ", text)))
            elif "\n\n" in text:
                paragraphs[-1].append(("-", "¶"))
            continue
        pieces = text.split("\n\n")
        for i, piece in enumerate(pieces):
            if i:
                if op == "+":
                    paragraphs[-1].append(("+", "¶"))
                paragraphs.append([])
            if piece.strip():
                paragraphs[-1].append((op, piece))
    return [p for p in paragraphs if p]


def diff_html(diff_json: str | None, whole: bool = False) -> Markup:
    """A stored word diff as HTML: `<del>` removed, `<ins>` added, text escaped; paragraphs
    far from any change folded away unless `whole`."""
    diff = json.loads(diff_json or "[]")
    paragraphs = _paragraphs(diff)
    changed = [any(op != "=" for op, _ in p) for p in paragraphs]
    keep = [
        whole or any(changed[max(0, i - CONTEXT_PARAGRAPHS) : i + CONTEXT_PARAGRAPHS + 1])
        for i in range(len(paragraphs))
    ]
    out: list[str] = []
    skipped = 0
    for paragraph, shown in zip(paragraphs, keep, strict=True):
        if not shown:
            skipped += 1
            continue
        if skipped:
            out.append(_skipped(skipped))
            skipped = 0
        parts = []
        for k, (op, text) in enumerate(paragraph):
            if k and op != "=" != paragraph[k - 1][0] and not _spaced(paragraph[k - 1][1], text):
                parts.append(" ")  # a removed run and the added one: two words, not one
            if op == "=":
                parts.append(str(escape(text)))
            else:
                tag, css = ("del", "lp-del") if op == "-" else ("ins", "lp-ins")
                parts.append(f'<{tag} class="{css}">{escape(text)}</{tag}>')
        out.append("<p>" + "".join(parts) + "</p>")
    if skipped:
        out.append(_skipped(skipped))
    return Markup("\n".join(out))


def _spaced(before: str, after: str) -> bool:
    """True when whitespace already parts two neighbouring runs of a diff."""
    return before[-1:].isspace() or after[:1].isspace()


def _skipped(n: int) -> str:
    return f'<p class="lp-skip">… {n} unchanged paragraph{"s" if n != 1 else ""} …</p>'


# -- pages ---------------------------------------------------------------------------------------


async def _not_found(datasette: Any, request: Any, message: str) -> Response:
    """A 404 page of our own (Datasette's would redirect a path ending in / first)."""
    context = {"ok": False, "error": message, "status": 404, "title": "Not in the archive"}
    html = await datasette.render_template("error.html", context, request=request)
    return Response.html(html, status=404)


async def article_view(datasette: Any, request: Any) -> Response:
    """The permalink family: the article, one version, its history, its citation."""
    try:
        return await _article_view(datasette, request)
    except NotFound as exc:
        return await _not_found(datasette, request, str(exc.args[0] if exc.args else exc))


async def _article_view(datasette: Any, request: Any) -> Response:
    db = await _database(datasette, request)
    path, publication = request.url_vars["path"], request.url_vars.get("publication")
    action = request.url_vars.get("action") or ""
    if publication is not None:
        publication = unquote(publication)
        if publication not in await db.execute_fn(cite.publications):  # `/@x/` on the site
            path, publication = f"/@{request.url_vars['publication']}{path}", None
    readings = [(path, action)]  # an article of its own at `…/changes/` comes first
    if not action and (typed := _ACTION_SLASH.search(path)):
        readings.append((path[: typed.start()], typed[1]))
    for n, (path, action) in enumerate(readings, 1):
        try:
            url = await _article_url(db, path, publication)
            break
        except NotFound:
            if n == len(readings):
                raise
        except cite.AmbiguousArticle as exc:
            return await _choices(datasette, request, db, exc, action)
    if not action:  # the article's own page, at its readable address (what people copy)
        return await _row_page(datasette, request, row_path(db.name, url))
    if action == "changes":
        return await _history(datasette, request, db, url)
    if action == "cite":
        return await _citation(datasette, request, db, url)
    number = action.split("/")[1]
    if len(number) > 18:  # past SQLite's integers: no version of any article
        raise NotFound(f"{url} has no version {number}")
    return await _version(datasette, request, db, url, int(number))


async def _choices(datasette: Any, request: Any, db: Any, found: Any, action: str) -> Response:
    """300 Multiple Choices: the articles of several publications at one path, each by its
    own permalink (with the page asked for: a version, the history, the citation)."""
    query = f"?{request.query_string}" if request.query_string else ""
    choices = []
    for publication, url in found.matches.items():
        rows = await _rows(db, "SELECT title, published_at FROM articles WHERE url = ?", [url])
        href = archive_path(db.name, url, action, publication or None) + query
        choices.append({"publication": publication, "url": url, "href": href, **rows[0]})
    context = {"database": db.name, "path": found.path, "choices": choices}
    html = await datasette.render_template("lp_choices.html", context, request=request)
    return Response.html(html, status=300)


async def _row_page(datasette: Any, request: Any, path: str) -> Response:
    """Datasette's page at `path`, asked for as the visitor asked: their scheme and Host (so
    the permalinks and links on it name the address they used), their cookie (an actor)."""
    query = request.query_string
    scheme = request.scheme if request.scheme in ("http", "https") else "http"
    host = request.host if request.host.isascii() and request.host.isprintable() else "localhost"
    headers = {"host": host}
    if request.headers.get("cookie"):
        headers["cookie"] = request.headers["cookie"]
    target = f"{scheme}://localhost{datasette.urls.path(path)}" + (f"?{query}" if query else "")
    page = await datasette.client.request("GET", target, headers=headers, avoid_path_rewrites=True)
    kept = {"Link": page.headers["link"]} if "link" in page.headers else {}
    return Response(
        page.text, status=page.status_code, content_type=page.headers["content-type"], headers=kept
    )


async def _history(datasette: Any, request: Any, db: Any, url: str) -> Response:
    article = (await _rows(db, "SELECT * FROM articles WHERE url = ?", [url]))[0]
    versions = {
        v["version"]: v
        for v in await _rows(
            db,
            "SELECT version, title, byline, authors, categories, tags, first_seen_at, "
            "last_seen_at, capture_id FROM article_versions WHERE url = ? ORDER BY version",
            [url],
        )
    }
    changes = await _rows(
        db, "SELECT * FROM article_changes WHERE url = ? ORDER BY capture_id, id", [url]
    )
    for change in changes:
        change["classes_list"] = json_list(change["classes"])
        change["fields_list"] = json_list(change["fields"])
        change["title_html"] = diff_html(change["title_diff"], whole=True)
        change["body_html"] = diff_html(change["body_diff"])
        change["before"] = versions.get(change["from_version"], {})
        change["after"] = versions.get(change["to_version"], {})
    context = {
        "database": db.name,
        "article": article,
        "versions": versions,
        "changes": changes,
        "article_href": row_path(db.name, url),
        "permalink": await permalink_path(db, url),
    }
    html = await datasette.render_template("lp_history.html", context, request=request)
    return Response.html(html)


async def _version(datasette: Any, request: Any, db: Any, url: str, number: int) -> Response:
    rows = await _rows(
        db,
        f"SELECT v.*, {version_body_sql('v')} AS full_body, c.fetched_at AS captured_at, "
        "(SELECT max(version) FROM article_versions WHERE url = v.url) AS versions "
        "FROM article_versions v LEFT JOIN captures c ON c.id = v.capture_id "
        "WHERE v.url = ? AND v.version = ?",
        [url, number],
    )
    if not rows:
        raise NotFound(f"{url} has no version {number}")
    version = rows[0]
    change = await _rows(
        db,
        "SELECT id, change_class, classes, summary FROM article_changes "
        "WHERE url = ? AND to_version = ? AND from_version < to_version",
        [url, number],
    )
    context = {
        "database": db.name,
        "v": version,
        "change": change[0] if change else None,
        "categories": json_list(version["categories"]),
        "tags": json_list(version["tags"]),
        "paragraphs": [p.strip() for p in (version["full_body"] or "").split("\n\n") if p.strip()],
        "article_href": row_path(db.name, url),
        "history_href": await permalink_path(db, url, "changes"),
        "permalink": await permalink_path(db, url, f"version/{number}"),
        "cite_text": await _cite_text(datasette, request, db, url, number),
    }
    html = await datasette.render_template("lp_version.html", context, request=request)
    return Response.html(html)


async def _cite_text(
    datasette: Any, request: Any, db: Any, url: str, version: int | None = None
) -> dict[str, str]:
    """The citation of `url` in every format, with the permalink at the archive's configured
    address (`lpscrape serve --archive-url`), else on the host the request named."""
    configured = (datasette.plugin_config("lpscrape") or {}).get("archive_url")
    if configured:
        base = configured.rstrip("/")  # as `lpscrape cite --archive-url` takes it
    else:
        base = datasette.absolute_url(request, datasette.urls.path("/")).rstrip("/")

    def build(conn: Any) -> Any:
        return cite.citation(conn, url, database=db.name, archive_url=base, version=version)

    found = await db.execute_fn(build)
    return {fmt: cite.render(found, fmt) for fmt in cite.FORMATS} | {"permalink": found.permalink}


async def _citation(datasette: Any, request: Any, db: Any, url: str) -> Response:
    fmt = request.args.get("format") or "text"
    if fmt not in cite.FORMATS:
        return Response.text(f"unknown format {fmt}: use {', '.join(cite.FORMATS)}", status=400)
    version = (request.args.get("version") or "").strip()
    if version and not (version.isascii() and version.isdigit() and len(version) <= 18):
        return Response.text(
            f"version {version!r} is not a version number: give 1, 2… (or leave it out for "
            "the latest)",
            status=400,
        )
    try:
        cited = await _cite_text(datasette, request, db, url, int(version) if version else None)
    except cite.CiteError as exc:  # a version the article does not have (0 included)
        return Response.text(str(exc), status=404)
    text = cited[fmt]
    kind = {"text": "text/plain", "bibtex": "application/x-bibtex", "csl-json": "application/json"}
    return Response(
        text + "\n",
        content_type=f"{kind[fmt]}; charset=utf-8",
        headers={"Content-Disposition": "inline"},
    )


async def capture_view(datasette: Any, request: Any) -> Response:
    """A capture framed by what the archive knows of it; `/raw`: the bytes, inert."""
    try:
        return await _capture_view(datasette, request)
    except NotFound as exc:
        return await _not_found(datasette, request, str(exc.args[0] if exc.args else exc))


async def _capture_view(datasette: Any, request: Any) -> Response:
    db = await _database(datasette, request)
    if not request.url_vars["id"].isdecimal() or len(request.url_vars["id"]) > 18:
        raise NotFound(f"no capture {request.url_vars['id']}")  # (SQLite's integers: 63 bits)
    capture_id = int(request.url_vars["id"])
    rows = await _rows(
        db,
        "SELECT id, run_id, url, kind, fetched_at, status, content_type, sha256, size, "
        "article_url FROM captures WHERE id = ?",
        [capture_id],
    )
    if not rows:
        raise NotFound(f"no capture {capture_id}")
    capture = rows[0]
    if request.url_vars.get("raw"):
        body = await db.execute_fn(lambda conn: payloads.capture_body(conn, capture_id))
        return Response(
            body,
            content_type=capture["content_type"] or "text/html; charset=utf-8",
            headers={
                "Content-Security-Policy": CAPTURE_CSP,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "Cross-Origin-Resource-Policy": "same-origin",
                "Cache-Control": "public, max-age=86400, immutable",
            },
        )
    article = capture["article_url"]
    context = {
        "database": db.name,
        "capture": capture,
        "raw_href": f"/{quote(db.name)}/capture/{capture_id}/raw",
        "article_href": row_path(db.name, article) if article else None,
        "history_href": await permalink_path(db, article, "changes") if article else None,
        "row_href": f"/{quote(db.name)}/captures/{capture_id}",
        "csp": CAPTURE_CSP,
    }
    html = await datasette.render_template("lp_capture.html", context, request=request)
    return Response.html(html, headers={"Content-Security-Policy": FRAME_CSP})


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    """The permalink family and the capture pages."""
    return [
        (ARTICLE_ROUTE, article_view),
        # Any id, so `capture/abc` is this page's 404, not Datasette's "no such table".
        (r"^/(?P<database>[^/]+)/capture/(?P<id>[^/]+)(?P<raw>/raw)?$", capture_view),
    ]


@hookimpl
def extra_template_vars(
    template: str, database: str | None, table: str | None, request: Any, datasette: Any
) -> Any:
    """On an article's page: its permalink, history and citation in every format."""
    if template != "row.html" or table != "articles" or request is None:
        return {}

    async def article_vars() -> dict[str, Any]:
        url = tilde_decode(request.url_vars.get("pks", ""))
        db = datasette.get_database(database)
        try:
            citation = await _cite_text(datasette, request, db, url)
        except cite.CiteError:
            return {}
        captures = await _rows(
            db,
            "SELECT min(id) AS first, max(id) AS latest FROM captures "
            "WHERE article_url = ? AND status = 200",
            [url],
        )
        changes = await _rows(db, "SELECT count(*) AS n FROM article_changes WHERE url = ?", [url])
        return {
            "lp_cite": citation,
            "lp_permalink": await permalink_path(db, url),
            "lp_history": await permalink_path(db, url, "changes"),
            "lp_changes": changes[0]["n"],
            "lp_captures": captures[0],
        }

    return article_vars


@hookimpl
def prepare_jinja2_environment(env: Any, datasette: Any) -> None:
    """Template filters: `lp_archive_path` (an article's permalink here), `lp_json_list`…"""

    async def lp_archive_path(url: Any, database: str, suffix: str = "") -> str:
        return await permalink_path(datasette.get_database(database), _plain(url), suffix)

    env.filters["lp_archive_path"] = lp_archive_path
    env.filters["lp_value"] = _plain
    env.filters["lp_web_url"] = web_url
    env.filters["lp_json_list"] = json_list


# Per database file: its state (size and time of the file and its WAL), the URLs of its
# articles with their publications and whether it holds several, read once per state: a query
# page of 1,000 article rows makes one read, not 1,000.
_ARTICLE_URLS: dict[str, tuple[tuple[int, ...], dict[str, str | None], bool]] = {}


def _file_state(path: str) -> tuple[int, ...]:
    state: list[int] = []
    for name in (path, path + "-wal"):
        try:
            st = os.stat(name)
            state += [st.st_size, st.st_mtime_ns]
        except OSError:
            state += [-1, -1]
    return tuple(state)


def _read_publications(conn: Any) -> tuple[dict[str, str | None], bool]:
    """Every article's URL with its publication, and whether the archive holds several."""
    several = len(cite.publications(conn)) > 1
    column = "publication" if several else "NULL"
    return dict(conn.execute(f"SELECT url, {column} FROM articles").fetchall()), several


async def _article_publications(db: Any) -> tuple[dict[str, str | None], bool]:
    """The archived articles of the database with their publications (`_read_publications`)."""
    if not db.path:  # in memory: ask each time
        return await db.execute_fn(_read_publications)
    state = _file_state(db.path)
    cached = _ARTICLE_URLS.get(db.path)
    if cached is None or cached[0] != state:
        urls, several = await db.execute_fn(_read_publications)
        cached = _ARTICLE_URLS[db.path] = (state, urls, several)
    return cached[1], cached[2]


async def _archived(db: Any, url: str) -> bool:
    """True when `url` is an archived article of the database."""
    return url in (await _article_publications(db))[0]


def _plain(value: Any) -> Any:
    """A cell's value, whether Datasette expanded it into a labelled foreign key or not."""
    return value.get("value") if isinstance(value, dict) else value


# -- cells ---------------------------------------------------------------------------------------

LIST_COLUMNS = {
    "articles": {"authors", "categories", "tags"},
    "article_versions": {"authors", "categories", "tags"},
    "article_changes": {"classes", "fields"},
}
DIFF_COLUMNS = {"title_diff", "body_diff"}
QUERY_LIST_COLUMNS = {"authors", "categories", "tags", "classes", "fields"}  # in query results


def _get(row: Any, name: str) -> Any:
    """A column of a row as Datasette hands it to `render_cell` (Row, CustomRow or dict)."""
    try:
        value = row[name]
    except (IndexError, KeyError, TypeError, ValueError):
        return None
    return value.get("value") if isinstance(value, dict) else value


def _listing(items: list[str]) -> Markup:
    return Markup(", ").join(Markup('<span class="lp-item">{}</span>').format(i) for i in items)


def web_url(url: Any) -> bool:
    """True for an http(s) URL: a scraped URL of any other scheme (`javascript:`) is never
    made a link."""
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def _links(href: str, url: str, text: str) -> Markup:
    """A link to the archived article, then a small one to the original page."""
    archived = Markup('<a class="lp-archived" href="{}">{}</a>').format(href, text)
    if not web_url(url):
        return archived
    return archived + Markup(
        ' <a class="lp-original" href="{}" rel="noopener noreferrer" '
        'title="The original page on the site">original&nbsp;↗</a>'
    ).format(url)


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    """Article URLs lead into the archive; JSON arrays read as lists; versions and changes
    named by their own headline; captures open as they were served."""
    raw = value.get("value") if isinstance(value, dict) else value
    here = datasette.urls.path  # honours the base_url setting
    if table is None and column == "url" and isinstance(raw, str) and "://" in raw:

        async def archived_link() -> Markup | None:
            db = datasette.get_database(database)
            if not await _archived(db, raw):
                return None
            return _links(here(await permalink_path(db, raw)), raw, raw)

        return archived_link
    lists = QUERY_LIST_COLUMNS if table is None else LIST_COLUMNS.get(table, ())
    if column in lists and isinstance(raw, str):
        items = json_list(raw)
        return _listing(items) if items or raw.strip() == "[]" else None

    def linked(template: str, url: Any, suffix: str, *rest: Any) -> Any:
        """`template` with the article's permalink (plus `suffix`) first, then `rest`."""

        async def cell() -> Markup:
            db = datasette.get_database(database)
            return Markup(template).format(here(await permalink_path(db, url, suffix)), *rest)

        return cell

    versions = table in ("article_versions", "version_texts")  # the view: the same rows, whole
    if versions and column == "url" and isinstance(raw, str):
        version = _get(row, "version")
        title = _get(row, "title") or raw
        return linked('<a class="lp-version" href="{}">{}</a>', raw, f"version/{version}", title)
    if table == "article_versions" and column == "body_text" and raw is None:
        if not _get(row, "body_shared"):
            return None
        return linked(
            '<a class="lp-shared-body" href="{}">the text of this version</a> '
            "(kept once: in the next version that keeps one, else the article's row)",
            _get(row, "url"),
            f"version/{_get(row, 'version')}",
        )
    if versions and column == "content_hash" and isinstance(raw, str):
        return Markup('<code title="{}">{}…</code>').format(raw, raw[:12])
    if table == "article_changes" and column == "url" and isinstance(raw, str):
        title = _get(row, "title_after") or raw
        anchor = f"changes#change-{_get(row, 'id')}"
        return linked('<a class="lp-change" href="{}">{}</a>', raw, anchor, title)
    if table == "article_changes" and column in DIFF_COLUMNS:
        if not raw:
            return None
        anchor = f"changes#change-{_get(row, 'id')}"
        return linked('<a href="{}">read the diff</a>', _get(row, "url"), anchor)
    if table == "captures" and column == "url" and isinstance(raw, str):
        return Markup(
            '<a class="lp-captured" href="{}">as captured</a> · '
            '<a href="{}" rel="noopener noreferrer">{}</a>'
        ).format(here(f"/{quote(database)}/capture/{_get(row, 'id')}"), raw, raw)
    return None

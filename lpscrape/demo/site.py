"""The sample site's behaviour: routes, discovery files, REST API, caching headers and faults."""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit
from xml.sax.saxutils import escape as xml_escape

from . import theme
from .content import (
    AUTHORS,
    CATEGORIES,
    LONDON,
    PAGES,
    PRIVATE_PAGE,
    TAGS,
    Article,
    Author,
    Page,
    Term,
    articles,
)

PER_PAGE = 10
FEED_ITEMS = 10
TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = {"fbclid", "gclid"}
PAGE_IDS = {"/about/": 2, "/privacy-policy/": 3, PRIVATE_PAGE.path: 41}
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
HTML = "text/html; charset=UTF-8"
XML = "application/xml; charset=UTF-8"
JSON = "application/json; charset=UTF-8"

Headers = dict[str, str]


class Response(NamedTuple):
    """What the site answers: status, headers and body bytes."""

    status: int
    headers: Headers
    body: bytes


class RequestRecord(NamedTuple):
    """One logged request: what was asked and what was answered."""

    method: str
    path: str
    status: int
    bytes_sent: int
    headers: Headers


def _png(width: int = 4, height: int = 3) -> bytes:
    """A small grey PNG, built with zlib so the site needs no image files."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x99" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PLACEHOLDER_PNG = _png()


@cache
def _index(edition: int) -> tuple[dict[str, Article], dict[int, Article], frozenset[str]]:
    """An edition's articles by permalink path and by id, and the paths of its images."""
    arts = articles(edition)
    images = frozenset(a.figure.src_path for a in arts if a.figure)
    return {a.path: a for a in arts}, {a.id: a for a in arts}, images


def http_date(when: datetime) -> str:
    """An HTTP date (`Wed, 10 Sep 2025 13:02:11 GMT`)."""
    return format_datetime(when.astimezone(UTC), usegmt=True)


def rfc822(when: datetime) -> str:
    """A feed date as WordPress prints it (`Wed, 10 Sep 2025 13:02:11 +0000`)."""
    return format_datetime(when.astimezone(UTC))


def rendered(text: str) -> str:
    """Text as WordPress's `*.rendered` fields carry it: escaped, typographic marks as entities."""
    marks = {"’": "&#8217;", "‘": "&#8216;", "“": "&#8220;", "”": "&#8221;", "–": "&#8211;"}
    out = theme.esc(text)
    for mark, entity in marks.items():
        out = out.replace(mark, entity)
    return out


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _is_tracking(key: str) -> bool:
    return key.startswith(TRACKING_PREFIXES) or key in TRACKING_PARAMS


def _not_modified(headers: Headers, etag: str, last_modified: datetime) -> bool:
    """True when the request's validators show the client already has this version."""
    if "if-none-match" in headers:
        tags = [t.strip().removeprefix("W/") for t in headers["if-none-match"].split(",")]
        return "*" in tags or etag in tags
    if "if-modified-since" in headers:
        try:
            since = parsedate_to_datetime(headers["if-modified-since"])
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return last_modified.replace(microsecond=0) <= since
    return False


class DemoSite:
    """The Lord's Press sample site as a pure request → response function, with test hooks."""

    def __init__(
        self,
        edition: int = 1,
        base_url: str = "http://127.0.0.1:8000",
        clock: Callable[[], datetime] | None = None,
        rest_api: bool = True,
    ) -> None:
        self.edition = edition
        self.base_url = base_url
        self.clock = clock or (lambda: datetime.now(LONDON))
        self.rest_api = rest_api
        self.redesigned = False  # True: the theme's content container is renamed
        # A theme update on some templates (a template: the articles of one primary
        # category): {"nobility": {"byline"}, "protocol": {"body"}}; see theme.RESTYLES.
        self.restyled: dict[str, set[str]] = {}
        # A paragraph a plugin adds to every article's content (a membership call), or None.
        self.promo: str | None = None
        self.faults: dict[str, list[int]] = {}
        self.delays: dict[str, float] = {}
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()

    @property
    def edition(self) -> int:
        """Which edition of the content the site serves (1 or 2); settable at runtime."""
        return self._edition

    @edition.setter
    def edition(self, value: int) -> None:
        articles(value)  # validates
        self._edition = value

    @property
    def base(self) -> str:
        """The base URL without a trailing slash."""
        return self.base_url.rstrip("/")

    @property
    def articles(self) -> tuple[Article, ...]:
        """The current edition's articles, oldest first."""
        return articles(self.edition)

    def url(self, path: str) -> str:
        """An absolute URL on this site."""
        return self.base + path

    def etag(self, article: Article) -> str:
        """The quoted ETag of an article's content version (independent of render time)."""
        return f'"{article.version[:32]}"'

    def respond(self, method: str, path: str, headers: Headers) -> Response:
        """Answer one request for `path` (with its query); logs it and applies test hooks."""
        target, path = path, urlsplit(path).path or "/"
        delay = self.delays.get(target, self.delays.get(path))
        if delay:
            time.sleep(delay)
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            queue = self.faults.get(target) or self.faults.get(path)
            fault = queue.pop(0) if queue else None
        if fault is not None:
            response = self._fault(fault)
        else:
            response = self._route(method.upper(), target, lowered)
        body = response.body
        if response.status != 304:
            response.headers["Content-Length"] = str(len(body))
        if method.upper() == "HEAD" or response.status == 304:
            body = b""
        with self._lock:
            self.requests.append(
                RequestRecord(method, target, response.status, len(body), dict(headers))
            )
        return Response(response.status, response.headers, body)

    def _fault(self, status: int) -> Response:
        headers = {"Content-Type": HTML}
        if status in (429, 503):
            headers["Retry-After"] = "1"
        body = f"<html><body><h1>Error {status}</h1></body></html>".encode()
        return Response(status, headers, body)

    def _route(self, method: str, target: str, headers: Headers) -> Response:
        if method not in ("GET", "HEAD"):
            return Response(405, {"Allow": "GET, HEAD", "Content-Type": HTML}, b"")
        parts = urlsplit(target)
        path = unquote(parts.path) or "/"
        params = {
            k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
        }
        if path == "/robots.txt":
            return self._text(self._robots(), "text/plain; charset=utf-8")
        if path == "/wp-json" or path.startswith("/wp-json/"):
            return self._rest(path, params) if self.rest_api else self._not_found(path)
        if path == "/feed/":
            return self._feed(headers)
        if path.endswith(".xml"):
            sitemap = self._sitemap(path.lstrip("/"))
            return self._text(sitemap, XML) if sitemap else self._not_found(path)
        if path in _index(self.edition)[2]:
            return Response(200, {"Content-Type": "image/png"}, PLACEHOLDER_PNG)
        if path == "/" and "p" in params:
            return self._shortlink(params["p"])
        response = self._html(path, headers)
        # WordPress's canonical redirect adds the missing trailing slash.
        last = path.rsplit("/", 1)[-1]
        if (
            response.status == 404
            and last
            and "." not in last
            and self._html(path + "/", {}).status == 200
        ):
            query = f"?{parts.query}" if parts.query else ""
            return self._redirect(self.url(path + "/" + query))
        return response

    # --- HTML pages ---------------------------------------------------------------------

    def _html(self, path: str, headers: Headers) -> Response:
        now = self.clock().astimezone(LONDON)
        by_path = _index(self.edition)[0]
        if path in by_path:
            return self._article(by_path[path], headers, now)
        for page in PAGES:
            if path == page.path:
                return self._page_response(page, now)
        if path.startswith("/private/") and path.endswith("/"):
            return self._page_response(PRIVATE_PAGE, now, path)
        m = re.fullmatch(r"(/(?:(category|tag|author)/([a-z0-9-]+)/)?)(?:page/(\d+)/)?", path)
        if m:
            return self._listing(m[1], m[2], m[3], int(m[4] or 1), bool(m[4]), now)
        return self._not_found(path)

    def _headers(self, extra: Headers | None = None) -> Headers:
        headers = {"Content-Type": HTML, "Cache-Control": "max-age=3, must-revalidate"}
        if self.rest_api:
            headers["Link"] = f'<{self.base}/wp-json/>; rel="https://api.w.org/"'
        return headers | (extra or {})

    def _article(self, article: Article, headers: Headers, now: datetime) -> Response:
        etag = self.etag(article)
        validators = {"ETag": etag, "Last-Modified": http_date(article.modified)}
        out = self._headers(validators)
        out["Link"] = ", ".join(
            filter(None, [out.get("Link"), f"<{self.base}/?p={article.id}>; rel=shortlink"])
        )
        if _not_modified(headers, etag, article.modified):
            return Response(304, validators | {"Cache-Control": out["Cache-Control"]}, b"")
        page = theme.article_page(article, self.articles, self.base, now, self.rest_api)
        if self.redesigned:  # the day the site changes its theme
            page = page.replace('<article class="small single">', '<section class="lp-story">')
            page = page.replace("</article>", "</section>")
        for change in sorted(self.restyled.get(article.categories[0].slug, ())):
            page = theme.restyle(page, article, change)
        if self.promo:
            page = page.replace(
                '<div class="post-share">', f'<p>{self.promo}</p>\n<div class="post-share">', 1
            )
        return Response(200, out, page.encode())

    def _page_response(self, page: Page, now: datetime, path: str | None = None) -> Response:
        body = theme.static_page(page, self.base, now, PAGE_IDS[page.path], self.rest_api)
        if path and path != page.path:
            body = body.replace(self.url(page.path), self.url(path))
        return Response(200, self._headers(), body.encode())

    def _listing(
        self,
        root: str,
        kind: str | None,
        slug: str | None,
        page: int,
        explicit_page: bool,
        now: datetime,
    ) -> Response:
        posts = sorted(self.articles, key=lambda a: a.published, reverse=True)
        heading, description, body_class = None, "", "home blog"
        if kind == "author":
            author = next((a for a in AUTHORS if a.slug == slug), None)
            if author is None:
                return self._not_found(root)
            posts = [a for a in posts if author in a.authors]
            heading, description = f"Author: {author.name}", author.bio
            body_class = f"archive author author-{author.slug} author-{author.id}"
        elif kind:
            terms: Sequence[Term] = CATEGORIES if kind == "category" else TAGS
            term = next((t for t in terms if t.slug == slug), None)
            if term is None:
                return self._not_found(root)
            field = "categories" if kind == "category" else "tags"
            posts = [a for a in posts if term in getattr(a, field)]
            heading = f"{'Category' if kind == 'category' else 'Tag'}: {term.name}"
            description = term.description
            body_class = f"archive {kind} {kind}-{term.slug} {kind}-{term.id}"
        pages = max(1, math.ceil(len(posts) / PER_PAGE))
        if explicit_page and page == 1:
            return self._redirect(self.url(root))
        if page > pages:
            return self._not_found(f"{root}page/{page}/")
        body = theme.listing_page(
            base=self.base,
            now=now,
            root=root,
            posts=posts[(page - 1) * PER_PAGE : page * PER_PAGE],
            page=page,
            pages=pages,
            heading=heading,
            body_class=body_class,
            description=description,
            rest_api=self.rest_api,
        )
        return Response(200, self._headers(), body.encode())

    def _not_found(self, path: str) -> Response:
        now = self.clock().astimezone(LONDON)
        body = theme.not_found_page(self.base, now, path, self.rest_api)
        headers = self._headers({"Cache-Control": "no-cache, must-revalidate, max-age=0"})
        return Response(404, headers, body.encode())

    def _redirect(self, location: str) -> Response:
        headers = {"Location": location, "X-Redirect-By": "WordPress", "Content-Type": HTML}
        return Response(301, headers, b"")

    def _shortlink(self, post_id: str) -> Response:
        article = _index(self.edition)[1].get(int(post_id)) if post_id.isdigit() else None
        if article is None:
            return self._not_found("/")
        return self._redirect(self.url(article.path))

    @staticmethod
    def _text(text: str, content_type: str) -> Response:
        return Response(200, {"Content-Type": content_type}, text.encode())

    # --- discovery: robots.txt, sitemaps, feed ------------------------------------------

    def _robots(self) -> str:
        return (
            "User-agent: *\n"
            "Disallow: /wp-admin/\n"
            "Allow: /wp-admin/admin-ajax.php\n"
            "Disallow: /private/\n"
            "\n"
            f"Sitemap: {self.base}/sitemap_index.xml\n"
        )

    def _sitemap(self, name: str) -> str | None:
        """The Yoast or core sitemap called `name`, or None if there is no such sitemap."""
        arts = self.articles
        latest = max(a.modified for a in arts)
        by_modified = sorted(arts, key=lambda a: a.modified)
        base = self.base

        def newest(posts: Sequence[Article]) -> datetime | None:
            return max((a.modified for a in posts), default=None)

        home_and_pages = [(f"{base}/", latest)] + [(base + p.path, p.modified) for p in PAGES]
        category_urls = [
            (f"{base}/category/{c.slug}/", newest([a for a in arts if c in a.categories]))
            for c in CATEGORIES
        ]
        if name == "sitemap_index.xml":
            return _sitemap_index(
                [
                    (f"{base}/post-sitemap.xml", latest),
                    (f"{base}/page-sitemap.xml", max(p.modified for p in PAGES)),
                    (f"{base}/category-sitemap.xml", latest),
                ]
            )
        if name == "post-sitemap.xml":
            entries = [(base + a.path, a.modified) for a in by_modified]
            images = {base + a.path: base + a.figure.src_path for a in by_modified if a.figure}
            return _urlset(entries, images)
        if name == "page-sitemap.xml":
            return _urlset(home_and_pages, {})
        if name == "category-sitemap.xml":
            return _urlset(category_urls, {})
        core = {
            "wp-sitemap-posts-post-1.xml": [
                base + a.path for a in sorted(arts, key=lambda a: a.id)
            ],
            "wp-sitemap-posts-page-1.xml": [loc for loc, _ in home_and_pages],
            "wp-sitemap-taxonomies-category-1.xml": [loc for loc, _ in category_urls],
            "wp-sitemap-taxonomies-post_tag-1.xml": [f"{base}/tag/{t.slug}/" for t in TAGS],
            "wp-sitemap-users-1.xml": [base + theme.author_path(a) for a in AUTHORS],
        }
        if name == "wp-sitemap.xml":
            return _sitemap_index([(f"{base}/{sub}", None) for sub in core])
        if name in core:
            return _urlset([(loc, None) for loc in core[name]], None)
        return None

    def _feed(self, headers: Headers) -> Response:
        newest = sorted(self.articles, key=lambda a: a.published, reverse=True)[:FEED_ITEMS]
        last_modified = max(a.modified for a in newest)
        digest = hashlib.sha256("".join(a.version for a in newest).encode()).hexdigest()
        etag = f'"{digest[:32]}"'
        validators = {"ETag": etag, "Last-Modified": http_date(last_modified)}
        if _not_modified(headers, etag, last_modified):
            return Response(304, validators, b"")
        base = self.base
        items = []
        for a in newest:
            link = (
                base
                + a.path
                + "?"
                + urlencode({"utm_source": "rss", "utm_medium": "rss", "utm_campaign": a.slug})
            )
            creators = "".join(
                f"\t\t<dc:creator>{_cdata(n)}</dc:creator>\n" for n in a.author_names
            )
            categories = "".join(
                f"\t\t<category>{_cdata(n)}</category>\n" for n in a.category_names + a.tag_names
            )
            items.append(
                "\t<item>\n"
                f"\t\t<title>{xml_escape(a.title)}</title>\n"
                f"\t\t<link>{link.replace('&', '&#038;')}</link>\n"
                f"{creators}"
                f"\t\t<pubDate>{rfc822(a.published)}</pubDate>\n"
                f"{categories}"
                f'\t\t<guid isPermaLink="false">{base}/?p={a.id}</guid>\n'
                f"\t\t<description>{_cdata(theme.excerpt(a))}</description>\n"
                f"\t\t<content:encoded>{_cdata(theme.content_html(a, base))}</content:encoded>\n"
                "\t</item>\n"
            )
        feed = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
            '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
            '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
            '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
            '\txmlns:atom="http://www.w3.org/2005/Atom"\n'
            '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n'
            '\txmlns:slash="http://purl.org/rss/1.0/modules/slash/"\n'
            "\t>\n<channel>\n"
            f"\t<title>{theme.esc(theme.SITE_NAME)}</title>\n"
            f'\t<atom:link href="{base}/feed/" rel="self" type="application/rss+xml" />\n'
            f"\t<link>{base}</link>\n"
            f"\t<description>{xml_escape(theme.TAGLINE)}</description>\n"
            f"\t<lastBuildDate>{rfc822(last_modified)}</lastBuildDate>\n"
            "\t<language>en-GB</language>\n"
            "\t<sy:updatePeriod>hourly</sy:updatePeriod>\n"
            "\t<sy:updateFrequency>1</sy:updateFrequency>\n"
            "\t<generator>https://wordpress.org/?v=6.8.2</generator>\n"
            f"{''.join(items)}</channel>\n</rss>\n"
        )
        headers_out = validators | {"Content-Type": "application/rss+xml; charset=UTF-8"}
        return Response(200, headers_out, feed.encode())

    # --- REST API -----------------------------------------------------------------------

    def _rest(self, path: str, params: dict[str, str]) -> Response:
        route = path.removeprefix("/wp-json").rstrip("/") or "/"
        if route == "/":
            return self._json(
                {
                    "name": theme.SITE_NAME,
                    "description": theme.TAGLINE,
                    "url": self.base,
                    "home": self.base,
                    "namespaces": ["oembed/1.0", "wp/v2"],
                }
            )
        if m := re.fullmatch(r"/wp/v2/posts/(\d+)", route):
            article = _index(self.edition)[1].get(int(m[1]))
            if article is None:
                return self._rest_error(404, "rest_post_invalid_id", "Invalid post ID.")
            return self._json(self._post_json(article))
        collections: dict[str, Callable[[], list[dict[str, object]]]] = {
            "/wp/v2/posts": lambda: self._posts_json(params),
            "/wp/v2/categories": lambda: [self._term_json(t, "category") for t in CATEGORIES],
            "/wp/v2/tags": lambda: [self._term_json(t, "post_tag") for t in TAGS],
            "/wp/v2/users": lambda: [self._user_json(a) for a in AUTHORS],
        }
        if route not in collections:
            return self._rest_error(404, "rest_no_route", "No route was found matching the URL.")
        try:
            per_page = int(params.get("per_page", PER_PAGE))
            page = int(params.get("page", 1))
        except ValueError:
            return self._rest_error(400, "rest_invalid_param", "Invalid parameter(s): page")
        if not 1 <= per_page <= 100 or page < 1:
            return self._rest_error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
        try:
            items = collections[route]()
        except ValueError:
            return self._rest_error(400, "rest_invalid_param", "Invalid parameter(s).")
        total_pages = math.ceil(len(items) / per_page)
        if page > max(total_pages, 1) and route == "/wp/v2/posts":
            return self._rest_error(
                400,
                "rest_post_invalid_page_number",
                "The page number requested is larger than the number of pages available.",
            )
        headers = {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(total_pages)}
        links = []
        for rel, n in (("prev", page - 1), ("next", page + 1)):
            if 1 <= n <= total_pages:
                query = urlencode({**params, "page": n})
                links.append(f'<{self.base}/wp-json{route}?{query}>; rel="{rel}"')
        if links:
            headers["Link"] = ", ".join(links)
        return self._json(items[(page - 1) * per_page : page * per_page], headers)

    def _posts_json(self, params: dict[str, str]) -> list[dict[str, object]]:
        """Posts filtered and ordered as `/wp/v2/posts` parameters ask."""
        posts = list(self.articles)
        for key, field in (("after", "published"), ("modified_after", "modified")):
            if key in params:
                since = datetime.fromisoformat(params[key])
                since = since if since.tzinfo else since.replace(tzinfo=LONDON)
                posts = [a for a in posts if getattr(a, field) > since]
        if "categories" in params:
            wanted = {int(x) for x in params["categories"].split(",") if x.isdigit()}
            posts = [a for a in posts if wanted & {c.id for c in a.categories}]
        orderby = params.get("orderby", "date")
        keys: dict[str, Callable[[Article], Any]] = {
            "date": lambda a: a.published,
            "modified": lambda a: a.modified,
            "id": lambda a: a.id,
            "title": lambda a: a.title,
        }
        key = keys.get(orderby, keys["date"])
        posts.sort(key=key, reverse=params.get("order", "desc") != "asc")
        rows = [self._post_json(a) for a in posts]
        if fields := [f for f in params.get("_fields", "").split(",") if f]:
            rows = [{k: v for k, v in row.items() if k in fields} for row in rows]  # as core does
        return rows

    def _post_json(self, a: Article) -> dict[str, object]:
        def local(when: datetime) -> str:
            return when.astimezone(LONDON).replace(tzinfo=None).isoformat()

        def gmt(when: datetime) -> str:
            return when.astimezone(UTC).replace(tzinfo=None).isoformat()

        return {
            "id": a.id,
            "date": local(a.published),
            "date_gmt": gmt(a.published),
            "guid": {"rendered": f"{self.base}/?p={a.id}"},
            "modified": local(a.modified),
            "modified_gmt": gmt(a.modified),
            "slug": a.slug,
            "status": "publish",
            "type": "post",
            "link": self.url(a.path),
            "title": {"rendered": rendered(a.title)},
            "content": {"rendered": theme.content_html(a, self.base) + "\n", "protected": False},
            "excerpt": {"rendered": f"<p>{rendered(theme.excerpt(a))}</p>\n", "protected": False},
            "author": a.authors[0].id,
            "featured_media": 0,
            "comment_status": "closed",
            "ping_status": "closed",
            "sticky": False,
            "format": "standard",
            "categories": [c.id for c in a.categories],
            "tags": [t.id for t in a.tags],
            "_links": {"self": [{"href": f"{self.base}/wp-json/wp/v2/posts/{a.id}"}]},
        }

    def _term_json(self, term: Term, taxonomy: str) -> dict[str, object]:
        field = "categories" if taxonomy == "category" else "tags"
        kind = "category" if taxonomy == "category" else "tag"
        return {
            "id": term.id,
            "count": sum(term in getattr(a, field) for a in self.articles),
            "description": term.description,
            "link": self.url(f"/{kind}/{term.slug}/"),
            "name": term.name,
            "slug": term.slug,
            "taxonomy": taxonomy,
            "parent": 0,
        }

    def _user_json(self, a: Author) -> dict[str, object]:
        return {
            "id": a.id,
            "name": a.name,
            "url": "",
            "description": a.bio,
            "link": self.url(theme.author_path(a)),
            "slug": a.slug,
            "avatar_urls": {"96": theme.avatar_url(a).replace("s=150", "s=96")},
        }

    def _json(self, data: object, headers: Headers | None = None) -> Response:
        out = {"Content-Type": JSON, "Allow": "GET"} | (headers or {})
        return Response(200, out, json.dumps(data).encode())

    def _rest_error(self, status: int, code: str, message: str) -> Response:
        body = json.dumps({"code": code, "message": message, "data": {"status": status}})
        return Response(status, {"Content-Type": JSON}, body.encode())


def _sitemap_index(entries: list[tuple[str, datetime | None]]) -> str:
    """A sitemap index; `lastmod` only where a date is given."""
    rows = "".join(
        f"\t<sitemap>\n\t\t<loc>{xml_escape(loc)}</loc>\n"
        + (f"\t\t<lastmod>{theme.iso_utc(lastmod)}</lastmod>\n" if lastmod else "")
        + "\t</sitemap>\n"
        for loc, lastmod in entries
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        f"{rows}</sitemapindex>\n"
    )


def _urlset(entries: list[tuple[str, datetime | None]], images: dict[str, str] | None) -> str:
    """A urlset; Yoast style (image namespace, lastmod) when `images` is given, else core."""
    rows = []
    for loc, lastmod in entries:
        row = f"\t<url>\n\t\t<loc>{xml_escape(loc)}</loc>\n"
        if lastmod:
            row += f"\t\t<lastmod>{theme.iso_utc(lastmod)}</lastmod>\n"
        if images and loc in images:
            row += f"\t\t<image:image>\n\t\t\t<image:loc>{xml_escape(images[loc])}</image:loc>\n"
            row += "\t\t</image:image>\n"
        rows.append(row + "\t</url>\n")
    if images is None:
        opening = f'<urlset xmlns="{SITEMAP_NS}">'
    else:
        opening = (
            '<urlset xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" '
            'xsi:schemaLocation="http://www.sitemaps.org/schemas/sitemap/0.9 '
            "http://www.sitemaps.org/schemas/sitemap/0.9/sitemap.xsd "
            "http://www.google.com/schemas/sitemap-image/1.1 "
            'http://www.google.com/schemas/sitemap-image/1.1/sitemap-image.xsd" '
            f'xmlns="{SITEMAP_NS}">'
        )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{opening}\n{"".join(rows)}</urlset>\n'

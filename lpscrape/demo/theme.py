"""The Lord's Press theme: article, listing, page and 404 HTML, rendered at a given time."""

from __future__ import annotations

import hashlib
import html
import json
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from .content import CATEGORIES, LONDON, Article, Author, Page

SITE_NAME = "Lord's Press"
TAGLINE = "A journal of record for diplomacy, nobility and protocol"
FOLLOW_URL = "https://x.example/lordspress"
RELATED_TRACKING = "?utm_source=lordspress&utm_medium=related_posts"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# London's mean temperature by month (°C), for a plausible seasonal weather widget.
_MEAN_TEMP = (5.2, 5.6, 7.6, 10.1, 13.4, 16.5, 18.7, 18.4, 15.7, 12.1, 8.3, 5.6)
# (OpenWeatherMap code, description), drier and clearer conditions first.
_SKIES = (
    (800, "clear sky"),
    (801, "few clouds"),
    (802, "scattered clouds"),
    (803, "broken clouds"),
    (804, "overcast clouds"),
    (300, "light intensity drizzle"),
    (500, "light rain"),
    (501, "moderate rain"),
    (701, "mist"),
)


@dataclass(frozen=True)
class Weather:
    """What the Location Weather widget shows at one render time."""

    code: int
    description: str
    temperature_c: float
    humidity_pct: int
    wind_kmh: float

    @property
    def condition(self) -> str:
        """The description capitalised, as the widget's "Condition:" line prints it."""
        return self.description[:1].upper() + self.description[1:]


def weather_at(now: datetime) -> Weather:
    """London's weather for the hour containing `now`: deterministic, seasonal, diurnal."""
    local = now.astimezone(LONDON)
    seed = hashlib.sha256(f"{local:%Y-%m-%d %H}".encode()).digest()
    rng = random.Random(seed)
    diurnal = 4.0 * math.cos(2 * math.pi * (local.hour - 15) / 24)  # warmest at 15:00
    temperature = round(_MEAN_TEMP[local.month - 1] + diurnal + rng.uniform(-4.5, 4.5), 1)
    code, description = rng.choice(_SKIES)
    if temperature <= 1.0 and code in (300, 500, 501):
        code, description = 600, "light snow"
    humidity = rng.randint(55, 98) if code < 800 else rng.randint(45, 90)
    temperature += 0.0  # turns -0.0 into 0.0
    return Weather(code, description, temperature, humidity, round(rng.uniform(3, 38), 1))


def esc(text: str) -> str:
    """HTML-escape text and attribute values the way WordPress does (`'` as `&#039;`)."""
    return html.escape(text).replace("&#x27;", "&#039;")


def short_date(when: datetime) -> str:
    """The theme's visible day-only date: `Sep 10, 2025` (local)."""
    local = when.astimezone(LONDON)
    return f"{MONTHS[local.month - 1][:3]} {local.day}, {local.year}"


def iso_utc(when: datetime) -> str:
    """An instant as Yoast prints it: UTC with `+00:00`."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


def author_path(author: Author) -> str:
    """The author archive path."""
    return f"/author/{author.slug}/"


def avatar_url(author: Author) -> str:
    """A Gravatar-style off-host avatar URL."""
    digest = hashlib.md5(author.slug.encode()).hexdigest()
    return f"https://secure.gravatar.com/avatar/{digest}?s=150&d=mm&r=g"


def person_id(base: str, author: Author) -> str:
    """The Yoast schema `@id` of an author."""
    return f"{base}/#/schema/person/{hashlib.md5(author.slug.encode()).hexdigest()}"


def excerpt(article: Article, words: int = 30) -> str:
    """The first words of the body, as listings and the feed show them."""
    text = " ".join(article.paragraphs).split()
    return " ".join(text[:words]) + ("…" if len(text) > words else "")


def content_html(article: Article, base: str) -> str:
    """The post content as WordPress stores it: paragraphs, a quote, a figure."""
    parts = []
    for i, paragraph in enumerate(article.paragraphs):
        if i == article.quote_index:
            parts.append(f'<blockquote class="wp-block-quote"><p>{esc(paragraph)}</p></blockquote>')
        else:
            parts.append(f"<p>{esc(paragraph)}</p>")
        figure = article.figure
        if figure and figure.after == i:
            parts.append(
                '<figure class="wp-block-image size-large"><img decoding="async" width="1024" '
                f'height="683" src="{esc(base + figure.src_path)}" alt="{esc(figure.alt)}">'
                f'<figcaption class="wp-element-caption">{esc(figure.caption)}</figcaption>'
                "</figure>"
            )
    return "\n".join(parts)


def _json_ld(graph: list[dict[str, object]]) -> str:
    data = json.dumps(
        {"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False
    ).replace("</", "<\\/")
    return f'<script type="application/ld+json" class="yoast-schema-graph">{data}</script>'


def _site_graph(base: str) -> list[dict[str, object]]:
    org = f"{base}/#organization"
    return [
        {
            "@type": "WebSite",
            "@id": f"{base}/#website",
            "url": f"{base}/",
            "name": SITE_NAME,
            "description": TAGLINE,
            "publisher": {"@id": org},
            "inLanguage": "en-GB",
        },
        {
            "@type": "Organization",
            "@id": org,
            "name": SITE_NAME,
            "url": f"{base}/",
            "sameAs": [FOLLOW_URL],
        },
    ]


def _weather_widget(now: datetime) -> str:
    local = now.astimezone(LONDON)
    w = weather_at(local)
    hour12 = local.hour % 12 or 12
    stamp = (
        f"{DAYS[local.weekday()]}, {MONTHS[local.month - 1]} {local.day}, {local.year} "
        f"{hour12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    )
    return f"""<!-- Location Weather plugin: state at render time -->
  <div class="splw-main-wrapper" id="splw-location-weather-77">
    <div class="splw-lite-header">
      <div class="splw-lite-header-title">London, UK</div>
      <div class="splw-lite-current-time">{stamp}</div>
    </div>
    <div class="splw-lite-body">
      <div class="splw-cur-temp"><i class="splw-icon owf owf-{w.code}"></i><span class="cur-temp">{w.temperature_c:.1f}</span><span class="temperature-scale">°C</span></div>
      <div class="splw-lite-desc">{w.description}</div>
    </div>
    <ul class="splw-other-opt">
      <li class="splw-condition"><span class="options-title">Condition: </span><span class="options-value">{w.condition}</span></li>
      <li class="splw-humidity"><span class="options-title">Humidity: </span><span class="options-value">{w.humidity_pct}%</span></li>
      <li class="splw-wind"><span class="options-title">Wind Speed: </span><span class="options-value">{w.wind_kmh:.1f} km/h</span></li>
    </ul>
  </div>"""  # noqa: E501


def _layout(
    *,
    base: str,
    now: datetime,
    title: str,
    canonical: str,
    body_class: str,
    main: str,
    head: str = "",
    og_title: str | None = None,
    og_type: str = "website",
    rest_api: bool = True,
) -> str:
    """The page around `main`: head, header with date and weather, sidebar, footer, notices."""
    local = now.astimezone(LONDON)
    topdate = f"{DAYS[local.weekday()]}, {local.day} {MONTHS[local.month - 1]}, {local.year}"
    nav = "".join(
        f'<li><a href="{base}/category/{c.slug}/">{esc(c.name)}</a></li>' for c in CATEGORIES
    )
    cat_items = "".join(
        f'<li class="cat-item cat-item-{c.id}"><a href="{base}/category/{c.slug}/">'
        f"{esc(c.name)}</a></li>"
        for c in CATEGORIES
    )
    api_link = f'<link rel="https://api.w.org/" href="{base}/wp-json/">\n' if rest_api else ""
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<link rel="canonical" href="{esc(canonical)}">
{api_link}<link rel="alternate" type="application/rss+xml" title="{esc(SITE_NAME)} &raquo; Feed" href="{base}/feed/">
<meta property="og:locale" content="en_GB">
<meta property="og:type" content="{og_type}">
<meta property="og:title" content="{esc(og_title or title)}">
<meta property="og:url" content="{esc(canonical)}">
<meta property="og:site_name" content="{esc(SITE_NAME)}">
{head}
</head>
<body class="{body_class} wp-theme-newsup">
<div id="page" class="site">
<header class="mg-headwidget">
  <div class="mg-head-detail">
    <div class="info-left"><span class="topdate">{topdate}</span></div>
  </div>
  {_weather_widget(local)}
  <div class="site-branding"><a href="{base}/" rel="home" class="site-title">{esc(SITE_NAME)}</a><p class="site-description">{esc(TAGLINE)}</p></div>
  <nav class="navbar"><ul class="nav"><li><a href="{base}/">Home</a></li>{nav}</ul></nav>
</header>
<div id="content" class="container-fluid"><div class="row">
 <div class="col-md-9">
{main}
 </div>
 <aside class="col-md-3"><div id="sidebar-right" class="mg-sidebar">
   <div id="categories-2" class="mg-widget widget_categories"><div class="mg-wid-title"><h6 class="wtitle">Categories</h6></div><ul>{cat_items}</ul></div>
   <div class="mg-widget widget_follow"><h6 class="wtitle">Follow</h6><ul><li><a href="{FOLLOW_URL}" rel="noopener">X</a></li></ul></div>
   <div class="mg-widget widget_newsletterwidget"><h6 class="wtitle">Newsletter</h6><div class="tnp tnp-widget"><p>Subscribe to receive the weekly digest of appointments, ceremonies and notices from {esc(SITE_NAME)}.</p><form class="tnp-form" action="{base}/?na=s" method="post"><input class="tnp-email" name="ne" type="email" required><input class="tnp-submit" type="submit" value="Subscribe"></form><p>{esc(SITE_NAME)} stays free to read. Subscribers receive notices of new archive releases and special reports by email.</p></div></div>
   <div class="mg-widget widget_text"><p>LP is free thanks to our Sponsors</p></div>
 </div></aside>
</div></div>
<footer class="footer">
  <ul class="footer-menu"><li><a href="{base}/about/">About</a></li><li><a href="{base}/privacy-policy/">Privacy Policy</a></li><li><a href="{base}/private/staff-only/">Staff</a></li></ul>
  <p>Proudly powered by WordPress | Theme: Newsup</p>
</footer>
<div class="cky-consent-container cky-banner-bottom"><div class="cky-notice"><p class="cky-title">We value your privacy</p><div class="cky-notice-des"><p>We use a small number of cookies to remember your choices and to count visits. You can accept them all or choose which ones to allow.</p></div><div class="cky-notice-btn-wrapper"><button class="cky-btn cky-btn-customize">Customise</button> <button class="cky-btn cky-btn-reject">Reject All</button> <button class="cky-btn cky-btn-accept">Accept All</button></div></div></div>
<div class="cky-modal"><div class="cky-preference-center"><span class="cky-preference-title">Privacy Overview</span><div class="cky-preference-content-wrapper"><p>Privacy &amp; Cookie Notice</p><p>Cookies are small text files that your browser keeps for this site. Some are needed for the pages to work, such as the one that remembers this choice; others help us see which articles are read, always in aggregate.</p><p>We ask for your consent before setting any cookie that is not strictly necessary, and you can change your mind at any time from the link in the footer.</p></div></div></div>
</div>
</body>
</html>
<!-- Cached page generated by WP-Super-Cache on {local:%Y-%m-%d %H:%M:%S} -->
"""  # noqa: E501


def article_page(
    article: Article,
    articles: Sequence[Article],
    base: str,
    now: datetime,
    rest_api: bool = True,
) -> str:
    """A single post; `articles` (oldest first) supplies post navigation and related posts."""
    url = base + article.path
    published, modified = iso_utc(article.published), iso_utc(article.modified)
    primary = article.categories[0]
    head = [
        f'<link rel="shortlink" href="{base}{article.shortlink}">',
        f'<meta property="article:published_time" content="{published}">',
        f'<meta property="article:modified_time" content="{modified}">',
        *(f'<meta property="article:section" content="{esc(c.name)}">' for c in article.categories),
        *(f'<meta property="article:tag" content="{esc(t.name)}">' for t in article.tags),
        f'<meta name="author" content="{esc(", ".join(article.author_names))}">',
    ]
    graph: list[dict[str, object]] = [
        {
            "@type": "NewsArticle",
            "@id": f"{url}#article",
            "isPartOf": {"@id": url},
            "author": [{"name": a.name, "@id": person_id(base, a)} for a in article.authors],
            "headline": article.title,
            "datePublished": published,
            "dateModified": modified,
            "mainEntityOfPage": {"@id": url},
            "wordCount": article.word_count,
            "publisher": {"@id": f"{base}/#organization"},
            "articleSection": article.category_names,
            "keywords": article.tag_names,
            "inLanguage": "en-GB",
        },
        {
            "@type": "WebPage",
            "@id": url,
            "url": url,
            "name": f"{article.title} - {SITE_NAME}",
            "isPartOf": {"@id": f"{base}/#website"},
            "datePublished": published,
            "dateModified": modified,
            "breadcrumb": {"@id": f"{url}#breadcrumb"},
            "inLanguage": "en-GB",
        },
        {
            "@type": "BreadcrumbList",
            "@id": f"{url}#breadcrumb",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{base}/"},
                {"@type": "ListItem", "position": 2, "name": article.title},
            ],
        },
        *_site_graph(base),
        *(
            {
                "@type": "Person",
                "@id": person_id(base, a),
                "name": a.name,
                "description": a.bio,
                "url": base + author_path(a),
            }
            for a in article.authors
        ),
    ]
    head.append(_json_ld(graph))

    classes = " ".join(
        [f"post-{article.id} post type-post status-publish format-standard hentry"]
        + [f"category-{c.slug}" for c in article.categories]
        + [f"tag-{t.slug}" for t in article.tags]
    )
    cat_links = " ".join(
        f'<a class="newsup-categories category-color-{i + 1}" href="{base}/category/{c.slug}/" '
        f'rel="category tag">{esc(c.name)}</a>'
        for i, c in enumerate(article.categories)
    )
    byline = " and ".join(
        f'<a href="{base}{author_path(a)}" rel="author">{esc(a.name)}</a>' for a in article.authors
    )
    first = article.authors[0]
    share_q = quote(url, safe="")
    share = (
        '<div class="post-share"><div class="post-share-icons cf">'
        f'<a class="link facebook" href="https://www.facebook.com/sharer.php?u={share_q}" '
        'target="_blank" rel="noopener">Facebook</a> '
        f'<a class="link x-twitter" href="https://x.com/intent/tweet?'
        f'{esc(urlencode({"url": url, "text": article.title}))}" target="_blank" '
        'rel="noopener">X</a> '
        f'<a class="link linkedin" href="https://www.linkedin.com/sharing/share-offsite/?url='
        f'{share_q}" target="_blank" rel="noopener">LinkedIn</a> '
        f'<a class="link email" href="mailto:?{esc(urlencode({"subject": article.title, "body": url}, quote_via=quote))}">Email</a>'  # noqa: E501
        "</div></div>"
    )
    tags = " ".join(
        f'<a href="{base}/tag/{t.slug}/" rel="tag">#{esc(t.name)}</a>' for t in article.tags
    )
    index = next(i for i, a in enumerate(articles) if a.id == article.id)
    older = articles[index - 1] if index > 0 else None
    newer = articles[index + 1] if index + 1 < len(articles) else None
    post_nav = ""
    if older:
        post_nav += (
            f'<div class="nav-previous"><a href="{base}{older.path}" rel="prev">'
            f"Previous: {esc(older.title)}</a></div>"
        )
    if newer:
        post_nav += (
            f'<div class="nav-next"><a href="{base}{newer.path}" rel="next">'
            f"Next: {esc(newer.title)}</a></div>"
        )
    author_boxes = "\n".join(
        f"""   <div class="media mg-info-author-block mg-author-box">
     <a class="mg-author-pic" href="{base}{author_path(a)}"><img src="{esc(avatar_url(a))}" alt="" width="150" height="150"></a>
     <div class="media-body"><h4 class="media-heading"><a href="{base}{author_path(a)}">{esc(a.name)}</a></h4><p>{esc(a.bio)}</p></div>
   </div>"""  # noqa: E501
        for a in article.authors
    )
    same_section = [a for a in reversed(articles) if a.id != article.id and primary in a.categories]
    related = "".join(
        f'<div class="mg-posts-sec-post"><h4 class="title"><a href="{base}{a.path}'
        f'{esc(RELATED_TRACKING)}">{esc(a.title)}</a></h4>'
        f'<span class="mg-blog-date">{short_date(a.published)}</span></div>'
        for a in same_section[:3]
    )
    main = f"""  <div class="mg-breadcrumb-section"><ul class="mg-page-breadcrumb"><li><a href="{base}/">Home</a></li><li><a href="{base}/category/{primary.slug}/">{esc(primary.name)}</a></li><li class="active">{esc(article.title)}</li></ul></div>
  <div id="post-{article.id}" class="{classes}">
   <div class="mg-blog-post-box">
    <div class="mg-header">
      <div class="mg-blog-category">{cat_links}</div>
      <h1 class="title single">{esc(article.title)}</h1>
      <div class="media mg-info-author-block">
        <a class="mg-author-pic" href="{base}{author_path(first)}"><img src="{esc(avatar_url(first))}" alt="" width="150" height="150"></a>
        <div class="media-body">
          <h4 class="media-heading"><span>By</span> {byline}</h4>
          <span class="mg-blog-date"><i class="fas fa-clock"></i> {short_date(article.published)}</span>
        </div>
      </div>
    </div>
    <article class="small single">
{content_html(article, base)}
      {share}
      <div class="mg-blog-tags"><span>Tags:</span> {tags}</div>
      <nav class="navigation post-navigation"><div class="nav-links">{post_nav}</div></nav>
    </article>
   </div>
{author_boxes}
   <div class="mg-featured-slider related-posts"><div class="mg-sec-title"><h4>Related Post</h4></div>
     {related}
   </div>
  </div>"""  # noqa: E501
    body_class = (
        f"post-template-default single single-post postid-{article.id} single-format-standard"
    )
    return _layout(
        base=base,
        now=now,
        title=f"{article.title} – {SITE_NAME}",
        og_title=f"{article.title} - {SITE_NAME}",
        canonical=url,
        body_class=body_class,
        main=main,
        head="\n".join(head),
        og_type="article",
        rest_api=rest_api,
    )


def _collection_ld(base: str, url: str, name: str) -> str:
    return _json_ld(
        [
            {
                "@type": "CollectionPage",
                "@id": url,
                "url": url,
                "name": name,
                "isPartOf": {"@id": f"{base}/#website"},
                "inLanguage": "en-GB",
            },
            *_site_graph(base),
        ]
    )


def listing_page(
    *,
    base: str,
    now: datetime,
    root: str,
    posts: Sequence[Article],
    page: int,
    pages: int,
    heading: str | None,
    body_class: str,
    description: str = "",
    rest_api: bool = True,
) -> str:
    """Home, category, tag or author archive page `page` of `pages`, listing `posts`."""
    url = base + root + (f"page/{page}/" if page > 1 else "")
    paged = [f"Page {page} of {pages}"] if page > 1 else []
    if heading:
        title = " – ".join([f"{heading.split(': ', 1)[-1]} Archives", *paged, SITE_NAME])
    else:
        title = " – ".join([SITE_NAME, *paged, TAGLINE])
    items = "\n".join(
        f'  <article class="post-{a.id} post type-post status-publish mg-posts-sec-post">'
        f'<h4 class="entry-title title"><a href="{base}{a.path}">{esc(a.title)}</a></h4>'
        f'<span class="mg-blog-date">{short_date(a.published)}</span>'
        f"<p>{esc(excerpt(a))}</p></article>"
        for a in posts
    )
    links = []
    if page > 1:
        prev = root if page == 2 else f"{root}page/{page - 1}/"
        links.append(f'<a class="prev page-numbers" href="{base}{prev}">Previous</a>')
    for n in range(1, pages + 1):
        href = root if n == 1 else f"{root}page/{n}/"
        if n == page:
            links.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
        else:
            links.append(f'<a class="page-numbers" href="{base}{href}">{n}</a>')
    if page < pages:
        links.append(f'<a class="next page-numbers" href="{base}{root}page/{page + 1}/">Next</a>')
    pagination = (
        f'<nav class="navigation pagination"><div class="nav-links">{" ".join(links)}</div></nav>'
        if pages > 1
        else ""
    )
    header = f'  <h1 class="page-title">{esc(heading)}</h1>\n' if heading else ""
    if description:
        header += f'  <div class="archive-description"><p>{esc(description)}</p></div>\n'
    if not posts:
        items = '  <p class="no-results">Nothing has been published here yet.</p>'
    main = f'{header}  <div class="mg-posts-list">\n{items}\n  </div>\n  {pagination}'
    return _layout(
        base=base,
        now=now,
        title=title,
        canonical=url,
        body_class=body_class + (f" paged paged-{page}" if page > 1 else ""),
        main=main,
        head=_collection_ld(base, url, title),
        rest_api=rest_api,
    )


def static_page(page: Page, base: str, now: datetime, page_id: int, rest_api: bool = True) -> str:
    """A WordPress page (about, privacy, staff-only)."""
    url = base + page.path
    paragraphs = "\n".join(f"    <p>{esc(p)}</p>" for p in page.paragraphs)
    classes = f"post-{page_id} page type-page status-publish hentry"
    main = f"""  <div id="post-{page_id}" class="{classes}">
   <h1 class="entry-title">{esc(page.title)}</h1>
   <div class="entry-content">
{paragraphs}
   </div>
  </div>"""
    return _layout(
        base=base,
        now=now,
        title=f"{page.title} – {SITE_NAME}",
        canonical=url,
        body_class=f"page-template-default page page-id-{page_id}",
        main=main,
        head=_json_ld([{"@type": "WebPage", "@id": url, "url": url, "name": page.title}]),
        rest_api=rest_api,
    )


def not_found_page(base: str, now: datetime, path: str, rest_api: bool = True) -> str:
    """The theme's 404 page."""
    main = """  <div class="mg-error-404">
   <h1 class="page-title">Oops! That page can&rsquo;t be found.</h1>
   <p>It looks like nothing was found at this location. Try the links in the menu or the categories on the right.</p>
  </div>"""  # noqa: E501
    return _layout(
        base=base,
        now=now,
        title=f"Page not found – {SITE_NAME}",
        canonical=base + path,
        body_class="error404",
        main=main,
        rest_api=rest_api,
    )


# What a theme update can change on one template (`DemoSite.restyled`), as drift tests need.
RESTYLES = ("byline", "dateline", "body", "weather")
# The byline block under the headline and the author boxes: media-body, then the block.
_AUTHOR_BLOCK = re.compile(
    r'\s*<div class="media mg-info-author-block[^"]*">.*?</div>\s*</div>', re.S
)
_WEATHER_WIDGET = re.compile(r"<!-- Location Weather plugin.*?</ul>\s*</div>", re.S)


def restyle(page: str, article: Article, change: str) -> str:
    """`page` as a new template prints it: no author anywhere, a restyled dateline, a
    renamed body container, or no weather widget in the header."""
    if change == "body":
        return page.replace('<article class="small single">', '<section class="lp-story">').replace(
            "</article>", "</section>"
        )
    if change == "dateline":
        if not article.dateline:
            return page
        printed = f"<p>{esc(article.dateline)} — "
        styled = f'<p class="lp-lede"><strong class="lp-place">{esc(article.dateline)}</strong> '
        return page.replace(printed, styled, 1)
    if change == "byline":
        page = _AUTHOR_BLOCK.sub("", page)
        page = re.sub(r'"author": \[[^\]]*\], ', "", page)
        return re.sub(r'<meta name="author" content="[^"]*">\n?', "", page)
    if change == "weather":
        return _WEATHER_WIDGET.sub("", page)
    raise ValueError(f"unknown restyle {change!r}; one of {', '.join(RESTYLES)}")

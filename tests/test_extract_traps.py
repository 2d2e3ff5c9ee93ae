"""Traps real WordPress pages set: each must give the right value or none, never another's."""

from __future__ import annotations

from lpscrape.extract import extract_article

URL = "https://lordspress.example/2025/09/03/envoys/"


def page(body: str, head: str = "", body_class: str = "single single-post postid-7") -> str:
    """A minimal single-post page around `body`."""
    return f'<html><head>{head}</head><body class="{body_class}">{body}</body></html>'


POST = """<article class="post-7 post type-post category-diplomacy">
<h1 class="entry-title">Envoys meet</h1>
<span class="byline">By <span class="author vcard">
<a class="url fn n" href="/author/ada/">Ada Pell</a></span>, Diplomatic Correspondent</span>
<time class="entry-date published" datetime="2025-09-03T14:02:11+01:00">3 September</time>
<div class="entry-content"><p>VIENNA — Talks began.<br>They ended late.</p>
<p>Share this:</p><div id="newsletter"><p>Subscribe to our letters</p></div></div>
<span class="cat-links"><a href="/category/diplomacy/" rel="category tag">Diplomacy</a></span>
</article>"""
RELATED = """<ul class="wp-block-post-template"><li class="post-9 post type-post category-sport">
<time class="entry-date published" datetime="2024-01-01T10:00:00+00:00">old</time>
<span class="byline">By <a href="/author/else/">Someone Else</a></span>
<a href="/category/sport/" rel="category tag">Sport</a></li></ul>"""


def test_related_posts_before_the_post_lend_it_nothing() -> None:
    record = extract_article(page(RELATED + POST), URL)
    assert record.published_at == "2025-09-03T13:02:11+00:00"
    assert record.authors == ["Ada Pell"]
    assert record.categories == ["Diplomacy"]


def test_linked_names_are_the_authors_not_their_job_titles() -> None:
    record = extract_article(page(POST), URL)
    assert record.authors == ["Ada Pell"]
    assert record.byline == "Ada Pell, Diplomatic Correspondent"


def test_line_breaks_separate_words_and_plugin_lines_stay_out() -> None:
    record = extract_article(page(POST), URL)
    assert record.body_text == "VIENNA — Talks began. They ended late."


def test_a_commenter_is_never_the_byline() -> None:
    body = POST.replace('<span class="byline">', '<span class="x">').replace(
        "</article>",
        '<div class="comments-area"><span class="comment-author vcard">Troll</span></div>'
        "</article>",
    )
    record = extract_article(page(body), URL)
    assert "Troll" not in record.authors and record.byline != "Troll"


def test_block_theme_categories_are_not_tags() -> None:
    body = (
        '<h1 class="wp-block-post-title">Envoys meet</h1>'
        '<div class="taxonomy-category wp-block-post-terms">'
        '<a href="/c/d/" rel="tag">Diplomacy</a></div>'
        '<div class="taxonomy-post_tag wp-block-post-terms">'
        '<a href="/t/b/" rel="tag">Belgium</a></div>'
        '<div class="entry-content wp-block-post-content"><p>VIENNA — Talks.</p></div>'
    )
    record = extract_article(page(body), URL)
    assert (record.categories, record.tags) == (["Diplomacy"], ["Belgium"])


def test_a_post_filed_under_weather_has_no_widget() -> None:
    body = POST.replace("category-diplomacy", "category-weather").replace(
        "Talks began.", "Heat reached 44°C, humidity 20%, wind 48 km/h."
    )
    assert extract_article(page(body), URL).weather is None


def test_the_current_reading_not_feels_like_and_knots_converted() -> None:
    widget = (
        '<header><div class="splw-main-wrapper"><div class="feels">Feels like 9°C</div>'
        '<div class="splw-cur-temp"><span class="cur-temp">13</span><span>°C</span></div>'
        "<ul><li>Humidity: 80%</li><li>Wind: 10 knots</li></ul></div></header>"
    )
    weather = extract_article(page(widget + POST), URL).weather
    assert (weather.temperature_c, weather.wind_kmh) == (13.0, 18.5)


def test_the_json_ld_node_of_this_page_wins() -> None:
    other = '{"@type": "NewsArticle", "url": "https://lordspress.example/old/", "headline": "Old"}'
    mine = f'{{"@type": "NewsArticle", "url": "{URL}", "headline": "Envoys meet"}}'
    head = "".join(f'<script type="application/ld+json">{d}</script>' for d in (other, mine))
    head += f'<link rel="canonical" href="{URL}">'
    assert extract_article(page(POST, head), URL).title == "Envoys meet"


def test_a_caption_before_the_lead_does_not_hide_the_dateline() -> None:
    body = POST.replace(
        "<p>VIENNA", "<figure><img src=x><figcaption>AFP — a photo</figcaption></figure><p>VIENNA"
    )
    assert extract_article(page(body), URL).dateline == "VIENNA"


def test_a_relative_canonical_is_resolved() -> None:
    head = '<link rel="canonical" href="/2025/09/03/envoys/">'
    assert extract_article(page(POST, head), URL + "?utm_source=x").canonical_url == URL

"""Classes of real-page failure, one test each: the gate, dates, authors, titles, terms,
weather and hostile structure. Every expected value is written from the page text here."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpscrape.extract import extract_article
from lpscrape.extract.dates import utc_iso

PAGES = Path(__file__).parent / "pages"
URL = "https://lordspress.example/2025/09/03/antwerp-pilots/"
BODY = "<p>" + " ".join(["The delegations met again to settle the order of precedence."] * 12)
BODY += "</p>"


def page(body: str, head: str = "", body_class: str = "") -> str:
    """A page around `body`, with an optional head and body class."""
    return f'<html><head>{head}</head><body class="{body_class}">{body}</body></html>'


# -- the article gate ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body_class", "head"),
    [
        ("https://site.example/", "", ""),
        ("https://site.example/category/diplomacy/", "", ""),
        ("https://site.example/tag/monarchy/", "", '<meta property="og:type" content="article">'),
        ("https://site.example/author/ada/", "", ""),
        ("https://site.example/?s=treaty", "", ""),
        ("https://site.example/2025/09/", "", ""),
        ("https://site.example/news/page/3/", "", ""),
        ("https://site.example/some-post/", "archive tag tag-monarchy", ""),
        ("https://site.example/some-post/", "error404", ""),
    ],
    ids=["home", "category", "tag-og-article", "author", "search", "month", "paged",
         "tag-body-class", "404"],
)  # fmt: skip
def test_listings_are_never_articles(url: str, body_class: str, head: str) -> None:
    html = page("<h1>Posts</h1>" + BODY, head, body_class)
    record = extract_article(html, url)
    assert record.is_article is False
    assert record.extraction.page_kind  # the record says why


def test_a_post_from_the_sitemap_is_an_article_whatever_its_theme() -> None:
    html = page("<div><h2>Envoys meet</h2><div>Short text.</div></div>")
    url = "https://site.example/envoys-meet/"
    assert extract_article(html, url).is_article is False
    record = extract_article(html, url, discovered="sitemap")
    assert record.is_article
    assert record.extraction.page_kind == "discovered in the sitemap"


def test_a_headline_and_a_body_of_text_make_an_article_without_declarations() -> None:
    record = extract_article(page("<h1>Envoys meet</h1>" + BODY), "https://site.example/a/")
    assert record.is_article
    assert "words of text" in record.extraction.page_kind


# Written by hand: "The foreign ministry spokesperson said at today's regular press conference
# that the two sides will continue to consult on the protocol arrangements." (35 characters)
CHINESE = "外交部发言人今天在例行记者会上表示，双方将继续就礼宾安排进行磋商。"


@pytest.mark.parametrize(("sentences", "is_article"), [(8, True), (2, False)])
def test_words_written_without_spaces_count_towards_a_body_of_text(
    sentences: int, is_article: bool
) -> None:
    # Eight sentences are some 130 words of Chinese; two, a teaser's thirty.
    html = page(f"<h1>礼宾安排</h1><p>{CHINESE * sentences}</p>")
    record = extract_article(html, "https://site.example/2025/0903/c_1125.htm")
    assert record.is_article is is_article
    assert "words of text" in record.extraction.page_kind


def test_plain_permalinks_are_posts_not_the_home_page() -> None:
    html = page("<h1>Envoys meet</h1>" + BODY)
    assert extract_article(html, "https://site.example/?p=2895").is_article


# -- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20200316T13:00:00Z", "2020-03-16T13:00:00+00:00"),
        ("March 3, 2021 5:00 pm EST", "2021-03-03T22:00:00+00:00"),
        ("Tue, 14 Jan 2020 10:00:00 CET", "2020-01-14T09:00:00+00:00"),
        ("Jul 4, 2023 9:15 AM PDT", "2023-07-04T16:15:00+00:00"),
        ("12. März 2024 09:15", "2024-03-12T09:15:00+00:00"),  # GMT in March
        ("3 septembre 2024", "2024-09-02T23:00:00+00:00"),  # 00:00 BST
    ],
)
def test_written_dates_zone_abbreviations_and_compact_iso(raw: str, expected: str) -> None:
    assert utc_iso(raw) == expected


@pytest.mark.parametrize(
    ("raw", "local"),
    [("2024-06-18T14:35:00+02:00", "2024-06-18T14:35:00+02:00"), ("2024-06-18T14:35:00", None)],
    ids=["offset", "no-zone-on-the-page"],
)
def test_the_local_instant_keeps_the_offset_the_page_gave(raw: str, local: str | None) -> None:
    head = f'<meta property="article:published_time" content="{raw}">'
    record = extract_article(page("<h1>T</h1>" + BODY, head, ARTICLE), "https://s.example/t/")
    assert record.published_at_local == local


ARTICLE = "single single-post postid-7"


def test_every_meta_date_name_is_read() -> None:
    for name in ("pubdate", "DC.date.issued", "datePublished", "date", "parsely-pub-date"):
        head = f'<meta name="{name}" content="2021-05-04T08:00:00+02:00">'
        record = extract_article(page("<h1>T</h1>" + BODY, head, ARTICLE), "https://s.example/t/")
        assert record.published_at == "2021-05-04T06:00:00+00:00", name
        assert record.published_at_local == "2021-05-04T08:00:00+02:00", name


def test_json_ld_of_any_node_type_that_dates_this_page() -> None:
    head = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "WebPage", "@id": "https://s.example/t/", "datePublished": '
        '"2022-02-01T10:00:00+01:00"}]}</script>'
    )
    record = extract_article(page("<h1>T</h1>" + BODY, head, ARTICLE), "https://s.example/t/")
    assert record.published_at == "2022-02-01T09:00:00+00:00"
    assert record.extraction.sources["published_at"] == "jsonld"


@pytest.mark.parametrize(
    ("body", "published_at"),
    [
        (  # a bare date item in the post's meta row
            '<h1 class="entry-title">T</h1><div class="post-box-meta-single">'
            '<span class="byline">By Anna Sokolova</span><span>29 February 2024, 18:10</span>'
            "<span>2 comments</span></div>",
            "2024-02-29T18:10:00+00:00",
        ),
        (  # a date in the headline is not the meta row's
            '<div class="et_post_meta_wrapper"><h1 class="entry-title">Results of 19.5.2007</h1>'
            '<p class="post-meta">by <a href="/author/mw/">Marc Weber</a> | '
            '<span>20 May 2007</span> | <a href="#comments">0 comments</a></p></div>',
            "2007-05-19T23:00:00+00:00",  # 20 May, London summer time
        ),
    ],
)
def test_the_items_of_the_post_s_meta_row_but_never_its_headline(
    body: str, published_at: str
) -> None:
    record = extract_article(page(body + BODY, "", ARTICLE), "https://s.example/t/")
    assert record.published_at == published_at


@pytest.mark.parametrize(
    ("lang", "local"),
    [("en-IN", "2024-03-03T14:30:00+05:30"), ("en-IE", "2024-03-03T14:30:00+01:00")],
)
def test_the_page_s_country_says_which_ist_it_means(lang: str, local: str) -> None:
    body = '<h1 class="entry-title">T</h1><p class="timestamp">Mar 3, 2024, 14:30 IST</p>'
    html = page(body + BODY, "", ARTICLE).replace("<html>", f'<html lang="{lang}">')
    record = extract_article(html, "https://s.example/t/")
    assert record.published_at_local == local


def test_microdata_anywhere_in_the_post() -> None:
    body = (
        '<article><h1>T</h1><div class="meta"><span itemprop="datePublished" '
        'content="2019-11-05T07:30:00-05:00">Nov 5</span></div>' + BODY + "</article>"
    )
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert record.published_at == "2019-11-05T12:30:00+00:00"
    assert record.published_at_local == "2019-11-05T07:30:00-05:00"


def test_a_utc_instant_takes_the_offset_the_page_shows_for_it() -> None:
    head = '<meta property="article:published_time" content="2023-11-09T06:35:29+00:00">'
    body = (
        '<h1>T</h1><p class="meta">Posted: <time datetime="2023-11-08T22:35:29-08:00">'
        "Nov 8, 2023 / 10:35 PM PST</time></p>" + BODY
    )
    record = extract_article(page(body, head, ARTICLE), "https://s.example/t/")
    assert record.published_at == "2023-11-09T06:35:29+00:00"
    assert record.published_at_local == "2023-11-08T22:35:29-08:00"  # the publisher's day


def test_htmldate_dates_a_page_that_has_no_machine_readable_date() -> None:
    body = "<h1>T</h1><p>Published on 14 February 2018 by the desk.</p>" + BODY
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert record.published_at == "2018-02-14T00:00:00+00:00"
    assert record.extraction.sources["published_at"] == "htmldate"
    assert any("day only (htmldate)" in w for w in record.extraction.warnings)


@pytest.mark.parametrize("shown", ["2 hours ago", "vor 3 Stunden", "il y a 2 jours"])
def test_a_post_dated_only_relative_to_the_reading_has_no_date(shown: str) -> None:
    body = (
        f'<h1 class="entry-title">T</h1><div class="entry-meta"><span>{shown}</span></div>'
        f'<div class="entry-content">{BODY}</div>'
        '<aside class="related-posts"><h3>Earlier</h3><p>Published on 14 February 2018</p>'
        "</aside>"
    )
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert record.published_at is None  # not the related post's day htmldate would give
    assert any(f"only '{shown}'" in w for w in record.extraction.warnings)


# -- authors and titles -------------------------------------------------------------------


def authors_of(shown: str, url: str = "https://s.example/t/", head: str = "") -> list[str]:
    """The authors extracted from a post whose byline reads "By `shown`"."""
    body = f'<h1>T</h1><div class="byline">By {shown}</div>' + BODY
    return extract_article(page(body, head, ARTICLE), url).authors


def test_the_site_as_author_and_account_names_are_never_authors() -> None:
    head = (
        '<meta property="og:site_name" content="Chancery News">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "T", '
        '"author": {"@type": "Organization", "name": "Chancery News"}}</script>'
        '<meta name="author" content="admin">'
    )
    body = '<h1>T</h1><div class="entry-meta"><span class="author">By Ada Pell</span></div>'
    record = extract_article(page(body + BODY, head, ARTICLE), "https://chancery.example/t/")
    assert record.authors == ["Ada Pell"]


@pytest.mark.parametrize(
    ("url", "site_name", "shown", "authors"),
    [
        ("https://interscenar.io/t/", "", "Interscenario", []),  # the host, spelled as a name
        ("https://it.example/t/", "IT Finanzmagazin", "IT Finanzmagazin/pp", []),  # + initials
        ("https://henrysteinhau.com/t/", "", "Henry Steinhau", ["Henry Steinhau"]),  # his blog
        ("https://stefan-niggemeier.de/t/", "", "Stefan Niggemeier", ["Stefan Niggemeier"]),
    ],
)
def test_the_site_s_name_however_spelled_is_no_author(
    url: str, site_name: str, shown: str, authors: list[str]
) -> None:
    head = f'<meta property="og:site_name" content="{site_name}">' if site_name else ""
    assert authors_of(shown, url, head) == authors


def test_a_byline_with_the_date_glued_on() -> None:
    body = '<h1>T</h1><div class="byline">Tomas Spahn Fr, 18. Oktober 2019</div>' + BODY
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert record.authors == ["Tomas Spahn"]


def test_screen_reader_labels_are_not_part_of_the_byline() -> None:
    body = (  # Twenty Twenty's post meta, the author named as the site is
        '<h1>T</h1><ul class="post-meta"><li class="post-author meta-wrapper">'
        '<span class="meta-icon"><span class="screen-reader-text">Post author</span></span>'
        '<span class="meta-text">By <a href="/author/ada/">Ada Pell</a></span></li></ul>'
    )
    record = extract_article(page(body + BODY, "", ARTICLE), "https://s.example/t/")
    assert record.authors == ["Ada Pell"]
    assert record.byline == "Ada Pell"
    site = '<meta property="og:site_name" content="Ada Pell">'  # her own blog: the site's name
    record = extract_article(page(body + BODY, site, ARTICLE), "https://s.example/t/")
    assert record.authors == []  # never "Post author By Ada Pell"


@pytest.mark.parametrize(
    "url", ["https://creeny.wordpress.com/2020/01/24/t/", "https://creeny.blogspot.de/t.html"]
)
def test_a_blogger_named_like_the_blog_on_a_shared_blog_host(url: str) -> None:
    body = (  # Twenty Eleven on wordpress.com: the account's name is the blog's subdomain
        '<h1 class="entry-title">T</h1><div class="entry-meta"><span class="by-author">'
        '<span class="sep">von</span> <span class="author vcard"><a class="url fn n" '
        'href="/author/creeny/" rel="author">Creeny</a></span></span></div>'
    )
    assert extract_article(page(body + BODY, "", ARTICLE), url).authors == ["Creeny"]
    # On a site of its own, the name the host gives is the site's, never an author.
    assert (
        extract_article(page(body + BODY, "", ARTICLE), "https://creeny.example/t/").authors == []
    )


def test_a_personal_blog_whose_publisher_is_its_author() -> None:
    head = (  # Yoast's "this site represents a person": the publisher is a Person node
        '<script type="application/ld+json">{"@graph": ['
        '{"@type": ["Person", "Organization"], "@id": "https://s.example/#me", "name": "Ada Pell"},'
        '{"@type": "WebSite", "@id": "https://s.example/#site", "name": "Notes from Vienna"},'
        '{"@type": "BlogPosting", "headline": "T", "author": {"@id": "https://s.example/#me"},'
        '"publisher": {"@id": "https://s.example/#me"}}]}</script>'
    )
    record = extract_article(page("<h1>T</h1>" + BODY, head, ARTICLE), "https://s.example/t/")
    assert record.authors == ["Ada Pell"]


def test_bem_author_blocks_but_not_a_photo_credit() -> None:
    body = (
        '<h1>T</h1><figure><img src="/a.jpg"><figcaption class="image-description__author">'
        "Photograph by Ben Ode</figcaption></figure>"
        '<div class="content__author"><span>von <a href="/profil/fischer/">Lars Fischer</a>'
        ' und <a href="/profil/schadwinkel/">Alina Schadwinkel</a></span></div>'
    )
    record = extract_article(page(body + BODY, "", ARTICLE), "https://s.example/t/")
    assert record.authors == ["Lars Fischer", "Alina Schadwinkel"]
    credit_only = body.split("<div class")[0]
    record = extract_article(page(credit_only + BODY, "", ARTICLE), "https://s.example/t/")
    assert record.authors == []


@pytest.mark.parametrize(
    "block",
    [
        '<div class="metainfo__item metainfo__item--author">Ralph Steiner</div>',  # a modifier
        '<p class="story__author__name">Ralph Steiner</p>',  # an element of an element
    ],
)
def test_bem_author_modifiers_and_name_elements(block: str) -> None:
    body = f"<h1>T</h1>{block}" + BODY
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert record.authors == ["Ralph Steiner"]
    assert record.byline == "Ralph Steiner"


def test_a_meta_row_that_holds_share_buttons_is_the_post_s_own() -> None:
    def byline_in(names: str) -> list[str]:
        body = (
            f'<h1 class="entry-title">T</h1><div class="{names}"><span class="byline">'
            '<a href="/author/ayilmaz/">Ayşe Yılmaz</a></span></div>'
        )
        return extract_article(page(body + BODY, "", ARTICLE), "https://s.example/t/").authors

    assert byline_in("post-meta-share-wrapper") == ["Ayşe Yılmaz"]
    assert byline_in("entry-meta-social") == ["Ayşe Yılmaz"]
    assert byline_in("share-buttons") == []  # a share block alone is furniture
    assert byline_in("post-meta related-posts") == []


@pytest.mark.parametrize(
    ("ld_name", "shown", "authors"),
    [
        ("arianschlichenmayer", "Arian Schlichenmayer", ["Arian Schlichenmayer"]),
        ("Jane Doe", "JANE DOE", ["Jane Doe"]),  # a name JSON-LD writes well stays its
        ("jdoe", "Jane Doe", ["jdoe"]),  # not the same name: never guessed
    ],
)
def test_a_json_ld_name_run_together_is_written_as_the_byline_shows_it(
    ld_name: str, shown: str, authors: list[str]
) -> None:
    head = (
        '<script type="application/ld+json">{"@type": "Article", "author": '
        f'{{"@type": "Person", "name": "{ld_name}"}}}}</script>'
    )
    body = (
        '<h1 class="entry-title">T</h1><div class="single-post--header_author"><span>von</span>'
        f' <a href="/creator/x/"> {shown} </a></div>'
    )
    record = extract_article(page(body + BODY, head, ARTICLE), "https://s.example/t/")
    assert record.authors == authors


def test_json_ld_with_raw_line_breaks_in_its_strings() -> None:
    head = (  # themes print the post's text into JSON-LD without escaping its newlines
        '<script type="application/ld+json">{"@type": "BlogPosting", "headline": "T",\n'
        '"articleBody": "First line\nsecond line", "datePublished": "2021-05-04T08:00:00+02:00",'
        '"author": {"@type": "Person", "name": "Ada Pell"}}</script>'
    )
    record = extract_article(page("<h1>T</h1>" + BODY, head, ARTICLE), "https://s.example/t/")
    assert record.published_at == "2021-05-04T06:00:00+00:00"
    assert record.authors == ["Ada Pell"]


@pytest.mark.parametrize("label", ["Zuletzt ge&#228;ndert am:", "Last updated:", "e.V."])
def test_a_date_label_or_a_stray_abbreviation_in_an_author_block_is_no_name(label: str) -> None:
    body = f'<h1>T</h1><div class="author"><h4>{label}</h4><ul><li>3. M&#228;rz</li></ul></div>'
    record = extract_article(page(body + BODY, "", ARTICLE), "https://s.example/t/")
    assert record.authors == []


@pytest.mark.parametrize(
    "shown", ["freeman1984", "c1ph4", "cipha[at]cipha.net", "ada at pell.net", "ada_pell"]
)
def test_a_name_with_digits_is_never_cut_at_the_digit(shown: str) -> None:
    body = f'<h1>T</h1><span class="byline">By <span class="fn">{shown}</span></span>'
    record = extract_article(page(body + BODY, "", ARTICLE), "https://s.example/t/")
    assert record.authors == []  # an account-like name: not "freeman", not "c"


@pytest.mark.parametrize(
    ("shown", "authors"),
    [
        ("Channel 4 News", ["Channel 4 News"]),  # a number that is a word of the desk's name
        ("News24 Staff", ["News24 Staff"]),
        ("Jane Doe 12 Comments", ["Jane Doe"]),  # a count after the name
        ("Jane Doe 3 March 2020", ["Jane Doe"]),  # not "Jane" ("Doe 3" is no weekday)
        ("Jane Doe 12.03.2020", ["Jane Doe"]),
        ("Jane Doe 2020", ["Jane Doe"]),
        ("Jane Doe 12", ["Jane Doe"]),  # a count, the number of comments
        ("Studio 54", []),  # a name that ends in a number: refused whole, never "Studio"
        ("Fox 2 St. Louis", ["Fox 2 St. Louis"]),
        ("Mary Smith 3 Feb 2020", ["Mary Smith"]),  # dates in every form
        ("Mary Smith 12-Mar-2020", ["Mary Smith"]),
        ("Mary Smith 3. Okt. 2021", ["Mary Smith"]),
        ("Jean Dupont 14h30", ["Jean Dupont"]),
        ("Mary Smith 5-minute read", ["Mary Smith"]),
        ("Mary Smith, 3 Sept 2021", ["Mary Smith"]),  # never a second author "3 Sept"
        ("Max Müller, 5 Minuten Lesezeit", ["Max Müller"]),
        ("Jean Dupont il y a 2 heures", ["Jean Dupont"]),
        ("Sam Do, 12 March 2020", ["Sam Do"]),  # a surname that is a weekday's short form
        ("Wei Sun 3 March 2020", ["Wei Sun"]),
        ("Anh Do 03.03.2021", ["Anh Do"]),
        ("Jean Dupont lundi 3 mars 2021", ["Jean Dupont"]),
        ("Jane Doe Mar 3, 2020", ["Jane Doe"]),  # month first: the month goes with the date
        ("Jane Doe Tuesday, March 3, 2020", ["Jane Doe"]),
        ("Theresa May 3 March 2019", ["Theresa May"]),  # day first: "May" is her name
        ("Max Mustermann Fr. 18.10.2024", ["Max Mustermann"]),
        ("Reuters 3 Min. Lesezeit", ["Reuters"]),
        ("Action News 5 Staff", ["Action News 5 Staff"]),
        ("Jane Doe Comments 12", ["Jane Doe"]),
        ("Juan Pérez el 3 de marzo", ["Juan Pérez"]),
        ("Jane Doe Last updated Mar 3", ["Jane Doe"]),
        ("bell hooks 3 March", ["bell hooks"]),  # a name written in lower case stays whole
        ("JANE DOE AND JOHN SMITH", ["JANE DOE", "JOHN SMITH"]),
        # Names that end in a word a date or a count may begin with, kept whole.
        ("Theresa May | 3 March 2019", ["Theresa May"]),
        ("Theresa May Mar 3, 2020", ["Theresa May"]),
        ("Li Mei 03.03.2020", ["Li Mei"]),
        ("Elizabeth Day 3 March 2020", ["Elizabeth Day"]),
        ("Timothy Mo 3 March", ["Timothy Mo"]),
        ("James Last 3 March", ["James Last"]),
        ("Lord ffrench 3 March", ["Lord ffrench"]),
        ("Nguyen Van A 3 March", ["Nguyen Van A"]),
        ("Jane Doe 1 Reply", ["Jane Doe"]),  # a count not listed: still no desk's name
        ("Le Thu 2 hours ago", ["Le Thu"]),  # a given name that is a weekday's short form
        ("Jan de Vries di 3 mrt", ["Jan de Vries"]),
        ("Jean Dupont mar. 3 mars 2020", ["Jean Dupont"]),
    ],
)
def test_a_number_in_a_byline_is_a_date_a_count_or_part_of_the_name(
    shown: str, authors: list[str]
) -> None:
    assert authors_of(shown) == authors


@pytest.mark.parametrize(
    ("shown", "authors"),
    [
        ("Jane Doe, Diplomatic Correspondent", ["Jane Doe"]),
        ("Jane Doe and John Roe, Senior Reporters", ["Jane Doe", "John Roe"]),
        ("Jane Doe, Political Editor, in London", ["Jane Doe"]),
        ("Ana Ruiz, corresponsal en Madrid", ["Ana Ruiz"]),  # not "Madrid" (after Dutch "en")
        ("Max Müller, Korrespondent in Wien", ["Max Müller"]),
        ("Jane Doe, Diplomatic Editor, and John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe, in Kyiv, and John Roe, in Moscow", ["Jane Doe", "John Roe"]),
        ("Jane Doe and Robert Reporter", ["Jane Doe", "Robert Reporter"]),  # his name
        ("Lady Ashton, High Representative", ["Lady Ashton"]),
        ("Sir John Smith, KCMG", ["Sir John Smith"]),  # honours after the name
        ("Jane Doe, OBE, and John Roe, PhD", ["Jane Doe", "John Roe"]),
        ("Staff Reporter", ["Staff Reporter"]),  # alone, the desk that wrote it
        ("Anna Writer-Smith", ["Anna Writer-Smith"]),
    ],
)
def test_a_role_or_a_place_after_the_name_is_no_author(shown: str, authors: list[str]) -> None:
    assert authors_of(shown) == authors


@pytest.mark.parametrize(
    ("meta", "authors"),
    [
        ("December 10, 2019 &middot; By Jane Doe &middot; in News", ["Jane Doe"]),
        ("10. Dezember 2019 | von Jonas Brandt und Anna Keller", ["Jonas Brandt", "Anna Keller"]),
        # The name is the account-like link, refused: never the month the date began with.
        ('Dezember 10, 2019 &middot; von <a rel="author" href="/author/f/">freeman1984</a>', []),
    ],
    ids=["by-after-date", "von-after-date", "month-left-of-refused-name"],
)
def test_a_byline_that_begins_with_the_date(meta: str, authors: list[str]) -> None:
    body = f'<h1>T</h1><div class="byline">{meta}</div>' + BODY
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert record.authors == authors


@pytest.mark.parametrize(
    "title",
    ["Ins neue Jahr | Literaturgefluester", "Ins neue Jahr | Literaturgefluester | Ein Blog"],
)
def test_the_site_name_in_an_h1_is_not_the_headline(title: str) -> None:
    body = (  # a blog theme: the site's name is the page's only <h1>, the post title an <h2>
        '<div id="header"><h1><a href="/">Literaturgefluester</a></h1></div>'
        '<div class="post"><h2 class="storytitle">Ins neue Jahr</h2>' + BODY + "</div>"
    )
    head = f"<title>{title}</title>"
    url = "https://literaturgefluester.wordpress.com/2020/01/01/ins-neue-jahr/"
    record = extract_article(page(body, head, ARTICLE), url)
    assert record.title == "Ins neue Jahr"


def test_an_h1_is_the_headline_of_a_title_with_a_tagline() -> None:
    head = "<title>Bielersee-Winterhechte | petri-heil.ch | Dein Schweizer Fischereimagazin</title>"
    body = "<main><section><h1>Bielersee-Winterhechte</h1>" + BODY + "</section></main>"
    record = extract_article(page(body, head, ARTICLE), "https://petri-heil.ch/hechte/")
    assert record.title == "Bielersee-Winterhechte"


def test_the_post_header_is_never_furniture_whatever_else_its_classes_say() -> None:
    body = (  # Twenty Twenty: the post's header is also a "header-footer-group"
        '<article class="post-7 post"><header class="entry-header header-footer-group">'
        '<h1 class="entry-title">The Envoy&#8217;s Return</h1></header>'
        f'<div class="entry-content">{BODY}</div></article>'
    )
    head = '<meta property="og:title" content="Envoy returns">'
    record = extract_article(page(body, head, ARTICLE), "https://s.example/t/")
    assert record.title == "The Envoy’s Return"
    assert record.extraction.sources["title"] == "theme"


@pytest.mark.parametrize(
    "h1",
    [
        '<div class="entry-section"><a href="/local-news/">Local News | </a></div>'
        "<span>Envoys meet in Bern to settle the order</span>",
        '<span class="entry-title__toptitle">Protocol</span>'
        " Envoys meet in Bern to settle the order",
    ],
    ids=["section-link", "toptitle"],
)
def test_a_kicker_inside_the_h1_is_dropped_when_the_page_titles_the_post_without_it(
    h1: str,
) -> None:
    head = "<title>Envoys meet in Bern to settle the order - Chancery News</title>"
    body = f'<h1 class="entry-title">{h1}</h1>' + BODY
    record = extract_article(page(body, head, ARTICLE), "https://chancery.example/t/")
    assert record.title == "Envoys meet in Bern to settle the order"


def test_a_kicker_the_page_titles_keep_stays_in_the_headline() -> None:
    head = "<title>Editor&#039;s Letter: a year of envoys</title>"  # straight quote here
    body = '<h1 class="entry-title"><b>Editor&rsquo;s Letter:</b> a year of envoys</h1>' + BODY
    record = extract_article(page(body, head, ARTICLE), "https://chancery.example/t/")
    assert record.title == "Editor’s Letter: a year of envoys"


def test_a_layout_with_a_sidebar_is_not_a_sidebar() -> None:
    body = (
        '<section class="gallery--wrapper__with-sidebar"><h1 class="gallery--page-title">'
        f"Items the envoys left behind</h1>{BODY}</section>"
    )
    head = "<title>Items the envoys left behind : The Perspective</title>"
    record = extract_article(page(body, head, ARTICLE), "https://ext.perspective.example/t/")
    assert record.title == "Items the envoys left behind"
    assert record.extraction.sources["title"] == "theme"


def test_separators_left_before_the_headline_are_dropped() -> None:
    head = "<title>chancery.example //   &raquo; Envoys meet in Bern</title>"
    record = extract_article(page(BODY, head, ARTICLE), "https://chancery.example/t/")
    assert record.title == "Envoys meet in Bern"


def test_the_visible_headline_wins_and_entities_are_decoded() -> None:
    head = (
        "<title>Olive &amp;#038; Herb Focaccia | Kitchen Notes</title>"
        '<meta property="og:title" content="Olive &amp;#038; Herb Focaccia - Kitchen Notes">'
    )
    body = '<h1 class="entry-title">Olive &#038; Herb Focaccia</h1>' + BODY
    record = extract_article(page(body, head, ARTICLE), "https://s.example/t/")
    assert record.title == "Olive & Herb Focaccia"
    assert record.extraction.sources["title"] == "theme"


@pytest.mark.parametrize("sep", [" – ", " | ", " › ", " - "])
def test_site_name_suffix_removed_from_metadata_titles(sep: str) -> None:
    head = (
        f"<title>Envoys meet{sep}Nordish by Nature</title>"
        '<meta property="og:site_name" content="Nordish by Nature">'
    )
    record = extract_article(page(BODY, head, ARTICLE), "https://s.example/t/")
    assert record.title == "Envoys meet"


def test_a_site_name_suffix_spelled_with_spaces_its_host_runs_together() -> None:
    head = "<title>Perturbazione polare al Centro e al Sud - La Stampa</title>"
    record = extract_article(page(BODY, head, ARTICLE), "https://www.lastampa.it/t/")
    assert record.title == "Perturbazione polare al Centro e al Sud"


# -- terms --------------------------------------------------------------------------------


def test_visible_terms_win_over_theme_sections_in_json_ld() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "BlogPosting", "headline": "T", '
        '"articleSection": ["Slider", "Featured", "Diplomacy"]}</script>'
    )
    body = (
        '<h1>T</h1><span class="cat-links"><a href="/category/diplomacy/">Diplomacy</a>'
        '<a href="/category/europe/">Europe</a></span>' + BODY
    )
    record = extract_article(page(body, head, ARTICLE), "https://s.example/t/")
    assert record.categories == ["Diplomacy", "Europe"]


def test_tags_printed_after_the_post_element_are_its_own() -> None:
    body = (  # the theme closes the content's element, then prints the tags, then related posts
        '<div class="story"><h1>T</h1>' + BODY + "</div>"
        '<p class="red-tags"><b>TAGS:</b> <a href="/tag/envoys/" rel="tag">envoys</a>, '
        '<a href="/tag/protocol/" rel="tag">protocol</a></p>'
        '<div class="jp-relatedposts"><h3>Related</h3><a href="/tag/sport/" rel="tag">sport</a>'
        "</div>"
        '<div class="other"><h2>Another story</h2><a href="/tag/weather/" rel="tag">weather</a>'
        "</div>"
    )
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert record.tags == ["envoys", "protocol"]


def test_theme_sections_alone_are_not_categories() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "BlogPosting", "headline": "T", '
        '"articleSection": ["slider", "featured"]}</script>'
    )
    record = extract_article(page("<h1>T</h1>" + BODY, head, ARTICLE), "https://s.example/t/")
    assert record.categories == []


def post(classes: str, after: str = "") -> str:
    """A post element with these classes (and the sidebar after it)."""
    return f'<article class="post type-post {classes}"><h1>T</h1>{BODY}</article>{after}'


def test_post_class_slugs_are_named_by_the_page_links_to_their_archives() -> None:
    sidebar = (
        '<aside><ul><li><a href="https://s.example/category/laender/">Länder</a></li>'
        '<li><a href="/category/themen/software-apps/">Software &amp; Apps</a></li>'
        '<li><a href="/category/sport/">Sport</a></li></ul></aside>'
    )
    body = post("category-laender category-software-apps", sidebar)
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert record.categories == ["Länder", "Software & Apps"]  # not "Laender", "Software Apps"
    assert record.extraction.sources["categories"] == "post-class"


def test_a_post_class_slug_without_a_name_is_null_and_warned() -> None:
    sidebar = '<aside><a href="/category/sport/">Sport</a></aside>'
    body = post("category-militaer category-sport tag-kraehe", sidebar)
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert record.categories == []  # "Militaer" would be a guess: the name is "Militär"
    assert record.tags == []
    warnings = record.extraction.warnings
    assert any("categories: the post's classes name militaer, sport" in w for w in warnings)
    assert any("tags: the post's classes name kraehe" in w for w in warnings)


@pytest.mark.parametrize(
    ("metas", "categories"),
    [
        (["Politik, Eindrücke, Inland"], ["Politik", "Eindrücke", "Inland"]),  # one meta, a list
        (["Politics", "Europe"], ["Politics", "Europe"]),  # one meta each, as Open Graph has it
        (["Arts, Culture &amp; Entertainment"], ["Arts, Culture & Entertainment"]),  # one term
        (["Washington, D.C."], ["Washington, D.C."]),
        (["Austin, TX"], ["Austin, TX"]),
    ],
)
def test_a_single_section_meta_listing_several_is_split(
    metas: list[str], categories: list[str]
) -> None:
    head = "".join(f'<meta property="article:section" content="{m}">' for m in metas)
    record = extract_article(page("<h1>T</h1>" + BODY, head, ARTICLE), "https://s.example/t/")
    assert record.categories == categories


# -- weather ------------------------------------------------------------------------------


def test_a_widget_found_by_what_it_shows() -> None:
    widget = (
        '<div class="top-strip"><div class="wx"><span class="city">London, UK 14:02</span>'
        "<span>18°C</span><span>Light rain</span><span>Humidity: 81%</span>"
        "<span>Wind: 12 km/h</span></div></div>"
    )
    record = extract_article(
        page(widget + "<h1>T</h1>" + BODY, "", ARTICLE), "https://s.example/t/"
    )
    assert record.weather is not None
    assert record.weather.temperature_c == 18.0
    assert record.weather.humidity_pct == 81
    assert record.weather.wind_kmh == 12.0
    assert record.weather.location == "London, UK"


def test_a_temperature_in_the_article_text_is_not_a_widget() -> None:
    text = "<p>It was 31°C in the shade, humidity 80%, wind 20 km/h, clear skies.</p>"
    record = extract_article(page("<article><h1>T</h1>" + text + BODY + "</article>", "", ARTICLE),
                             "https://s.example/t/")  # fmt: skip
    assert record.weather is None


# -- hostile structure --------------------------------------------------------------------

HEADER = '<div class="site-header"><span class="date">Wednesday, 3 December 2025</span></div>'


def test_deep_nesting_never_makes_the_header_date_the_body() -> None:
    deep = "<div>" * 300 + "<p>MADRID — The envoys arrived at dawn.</p>" + "</div>" * 300
    html = page(
        HEADER + '<h1 class="entry-title">T</h1><div class="entry-content">' + deep + "</div>",
        "",
        ARTICLE,
    )
    record = extract_article(html, "https://s.example/t/")
    assert record.body_text == "MADRID — The envoys arrived at dawn."
    assert record.dateline == "MADRID"


def test_control_characters_and_one_huge_line() -> None:
    body = '<h1 class="entry-title">T\x00\x07</h1><div class="entry-content">'
    body += "".join(f"<p>Paragraph {i} of the text.\x0b</p>" for i in range(3000)) + "</div>"
    record = extract_article(page(body, "", ARTICLE).encode(), "https://s.example/t/")
    assert record.title == "T"
    assert record.word_count == 3000 * 5


def test_control_characters_spelled_as_entities_never_reach_the_record() -> None:
    body = (  # a terminal that prints ESC ] 0 ; … BEL retitles its window
        "<h1>&#27;]0;Envoys&#7; meet\u009b31m in Bern</h1>"  # CSI, the C1 form
        '<span class="byline">By Ada&#27; Pell</span>' + BODY
    )
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert record.title == "]0;Envoys meet31m in Bern"
    assert record.authors == ["Ada Pell"]


def test_a_body_far_shorter_than_the_page_says_so() -> None:
    body = '<h1 class="entry-title">T</h1><div class="entry-content"><p>Only this.</p></div>'
    body += "<div class='elsewhere'>" + BODY * 3 + "</div>"
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert any("may be incomplete" in w for w in record.extraction.warnings)


def test_nesting_past_what_the_parser_reads_gives_no_body_rather_than_the_header() -> None:
    page = (PAGES / "lp_antwerp.html").read_text(encoding="utf-8")
    start = page.index('<article class="small single">')
    record = extract_article(page[:start] + "<div>" * 5000 + page[start:], URL)
    assert record.body_text is None
    assert any("deeper than 2048 levels" in w for w in record.extraction.warnings)


def test_a_meta_block_of_long_text_is_never_read_as_one_date() -> None:
    # A theme's "meta" wrapper around the post: its text is the article, not a date line.
    filler = " ".join(["The delegations talked late into the night about precedence."] * 4)
    text = f"They met again on 3 March 2024. {filler}"
    body = (
        f'<h1 class="entry-title">T</h1><div class="post-meta-wrap"><p>{text}</p></div>'
        f'<div class="entry-content">{BODY}</div>'
    )
    record = extract_article(page(body, "", ARTICLE), "https://s.example/t/")
    assert record.extraction.sources.get("published_at") != "visible-text"

"""What a historian does in the archive, through Datasette's own client over the archive made
by real crawls of the sample site's three editions: search the way people type, dates as
written, facets that count co-authors, short readable tables, links that stay in the archive,
the edit history with its diffs, each version, the page as captured, and the charts."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote, urlsplit

import pytest
from conftest import query
from datasette.app import Datasette
from markupsafe import escape
from sqlite_utils import Database

from lpscrape.archive.payloads import capture_body
from lpscrape.archive.store import Archive
from lpscrape.demo.content import EDITS_IN_2, articles
from lpscrape.serve import make_datasette

DB = "archive"
FIRST = {a.id: a for a in articles(1)}
SECOND = {a.id: a for a in articles(2)}
TRUTH = list(articles(3))  # what the archive holds after the third crawl


@pytest.fixture
async def ds(demo_archive: Path) -> AsyncIterator[Datasette]:
    """Datasette over the archive made by crawling the sample site's three editions."""
    datasette = make_datasette(demo_archive)
    await datasette.invoke_startup()
    yield datasette


async def get(ds: Datasette, path: str, status: int = 200) -> str:
    """The body of a GET, asserting its status."""
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.text[:500])
    return response.text


async def rows(ds: Datasette, path: str) -> list[dict]:
    """`_shape=array` rows of a JSON page."""
    sep = "&" if "?" in path else "?"
    return json.loads(await get(ds, f"{path}{sep}_shape=array&_size=max"))


def plain(text: str) -> str:
    """Lower case, accents dropped: how the truth below compares words."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words_of(article: object) -> set[str]:
    return set(re.findall(r"\w+", plain(article.title + " " + article.body_text)))


def titles_with(predicate: object) -> set[str]:
    return {a.title for a in TRUTH if predicate(words_of(a))}


# -- search the way people type ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("treaties", lambda w: w & {"treaty", "treaties"}),  # stemming
        ("treaty", lambda w: w & {"treaty", "treaties"}),
        ("treat*", lambda w: any(x.startswith("treat") for x in w)),  # prefix
        ("treaty OR envoy", lambda w: w & {"treaty", "treaties", "envoy", "envoys"}),
        ("treaty or envoy", lambda w: w & {"treaty", "treaties", "envoy", "envoys"}),
        ("Zurich", lambda w: "zurich" in w),  # accents folded
        ("zürich", lambda w: "zurich" in w),
        ("munchen", lambda w: "munchen" in w),
        ("envoy -japan", lambda w: w & {"envoy", "envoys"} and "japan" not in w),
        ('"horse-drawn carriage"', lambda w: {"horse", "drawn", "carriage"} <= w),
        ("-treaty", lambda w: not w & {"treaty", "treaties"}),  # only words to leave out
        ("-treaty -envoy", lambda w: not w & {"treaty", "treaties", "envoy", "envoys"}),
        # NOT as people type it: the word after it left out, as -word does
        ("treaty NOT envoy", lambda w: w & {"treaty", "treaties"} and not w & {"envoy", "envoys"}),
        ("NOT treaty", lambda w: not w & {"treaty", "treaties"}),
        # the small words alone are words like any other (only between two terms is `or` OR)
        ("or", lambda w: "or" in w),
        ("not", lambda w: "not" in w),
    ],
)
async def test_search_finds_what_people_type(ds: Datasette, typed: str, expected: object) -> None:
    truth = titles_with(expected)
    assert truth, typed  # each case has articles to find
    found = await rows(ds, f"/{DB}/articles.json?_search={typed}")
    assert {r["title"] for r in found} == truth, typed
    hits = await rows(ds, f"/{DB}/search.json?q={typed}")
    assert {r["title"] for r in hits} == truth, typed


async def test_only_words_to_leave_out_list_every_article_without_them(ds: Datasette) -> None:
    treaty = titles_with(lambda w: w & {"treaty", "treaties"})
    assert 0 < len(treaty) < len(TRUTH)
    for page in (f"/{DB}/articles?_search=-treaty", f"/{DB}/search?q=-treaty"):
        text = html.unescape(await get(ds, page))
        assert "only leaves words out" in text, page  # the page says what it lists
        assert not [t for t in treaty if f">{t}<" in text], page


@pytest.mark.parametrize("typed", ["*", "^", "AND", "OR", "NOT", "-", '"', "* ^ AND"])
async def test_a_search_with_no_word_lists_nothing_and_says_why(ds: Datasette, typed: str) -> None:
    assert await rows(ds, f"/{DB}/articles.json?_search={quote(typed)}") == []
    assert await rows(ds, f"/{DB}/search.json?q={quote(typed)}") == []
    for page in (f"/{DB}/articles?_search={quote(typed)}", f"/{DB}/search?q={quote(typed)}"):
        text = html.unescape(await get(ds, page))
        assert f"“{typed}” has no word to search for" in text, page
        assert 'class="lp-article-link"' not in text and 'class="lp-archived"' not in text
    everything = await rows(ds, f"/{DB}/articles.json?_search=+")  # a blank box: no search
    assert len(everything) == len(TRUTH)


async def test_the_search_query_says_when_it_shows_only_its_best_hits(
    demo_archive: Path, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(demo_archive, db)
    conn = sqlite3.connect(db)  # the same 51 articles four more times: 816 in all
    columns = [r[1] for r in conn.execute("PRAGMA table_info(articles)") if r[1] != "url"]
    for i in range(4):
        conn.execute(
            f"INSERT INTO articles (url, {', '.join(columns)}) "
            f"SELECT url || 'copy-{i}/', {', '.join(columns)} FROM articles"
        )
    conn.commit()
    conn.close()
    datasette = make_datasette(db)
    await datasette.invoke_startup()
    treaty = len(titles_with(lambda w: w & {"treaty", "treaties"})) * 16
    for typed, hits, best in (("the", 816, "best"), ("-treaty", 816 - treaty, "newest")):
        assert hits > 200
        page = await get(datasette, f"/{DB}/search?q={quote(typed)}")
        assert page.count('class="lp-archived"') == 200
        note = html.unescape(re.search(r'class="message-warning lp-search-cut">(.*?)</p>', page)[1])
        assert f"Only the {best} 200 of the {hits} " in note, note
        href = html.unescape(re.search(r'class="lp-search-all" href="([^"]+)"', note)[1])
        assert href == f"/{DB}/articles?_search={quote_plus(typed)}"
        every = json.loads(await get(datasette, href.replace("/articles?", "/articles.json?")))
        assert every["filtered_table_rows_count"] == hits  # all of them, page by page
    few = await get(datasette, f"/{DB}/search?q=treaty")
    assert few.count('class="lp-archived"') == treaty and "lp-search-cut" not in few


async def test_treaties_finds_articles_that_only_say_treaty(ds: Datasette) -> None:
    only_treaty = titles_with(lambda w: "treaty" in w and "treaties" not in w)
    assert len(only_treaty) >= 3
    found = {r["title"] for r in await rows(ds, f"/{DB}/articles.json?_search=treaties")}
    assert only_treaty <= found


async def test_search_syntax_is_explained_on_the_articles_page(ds: Datasette) -> None:
    page = html.unescape(await get(ds, f"/{DB}/articles"))
    for hint in ("treat*", "treaty OR envoy", "treaties finds treaty", "Zurich finds ZÜRICH"):
        assert hint in page, hint


@pytest.mark.parametrize(
    ("typed", "dateline"),
    [
        ("Zurich", "ZÜRICH"),
        ("zürich", "ZÜRICH"),
        ("ZURICH", "ZÜRICH"),
        ("munchen", "MÜNCHEN"),
        ("München", "MÜNCHEN"),
        ("kobenhavn", "KØBENHAVN"),
        ("sao paulo", "SÃO PAULO"),
        ("paris", "PARIS, France"),
        ("hague", "THE HAGUE"),  # any word of the place, not only its first
        ("the hague", "THE HAGUE"),
        ("france", "PARIS, France"),
        ("york", "NEW YORK"),
    ],
)
async def test_datelines_are_found_whatever_the_case_and_accents(
    ds: Datasette, typed: str, dateline: str
) -> None:
    expected = {a.title for a in TRUTH if a.dateline == dateline}
    assert expected
    found = await rows(ds, f"/{DB}/by_dateline.json?place={typed}")
    assert {r["title"] for r in found} == expected


# -- dates as written -------------------------------------------------------------------------


def published_in(first: str, last: str) -> set[str]:
    """Titles published on days first..last (ISO, both included), as their permalinks
    (/YYYY/MM/DD/slug/) give the day: London's, not UTC's."""
    return {a.title for a in TRUTH if first <= a.path[1:11].replace("/", "-") <= last}


@pytest.mark.parametrize(
    ("first", "last", "from_day", "to_day"),
    [
        ("2025-09-03", "", "2025-09-03", "9999"),
        ("03/09/2025", "03/09/2025", "2025-09-03", "2025-09-03"),  # day first, British
        ("3 September 2025", "3 September 2025", "2025-09-03", "2025-09-03"),
        ("Sept 2025", "Sept 2025", "2025-09-01", "2025-09-30"),
        ("September 2025", "2025-10", "2025-09-01", "2025-10-31"),
        ("2025-09", "", "2025-09-01", "9999"),
        ("1 April 2025", "31/05/2025", "2025-04-01", "2025-05-31"),
        ("", "2025-03", "0000", "2025-03-31"),
        ("2025/09/03", "2025/09", "2025-09-03", "2025-09-30"),  # year first, with slashes
    ],
)
async def test_dates_as_people_write_them(
    ds: Datasette, first: str, last: str, from_day: str, to_day: str
) -> None:
    expected = published_in(from_day, to_day)
    assert expected and len(expected) < len(TRUTH)
    found = await rows(ds, f"/{DB}/published_between.json?first_date={first}&last_date={last}")
    assert {r["title"] for r in found} == expected


@pytest.mark.parametrize("bad", ["13/13/2025", "31/02/2025", "yesterday", "Septembre 2025", "25"])
async def test_a_date_that_cannot_be_read_is_an_error_never_every_row(
    ds: Datasette, bad: str
) -> None:
    response = await ds.client.get(f"/{DB}/published_between.json", params={"first_date": bad})
    assert response.status_code == 400
    data = response.json()
    assert data["ok"] is False and data["rows"] == []
    assert f"cannot read '{bad}' as a date" in data["error"] and "03/09/2025" in data["error"]
    page = await ds.client.get(f"/{DB}/published_between", params={"last_date": bad})
    assert page.status_code == 400
    assert "cannot read" in html.unescape(page.text) and "<tbody>" not in page.text
    # the CSV too: a 400 with the reason, never an empty file a script would save
    csv = await ds.client.get(f"/{DB}/published_between.csv", params={"first_date": bad})
    assert csv.status_code == 400 and f"cannot read '{bad}' as a date" in csv.text


@pytest.mark.parametrize("last", ["9999-12-31", "9999", "December 9999"])
async def test_the_last_date_there_is_is_a_readable_error(ds: Datasette, last: str) -> None:
    for suffix in ("", ".json", ".csv"):
        response = await ds.client.get(
            f"/{DB}/published_between{suffix}",
            params={"first_date": "0001-01-01", "last_date": last},
        )
        assert response.status_code == 400, suffix  # never a server error
        assert "past the last date" in html.unescape(response.text)


async def test_dates_the_wrong_way_round_are_said_not_an_empty_list(ds: Datasette) -> None:
    swapped = {"first_date": "2025-10-01", "last_date": "September 2025"}
    for suffix in ("", ".json", ".csv"):
        response = await ds.client.get(f"/{DB}/published_between{suffix}", params=swapped)
        assert response.status_code == 400, suffix
        said = html.unescape(response.text)
        assert "last_date 'September 2025' comes before first_date '2025-10-01'" in said
    same_month = {"first_date": "2025-09-03", "last_date": "September 2025"}  # within it: fine
    query = "&".join(f"{k}={v}" for k, v in same_month.items())
    assert await rows(ds, f"/{DB}/published_between.json?{query}")


# -- facets and readable tables ---------------------------------------------------------------


async def test_the_authors_facet_counts_each_co_author(ds: Datasette) -> None:
    data = json.loads(
        await get(ds, f"/{DB}/articles.json?_size=0&_facet_size=100&_facet_array=authors")
    )
    facets = {f["name"]: f for f in data["facet_results"].values()}
    got = {v["value"]: v["count"] for v in facets["authors"]["results"]}
    assert got == Counter(name for a in TRUTH for name in a.author_names)
    shared = [a for a in TRUTH if len(a.authors) > 1]
    assert shared  # co-signed articles count for each of their authors
    name = shared[0].author_names[1]
    data = json.loads(await get(ds, f"/{DB}/articles.json?authors__arraycontains={name}&_size=0"))
    assert data["filtered_table_rows_count"] == got[name]


async def test_the_articles_page_opens_on_a_few_readable_columns(ds: Datasette) -> None:
    page = await get(ds, f"/{DB}/articles")
    table = page[page.index('<table class="lp-compact">') : page.index("</table>")]
    headers = [
        re.sub(r"<[^>]+>|&nbsp;|[▲▼]", "", h).strip()
        for h in re.findall(r"<th[^>]*>(.*?)</th>", table)
    ]
    assert headers == ["title", "byline", "dateline", "published", "categories"]
    assert "content_hash" not in table and "body_text" not in table
    newest = max(TRUTH, key=lambda a: a.published)
    row = re.search(r"<tr>\s*<td class=\"col-title\">(.*?)</tr>", table, re.S)[1]
    assert escape(newest.title) in row
    assert f">{escape(', '.join(newest.category_names))}</td>" in row  # a list, not JSON
    assert '["' not in table
    # the byline column is the byline as printed, not the list of authors
    shared = next(a for a in TRUTH if len(a.authors) > 1)
    page = await get(ds, f"/{DB}/articles?title={quote_plus(shared.title)}")
    assert f'<td class="col-byline">{escape(shared.byline)}</td>' in page
    link = re.search(r'class="lp-all-columns" href="([^"]+)"', page)[1]
    everything = await get(ds, html.unescape(link))
    assert 'class="rows-and-columns"' in everything and "col-content_hash" in everything
    assert '<span class="lp-item">' in everything  # arrays still read as lists there


async def test_versions_are_labelled_with_their_own_headline(ds: Datasette) -> None:
    retitled = EDITS_IN_2["retitle"]
    path = FIRST[retitled].path
    page = await get(ds, f"/{DB}/article_versions?url__endswith={path}&_sort=version")
    links = re.findall(r'class="lp-version" href="([^"]+)">([^<]+)</a>', page)
    assert [(unquote(h), html.unescape(t)) for h, t in links] == [
        (f"/{DB}/article{path}version/1", FIRST[retitled].title),
        (f"/{DB}/article{path}version/2", SECOND[retitled].title),
    ]
    assert 'class="lp-diff-link"' in page  # each later version links to what changed
    assert not re.search(r"[0-9a-f]{64}", page.split("</table>")[0].split("lp-compact")[-1])
    # The view of every version with its whole text leads into the archive the same way.
    page = await get(ds, f"/{DB}/version_texts?url__endswith={path}&_sort=version")
    links = re.findall(r'class="lp-version" href="([^"]+)">([^<]+)</a>', page)
    assert [unquote(h) for h, _ in links] == [f"/{DB}/article{path}version/{n}" for n in (1, 2)]


# -- links stay in the archive ----------------------------------------------------------------

CANNED = {
    "search": "q=treaty",
    "published_between": "first_date=2025-09&last_date=2025-10",
    "by_dateline": "place=antwerp",
    "changed_after_publication": "class=",
}


@pytest.mark.parametrize("name", sorted(CANNED))
async def test_canned_query_results_lead_to_the_archived_article(ds: Datasette, name: str) -> None:
    page = await get(ds, f"/{DB}/{name}?{CANNED[name]}")
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    result_rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    assert result_rows
    for row in result_rows:
        archived = re.search(r'class="lp-archived" href="([^"]+)">([^<]+)</a>', row)
        original = re.search(r'class="lp-original" href="([^"]+)"', row)
        assert archived and original, row[:300]
        url = html.unescape(archived[2])
        assert html.unescape(original[1]) == url
        href = html.unescape(archived[1])
        assert href == f"/{DB}/article{urlsplit(url).path}"
        assert '["' not in row  # JSON arrays (categories, classes…) read as lists
        article = await get(ds, href)  # the permalink is the article's page
        assert f'<a class="lp-original" href="{escape(url)}"' in article


async def test_permalinks_are_readable_and_unknown_ones_are_404(ds: Datasette) -> None:
    article = TRUTH[0]
    # The article's page itself, at the readable address (no redirect to the row's tilde one).
    page = await get(ds, f"/{DB}/article{article.path}")
    row = await get(ds, f"/{DB}/articles/{tilde(demo_url(ds, article.path))}")
    assert f'<h1 class="lp-title">{escape(article.title)}</h1>' in page
    took = re.compile(r"took [\d.]+ms")  # the query's timing, in the footer
    assert took.sub("", page) == took.sub("", row)
    await get(ds, f"/{DB}/article/2025/01/01/no-such-article/", status=404)
    await get(ds, f"/{DB}/article{article.path}version/9", status=404)
    await get(ds, f"/{DB}/article{article.path}version/{'9' * 20}", status=404)


@pytest.mark.parametrize("page", ["changes", "version/1", "cite"])
async def test_a_permalink_typed_with_a_slash_after_it_is_the_same_page(
    ds: Datasette, page: str
) -> None:
    base = f"/{DB}/article{TRUTH[0].path}{page}"
    took = re.compile(r"took [\d.]+ms")
    assert took.sub("", await get(ds, base + "/")) == took.sub("", await get(ds, base))
    await get(ds, f"/{DB}/article/2025/01/01/no-such-article/{page}/", status=404)
    await get(ds, f"/{DB}/article//[x/{page}", status=404)  # not a URL at all: 404, never 500


async def test_the_weather_line_gives_the_time_of_the_fetch(ds: Datasette) -> None:
    (article,) = await rows(
        ds, f"/{DB}/articles.json?weather_observed_at__notblank=1&_size=1&_col=first_seen_at"
    )
    page = html.unescape(await get(ds, f"/{DB}/articles/{tilde(article['url'])}"))
    assert f"When the archive first fetched this page ({article['first_seen_at']})" in page


async def test_changed_after_publication_lists_changes_by_class(ds: Datasette) -> None:
    changes = await rows(ds, f"/{DB}/changed_after_publication.json?class=")
    order = [
        "correction", "rewrite", "retitled", "byline", "terms", "minor", "formatting",
        "whitespace", "unpublished", "republished",
    ]  # fmt: skip
    assert [r["change_class"] for r in changes] == sorted(
        (r["change_class"] for r in changes), key=order.index
    )
    assert Counter(r["change_class"] for r in changes) == {
        "correction": 1, "rewrite": 1, "retitled": 1, "byline": 1, "terms": 1, "minor": 3,
        "formatting": 1, "whitespace": 1, "unpublished": 1, "republished": 1,
    }  # fmt: skip
    silent = await rows(ds, f"/{DB}/changed_after_publication.json?class=silent")
    assert [(r["change_class"], r["silent"]) for r in silent] == [("minor", 1)]
    only = await rows(ds, f"/{DB}/changed_after_publication.json?class=Correction")
    assert [r["title"] for r in only] == [SECOND[EDITS_IN_2["correction"]].title]
    # a class the archive does not know is said, with the ones it knows, in every format
    for suffix in ("", ".json", ".csv"):
        response = await ds.client.get(
            f"/{DB}/changed_after_publication{suffix}", params={"class": "typo"}
        )
        assert response.status_code == 400, suffix
        assert "no class of change is called 'typo'" in html.unescape(response.text)


def test_the_plugin_knows_every_class_of_change(ds: Datasette) -> None:
    from datasette.plugins import pm

    from lpscrape.archive import changes

    [plugin] = [p for p in pm.get_plugins() if getattr(p, "CHANGE_CLASSES", None)]
    expected = (*changes.PRIORITY, *changes._EVENTS, "silent")
    assert sorted(plugin.CHANGE_CLASSES) == sorted(expected)


# -- what changed: the history and its diffs --------------------------------------------------


async def test_the_history_page_marks_removed_and_added_words(ds: Datasette) -> None:
    post_id = EDITS_IN_2["correction"]
    old, new = FIRST[post_id], SECOND[post_id]
    article_page = await get(ds, f"/{DB}/articles/{tilde(demo_url(ds, old.path))}")
    history = html.unescape(re.search(r'class="lp-history" href="([^"]+)"', article_page)[1])
    page = await get(ds, history)
    deleted = " ".join(
        html.unescape(t) for t in re.findall(r'<del class="lp-del">(.*?)</del>', page)
    )
    inserted = " ".join(
        html.unescape(t) for t in re.findall(r'<ins class="lp-ins">(.*?)</ins>', page)
    )
    assert old.paragraphs[1] in deleted  # the paragraph the correction replaced…
    assert new.paragraphs[1] in inserted  # …and the corrected one
    assert '<span class="lp-class lp-class-correction">correction</span>' in page
    assert "unchanged paragraph" in page  # the rest folded away
    assert escape(old.paragraphs[0]) in page  # with a paragraph of context


async def test_the_history_shows_a_retitle_a_byline_and_terms(ds: Datasette) -> None:
    retitle = await history_of(ds, EDITS_IN_2["retitle"])
    assert '<del class="lp-del">in a short ceremony</del>' in retitle
    assert '<ins class="lp-ins">at the royal palace</ins>' in retitle
    byline = await history_of(ds, EDITS_IN_2["byline"])
    assert f'<ins class="lp-ins">{escape(SECOND[EDITS_IN_2["byline"]].byline)}</ins>' in byline
    terms = await history_of(ds, EDITS_IN_2["terms"])
    tags = ", ".join(SECOND[EDITS_IN_2["terms"]].tag_names)
    assert f'<ins class="lp-ins">{escape(tags)}</ins>' in terms
    whitespace = await history_of(ds, EDITS_IN_2["whitespace"])
    assert "Version 1 in another form" in whitespace
    assert "Not a new version: version 1 stays as first archived" in whitespace
    assert '<ins class="lp-ins">¶</ins>' in whitespace


async def test_a_retitle_reads_as_two_runs_of_words_in_valid_html(ds: Datasette) -> None:
    page = await history_of(ds, EDITS_IN_2["retitle"])
    headline = page.split("<h3>Headline</h3>")[1].split("<h3>")[0]
    removed = '<del class="lp-del">in a short ceremony</del>'
    assert f'{removed} <ins class="lp-ins">at the royal palace</ins>' in headline
    assert "ceremony at the royal palace" in re.sub(r"<[^>]+>", "", headline)  # as copied
    open_p = 0  # every </p> closes a <p>, none opens inside another
    for tag in re.findall(r"<(/?)p[ >]", page):
        assert not (tag == "" and open_p), "a <p> inside a <p>"
        open_p += 1 if tag == "" else -1
        assert open_p >= 0, "a stray </p>"


async def test_the_withdrawal_and_return_are_in_the_history(
    ds: Datasette, demo_archive: Path
) -> None:
    gone = next(a for a in articles(1) if a.id not in SECOND)
    page = await history_of(ds, gone.id)
    assert page.index("Withdrawn from the site") < page.index("Back on the site")
    assert "No change recorded" not in page
    quiet = await get(ds, f"/{DB}/article{TRUTH[0].path}changes")
    assert "No change recorded" in quiet


async def test_each_version_reads_as_it_was_and_links_to_its_diff(ds: Datasette) -> None:
    post_id = EDITS_IN_2["retitle"]
    base = f"/{DB}/article{FIRST[post_id].path}"
    first = await get(ds, base + "version/1")
    assert f'<h1 class="lp-title">{escape(FIRST[post_id].title)}</h1>' in first
    assert [
        html.unescape(p)
        for p in re.findall(r"<p>(.*?)</p>", first.split('class="lp-body"')[1].split("</div>")[0])
    ] == list(FIRST[post_id].body_blocks)
    assert f'href="{base}changes">The article\'s edit history</a>' in first
    second = await get(ds, base + "version/2")
    assert f'<h1 class="lp-title">{escape(SECOND[post_id].title)}</h1>' in second
    assert f'href="{base}changes#v2"' in second and f'href="{base}version/1"' in second
    # The current text is kept once, in the article row: the version page reads it there.
    assert [
        html.unescape(p)
        for p in re.findall(r"<p>(.*?)</p>", second.split('class="lp-body"')[1].split("</div>")[0])
    ] == list(SECOND[post_id].body_blocks)


async def test_every_column_of_a_version_leads_to_a_text_kept_once(ds: Datasette) -> None:
    post_id = EDITS_IN_2["retitle"]
    path = FIRST[post_id].path
    page = await get(ds, f"/{DB}/article_versions?url__endswith={path}&_sort=version&_lp_all=1")
    shared = re.findall(r'class="lp-shared-body" href="([^"]+)"', page)
    assert [unquote(h) for h in shared] == [f"/{DB}/article{path}version/2"]
    assert escape(FIRST[post_id].body_blocks[0][:60]) in page  # version 1 keeps its own text


# -- the page as captured ---------------------------------------------------------------------


async def test_a_capture_is_shown_as_served_and_inert(ds: Datasette, demo_archive: Path) -> None:
    capture_id, sha256 = query(
        demo_archive,
        "SELECT id, sha256 FROM captures WHERE kind = 'article' AND status = 200 LIMIT 1",
    )[0]
    page = await get(ds, f"/{DB}/capture/{capture_id}")
    frame = re.search(r"<iframe [^>]*>", page)[0]
    assert 'sandbox=""' in frame and f'src="/{DB}/capture/{capture_id}/raw"' in frame
    assert sha256 in page
    framing = await ds.client.get(f"/{DB}/capture/{capture_id}")  # a link clicked in the frame
    assert framing.headers["content-security-policy"] == "frame-src 'self'"  # stays inside
    response = await ds.client.get(f"/{DB}/capture/{capture_id}/raw")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == sha256  # byte for byte
    policy = response.headers["content-security-policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    assert "script-src" not in policy  # so scripts fall back to 'none'
    assert response.headers["x-content-type-options"] == "nosniff"
    await get(ds, f"/{DB}/capture/999999", status=404)
    page = await get(ds, f"/{DB}/capture/abc", status=404)  # not Datasette's "no such table"
    assert "no capture abc" in page and "Invalid SQL" not in page
    await get(ds, f"/{DB}/capture/abc/raw", status=404)
    huge = "9" * 20  # past SQLite's integers: a 404, never a server error
    await get(ds, f"/{DB}/capture/{huge}", status=404)
    await get(ds, f"/{DB}/capture/{huge}/raw", status=404)


async def test_the_article_page_links_to_its_captures_as_served(
    ds: Datasette, demo_archive: Path
) -> None:
    article = TRUTH[5]
    page = await get(ds, f"/{DB}/articles/{tilde(demo_url(ds, article.path))}")
    href = re.search(r'class="lp-as-captured" href="([^"]+)"', page)[1]
    capture_id = int(href.rsplit("/", 1)[1])
    conn = sqlite3.connect(demo_archive)
    body = capture_body(conn, capture_id)
    conn.close()
    assert escape(article.title).encode() in body


# -- charts -----------------------------------------------------------------------------------


async def test_the_charts_page_serves_every_asset_itself(ds: Datasette) -> None:
    page = await get(ds, "/-/dashboards/archive")
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources and not [s for s in sources if "://" in s]  # nothing from the internet
    for source in sources:
        if source.endswith((".js", ".css")) or ".css?" in source:
            await get(ds, source)
    home = await get(ds, "/")
    assert 'class="lp-charts" href="/-/dashboards/archive"' in home


async def test_each_chart_draws_the_archive_as_it_is(ds: Datasette) -> None:
    charts = ds.plugin_config("datasette-dashboards")["archive"]["charts"]
    assert set(charts) == {"per-month", "places", "changes", "weather", "crawls", "field-health"}
    data = {}
    for name, chart in charts.items():
        assert chart["db"] == DB
        assert chart["display"]["usermeta"]["embedOptions"]["renderer"] == "svg"
        data[name] = json.loads(
            await get(ds, f"/{DB}.json?" + urlencode_sql(chart["query"]) + "&_shape=array")
        )
    per_month = Counter()
    for r in data["per-month"]:
        per_month[(r["month"], r["category"])] += r["articles"]
    assert per_month == Counter((a.path[1:8].replace("/", "-"), a.category_names[0]) for a in TRUTH)
    assert {r["place"]: r["articles"] for r in data["places"]} == Counter(
        a.dateline for a in TRUTH if a.dateline
    )
    assert sum(r["changes"] for r in data["changes"]) == 12
    assert [r["run"] for r in data["crawls"]] == [1, 2, 3]
    assert data["weather"] and all(r["temperature_c"] is not None for r in data["weather"])
    # The first run read all 48 articles of edition 1: every one has a title and a body; a
    # dateline only where the sample's text opens with one.
    first = {r["field"]: r["fill_rate"] for r in data["field-health"] if r["run"] == 1}
    edition_1 = articles(1)
    assert first["title"] == first["body_text"] == 1.0
    assert first["dateline"] == round(sum(bool(a.dateline) for a in edition_1) / 48, 3)
    assert {r["run"] for r in data["field-health"]} == {1, 2, 3}
    # Coloured against each field's usual share, not its share: modified_at, rare by nature
    # (most posts are never edited: an eighth of the first run's), is no warning.
    layers = charts["field-health"]["display"]["layer"]
    assert layers[0]["encoding"]["color"]["field"] == "against_usual"
    assert first["modified_at"] == 0.125
    for r in data["field-health"]:
        usual = r["usual"]
        expected = 1.0 if not usual else round(min(1.0, r["fill_rate"] / usual), 3)
        assert r["against_usual"] == pytest.approx(expected, abs=0.002), r


# -- helpers ----------------------------------------------------------------------------------


def urlencode_sql(sql: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"sql": sql})


def tilde(url: str) -> str:
    from datasette.utils import tilde_encode

    return tilde_encode(url)


def demo_url(ds: Datasette, path: str) -> str:
    """The archived URL (with the sample site's port) of an article path."""
    db = Path(ds.databases[DB].path)
    return query(db, "SELECT url FROM articles WHERE url LIKE ?", ("%" + path,))[0][0]


async def history_of(ds: Datasette, post_id: int) -> str:
    """The history page of a sample article."""
    return await get(ds, f"/{DB}/article{FIRST[post_id].path}changes")


def test_an_older_search_index_gets_stemming_and_accent_folding(
    demo_archive: Path, tmp_path: Path
) -> None:
    db = tmp_path / "old.db"
    shutil.copy(demo_archive, db)
    old = Database(db)
    old["articles"].disable_fts()  # the index as archives had it: no stemming, accents kept
    old["articles"].enable_fts(["title", "body_text"], fts_version="FTS5")
    old.conn.commit()
    old.conn.close()
    match = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
    before = query(db, match, ("treaties",))[0][0]
    assert before < len(titles_with(lambda w: w & {"treaty", "treaties"}))
    Archive.open(db).close()  # any writer opening it migrates it
    assert (
        "porter unicode61 remove_diacritics 2"
        in query(db, "SELECT sql FROM sqlite_master WHERE name = 'articles_fts'")[0][0]
    )
    assert query(db, match, ("treaties",))[0][0] == len(
        titles_with(lambda w: w & {"treaty", "treaties"})
    )
    assert query(db, match, ("zurich",))[0][0] == len(titles_with(lambda w: "zurich" in w))
    conn = sqlite3.connect(db)  # the triggers still keep it in step
    conn.execute("UPDATE articles SET title = 'Zanzibarite report' WHERE rowid = 1")
    conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
    conn.commit()
    conn.close()
    assert query(db, match, ("zanzibarite",))[0][0] == 1


async def test_serving_an_archive_from_before_this_version_brings_it_up_to_date(
    demo_archive: Path, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(demo_archive, db)
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE article_changes")
    conn.commit()
    conn.close()
    datasette = make_datasette(db)
    await datasette.invoke_startup()
    changes = await rows(datasette, f"/{DB}/changed_after_publication.json?class=")
    # Rebuilt from the versions and captures: all but the two changes of form, which only a
    # reparse (replaying the captures) finds again.
    assert len(changes) == 10

"""The archive store on an in-memory database: upserts, versions, and a quiet FTS index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import memory_archive

from lpscrape import worker
from lpscrape.archive import unclosed
from lpscrape.archive.bodies import version_body_sql
from lpscrape.archive.review import held_fields
from lpscrape.archive.runhealth import ensure_health_tables
from lpscrape.archive.schema import CONTENT_COLUMNS
from lpscrape.archive.store import Archive
from lpscrape.extract import extract_article
from lpscrape.items import Capture

PAGE = """<html><head><title>{title} – Lord's Press</title>
<link rel="canonical" href="https://lordspress.example/2025/09/10/envoys/">
<meta property="article:published_time" content="2025-09-10T13:02:11+00:00"></head>
<body class="single single-post"><article class="post type-post category-protocol">
<h1 class="entry-title">{title}</h1><span class="byline">By Ada Pell</span>
<div class="entry-content"><p>VIENNA — {text}</p></div></article>
<aside><a href="https://lordspress.example/category/protocol/">Protocol</a></aside></body></html>"""


GOOD = "Talks began on Monday and went on late into the night in the old palace."


def capture(title: str, text: str, fetched_at: str) -> Capture:
    """A capture of the test page as the pipeline would hand it over."""
    body = PAGE.format(title=title, text=text).encode()
    url = "https://lordspress.example/2025/09/10/envoys/?utm_source=rss"
    c = Capture(url=url, status=200, body=body, fetched_at=fetched_at)
    c.record = extract_article(body, url)
    return c


@pytest.fixture
def archive() -> Archive:
    archive = memory_archive()
    run_id, left_open = archive.start_run("https://lordspress.example/", "incremental")
    assert run_id == 2 and left_open == [(1, left_open[0][1], None)]  # run 1 never closed
    return archive


def fts_bytes(archive: Archive) -> int:
    """Size of the full-text index's stored segments."""
    return archive.db.execute("SELECT sum(length(block)) FROM articles_fts_data").fetchone()[0]


def test_first_capture_is_new_and_keyed_by_canonical_url(archive: Archive) -> None:
    assert (
        archive.add(capture("Envoys meet", "Talks began.", "2025-09-10T14:00:00+00:00"), 1).kind
        == "new"
    )
    assert [r["url"] for r in archive.db["articles"].rows] == [
        "https://lordspress.example/2025/09/10/envoys/"
    ]


def test_same_content_again_is_unchanged_and_only_touches_last_seen(archive: Archive) -> None:
    archive.add(capture("Envoys meet", "Talks began.", "2025-09-10T14:00:00+00:00"), 1)
    size = fts_bytes(archive)
    again = capture("Envoys meet", "Talks began.", "2025-09-11T14:00:00+00:00")
    assert archive.add(again, 2).kind == "unchanged"
    row = next(archive.db["articles"].rows)
    assert (row["version"], row["first_seen_at"], row["last_seen_at"]) == (
        1,
        "2025-09-10T14:00:00+00:00",
        "2025-09-11T14:00:00+00:00",
    )
    assert archive.db["article_versions"].count == 1
    assert fts_bytes(archive) == size  # touching last_seen_at never re-indexes the body


def test_changed_content_is_a_new_version_and_keeps_the_old(archive: Archive) -> None:
    archive.add(capture("Envoys meet", "Talks began.", "2025-09-10T14:00:00+00:00"), 1)
    outcome = archive.add(capture("Envoys meet", "Talks ended.", "2025-09-12T09:00:00+00:00"), 2)
    assert outcome.kind == "changed"
    versions = archive.db.execute(
        f"SELECT version, {version_body_sql('v')} FROM article_versions v ORDER BY version"
    ).fetchall()
    assert versions == [(1, "VIENNA — Talks began."), (2, "VIENNA — Talks ended.")]
    hits = archive.db.execute(
        "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'ended'"
    ).fetchone()
    assert hits == (1,)
    assert archive.db.execute(
        "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'began'"
    ).fetchone() == (0,)


def test_terms_are_linked(archive: Archive) -> None:
    archive.add(capture("Envoys meet", "Talks began.", "2025-09-10T14:00:00+00:00"), 1)
    names = archive.db.execute(
        "SELECT a.name, c.name FROM article_authors aa JOIN authors a ON a.id = aa.author_id, "
        "article_categories ac JOIN categories c ON c.id = ac.category_id"
    ).fetchall()
    assert names == [("Ada Pell", "Protocol")]
    # Clustered on their key: no rowid, no second copy of the key in an index.
    tables = archive.db.execute(
        "SELECT sql FROM sqlite_master "
        "WHERE name IN ('article_authors', 'article_categories', 'article_tags')"
    ).fetchall()
    assert len(tables) == 3 and all(sql.endswith("WITHOUT ROWID") for (sql,) in tables)


def api_capture(path: str, payload: list[dict], taxonomy: str | None = None) -> Capture:
    """A REST API response as the spider keeps it, parsed as the worker hands it on."""
    body = json.dumps(payload).encode()
    url = "https://lordspress.example" + path
    capture = Capture(
        url=url,
        status=200,
        body=body,
        kind="api",
        fetched_at="2025-09-10T14:00:00+00:00",
        taxonomy=taxonomy,
    )
    assert worker.extract(capture) is False
    return capture


def test_rest_api_fills_what_the_page_lacks_and_flags_conflicts(archive: Archive) -> None:
    archive.add(
        api_capture("/wp-json/wp/v2/categories", [{"id": 7, "name": "Heraldry"}], "categories"), 1
    )
    post = {
        "id": 4242,
        "link": "https://lordspress.example/2025/09/10/envoys/",
        "date_gmt": "2025-09-10T12:00:00",  # the page says 13:02:11 UTC
        "modified_gmt": "2025-09-10T12:00:00",
        "categories": [7],
        "tags": [],
    }
    archive.add(api_capture("/wp-json/wp/v2/posts", [post]), 1)
    page = capture("Envoys meet", "Talks began.", "2025-09-10T14:00:00+00:00")
    page.body = page.body.replace(b"category-protocol", b"")
    page.record = extract_article(page.body, page.url)
    assert page.record.categories == []
    archive.add(page, 1)
    row = next(archive.db["articles"].rows)
    assert (row["post_id"], json.loads(row["categories"])) == (4242, ["Heraldry"])
    assert row["published_at"] == "2025-09-10T13:02:11+00:00"  # the page's value is kept
    warnings = json.loads(row["extraction_warnings"])
    assert "published_at: page says 2025-09-10T13:02:11+00:00, REST API says " in warnings[-1]


def test_a_canonical_url_off_host_or_to_the_home_page_is_not_the_key(archive: Archive) -> None:
    for canonical in ("https://elsewhere.example/story/", "https://lordspress.example/"):
        page = capture("Envoys meet", "Talks began.", "2025-09-10T14:00:00+00:00")
        page.body = page.body.replace(
            b"https://lordspress.example/2025/09/10/envoys/", canonical.encode()
        )
        page.record = extract_article(page.body, page.url)
        archive.add(page, 1)
    rows = archive.db.execute("SELECT url, version FROM articles").fetchall()
    assert rows == [("https://lordspress.example/2025/09/10/envoys/", 1)]
    warnings = json.loads(next(archive.db["articles"].rows)["extraction_warnings"])
    assert any(w.startswith("canonical_url: https://elsewhere.example/story/") for w in warnings)


def test_rest_api_answers_arriving_later_make_no_new_version(archive: Archive) -> None:
    page = capture("Envoys meet", "Talks began.", "2025-09-10T14:00:00+00:00")
    page.body = page.body.replace(b"category-protocol", b"")
    page.record = extract_article(page.body, page.url)
    assert archive.add(page, 1).kind == "new"
    archive.add(
        api_capture("/wp-json/wp/v2/categories", [{"id": 7, "name": "Heraldry"}], "categories"), 2
    )
    post = {"id": 9, "link": "https://lordspress.example/2025/09/10/envoys/", "categories": [7]}
    archive.add(api_capture("/wp-json/wp/v2/posts", [post]), 2)
    again = capture("Envoys meet", "Talks began.", "2025-09-11T14:00:00+00:00")
    again.body = page.body
    again.record = extract_article(again.body, again.url)
    assert archive.add(again, 2).kind == "unchanged"
    assert archive.db["article_versions"].count == 1


def test_the_store_never_edits_the_record_and_the_hash_covers_what_is_stored(
    archive: Archive,
) -> None:
    import copy

    from lpscrape.archive.versions import content_hash

    archive.add(
        api_capture("/wp-json/wp/v2/categories", [{"id": 7, "name": "Heraldry"}], "categories"), 1
    )
    post = {"id": 9, "link": "https://lordspress.example/2025/09/10/envoys/", "categories": [7]}
    archive.add(api_capture("/wp-json/wp/v2/posts", [post]), 1)
    page = capture("Envoys meet", "Talks began.", "2025-09-10T14:00:00+00:00")
    page.body = page.body.replace(b"category-protocol", b"")
    page.record = extract_article(page.body, page.url)
    before = copy.deepcopy(page.record)
    archive.add(page, 1)
    assert page.record == before  # the REST API filled the article row, not the record
    cols = ", ".join(version_body_sql("v") if c == "body_text" else c for c in CONTENT_COLUMNS)
    row = archive.db.execute(f"SELECT content_hash, {cols} FROM article_versions v").fetchone()
    assert row[0] == content_hash(dict(zip(CONTENT_COLUMNS, row[1:], strict=True)))
    assert json.loads(row[1 + list(CONTENT_COLUMNS).index("categories")]) == []
    assert json.loads(next(archive.db["articles"].rows)["categories"]) == ["Heraldry"]


def test_a_canonical_naming_another_article_keys_the_page_by_its_own_url(
    archive: Archive,
) -> None:
    other = "https://lordspress.example/2025/09/11/another-story/"
    page = capture("Envoys meet", "Talks began.", "2025-09-10T14:00:00+00:00")
    page.body = page.body.replace(b"https://lordspress.example/2025/09/10/envoys/", other.encode())
    page.record = extract_article(page.body, page.url)
    assert page.record.canonical_url == other
    archive.add(page, 1)
    assert [r["url"] for r in archive.db["articles"].rows] == [
        "https://lordspress.example/2025/09/10/envoys/"
    ]


@pytest.mark.parametrize(
    ("text", "theme", "reason"),
    [
        ("Talks ended.", True, "body collapsed from 17 to 4 words"),
        (
            GOOD + " They resume today.",
            False,
            "body found by fallback, the versions before by theme",
        ),
    ],
    ids=["fewer-words", "other-layer"],
)
def test_a_collapsed_body_is_held_not_promoted(
    archive: Archive, text: str, theme: bool, reason: str
) -> None:
    archive.add(capture("Envoys meet", GOOD, "2025-09-10T14:00:00+00:00"), 1)
    bad = capture("Envoys meet", text, "2025-09-11T14:00:00+00:00")
    if not theme:  # the theme's container gone: the generic extractor answers
        bad.body = bad.body.replace(b"entry-content", b"lp-story")
        bad.record = extract_article(bad.body, bad.url)
        assert bad.record.extraction.sources["body_text"] == "fallback"
    outcome = archive.add(bad, 2)
    assert (outcome.kind, outcome.note) == ("held", reason)
    assert archive.db.execute("SELECT version, body_text FROM articles").fetchall() == [
        (1, "VIENNA — " + GOOD)
    ]
    assert archive.db["article_versions"].count == 1
    assert archive.db.execute("SELECT review FROM captures ORDER BY id DESC").fetchone() == (
        reason,
    )


def test_the_same_bytes_are_stored_once(archive: Archive) -> None:
    first = capture("Envoys meet", "Talks began.", "2025-09-10T14:00:00+00:00")
    again = capture("Envoys meet", "Talks began.", "2025-09-11T14:00:00+00:00")
    archive.add(first, 1)
    archive.add(again, 2)
    rows = archive.db.execute(
        "SELECT id, coalesce(body_gzip, body_zstd) IS NULL, revisit_of FROM captures ORDER BY id"
    ).fetchall()
    assert rows == [(1, 0, None), (2, 1, 1)]
    bodies = [c.body for _, _, c in archive.captures()]
    assert bodies == [first.body, first.body]


def test_an_seo_plugin_switched_off_is_held_not_a_new_version(archive: Archive) -> None:
    # The plugin printed the exact times; without it only the permalink's day is left.
    modified = '<meta property="article:modified_time" content="2025-09-11T08:00:00+00:00">'
    first = capture("Envoys meet", GOOD, "2025-09-12T14:00:00+00:00")
    first.body = first.body.replace(b"</head>", modified.encode() + b"</head>")
    first.record = extract_article(first.body, first.url)
    assert (first.record.published_at, first.record.modified_at) == (
        "2025-09-10T13:02:11+00:00",
        "2025-09-11T08:00:00+00:00",
    )
    archive.add(first, 1)
    bare = capture("Envoys meet", GOOD, "2025-09-13T14:00:00+00:00")
    bare.body = bare.body.replace(b'<meta property="article:published_time"', b"<meta x")
    bare.record = extract_article(bare.body, bare.url)
    assert bare.record.published_at != first.record.published_at  # the day, at 00:00
    outcome = archive.add(bare, 2)
    reason = (
        "published_at (its time of day), modified_at gone, with the headline's and the "
        "body's words unchanged"
    )
    assert (outcome.kind, outcome.note) == ("held", reason)
    assert held_fields(reason) == ["published_at", "modified_at"]
    assert archive.db.execute(
        "SELECT version, published_at, modified_at FROM articles"
    ).fetchall() == [(1, "2025-09-10T13:02:11+00:00", "2025-09-11T08:00:00+00:00")]


def test_the_store_inserts_the_api_rows_a_capture_carries_and_never_reads_its_body(
    archive: Archive,
) -> None:
    base = "https://lordspress.example/wp-json/wp/v2/"
    post = {"id": 9, "link": "https://lordspress.example/2025/09/10/envoys/", "tags": "[3]"}
    for url, taxonomy, rows in (
        (base + "tags?page=1", "tags", [{"id": 3, "name": "Treaties"}]),
        (base + "posts?page=1", None, [post]),
    ):
        answer = Capture(
            url=url,
            status=200,
            body=b"not JSON: parsed where captures are extracted, not here",
            kind="api",
            fetched_at="2025-09-10T14:00:00+00:00",
            taxonomy=taxonomy,
            api_rows=rows,  # type: ignore[arg-type]
        )
        archive.add(answer, 1)
    assert archive.db.execute("SELECT taxonomy, id, name FROM wp_terms").fetchall() == [
        ("tags", 3, "Treaties")
    ]
    assert archive.db.execute("SELECT id, link, tags, published_at FROM wp_posts").fetchall() == [
        (9, post["link"], "[3]", None)
    ]


def test_the_worker_parses_an_api_answer_by_the_taxonomy_the_spider_asked_for() -> None:
    body = json.dumps([{"id": 3, "name": "Treaties"}]).encode()
    url = "https://lordspress.example/wp-json/wp/v2/tags?per_page=100&page=1&_fields=id,name"
    terms = Capture(url=url, status=200, body=body, kind="api", taxonomy="tags")
    post = {"id": 9, "link": "https://lordspress.example/2025/09/10/envoys/?utm_source=x"}
    posts = Capture(url=url, status=200, body=json.dumps([post]).encode(), kind="api")
    assert not worker.extract(terms) and not worker.extract(posts)
    assert terms.api_rows == [{"id": 3, "name": "Treaties"}]
    assert [(r["id"], r["link"]) for r in posts.api_rows or []] == [
        (9, "https://lordspress.example/2025/09/10/envoys/")  # the link made the archive's key
    ]


def test_a_loss_an_archivist_accepted_is_stored_the_next_night_not_held_again(
    archive: Archive,
) -> None:
    archive.add(capture("Envoys meet", GOOD, "2025-09-12T14:00:00+00:00"), 1)

    def without_byline(fetched_at: str) -> Capture:
        bare = capture("Envoys meet", GOOD, fetched_at)
        bare.body = bare.body.replace(b'<span class="byline">By Ada Pell</span>', b"")
        bare.record = extract_article(bare.body, bare.url)
        return bare

    held = archive.add(without_byline("2025-09-13T14:00:00+00:00"), 2)
    assert (held.kind, held_fields(held.note or "")) == ("held", ["authors", "byline"])
    # The archivist accepts run 2 (`lpscrape status --accept 2`): the byline's loss, measured
    # on the articles it read again, is the site's own change.
    ensure_health_tables(archive.db)
    archive.db["run_health"].insert({"run_id": 2, "accepted_at": "2025-09-13T20:00:00+00:00"})
    for field in ("authors", "byline"):
        archive.db["run_field_health"].insert({"run_id": 2, "field": field, "lost": 1})
    next_night = Archive(archive.db)  # the next crawl's
    run_id, _ = next_night.start_run("https://lordspress.example/", "incremental")
    stored = next_night.add(without_byline("2025-09-14T14:00:00+00:00"), run_id)
    assert stored.kind == "changed"
    assert archive.db.execute("SELECT version, byline FROM articles").fetchall() == [(2, None)]


@pytest.mark.parametrize("same_start", [True, False])
def test_a_noted_run_is_closed_as_failed_by_the_next_run_only_when_it_is_that_run(
    tmp_path: Path, same_start: bool
) -> None:
    real = tmp_path / "real" / "archive.db"
    real.parent.mkdir()
    link = tmp_path / "archive.db"  # the crawl was given a symlink; SQLite names the file
    link.symlink_to(real)
    first = Archive.open(link)
    run_id, _ = first.start_run("https://lordspress.example/", "incremental")
    started = first.db.execute("SELECT started_at FROM crawl_runs").fetchone()[0]
    first.db.conn.close()  # the run could not be closed in the file: noted beside it
    assert unclosed.run_started(link, run_id) == started
    noted_start = started if same_start else "2020-01-01T00:00:00+00:00"  # another archive's
    assert unclosed.note(link, run_id, noted_start, "storage error: disk I/O error", "T1")
    assert unclosed.note_path(link) == real.with_name("archive.db.unclosed")

    nxt = Archive.open(real)
    _, left = nxt.start_run("https://lordspress.example/", "incremental")
    row = nxt.db.execute("SELECT outcome, error, finished_at FROM crawl_runs WHERE id = 1")
    if same_start:
        assert left == [(1, started, "storage error: disk I/O error")]
        assert row.fetchone() == ("failed", "storage error: disk I/O error", "T1")
    else:
        assert left == [(1, started, None)]
        assert row.fetchone()[0] == "aborted"
    assert not unclosed.note_path(real).exists()

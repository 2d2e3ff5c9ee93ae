"""The edit history (`article_changes`) of an archive made by real crawls of the sample site's
three editions, and the classifier on hand-made pairs of versions."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import query, run_cli
from sqlite_utils import Database

from lpscrape.archive.changes import classify, form_only, summarise, update_changes, word_diff
from lpscrape.archive.store import Archive
from lpscrape.demo.content import (
    EDITS_IN_2,
    REMOVED_IN_2,
    SILENTLY_EDITED_IN_2,
    articles,
)

FIRST = {a.id: a for a in articles(1)}
SECOND = {a.id: a for a in articles(2)}


def changes_of(db: Path, post_id: int) -> list[dict]:
    """The stored changes of one sample article, oldest first."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute(
        "SELECT * FROM article_changes WHERE url LIKE ? ORDER BY capture_id, id",
        ("%" + FIRST[post_id].path,),
    ).fetchall()
    conn.close()
    return [dict(r) for r in rows]


# Each edit of edition 2, and the class a historian would give it (read from content.py).
EXPECTED = {
    "update": ("minor", ["minor"]),
    "correction": ("correction", ["correction"]),
    "retitle": ("retitled", ["retitled", "minor"]),
    "whitespace": ("whitespace", ["whitespace"]),
    "formatting": ("formatting", ["formatting"]),
    "minor": ("minor", ["minor"]),
    "rewrite": ("rewrite", ["rewrite"]),
    "byline": ("byline", ["byline"]),
    "terms": ("terms", ["terms"]),
}


@pytest.mark.parametrize("edit", sorted(EXPECTED))
def test_each_edit_of_edition_two_has_its_class(demo_archive: Path, edit: str) -> None:
    [change] = changes_of(demo_archive, EDITS_IN_2[edit])
    primary, classes = EXPECTED[edit]
    assert (change["change_class"], json.loads(change["classes"])) == (primary, classes)
    # Spacing and typography are the same words: on record, but not a new version.
    to_version = 1 if edit in ("whitespace", "formatting") else 2
    assert (change["from_version"], change["to_version"]) == (1, to_version)
    assert change["silent"] == 0  # the publisher's modified date moved for every one of them
    assert change["modified_at_before"] != change["modified_at_after"]


@pytest.mark.parametrize("edit", ["whitespace", "formatting"])
def test_a_change_of_form_is_not_a_new_version(demo_archive: Path, edit: str) -> None:
    post_id = EDITS_IN_2[edit]
    url_like = "%" + FIRST[post_id].path
    [(version, body)] = query(
        demo_archive,
        "SELECT version, body_text FROM articles WHERE url LIKE ?",
        (url_like,),
    )
    assert version == 1
    assert body == FIRST[post_id].body_text  # the version's text, as first archived
    assert query(
        demo_archive, "SELECT count(*) FROM article_versions WHERE url LIKE ?", (url_like,)
    ) == [(1,)]
    # Editions 2 and 3 both serve the new form (two crawls each): recorded once.
    [change] = changes_of(demo_archive, post_id)
    assert change["run_id"] == 2
    served = query(
        demo_archive,
        "SELECT count(*) FROM captures WHERE kind = 'article' AND status = 200 AND url LIKE ?",
        (url_like,),
    )[0][0]
    assert served >= 3
    assert "not a new version" in change["summary"]


def test_the_silent_edit_is_found_by_the_full_recrawl(demo_archive: Path) -> None:
    [change] = changes_of(demo_archive, SILENTLY_EDITED_IN_2[0])
    assert change["silent"] == 1 and json.loads(change["classes"]) == ["minor", "silent"]
    assert change["modified_at_before"] == change["modified_at_after"]
    assert json.loads(change["fields"]) == ["body_text"]
    assert change["run_id"] == 3  # edition 2's incremental crawl skipped it: lastmod unmoved
    diff = json.loads(change["body_diff"])
    # "…lodged by distant relatives." became "…lodged by two distant cousins.": whole words,
    # the one word kept between two changes shown inside the change.
    assert " ".join(t for op, t in diff if op == "-").split() == ["distant", "relatives."]
    assert " ".join(t for op, t in diff if op == "+").split() == ["two", "distant", "cousins."]


def test_the_removed_article_is_unpublished_then_republished(demo_archive: Path) -> None:
    changes = changes_of(demo_archive, REMOVED_IN_2[0])
    assert [(c["change_class"], c["run_id"]) for c in changes] == [
        ("unpublished", 2),
        ("republished", 3),
    ]
    assert all((c["from_version"], c["to_version"]) == (1, 1) for c in changes)
    body = query(
        demo_archive, "SELECT body_text FROM articles WHERE url LIKE ?", ("%" + FIRST[1780].path,)
    )
    assert body == [(FIRST[REMOVED_IN_2[0]].body_text,)]  # the text stayed throughout


def test_unchanged_articles_have_no_changes(demo_archive: Path) -> None:
    changed = {*EDITS_IN_2.values(), *SILENTLY_EDITED_IN_2, *REMOVED_IN_2}
    urls = {u for (u,) in query(demo_archive, "SELECT DISTINCT url FROM article_changes")}
    assert len(urls) == len(changed)
    assert all(any(u.endswith(FIRST[i].path) for u in urls) for i in changed)


def test_the_correction_diff_shows_the_removed_and_added_words(demo_archive: Path) -> None:
    post_id = EDITS_IN_2["correction"]
    [change] = changes_of(demo_archive, post_id)
    diff = json.loads(change["body_diff"])
    removed = " ".join(t for op, t in diff if op == "-").split()
    added = " ".join(t for op, t in diff if op == "+").split()
    assert removed == FIRST[post_id].paragraphs[1].split()
    assert added == SECOND[post_id].paragraphs[1].split()
    kept = "".join(t for op, t in diff if op in "=+")
    assert kept == SECOND[post_id].body_text  # the diff rebuilds the new text exactly


def test_the_retitle_diff_marks_the_headline_words(demo_archive: Path) -> None:
    [change] = changes_of(demo_archive, EDITS_IN_2["retitle"])
    assert json.loads(change["title_diff"]) == [
        ["=", "Japan’s new envoy to Brussels presents credentials "],
        ["-", "in a short ceremony"],
        ["+", "at the royal palace"],
    ]


def test_a_paragraph_split_is_a_break_added_and_no_word(demo_archive: Path) -> None:
    [change] = changes_of(demo_archive, EDITS_IN_2["whitespace"])
    diff = json.loads(change["body_diff"])
    assert [(op, text) for op, text in diff if op != "="] == [("-", " "), ("+", "\n\n")]
    assert (change["words_added"], change["words_removed"]) == (0, 0)


def test_reparse_rebuilds_the_same_history(demo_archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    shutil.copy(demo_archive, db)
    cols = "url, change_class, classes, silent, from_version, to_version, body_diff, capture_id"
    before = query(db, f"SELECT {cols} FROM article_changes ORDER BY capture_id, change_class")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE article_changes SET change_class = 'damaged'")
    conn.commit()
    conn.close()
    run_cli("reparse", "--db", str(db), check=True)
    after = query(db, f"SELECT {cols} FROM article_changes ORDER BY capture_id, change_class")
    assert after == before and len(before) == 12


def test_an_archive_from_before_the_history_gets_it_on_opening(
    demo_archive: Path, tmp_path: Path
) -> None:
    db = tmp_path / "old.db"
    shutil.copy(demo_archive, db)
    sql = "SELECT url, change_class, capture_id FROM article_changes ORDER BY 3, 2"
    expected = query(db, sql)
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE article_changes")
    conn.commit()
    conn.close()
    Archive.open(db).close()
    # Edits and events come back from the versions and captures; the two changes of form
    # (no version of their own) were seen only as their captures were applied.
    derived = [r for r in expected if r[1] not in ("whitespace", "formatting")]
    assert len(derived) == len(expected) - 2
    assert query(db, sql) == derived
    assert update_changes(Database(db)) == 0  # nothing is added twice
    run_cli("reparse", "--db", str(db), check=True)  # replaying the captures finds them again
    assert query(db, sql) == expected


# -- the classifier on hand-made versions ----------------------------------------------------

BASE = {
    "title": "Envoys meet in Vienna",
    "byline": "Ann Lee",
    "authors": '["Ann Lee"]',
    "dateline": "VIENNA",
    "published_at": "2025-09-01T10:00:00+00:00",
    "modified_at": None,
    "categories": '["Diplomacy"]',
    "tags": '["Treaties"]',
    "body_text": "VIENNA — Envoys from ten countries met on Monday.\n\n"
    "They agreed to meet again in the spring, after the working groups report. "
    "The talks were closed to the public and no text was released to journalists.",
}


def edited(**changes: object) -> dict:
    """BASE with some fields changed and the publisher's modified date moved."""
    return {**BASE, "modified_at": "2025-09-02T10:00:00+00:00", **changes}


@pytest.mark.parametrize(
    ("after", "primary", "classes"),
    [
        (edited(title="Envoys meet in  Vienna"), "whitespace", ["whitespace"]),
        (edited(title="Envoys meet in Vienna’s palace"), "retitled", ["retitled"]),
        (edited(body_text=BASE["body_text"].replace(" — ", " – ")), "formatting", ["formatting"]),
        (edited(body_text=BASE["body_text"].replace("ten", "eleven")), "minor", ["minor"]),
        (
            edited(body_text=BASE["body_text"] + "\n\nCorrection: they met on Tuesday."),
            "correction",
            ["correction"],
        ),
        (
            edited(body_text=BASE["body_text"].replace("after the working", "once all the")),
            "minor",
            ["minor"],
        ),
        (
            edited(
                body_text="VIENNA — Envoys from ten countries met on Monday.\n\n"
                "Their next meeting is planned for the spring, once the experts have reported. "
                "The talks were closed to the public and no text was released to journalists."
            ),
            "revised",
            ["revised"],
        ),
        (edited(body_text="Something else entirely, in other words."), "rewrite", ["rewrite"]),
        (edited(authors='["Ann Lee", "Bo Ek"]', byline="Ann Lee and Bo Ek"), "byline", ["byline"]),
        (edited(tags='["Treaties", "Austria"]'), "terms", ["terms"]),
        (edited(), "dates", ["dates"]),
        (
            {**BASE, "body_text": BASE["body_text"].replace("ten", "eleven")},
            "minor",
            ["minor", "silent"],
        ),
    ],
)
def test_classify(after: dict, primary: str, classes: list[str]) -> None:
    found = classify(BASE, after)
    assert (found["change_class"], found["classes"]) == (primary, classes)
    assert found["silent"] == ("silent" in classes)


def test_word_diff_rebuilds_both_texts() -> None:
    before = "One two three.\n\nFour five six seven."
    after = "One two 3.\n\nFour five\n\nsix seven eight."
    diff = word_diff(before, after)
    assert "".join(t for op, t in diff if op != "-") == after
    assert "".join(t for op, t in diff if op != "+").split() == before.split()
    assert ["+", "\n\n"] in diff


def test_changes_a_killed_run_left_unrecorded_are_added_by_the_next(
    demo_archive: Path, tmp_path: Path
) -> None:
    db = tmp_path / "killed.db"
    shutil.copy(demo_archive, db)
    cols = "url, change_class, capture_id, body_diff"
    expected = query(db, f"SELECT {cols} FROM article_changes ORDER BY capture_id, change_class")
    conn = sqlite3.connect(db)  # as if run 3 had been killed before its end
    conn.execute("DELETE FROM article_changes WHERE run_id = 3")
    conn.commit()
    conn.close()
    archive = Archive.open(db)
    assert update_changes(archive.db) == 2  # the silent edit and the return
    archive.close()
    assert query(db, f"SELECT {cols} FROM article_changes ORDER BY capture_id, change_class") == (
        expected
    )


@pytest.mark.parametrize(
    ("after", "same_words"),
    [
        (edited(title="Envoys meet in  Vienna"), True),  # spacing
        (edited(body_text=BASE["body_text"].replace(" — ", " – ")), True),  # a dash
        (edited(body_text=BASE["body_text"].replace("\n\n", " ")), True),  # a paragraph joined
        (edited(byline="Ann  Lee"), True),
        (edited(tags='["Treaties "]'), True),
        (edited(title="Envoys meet in Vienna’s palace"), False),
        (edited(body_text=BASE["body_text"].replace("ten", "eleven")), False),
        (edited(tags='["Treaties", "Austria"]'), False),
        (edited(), False),  # the modified date alone: a `dates` version
        (edited(title="Envoys meet in  Vienna", published_at="2025-09-02T10:00:00+00:00"), False),
    ],
)
def test_only_a_change_of_form_is_not_a_version(after: dict, same_words: bool) -> None:
    assert form_only(BASE, after) is same_words


@pytest.mark.parametrize(
    ("added", "removed", "said"),
    [(1, 0, "1 word added, 0 removed"), (2, 1, "2 words added, 1 removed")],
)
def test_the_change_summary_counts_words_in_english(added: int, removed: int, said: str) -> None:
    assert said in summarise("minor", ["minor"], ["body_text"], removed, added)

"""A version's body text is kept once: in the article row while current, else in one version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import memory_archive
from sqlite_utils import Database
from test_reliability import v1_archive
from test_store import capture

from lpscrape.archive.bodies import version_body_sql
from lpscrape.archive.schema import SCHEMA_VERSION
from lpscrape.archive.store import Archive, open_database
from lpscrape.export import export

URL = "https://lordspress.example/2025/09/10/envoys/"
# (title, text) of five editions: a headline edit keeps the body, a body edit keeps the title.
EDITIONS = [
    ("Envoys meet", "Talks began."),
    ("Envoys meet in Vienna", "Talks began."),
    ("Envoys meet in Vienna", "Talks ended."),
    ("Envoys part", "Talks ended."),
    ("Envoys part", "Talks ended badly."),
]


def bodies(conn: sqlite3.Connection | Database) -> list[tuple[int, str | None, str | None]]:
    """Per version: its number, what its row stores, and its full text as readers get it."""
    return conn.execute(
        f"SELECT version, body_text, {version_body_sql('v')} FROM article_versions v "
        "ORDER BY url, version"
    ).fetchall()


@pytest.fixture
def edited() -> Archive:
    archive = memory_archive()
    for day, (title, text) in enumerate(EDITIONS, start=10):
        archive.add(capture(title, text, f"2025-09-{day}T14:00:00+00:00"), 1)
    archive.commit()
    return archive


def test_every_version_reads_back_its_own_text(edited: Archive) -> None:
    full = [f"VIENNA — {text}" for _, text in EDITIONS]
    assert [row[2] for row in bodies(edited.db)] == full


def test_each_distinct_text_is_stored_once(edited: Archive) -> None:
    stored = [row[1] for row in bodies(edited.db)]
    # The current text lives in the article row only; each earlier text in its last version.
    assert stored == [None, "VIENNA — Talks began.", None, "VIENNA — Talks ended.", None]
    article = edited.db.execute("SELECT body_text FROM articles").fetchone()[0]
    assert article == "VIENNA — Talks ended badly."


def test_the_edit_history_diffs_the_full_texts(edited: Archive) -> None:
    edited.finish_run(1, "completed", {})
    rows = edited.db.execute(
        "SELECT to_version, body_diff IS NOT NULL FROM article_changes ORDER BY to_version"
    ).fetchall()
    assert rows == [(2, False), (3, True), (4, False), (5, True)]


def test_a_version_without_a_body_is_never_shared(edited: Archive) -> None:
    edited.add(capture("Envoys part", "", "2025-09-20T14:00:00+00:00"), 1)
    edited.add(capture("Envoys return", "Talks resumed.", "2025-09-21T14:00:00+00:00"), 1)
    shared = edited.db.execute(
        "SELECT version, body_shared FROM article_versions WHERE body_text IS NULL ORDER BY 1"
    ).fetchall()
    resolved = {row[0]: row[2] for row in bodies(edited.db)}
    assert resolved[5] == "VIENNA — Talks ended badly."
    assert resolved[max(resolved)] == "VIENNA — Talks resumed."
    assert all(flag == 1 for version, flag in shared if resolved[version] is not None)


def test_the_csv_export_of_versions_has_every_text(edited: Archive, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    edited.db.conn.execute(f"VACUUM INTO '{db}'")
    out = tmp_path / "versions.csv"
    assert export(db, "csv", out, table="article_versions") == len(EDITIONS)
    text = out.read_text()
    for _, body in EDITIONS:
        assert f"VIENNA — {body}" in text


def test_an_older_archive_keeps_every_text_once_migrated(tmp_path: Path) -> None:
    db = v1_archive(tmp_path / "archive.db")
    conn = sqlite3.connect(db)
    url, body = conn.execute("SELECT url, body_text FROM articles ORDER BY url").fetchone()
    # Give one article an edit history as version 1 stored it: every version a full copy.
    row = conn.execute("SELECT * FROM article_versions WHERE url = ?", [url]).fetchone()
    names = [d[0] for d in conn.execute("SELECT * FROM article_versions").description]
    for version, text in ((2, "EARLIER — A first text."), (3, body)):
        values = dict(zip(names, row, strict=True), id=None, version=version, capture_id=None)
        values["body_text"] = text if version == 2 else values["body_text"]
        conn.execute(
            f"INSERT INTO article_versions ({', '.join(names)}) VALUES "
            f"({', '.join('?' * len(names))})",
            list(values.values()),
        )
    conn.execute("UPDATE articles SET version = 3 WHERE url = ?", [url])
    conn.commit()
    before = conn.execute(
        "SELECT url, version, body_text FROM article_versions ORDER BY url, version"
    ).fetchall()
    conn.close()

    open_database(db).conn.close()

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    after = conn.execute(
        f"SELECT url, version, {version_body_sql('v')} FROM article_versions v "
        "ORDER BY url, version"
    ).fetchall()
    assert after == before
    stored = conn.execute(
        "SELECT version, body_text IS NOT NULL FROM article_versions WHERE url = ? ORDER BY 1",
        [url],
    ).fetchall()
    # Version 1 keeps the text it shares with no later version; 2 and 3 are the current text.
    assert stored == [(1, True), (2, True), (3, False)]
    assert conn.execute(
        "SELECT count(*) FROM article_versions WHERE url != ? AND body_text IS NOT NULL", [url]
    ).fetchone() == (0,)
    conn.close()


def test_the_version_texts_view_gives_every_version_its_text(
    edited: Archive, tmp_path: Path
) -> None:
    """What a researcher reads and exports versions from: no text left empty because it is
    stored once elsewhere."""
    rows = edited.db.execute(
        "SELECT version, title, body_text FROM version_texts ORDER BY version"
    ).fetchall()
    assert rows == [(n, t, f"VIENNA — {b}") for n, (t, b) in enumerate(EDITIONS, start=1)]
    db = tmp_path / "archive.db"
    edited.db.conn.execute(f"VACUUM INTO '{db}'")
    out = tmp_path / "versions.csv"
    assert export(db, "csv", out, table="version_texts") == len(EDITIONS)
    assert out.read_text().count("VIENNA — ") == len(EDITIONS)

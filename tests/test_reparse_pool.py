"""Reparse on every core: the same archive as one process builds, and still all or nothing."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from lpscrape.archive import reparse as reparse_module
from lpscrape.archive.reparse import reparse
from lpscrape.archive.store import Archive

TABLES = {
    "articles": "url",
    "article_versions": "url, version",
    "article_tags": "article_url, tag_id",
    "article_authors": "article_url, author_id",
    "article_categories": "article_url, category_id",
    "article_changes": "id",
}


def _dump(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        out = {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY {k}").fetchall() for t, k in TABLES.items()
        }
        out["captures"] = conn.execute(
            "SELECT id, article_url, review, weather_location FROM captures ORDER BY id"
        ).fetchall()
        out["fts"] = conn.execute(
            "SELECT a.url FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
            "WHERE articles_fts MATCH 'treaty' ORDER BY a.url"
        ).fetchall()
        out["triggers"] = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        ).fetchall()
        return out
    finally:
        conn.close()


@pytest.fixture
def copy(demo_archive: Path, tmp_path: Path) -> Path:
    """A copy of the demo archive, to reparse."""
    db = tmp_path / "copy.db"
    shutil.copy(demo_archive, db)
    return db


def reparse_file(db: Path, workers: int = 1) -> Counter[str]:
    """`reparse` of the archive at `db` (with `workers` > 1: a pool, however few captures)."""
    archive = Archive.open(db)
    try:
        return reparse(archive, workers=workers, pool_min=0)
    finally:
        archive.close()


def test_a_pool_of_workers_rebuilds_what_one_process_does(
    demo_archive: Path, tmp_path: Path
) -> None:
    one, pooled = tmp_path / "one.db", tmp_path / "pooled.db"
    shutil.copy(demo_archive, one)
    shutil.copy(demo_archive, pooled)
    for db, workers in ((one, 1), (pooled, 2)):
        outcomes = reparse_file(db, workers)
        assert outcomes["new"] > 0
    assert _dump(pooled) == _dump(one)
    assert _dump(pooled)["article_versions"] == _dump(demo_archive)["article_versions"]


def test_the_search_index_is_rebuilt_once_and_kept_up_to_date_after(
    demo_archive: Path, copy: Path
) -> None:
    db = copy
    reparse_file(db)
    after, before = _dump(db), _dump(demo_archive)
    assert after["fts"] == before["fts"] and len(after["fts"]) > 3
    assert after["triggers"] == before["triggers"] and len(after["triggers"]) == 3
    conn = sqlite3.connect(db)
    with conn:  # the triggers index an edit made after the reparse
        conn.execute("UPDATE articles SET body_text = 'A zeppelin arrived.' WHERE rowid = 1")
    found = conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'zeppelin'")
    assert found.fetchall() == [(1,)]
    # FTS5 checks its index against the articles (rank 1: the content too); raises if not.
    conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
    conn.close()


def test_a_worker_crash_leaves_the_archive_as_it_was(
    monkeypatch: pytest.MonkeyPatch, copy: Path
) -> None:
    db = copy
    before = _dump(db)
    real = reparse_module.extract_article
    calls = 0

    def flaky(*args: object, **kwargs: object):
        nonlocal calls
        calls += 1  # counted in each worker (forked): every worker breaks on its 5th page
        if calls == 5:
            raise RuntimeError("the extractor broke half way")
        return real(*args, **kwargs)

    monkeypatch.setattr(reparse_module, "extract_article", flaky)
    archive = Archive.open(db)
    with pytest.raises(RuntimeError):
        reparse(archive, workers=2, pool_min=0)
    archive.close()
    assert _dump(db) == before


def test_the_rest_api_rows_are_read_again_from_their_captures(copy: Path) -> None:
    db = copy
    conn = sqlite3.connect(db)
    api = ("SELECT * FROM wp_terms ORDER BY taxonomy, id", "SELECT * FROM wp_posts ORDER BY id")
    before = [conn.execute(sql).fetchall() for sql in api]
    with conn:
        conn.execute("DELETE FROM wp_terms")
        conn.execute("DELETE FROM wp_posts")
    reparse_file(db)
    assert [conn.execute(sql).fetchall() for sql in api] == before
    assert {t for t, *_ in before[0]} == {"categories", "tags"} and len(before[1]) > 3
    conn.close()


def test_a_capture_row_is_rewritten_only_when_its_extraction_changed(copy: Path) -> None:
    db = copy
    conn = sqlite3.connect(db)
    with conn:  # one capture's stored extraction made stale; the rest say what they will again
        stale = conn.execute(
            "SELECT id, weather_location FROM captures WHERE kind = 'article' "
            "AND weather_location IS NOT NULL ORDER BY id LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE captures SET weather_location = 'Atlantis' WHERE id = ?", [stale[0]])
        conn.execute("CREATE TABLE rewritten (capture_id INTEGER)")
        conn.execute(
            "CREATE TRIGGER count_rewrites AFTER UPDATE ON captures "
            "BEGIN INSERT INTO rewritten VALUES (new.id); END"
        )
    reparse_file(db)
    assert conn.execute("SELECT capture_id FROM rewritten").fetchall() == [(stale[0],)]
    restored = conn.execute("SELECT weather_location FROM captures WHERE id = ?", [stale[0]])
    assert restored.fetchone()[0] == stale[1]
    conn.close()

"""Stored bodies: gzip for an archive's first article pages, then zstd with a dictionary."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import memory_archive
from test_store import capture

from lpscrape.archive.payloads import TRAIN_AFTER, capture_body
from lpscrape.archive.schema import PAGE_SIZE
from lpscrape.archive.store import Archive

TEXT = "Talks on the {n}th draft began on Monday and went on late into the night at the palace."


def page(n: int, day: int = 10):
    """The test page, a distinct text each time (no two captures share their bytes)."""
    return capture(f"Envoys meet, round {n}", TEXT.format(n=n), f"2025-09-{day}T14:00:00+00:00")


@pytest.fixture
def archive() -> Archive:
    return memory_archive()


def stored(archive: Archive) -> list[tuple[int, int, int, int | None]]:
    """Per capture: id, gzip size, zstd size, dictionary."""
    return archive.db.execute(
        "SELECT id, length(body_gzip), length(body_zstd), zstd_dict_id FROM captures ORDER BY id"
    ).fetchall()


def test_a_dictionary_is_trained_once_enough_pages_are_stored(archive: Archive) -> None:
    pages = [page(n) for n in range(TRAIN_AFTER + 8)]
    for p in pages:
        archive.add(p, 1)
    archive.commit()
    rows = stored(archive)
    assert all(gz and zst is None for _, gz, zst, _ in rows[:TRAIN_AFTER])
    assert all(gz is None and zst and d == 1 for _, gz, zst, d in rows[TRAIN_AFTER:])
    assert archive.db.execute("SELECT id, samples FROM capture_dicts").fetchall() == [
        (1, TRAIN_AFTER)
    ]
    # The template is in the dictionary: each page keeps little more than its own words.
    gzip_mean = sum(r[1] for r in rows[:TRAIN_AFTER]) / TRAIN_AFTER
    assert max(r[2] for r in rows[TRAIN_AFTER:]) < gzip_mean / 2
    assert [c.body for _, _, c in archive.captures()] == [p.body for p in pages]
    assert [capture_body(archive.db.conn, r[0]) for r in rows] == [p.body for p in pages]


def test_a_later_session_uses_the_archives_dictionary(archive: Archive) -> None:
    for n in range(TRAIN_AFTER + 1):
        archive.add(page(n), 1)
    archive.commit()
    later = Archive(archive.db)
    later.add(page(999, day=11), 1)
    later.commit()
    assert stored(later)[-1][1:][2] == 1
    assert archive.db.execute("SELECT count(*) FROM capture_dicts").fetchone() == (1,)
    assert list(later.captures())[-1][2].body == page(999, day=11).body


def test_a_rolled_back_dictionary_is_never_referred_to(archive: Archive) -> None:
    for n in range(TRAIN_AFTER - 1):
        archive.add(page(n), 1)
    archive.commit()
    archive.add(page(100), 1)
    archive.add(page(101), 1)  # trains a dictionary inside the batch
    archive.rollback()
    archive.add(page(102), 1)
    archive.add(page(103), 1)
    archive.commit()
    refs = archive.db.execute(
        "SELECT count(*) FROM captures c WHERE zstd_dict_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM capture_dicts d WHERE d.id = c.zstd_dict_id)"
    ).fetchone()
    assert refs == (0,)
    assert stored(archive)[-1][3] is not None  # trained again, in a batch that was kept
    assert [c.body for _, _, c in archive.captures()][-1] == page(103).body


def test_a_new_archive_has_pages_that_hold_several_rows(tmp_path: Path) -> None:
    archive = Archive.open(tmp_path / "archive.db")
    assert archive.db.execute("PRAGMA page_size").fetchone() == (PAGE_SIZE,)
    assert PAGE_SIZE >= 8192
    archive.close()

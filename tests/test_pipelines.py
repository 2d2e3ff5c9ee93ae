"""The pipelines' glue: an extractor crash costs the record, never the capture."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpscrape import worker
from lpscrape.archive.reparse import reparse
from lpscrape.archive.store import Archive
from lpscrape.items import Capture


def test_extractor_crash_keeps_the_capture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a page the extractor chokes on")

    monkeypatch.setattr(worker, "extract_article", broken)
    item = Capture(url="https://lordspress.example/a/", status=200, body=b"<html>", kind="article")
    item.fetched_at = "2025-09-10T14:00:00+00:00"
    archive = Archive.open(tmp_path / "archive.db")
    run, _ = archive.start_run("https://lordspress.example/", "incremental")
    stored = worker.store(archive, item, run)  # what the store worker and the pipeline call
    archive.commit()
    assert stored.extract_error and stored.record is None
    assert stored.outcome.kind == "not_article"
    assert archive.db["captures"].count == 1


def test_a_crashing_reparse_leaves_the_archive_as_it_was(
    monkeypatch: pytest.MonkeyPatch, demo_archive: Path, tmp_path: Path
) -> None:
    import shutil

    from lpscrape.archive import reparse as reparse_module

    db = tmp_path / "copy.db"
    shutil.copy(demo_archive, db)
    archive = Archive.open(db)
    before = archive.db.execute("SELECT url, version, content_hash FROM articles").fetchall()
    versions = archive.db["article_versions"].count
    changes = archive.db.execute("SELECT * FROM article_changes ORDER BY id").fetchall()
    real = reparse_module.extract_article
    calls = 0

    def flaky(*args: object, **kwargs: object):
        nonlocal calls
        calls += 1
        if calls == 10:
            raise RuntimeError("the extractor broke half way")
        return real(*args, **kwargs)

    monkeypatch.setattr(reparse_module, "extract_article", flaky)
    with pytest.raises(RuntimeError):
        reparse(archive)
    archive.close()
    after = Archive.open(db)
    assert after.db.execute("SELECT url, version, content_hash FROM articles").fetchall() == before
    assert after.db["article_versions"].count == versions == 59
    assert after.db.execute("SELECT * FROM article_changes ORDER BY id").fetchall() == changes

"""The pipelines' glue: an extractor crash costs the record, never the capture."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpscrape import worker
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

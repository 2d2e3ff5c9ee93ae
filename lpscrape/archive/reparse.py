"""Offline re-extraction: rebuild articles and versions from the stored captures alone."""

from __future__ import annotations

from collections import Counter

from lpscrape.extract import extract_article

from .changes import rebuild_changes
from .store import Archive


def reparse(archive: Archive) -> Counter[str]:
    """Re-extract every stored capture in fetch order, in one transaction; returns outcomes."""
    outcomes: Counter[str] = Counter()
    try:
        archive.clear_articles()
        for capture_id, run_id, capture in archive.captures():
            if capture.kind == "article" and capture.status == 200 and not capture.failure:
                capture.record = extract_article(
                    capture.body,
                    capture.url,
                    content_type=capture.header("Content-Type"),
                    discovered=capture.discovered_via,
                )
                archive.set_capture_extraction(capture_id, capture)
            outcomes[archive.apply(capture, capture_id, run_id).kind] += 1
        rebuild_changes(archive.db)
    except BaseException:
        archive.rollback()  # all or nothing: a half-rebuilt archive is worse than the old one
        raise
    archive.commit()
    return outcomes

"""The benchmarks' smoke mode runs end to end and writes its report, so the harness cannot
rot (no timing is asserted: the figures of a smoke run mean nothing)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_make_bench_smoke_writes_the_report(tmp_path: Path) -> None:
    """Crawl, reparse and Datasette benchmarks on a few dozen pages, then BENCHMARKS.md."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import report
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    out = report.main(["--smoke", "--out", str(tmp_path / "BENCHMARKS.md")])
    crawl, reparse, latency = out["crawl"], out["reparse"], out["latency"]
    assert crawl["figures"]["lpscrape"]["stored"] == crawl["articles"]
    assert crawl["figures"]["minimal"]["stored"] == crawl["articles"]
    assert set(crawl["ratios"]) >= {"pages_per_s_vs_minimal", "bytes_per_article_vs_minimal"}
    assert crawl["recrawl"]["bytes_share"] < 0.05
    assert "captures (raw pages)" in crawl["bytes_breakdown"]["lpscrape"]
    assert reparse["pages"] == 40
    assert set(reparse["rates"]) == {"reparse", "reparse_1", "extract_alone"}
    assert set(latency["pages"]) >= {"table page", "frequent-word search", "article page"}
    assert all(
        v["plain"] > 0 for k, v in latency["pages"].items() if k != "canned query (by_dateline)"
    )
    text = (tmp_path / "BENCHMARKS.md").read_text()
    assert text == out["text"]
    for needle in ("Machine: ", "nproc", "Scrapy", "SQLite", "served by", "## Targets"):
        assert needle in text
    assert text.count("| met |") + text.count("| **missed** |") == len(report.TARGETS)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_distributed_bench_smoke() -> None:
    """A few dozen pages through one and two crawlers, then the writer, over a real Redis."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import distributed_bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    out = distributed_bench.main(["--smoke"])
    assert out["articles"] == 40 and set(out["rounds"]) == {"1", "2"}
    assert all(r["writer_articles_per_s"] > 0 for r in out["rounds"].values())

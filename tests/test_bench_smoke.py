"""The crawl benchmark's smoke mode runs end to end, so the harness cannot rot (no timing)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_crawl_bench_smoke(tmp_path: Path) -> None:
    """A few dozen pages through lpscrape, the minimal pipeline and bare Scrapy."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import crawl_bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    out = crawl_bench.main(["--smoke", "--json", str(tmp_path / "bench.json")])
    figures = out["figures"]
    assert figures["lpscrape"]["stored"] == out["articles"]
    assert figures["minimal"]["stored"] == out["articles"]
    assert set(out["ratios"]) >= {"pages_per_s_vs_minimal", "bytes_per_article_vs_minimal"}
    assert out["recrawl"]["bytes_share"] < 0.05
    assert (tmp_path / "bench.json").exists()


def test_reparse_bench_smoke() -> None:
    """A few dozen captures reparsed on every core, on one, and extracted alone."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import reparse_bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    out = reparse_bench.main(["--smoke"])
    assert out["pages"] == 40
    assert set(out["rates"]) == {"reparse", "reparse_1", "extract_alone"}


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

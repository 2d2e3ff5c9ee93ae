"""The crawl benchmark's smoke mode runs end to end, so the harness cannot rot (no timing)."""

from __future__ import annotations

import sys
from pathlib import Path

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

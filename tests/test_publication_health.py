"""Several publications in one archive: each judged by its own runs, each sampled in full."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import query, run_cli

from lpscrape.demo import DemoSite, serve


def test_each_publication_has_its_own_sample_and_its_own_baseline(tmp_path: Path) -> None:
    db, sites = tmp_path / "archive.db", tmp_path / "sites.txt"
    with serve(DemoSite()) as alpha, serve(DemoSite(edition=2)) as beta:
        sites.write_text(f"alpha {alpha.base_url}/\nbeta {beta.base_url}/\n", encoding="utf-8")
        crawl = ("crawl", "--sites", str(sites), "--db", str(db), "--delay", "0")
        assert run_cli(*crawl).returncode == 0  # runs 1 (alpha) and 2 (beta)
        starts = len(alpha.site.requests), len(beta.site.requests)
        result = run_cli(*crawl)  # incremental: runs 3 (alpha) and 4 (beta)
        assert result.returncode == 0, result.stderr[-2000:]
        reads = [
            [r for r in server.site.requests[start:] if r.path.startswith("/20")]
            for server, start in zip((alpha, beta), starts, strict=True)
        ]
    # The nightly health sample (40) is read on each publication, not shared between them.
    assert [len(r) for r in reads] == [40, 40]
    assert query(db, "SELECT run_id, reread FROM run_health ORDER BY run_id")[2:] == [
        (3, 40),
        (4, 40),
    ]
    # Each run is compared with its own publication's runs only.
    baselines = query(db, "SELECT run_id, baseline_runs FROM run_health ORDER BY run_id")[2:]
    assert [(run, json.loads(runs)) for run, runs in baselines] == [(3, [1]), (4, [2])]

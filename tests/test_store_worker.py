"""The extract+store worker process: the same archive as storing in the crawl process."""

from __future__ import annotations

from pathlib import Path

from conftest import crawl, query

from lpscrape.demo import DemoSite, serve

CONTENT = (
    "SELECT url, version, content_hash, title, body_text, authors, categories, tags, "
    "extraction_method, extraction_warnings, status FROM articles ORDER BY url"
)
RUN = (
    "SELECT outcome, new, changed, unchanged, not_modified, failed, held, warning_count, "
    "warnings, alerts, failures FROM crawl_runs ORDER BY id"
)


def test_the_worker_stores_what_the_crawl_process_would(tmp_path: Path) -> None:
    worker, inline = tmp_path / "worker.db", tmp_path / "inline.db"
    with serve(DemoSite()) as server:
        crawl(server, worker)
        crawl(server, inline, "--set", "LPSCRAPE_STORE_WORKER=False")
        server.site.edition = 2  # no health sample: which pages it re-reads depends on timing
        crawl(server, worker, "--set", "LPSCRAPE_HEALTH_SAMPLE=0")
        crawl(
            server,
            inline,
            "--set",
            "LPSCRAPE_HEALTH_SAMPLE=0",
            "--set",
            "LPSCRAPE_STORE_WORKER=False",
        )
    assert query(worker, CONTENT) == query(inline, CONTENT)
    assert len(query(worker, CONTENT)) == 51
    assert query(worker, RUN) == query(inline, RUN)
    assert query(worker, "SELECT count(*) FROM article_versions") == query(
        inline, "SELECT count(*) FROM article_versions"
    )
    health = "SELECT run_id, articles FROM run_health ORDER BY run_id"
    assert query(worker, health) == query(inline, health)

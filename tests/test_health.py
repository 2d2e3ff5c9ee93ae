"""Drift rules as pure functions: records in, findings out; no crawl, no database."""

from __future__ import annotations

import math

import pytest

from lpscrape.extract import Article, Weather
from lpscrape.health import (
    FIELDS,
    DriftRules,
    RunHealth,
    alert_paragraph,
    binomial_cdf,
    detect_drift,
    quantiles,
)

RULES = DriftRules()


def record(n: int, *, byline: bool = True, dateline: bool = True, words: int = 300) -> Article:
    """A complete article record, with what a theme change may take away."""
    a = Article(url=f"https://lp.example/2025/09/{n:02d}/story-{n}/", canonical_url="")
    a.title, a.published_at, a.categories, a.tags = (
        f"Story {n}",
        "2025-09-01T10:00:00+00:00",
        ["D"],
        ["T"],
    )
    if byline:
        a.authors, a.byline = ["Jane Doe"], "Jane Doe"
    a.dateline = "ANTWERP" if dateline else None
    a.body_text, a.word_count = "word " * words, words
    a.weather = Weather(condition="Mist", temperature_c=11.0)
    a.extraction.sources = {
        "title": "theme", "authors": "jsonld", "published_at": "jsonld", "body_text": "theme",
        "categories": "theme", "tags": "theme", "dateline": "text-pattern",
        "weather": "header-widget",
    }  # fmt: skip
    return a


def run(records: list[Article], found: int | None = None) -> RunHealth:
    health = RunHealth()
    for r in records:
        health.add(r, r.url)
    health.found = len(records) if found is None else found
    return health


def healthy_baseline(runs: int = 3, articles: int = 40, dateline_share: float = 0.8) -> list:
    """Figures of past healthy runs as the archive would read them back."""
    with_dateline = round(articles * dateline_share)
    past = [record(i, dateline=i < with_dateline) for i in range(articles)]
    return [run(past).figures(run_id) for run_id in range(1, runs + 1)]


def test_binomial_cdf_matches_the_exact_sum() -> None:
    exact = sum(math.comb(20, i) * 0.8**i * 0.2 ** (20 - i) for i in range(13))
    assert math.isclose(binomial_cdf(12, 20, 0.8), exact, rel_tol=1e-9)
    assert binomial_cdf(20, 20, 0.3) == 1.0
    assert binomial_cdf(19, 20, 1.0) == 0.0


def test_a_field_emptied_on_a_share_of_pages_is_found_with_its_figures() -> None:
    records = [record(i, byline=i >= 10) for i in range(48)]
    findings = detect_drift(run(records), healthy_baseline(), RULES)
    fills = {f.field: f for f in findings if f.kind == "fill"}
    assert set(fills) == {"authors", "byline"}
    assert (fills["authors"].before, fills["authors"].count, fills["authors"].measured) == (
        1.0,
        38,
        48,
    )
    assert fills["authors"].examples == [records[i].url for i in range(3)]


@pytest.mark.parametrize("name", FIELDS)
def test_any_one_field_emptied_on_a_third_of_the_pages_is_named(name: str) -> None:
    def full(n: int) -> Article:
        a = record(n)
        a.modified_at = "2025-09-02T10:00:00+00:00"  # every field filled in the healthy runs
        return a

    baseline = [run([full(i) for i in range(40)]).figures(r) for r in (1, 2, 3)]
    records = [full(i) for i in range(48)]
    for a in records[:16]:
        setattr(a, name, [] if isinstance(getattr(a, name), list) else None)
    findings = detect_drift(run(records), baseline, RULES)
    assert [(f.field, f.kind, f.count) for f in findings] == [(name, "fill", 32)]


def test_sampling_noise_in_a_small_sample_is_not_drift() -> None:
    # 13 datelines in 20 articles where 80% is usual: 65%, a 15-point fall, but chance can
    # do that (p = 0.09): not an alarm.
    records = [record(i, dateline=i < 13) for i in range(20)]
    assert detect_drift(run(records), healthy_baseline(dateline_share=0.8), RULES) == []


def test_a_run_below_the_minimum_sample_is_not_judged_on_its_fields() -> None:
    records = [record(i, byline=False) for i in range(3)]  # every byline gone, 3 articles
    assert detect_drift(run(records, found=40), healthy_baseline(), RULES) == []


def test_a_fall_in_the_same_share_is_drift_on_a_larger_sample() -> None:
    records = [record(i, dateline=i < 13) for i in range(20)]  # 65% of 20: not drift
    bigger = records * 5  # 65 of 100: chance does that with p = 0.0003
    assert detect_drift(run(records), healthy_baseline(), RULES) == []
    assert [f.field for f in detect_drift(run(bigger), healthy_baseline(), RULES)] == ["dateline"]


def test_no_baseline_no_comparison() -> None:
    records = [record(i, byline=False) for i in range(48)]
    assert detect_drift(run(records), healthy_baseline(runs=2), RULES) == []


def test_a_collapsed_body_is_drift() -> None:
    records = [record(i, words=100 + i) for i in range(30)]
    records[7].word_count = 12  # the shortest bodies are the examples, shortest first
    records[19].word_count = 30
    health = run(records)
    findings = detect_drift(health, healthy_baseline(), RULES)
    assert [(f.field, f.kind, f.before, f.after) for f in findings] == [
        ("body_text", "body", 300.0, 113.0)
    ]
    assert findings[0].examples[:3] == [records[7].url, records[19].url, records[0].url]
    # The distributed writer keeps a run's health between batches: the examples too.
    assert RunHealth.from_state(health.to_state()).shortest == health.shortest


def test_the_fallback_doing_the_work_is_drift() -> None:
    records = [record(i) for i in range(30)]
    for r in records[:8]:
        r.extraction.sources["body_text"] = "fallback"
        r.extraction.method = "fallback"
    findings = detect_drift(run(records), healthy_baseline(), RULES)
    assert [(f.field, f.kind, f.count) for f in findings] == [("body_text", "fallback", 8)]


def test_articles_found_falling_to_zero_is_drift_even_with_nothing_read() -> None:
    findings = detect_drift(run([], found=0), healthy_baseline(), RULES)
    assert [(f.field, f.kind, f.before, f.after) for f in findings] == [
        ("articles", "found", 40, 0)
    ]


def test_fields_lost_by_articles_read_again_need_no_baseline() -> None:
    health = run([record(i) for i in range(12)])
    health.reread = 12
    health.fields["dateline"].lost = 4
    health.fields["dateline"].lost_examples = ["https://lp.example/a/", "https://lp.example/b/"]
    findings = detect_drift(health, [], RULES)
    assert [(f.field, f.kind, f.count, f.measured) for f in findings] == [
        ("dateline", "lost", 4, 12)
    ]
    health.fields["dateline"].lost = 2  # fewer than LPSCRAPE_DRIFT_MIN_PAGES
    assert detect_drift(health, [], RULES) == []


def test_the_alert_is_one_paragraph_naming_fields_figures_and_examples() -> None:
    records = [record(i, byline=i >= 10, dateline=i < 24) for i in range(48)]
    baseline = healthy_baseline()
    findings = detect_drift(run(records), baseline, RULES)
    text = alert_paragraph(9, run(records), baseline, findings)
    assert "\n" not in text
    assert text.startswith("Run 9 drifted against the median of the last 3 healthy runs (1, 2, 3)")
    assert "authors filled on 79% of articles (38 of 48), down from 100%" in text
    assert "dateline filled on 50% of articles (24 of 48), down from 80%" in text
    assert records[24].url in text
    assert "lpscrape status --accept 9" in text


def test_body_quantiles_are_nearest_rank() -> None:
    assert quantiles([10, 20, 30, 40, 50]) == {
        0.1: 10.0,
        0.25: 20.0,
        0.5: 30.0,
        0.75: 40.0,
        0.9: 50.0,
    }
    assert quantiles([])[0.5] is None

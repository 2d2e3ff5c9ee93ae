"""Per-run field health and drift: pure functions over a run's records and past runs' figures.

A run's health is measured over the articles it extracted in full (new, changed and
unchanged re-fetches; a `304` or a skip has nothing to measure). Drift compares it with the
median of the last healthy runs, field by field, and only where the difference is both large
and unlikely to be the luck of the sample (a one-sided binomial test), so a small run never
raises a false alarm.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from lpscrape.extract import Article

# The fields whose health is tracked, in the order they are shown.
FIELDS = (
    "title",
    "authors",
    "byline",
    "dateline",
    "published_at",
    "modified_at",
    "body_text",
    "categories",
    "tags",
    "weather",
)
# Fields a correct page always has: an empty one counts toward the fixed-share alert.
KEY_FIELDS = ("title", "published_at", "body_text", "authors")
# The layer behind each source name the extractor records in `extraction.sources`.
LAYERS = {
    "jsonld": "jsonld",
    "microdata": "jsonld",
    "meta": "meta",
    "theme": "theme",
    "post-class": "theme",
    "header-widget": "theme",
    "visible-text": "text",
    "text-pattern": "text",
    "permalink": "text",
    "htmldate": "fallback",
    "fallback": "fallback",
    "rest-api": "api",
}
EXAMPLES = 3  # example URLs kept per finding
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def is_filled(record: Article, name: str) -> bool:
    """True when the record has a value for the field."""
    if name == "weather":
        w = record.weather
        return bool(w and (w.condition or w.temperature_c is not None))
    return bool(getattr(record, name))


def source_of(record: Article, name: str) -> str | None:
    """The extractor's source name for a filled field (the byline shares the authors')."""
    sources = record.extraction.sources
    if name == "byline":
        return sources.get("authors")
    return sources.get(name)


def layer_of(source: str | None) -> str:
    """The layer (jsonld, meta, theme, text, fallback, api) of a source name."""
    return LAYERS.get(source or "", "other")


def quantiles(values: Sequence[int]) -> dict[float, float | None]:
    """The QUANTILES of `values` (nearest rank), None for an empty run."""
    ordered = sorted(values)
    if not ordered:
        return dict.fromkeys(QUANTILES)
    last = len(ordered) - 1
    return {q: float(ordered[round(q * last)]) for q in QUANTILES}


@dataclass
class FieldHealth:
    """One field over one run: how often it was filled, by which layer, what was lost."""

    field: str
    measured: int = 0
    filled: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    fallback: int = 0  # filled by a fallback layer (generic extractor, htmldate)
    missing_examples: list[str] = field(default_factory=list)
    fallback_examples: list[str] = field(default_factory=list)
    lost: int = 0  # re-read articles that had the field and lost it this run
    lost_examples: list[str] = field(default_factory=list)
    lost_of: int | None = None  # articles read again in the sections of those that lost it
    baseline: float | None = None  # median fill rate of the baseline runs
    baseline_fallback: float | None = None
    drifted: bool = False

    @property
    def fill_rate(self) -> float | None:
        """Share of the measured articles with the field, None when nothing was measured."""
        return self.filled / self.measured if self.measured else None

    @property
    def fallback_share(self) -> float | None:
        """Share of the measured articles whose field came from a fallback layer."""
        return self.fallback / self.measured if self.measured else None

    @property
    def layer(self) -> str | None:
        """The layer that produced the field most often this run."""
        layers: Counter[str] = Counter()
        for source, count in self.sources.items():
            layers[layer_of(source)] += count
        return layers.most_common(1)[0][0] if layers else None


@dataclass
class RunFigures:
    """What a past run's health says, as stored: the baseline's unit."""

    run_id: int
    articles: int
    found: int
    body_median: float | None
    fill: dict[str, float | None]
    fallback: dict[str, float | None]


@dataclass
class Finding:
    """One sign of drift: which field, what kind, the figures before and after, examples."""

    field: str
    kind: str  # fill | lost | fallback | body | found
    before: float
    after: float
    count: int
    measured: int
    examples: list[str] = field(default_factory=list)

    def clause(self) -> str:
        """The finding's figures as a clause of the alert paragraph (without examples)."""
        if self.kind == "fill":
            return (
                f"filled on {self.after:.0%} of articles ({self.count} of {self.measured}), "
                f"down from {self.before:.0%}"
            )
        if self.kind == "lost":
            what = "shrank by more than half on" if self.field == "body_text" else "lost by"
            return f"{what} {self.count} of the {self.measured} articles read again"
        if self.kind == "fallback":
            return (
                f"from the generic fallback on {self.after:.0%} ({self.count} of "
                f"{self.measured}), up from {self.before:.0%}"
            )
        if self.kind == "body":
            return f"median length {self.after:.0f} words, down from {self.before:.0f}"
        return f"fell to {self.after:.0f} from a median of {self.before:.0f}"

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return {
            "field": self.field,
            "kind": self.kind,
            "before": round(self.before, 4),
            "after": round(self.after, 4),
            "count": self.count,
            "measured": self.measured,
            "examples": self.examples,
        }


@dataclass
class RunHealth:
    """One run's field health: built record by record while the crawl runs."""

    fields: dict[str, FieldHealth] = field(
        default_factory=lambda: {name: FieldHealth(name) for name in FIELDS}
    )
    articles: int = 0
    words: list[int] = field(default_factory=list)
    degraded: int = 0  # articles missing a key field or extracted by the fallback
    found: int = 0  # articles the run found (fetched, not modified or skipped)
    reread: int = 0  # articles already in the archive that the run read in full
    shortest: list[tuple[int, str]] = field(default_factory=list)  # (-words, url), a heap

    def add(self, record: Article, url: str) -> None:
        """Count one extracted article."""
        self.articles += 1
        self.words.append(record.word_count or 0)
        shortest = (-(record.word_count or 0), url)  # the few shortest bodies, as examples
        if len(self.shortest) < EXAMPLES:
            heapq.heappush(self.shortest, shortest)
        else:
            heapq.heappushpop(self.shortest, shortest)
        degraded = record.extraction.method != "theme"
        for name, health in self.fields.items():
            health.measured += 1
            if not is_filled(record, name):
                degraded = degraded or name in KEY_FIELDS
                if len(health.missing_examples) < EXAMPLES:
                    health.missing_examples.append(url)
                continue
            health.filled += 1
            source = source_of(record, name)
            health.sources[source or "unknown"] += 1
            if layer_of(source) == "fallback":
                health.fallback += 1
                if len(health.fallback_examples) < EXAMPLES:
                    health.fallback_examples.append(url)
        self.degraded += degraded

    def to_state(self) -> dict[str, Any]:
        """What has been measured so far, as JSON-ready data (the distributed writer keeps it
        with the run between batches)."""
        return {
            "articles": self.articles,
            "degraded": self.degraded,
            "words": sorted(Counter(self.words).items()),
            "fields": {
                name: {
                    "measured": fh.measured,
                    "filled": fh.filled,
                    "sources": dict(fh.sources),
                    "fallback": fh.fallback,
                    "missing_examples": fh.missing_examples,
                    "fallback_examples": fh.fallback_examples,
                }
                for name, fh in self.fields.items()
            },
            "shortest": self.shortest,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> RunHealth:
        """A run's health as `to_state` left it (empty for None)."""
        health = cls()
        if not state:
            return health
        health.articles, health.degraded = state["articles"], state["degraded"]
        health.words = [int(words) for words, n in state["words"] for _ in range(n)]
        health.shortest = [(int(w), str(u)) for w, u in state.get("shortest", [])]
        for name, saved in state["fields"].items():
            fh = health.fields[name]
            fh.measured, fh.filled = saved["measured"], saved["filled"]
            fh.fallback = saved["fallback"]
            fh.sources = Counter(saved["sources"])
            fh.missing_examples = list(saved["missing_examples"])
            fh.fallback_examples = list(saved["fallback_examples"])
        return health

    @property
    def body_quantiles(self) -> dict[float, float | None]:
        """Body length (words) at the 10th, 25th, 50th, 75th and 90th percentiles."""
        return quantiles(self.words)

    def figures(self, run_id: int) -> RunFigures:
        """This run's figures, as a later run will read them back."""
        return RunFigures(
            run_id=run_id,
            articles=self.articles,
            found=self.found,
            body_median=self.body_quantiles[0.5],
            fill={n: h.fill_rate for n, h in self.fields.items()},
            fallback={n: h.fallback_share for n, h in self.fields.items()},
        )


@dataclass(frozen=True)
class DriftRules:
    """When a difference from the baseline counts as drift (settings `LPSCRAPE_DRIFT_*`)."""

    window: int = 7  # the last N healthy runs make the baseline
    min_runs: int = 3  # fewer healthy runs than this: no baseline yet
    min_articles: int = 10  # fewer articles measured than this: fields not judged
    drop: float = 0.15  # a fall in fill rate (or rise of the fallback) of this share of pages
    min_pages: int = 3  # ...touching at least this many articles
    body_shrink: float = 0.5  # median body below this share of the baseline's
    found_share: float = 0.5  # articles found below this share of the baseline's
    significance: float = 0.001  # chance that sampling alone explains a fall

    @classmethod
    def from_settings(cls, getint: Any, getfloat: Any) -> DriftRules:
        """The rules from Scrapy settings (`settings.getint`, `settings.getfloat`)."""
        d = cls()
        return cls(
            window=getint("LPSCRAPE_DRIFT_RUNS", d.window),
            min_runs=getint("LPSCRAPE_DRIFT_MIN_RUNS", d.min_runs),
            min_articles=getint("LPSCRAPE_DRIFT_MIN_ARTICLES", d.min_articles),
            drop=getfloat("LPSCRAPE_DRIFT_DROP", d.drop),
            min_pages=getint("LPSCRAPE_DRIFT_MIN_PAGES", d.min_pages),
            body_shrink=getfloat("LPSCRAPE_DRIFT_BODY_SHRINK", d.body_shrink),
            found_share=getfloat("LPSCRAPE_DRIFT_FOUND_SHARE", d.found_share),
        )


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(n + 1)
    total = 0.0
    for i in range(k + 1):
        log_term = log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p
        total += math.exp(log_term + (n - i) * log_q)
    return min(total, 1.0)


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return median(present) if present else None


def _fewer(filled: int, n: int, base: float, rules: DriftRules) -> bool:
    """Is `filled` of `n` a sharp, significant fall from a fill rate of `base`?"""
    drop = base - filled / n
    excess = base * n - filled
    return (
        drop >= rules.drop
        and excess >= rules.min_pages
        and binomial_cdf(filled, n, base) < rules.significance
    )


def detect_drift(
    health: RunHealth, baseline: Sequence[RunFigures], rules: DriftRules
) -> list[Finding]:
    """What in this run departs from the median of the baseline runs (empty: nothing)."""
    findings: list[Finding] = []
    n = health.articles
    for name, fh in health.fields.items():  # like with like: needs no baseline
        if health.reread < rules.min_articles:
            break
        # A share of the articles read again in the sections where it was lost: a change to
        # one section's template shows on that section's few (in the sample), while a few
        # publisher's edits among a full crawl's thousands raise nothing.
        read = fh.lost_of if fh.lost_of is not None else health.reread
        if fh.lost >= max(rules.min_pages, rules.drop * read):
            findings.append(
                Finding(name, "lost", 1.0, 0.0, fh.lost, health.reread, fh.lost_examples)
            )
            fh.drifted = True
    if len(baseline) < rules.min_runs:
        return _ordered(findings)
    found_before = _median(r.found for r in baseline)
    if (
        found_before is not None
        and found_before >= rules.min_pages
        and health.found < rules.found_share * found_before
    ):
        findings.append(Finding("articles", "found", found_before, health.found, health.found, 0))
    for name, fh in health.fields.items():
        fh.baseline = _median(r.fill.get(name) for r in baseline)
        fh.baseline_fallback = _median(r.fallback.get(name) for r in baseline)
    if n < rules.min_articles:
        return _ordered(findings)
    for name, fh in health.fields.items():
        if fh.baseline is not None and _fewer(fh.filled, n, fh.baseline, rules):
            examples = fh.lost_examples or fh.missing_examples  # those that had it, first
            findings.append(
                Finding(name, "fill", fh.baseline, fh.filled / n, fh.filled, n, examples)
            )
            fh.drifted = True
        base_fb = fh.baseline_fallback
        if base_fb is not None and _fewer(n - fh.fallback, n, 1.0 - base_fb, rules):
            share = fh.fallback / n
            findings.append(
                Finding(name, "fallback", base_fb, share, fh.fallback, n, fh.fallback_examples)
            )
            fh.drifted = True
    body_before = _median(r.body_median for r in baseline)
    body_now = health.body_quantiles[0.5]
    if body_before and body_now is not None and body_now < rules.body_shrink * body_before:
        shortest = [url for _, url in sorted(health.shortest, reverse=True)]  # shortest first
        findings.append(Finding("body_text", "body", body_before, body_now, n, n, shortest))
        health.fields["body_text"].drifted = True
    return _ordered(findings)


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Articles found first, then field by field in FIELDS order."""
    kinds = ("found", "fill", "lost", "fallback", "body")
    order = {name: i for i, name in enumerate(("articles", *FIELDS))}
    return sorted(findings, key=lambda f: (order.get(f.field, 99), kinds.index(f.kind)))


def judge(
    health: RunHealth,
    baseline: list[RunFigures],
    findings: list[Finding],
    rules: DriftRules,
    outcome: str,
    alert_share: float,
) -> tuple[bool | None, str]:
    """The run's verdict: healthy (True), unhealthy (False) or not judged (None), and why."""
    if outcome != "completed":
        return None, f"not judged: the crawl {outcome}"
    if findings:
        fields = ", ".join(dict.fromkeys(f.field for f in findings))
        return False, f"unhealthy: drift in {fields}"
    if health.articles < rules.min_articles:
        return None, (
            f"not judged: {health.articles} articles read in full, fewer than "
            f"{rules.min_articles} (LPSCRAPE_DRIFT_MIN_ARTICLES)"
        )
    share = health.degraded / health.articles
    if share >= alert_share:
        return False, f"unhealthy: extraction degraded on {share:.0%} of its articles"
    if len(baseline) < rules.min_runs:
        return True, f"healthy (no baseline yet: {len(baseline)} of {rules.min_runs} runs)"
    return True, f"healthy against the median of runs {', '.join(str(r.run_id) for r in baseline)}"


def alert_paragraph(
    run_id: int, health: RunHealth, baseline: Sequence[RunFigures], findings: Sequence[Finding]
) -> str:
    """The drift alert in one readable paragraph: the fields, their figures, example URLs."""
    by_field: dict[str, list[Finding]] = {}
    for finding in findings:
        by_field.setdefault(finding.field, []).append(finding)
    parts = []
    for name, group in by_field.items():
        lost = [f for f in group if f.kind == "lost"]
        examples = next((f.examples for f in lost + group if f.examples), [])
        eg = f" (e.g. {', '.join(examples[:2])})" if examples else ""
        parts.append(f"{name} {', and '.join(f.clause() for f in group)}{eg}")
    against = "compared with their previous versions"
    if baseline:
        runs = ", ".join(str(r.run_id) for r in baseline)
        against = f"against the median of the last {len(baseline)} healthy runs ({runs})"
    if any(f.kind != "found" for f in findings):
        advice = (
            "The site's theme has probably changed on some of its pages: open the examples, "
            "adjust the extractor, then run `lpscrape reparse`; if the change is intended, "
            f"`lpscrape status --accept {run_id}` makes this run the new baseline."
        )
    else:
        advice = (
            "Articles the site answered with an error page or a failure are not counted as "
            "found (the run's other alerts count them by reason: many, and the site itself is "
            "failing); otherwise check the start URL, robots.txt and the sitemaps in the run's "
            "log; an article the run marked gone keeps its text (its other alerts say how many)."
        )
    return (
        f"Run {run_id} drifted {against}, over the {health.articles} articles it read: "
        f"{'; '.join(parts)}. {advice}"
    )

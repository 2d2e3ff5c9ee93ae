"""What a run's captures add up to: outcomes, failures by reason, warnings, held versions.

Kept the same way by the single-machine pipeline (one tally per run) and by the distributed
writer (one per batch, added to the run's row).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lpscrape.archive.store import RUN_COUNTERS
from lpscrape.extract import Article
from lpscrape.health import KEY_FIELDS
from lpscrape.items import EARLIER_KINDS, FetchFailure
from lpscrape.run_alerts import EXAMPLES_PER_REASON
from lpscrape.worker import Stored, measured_record


@dataclass
class Tally:
    """Counts of what stored captures and failed fetches meant for a run."""

    counts: Counter[str] = field(default_factory=Counter)  # outcomes: new, changed…
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    warnings: Counter[str] = field(default_factory=Counter)
    held: list[tuple[str | None, str | None]] = field(default_factory=list)
    extra: Counter[str] = field(default_factory=Counter)  # attempts, articles, degraded…

    def failure(self, reason: str, url: str) -> None:
        """One failed fetch, by reason, with the first few URLs as examples."""
        self.failures[reason] += 1
        examples = self.examples.setdefault(reason, [])
        if len(examples) < EXAMPLES_PER_REASON:
            examples.append(url)

    def fetch_failed(self, item: FetchFailure) -> None:
        """A request that ended without a response."""
        self.extra["attempts"] += item.kind == "article"
        self.failure(item.reason, item.url)

    def stored(self, stored: Stored) -> Article | None:
        """Count what one stored capture meant; returns the record the run's health measures
        (an article page served whole and extracted), if it is one."""
        outcome, record = stored.outcome, stored.record
        if stored.kind in EARLIER_KINDS:  # kept as an answer, not a fetch of its own
            return None
        self.extra["extract_errors"] += stored.extract_error
        self.extra["attempts"] += stored.kind == "article" and outcome.kind != "not_article"
        if stored.failure:
            self.failure(stored.failure, stored.requested_url or stored.url)
            return None
        if outcome.kind in RUN_COUNTERS:
            self.counts[outcome.kind] += 1
        if outcome.kind == "held":
            self.held.append((outcome.article_url, outcome.note))
        if outcome.kind in ("new", "changed", "unchanged", "not_modified", "gone"):
            self.extra["refreshed"] += 1
        # A held version was read in full too: its extraction is what went wrong.
        if outcome.kind in ("new", "changed", "unchanged", "held") and record is not None:
            self.extra["articles"] += 1
            self.warnings.update(record.extraction.warnings)
            missing = any(not getattr(record, f) for f in KEY_FIELDS)  # or generic extraction
            self.extra["degraded"] += missing or record.extraction.method != "theme"
        return measured_record(stored)

"""The dateline: the upper-case place before a dash, and nothing else."""

import pytest

from lpscrape.extract.dateline import parse_dateline


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("ANTWERP — The port", "ANTWERP"),
        ("MÜNCHEN — Die", "MÜNCHEN"),
        ("PARIS, France — Ministers", "PARIS, France"),
        ("WASHINGTON (Reuters) – Officials", "WASHINGTON"),
        ("ST. PETERSBURG - A", "ST. PETERSBURG"),
        ("SÃO PAULO — O", "SÃO PAULO"),
        ("LONDON—The", "LONDON"),
    ],
)
def test_datelines(text: str, place: str) -> None:
    assert parse_dateline(text) == place


@pytest.mark.parametrize(
    "text",
    [
        "NATO allies agreed on Tuesday — after long talks — to act.",
        "The King — who arrived late — spoke.",
        "U.S. President Donald Trump — in a statement — said.",
        "In 2025 — a year of change",
        "",
        None,
    ],
)
def test_no_dateline(text: str | None) -> None:
    assert parse_dateline(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "UN — Member states agreed",
        "BREAKING — The palace said",
        "COVID-19 — Rules eased",
        "I — Me",
        "A - B testing is common",
        "EU - UK talks resumed",
        "LONDON, Sept 3 (Reuters) — Talks",  # a date in the region: null rather than wrong
    ],
)
def test_kickers_acronyms_and_dates_are_not_places(text: str) -> None:
    assert parse_dateline(text) is None

"""Retry-After parsing: seconds or an HTTP date."""

from datetime import UTC, datetime

from lpscrape.middlewares import retry_after_seconds

NOW = datetime(2025, 9, 10, 12, 0, 0, tzinfo=UTC)


def test_delta_seconds() -> None:
    assert retry_after_seconds("120", NOW) == 120.0


def test_http_date() -> None:
    assert retry_after_seconds("Wed, 10 Sep 2025 12:00:30 GMT", NOW) == 30.0


def test_past_date_means_now() -> None:
    assert retry_after_seconds("Wed, 10 Sep 2025 11:00:00 GMT", NOW) == 0.0


def test_nonsense_is_ignored() -> None:
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None

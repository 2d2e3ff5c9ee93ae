"""Dates: UTC instants with offsets; local strings are Europe/London, BST or GMT by date."""

from datetime import UTC

import pytest

from lpscrape.extract.dates import (
    parse_instant,
    publication_day,
    to_utc_iso,
    utc_iso,
    zone_names,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-09-10T14:02:11+01:00", "2025-09-10T13:02:11+00:00"),
        ("2025-09-10T14:02:11", "2025-09-10T13:02:11+00:00"),  # BST
        ("2025-01-10T14:02:11", "2025-01-10T14:02:11+00:00"),  # GMT
        ("Friday, September 12, 2025 6:54 AM", "2025-09-12T05:54:00+00:00"),
        ("Sep 10, 2025", "2025-09-09T23:00:00+00:00"),
        ("Wed, 10 Sep 2025 13:02:11 GMT", "2025-09-10T13:02:11+00:00"),
        ("2025-03-30T01:30:00", "2025-03-30T01:30:00+00:00"),  # the hour that BST skips
    ],
)
def test_utc_iso(raw: str, expected: str) -> None:
    assert utc_iso(raw) == expected


def test_rest_api_gmt_dates_have_no_offset() -> None:
    assert utc_iso("2025-09-10T13:02:11", UTC) == "2025-09-10T13:02:11+00:00"


@pytest.mark.parametrize("raw", ["Sep 10", "yesterday", "", None, "2 hours ago"])
def test_no_guessing(raw: str | None) -> None:
    assert utc_iso(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("05/09/2025 07:41", "2025-09-05T06:41:00+00:00"),  # British order: 5 September
        ("2025-09-03 14:02 GMT+1", "2025-09-03T13:02:00+00:00"),  # GMT+1 is UTC+1 to a reader
        ("2025/09/03 10:00", "2025-09-03T09:00:00+00:00"),  # year first stays year first
        ("1 January 2000", "2000-01-01T00:00:00+00:00"),  # every part is the parser's default
        ("Monday 4 March 2024 09.10 GMT", "2024-03-04T09:10:00+00:00"),  # a time with a dot
        ("4.03.2024 GMT", "2024-03-04T00:00:00+00:00"),  # a date with dots stays a date
    ],
)
def test_written_dates_as_a_british_reader_reads_them(raw: str, expected: str) -> None:
    assert utc_iso(raw) == expected


@pytest.mark.parametrize(
    "raw", ["September 2025", "2025", "Published in 2025", "January 2000", "January 2025"]
)
def test_a_missing_day_is_never_filled_in(raw: str) -> None:
    assert utc_iso(raw) is None


@pytest.mark.parametrize(
    ("published_at", "local", "day"),
    [
        ("2025-05-31T23:15:55+00:00", "2025-06-01T00:15:55+01:00", "2025-06-01"),  # BST given
        ("2025-05-31T23:15:55+00:00", "2025-05-31T23:15:55+00:00", "2025-06-01"),  # UTC: London
        ("2025-05-31T23:15:55+00:00", None, "2025-06-01"),
        ("2025-01-31T23:15:55+00:00", None, "2025-01-31"),  # GMT: London is UTC
        ("2025-06-01T03:30:00+00:00", "2025-05-31T23:30:00-04:00", "2025-05-31"),  # New York's
        (None, None, None),
        ("not a date", None, None),
    ],
)
def test_the_publication_day_is_the_publisher_s(
    published_at: str | None, local: str | None, day: str | None
) -> None:
    assert publication_day(published_at, local) == day


@pytest.mark.parametrize(
    ("published_at", "local", "url", "day"),
    [
        # WordPress.com gives UTC; the permalink has the day in the site's zone (Vienna).
        ("2018-12-31T23:11:59+00:00", "2018-12-31T23:11:59+00:00",
         "https://literaturgefluester.wordpress.com/2019/01/01/ins-neue-jahr-4/", "2019-01-01"),
        # West of UTC: late evening in New York is the next day in UTC.
        ("2019-01-01T03:00:00+00:00", "2019-01-01T03:00:00+00:00",
         "https://site.example/2018/12/31/late-night/", "2018-12-31"),
        # A permalink days away from the instant is not the post's day (London's is).
        ("2019-01-01T03:00:00+00:00", None, "https://site.example/2018/06/30/moved/", "2019-01-01"),
        # The page's own offset wins over the permalink.
        ("2019-01-01T03:00:00+00:00", "2019-01-01T04:00:00+01:00",
         "https://site.example/2018/12/31/x/", "2019-01-01"),
    ],
    ids=["east-of-utc", "west-of-utc", "far-permalink", "page-offset"],
)  # fmt: skip
def test_a_permalink_gives_the_day_a_utc_time_does_not(
    published_at: str, local: str | None, url: str, day: str
) -> None:
    assert publication_day(published_at, local, url=url) == day


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        (None, "2024-03-03T09:00:00+00:00"),  # India's, the reading most pages mean
        ("IN", "2024-03-03T09:00:00+00:00"),
        ("IE", "2024-03-03T13:30:00+00:00"),  # Irish Standard Time
        ("IL", "2024-03-03T12:30:00+00:00"),  # Israel's
    ],
)
def test_an_ambiguous_zone_is_read_as_the_page_s_country_means_it(
    region: str | None, expected: str
) -> None:
    dt = parse_instant("Mar 3, 2024, 14:30 IST", zones=zone_names(region))
    assert dt is not None and to_utc_iso(dt) == expected

"""Dates: every instant stored as ISO 8601 in UTC, local strings read as Europe/London."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

LONDON = ZoneInfo("Europe/London")


def _fixed(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


# Zone abbreviations pages print; each names one offset (dateutil warns and drops them).
TZINFOS: dict[str, tzinfo] = {
    "GMT": UTC, "UTC": UTC, "Z": UTC, "UT": UTC, "BST": _fixed(1), "IST": _fixed(5.5),
    "WET": UTC, "WEST": _fixed(1), "CET": _fixed(1), "CEST": _fixed(2), "MEZ": _fixed(1),
    "MESZ": _fixed(2), "EET": _fixed(2), "EEST": _fixed(3), "MSK": _fixed(3),
    "EST": _fixed(-5), "EDT": _fixed(-4), "CST": _fixed(-6), "CDT": _fixed(-5),
    "MST": _fixed(-7), "MDT": _fixed(-6), "PST": _fixed(-8), "PDT": _fixed(-7),
    "AKST": _fixed(-9), "AKDT": _fixed(-8), "HST": _fixed(-10), "AST": _fixed(-4),
    "ADT": _fixed(-3), "NST": _fixed(-3.5), "NDT": _fixed(-2.5), "JST": _fixed(9),
    "KST": _fixed(9), "HKT": _fixed(8), "SGT": _fixed(8), "AWST": _fixed(8),
    "ACST": _fixed(9.5), "ACDT": _fixed(10.5), "AEST": _fixed(10), "AEDT": _fixed(11),
    "NZST": _fixed(12), "NZDT": _fixed(13),
}  # fmt: skip
# Abbreviations that name another zone in the page's own country (its `lang="en-IE"`,
# `og:locale`); without one, the reading above, the one most pages that print it mean.
_REGIONAL: dict[str, dict[str, tzinfo]] = {
    "IE": {"IST": _fixed(1)},  # Irish Standard Time, the summer's
    "IL": {"IST": _fixed(2), "IDT": _fixed(3)},
    "CN": {"CST": _fixed(8)}, "TW": {"CST": _fixed(8)}, "HK": {"CST": _fixed(8)},
    "CU": {"CST": _fixed(-5)},
    "BD": {"BST": _fixed(6)},
    **{country: {"AST": _fixed(3)} for country in ("SA", "KW", "IQ", "BH", "QA", "YE")},
}  # fmt: skip


@lru_cache(maxsize=64)
def zone_names(region: str | None = None) -> dict[str, tzinfo]:
    """The zone abbreviations as a page from `region` (ISO country code) means them."""
    return {**TZINFOS, **_REGIONAL.get(region or "", {})}


_COMPACT_ISO = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?=T|\s*$)")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_YEAR_FIRST = re.compile(r"\s*\d{4}[-/.]")
_GMT_OFFSET = re.compile(r"\s*\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b")
_DEFAULT_A = datetime(2000, 1, 1)
_DEFAULT_B = datetime(2001, 2, 2)


def parse_instant(
    raw: str | None, default_tz: tzinfo | None = LONDON, zones: dict[str, tzinfo] | None = None
) -> datetime | None:
    """An aware datetime from an ISO or human date string; strings without an offset are local
    (`default_tz`; None leaves them naive, to tell whether the page gave a zone); zone
    abbreviations read as `zones` says (default: `zone_names()`)."""
    if not isinstance(raw, str):
        return None
    raw = _COMPACT_ISO.sub(r"\1-\2-\3", raw)  # 20200316T13:00:00Z
    if not _YEAR.search(raw):
        return None  # dateutil would fill a missing year from today's date: never guess
    try:
        dt = datetime.fromisoformat(raw.strip())  # the common case, and 20x cheaper
    except ValueError:
        dt = _parse_human(raw, zones or TZINFOS)
        if dt is None:
            return None
    if not 1990 <= dt.year <= 2100:
        return None
    if dt.tzinfo is None and default_tz is not None:
        dt = dt.replace(tzinfo=default_tz)
    return dt


# Month names of the languages WordPress sites write in most, for dateutil (English only).
_MONTHS = {
    "januar": "January", "jänner": "January", "janvier": "January", "enero": "January",
    "gennaio": "January", "januari": "January", "februar": "February", "février": "February",
    "febrero": "February", "febbraio": "February", "februari": "February", "märz": "March",
    "mars": "March", "marzo": "March", "maart": "March", "avril": "April", "abril": "April",
    "aprile": "April", "mai": "May", "mayo": "May", "maggio": "May", "mei": "May",
    "juni": "June", "juin": "June", "junio": "June", "giugno": "June", "juli": "July",
    "juillet": "July", "julio": "July", "luglio": "July", "august": "August", "août": "August",
    "agosto": "August", "augustus": "August", "september": "September",
    "septembre": "September", "septiembre": "September", "settembre": "September",
    "oktober": "October", "octobre": "October", "octubre": "October", "ottobre": "October",
    "november": "November", "novembre": "November", "noviembre": "November",
    "dezember": "December", "décembre": "December", "diciembre": "December",
    "dicembre": "December",
}  # fmt: skip
# Portuguese, Swedish, Polish, Czech, Turkish, Russian, Greek and Arabic, each month in the
# forms a date is written with ("3 marca", "7. března", "3 марта", "10 Οκτωβρίου").
_MORE_MONTHS = (
    "janeiro styczeń stycznia leden ledna ocak январь января ιανουάριος ιανουαρίου يناير",
    "fevereiro luty lutego únor února şubat февраль февраля φεβρουάριος φεβρουαρίου فبراير",
    "março marzec marca březen března mart март марта μάρτιος μαρτίου مارس",
    "kwiecień kwietnia duben dubna nisan апрель апреля απρίλιος απριλίου أبريل",
    "maio maj maja květen května mayıs май мая μάιος μαΐου μαίου مايو",
    "junho czerwiec czerwca červen června haziran июнь июня ιούνιος ιουνίου يونيو",
    "julho lipiec lipca červenec července temmuz июль июля ιούλιος ιουλίου يوليو",
    "augusti sierpień sierpnia srpen srpna ağustos август августа αύγουστος αυγούστου أغسطس",
    "setembro wrzesień września září eylül сентябрь сентября σεπτέμβριος σεπτεμβρίου سبتمبر",
    "outubro październik października říjen října ekim октябрь октября οκτώβριος οκτωβρίου أكتوبر",
    "listopad listopada listopadu kasım ноябрь ноября νοέμβριος νοεμβρίου نوفمبر",
    "dezembro grudzień grudnia prosinec prosince aralık декабрь декабря δεκέμβριος"
    " δεκεμβρίου ديسمبر",
)
_ENGLISH = ("January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December")  # fmt: skip
for _english, _words in zip(_ENGLISH, _MORE_MONTHS, strict=True):
    _MONTHS.update(dict.fromkeys(_words.split(), _english))
# Every month's name, in every language above: never a person's name.
MONTH_NAMES = frozenset([*_MONTHS, *(m.lower() for m in _ENGLISH)])
_MONTH_WORD = re.compile(r"[^\W\d_]{3,}")
_SWEDISH_TIME = re.compile(r"\bkl\.?\s*(\d{1,2})[.:](\d{2})\b")  # "kl. 14.30"
_H_TIME = re.compile(r"(?<![\d.])(\d{1,2})h(\d{2})\b")  # Portuguese, French "14h30"
# British "09.10 GMT", "2.30 pm": a time with a dot, told from a date by the zone or am/pm after it.
_DOT_TIME = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{2})(?=\s*(?:[AaPp]\.?[Mm]\b|[A-Z]{2,5}\b))")


def _english_months(raw: str) -> str:
    raw = _MONTH_WORD.sub(lambda m: _MONTHS.get(m[0].casefold(), m[0]), raw)
    raw = _H_TIME.sub(r"\1:\2", _SWEDISH_TIME.sub(r" \1:\2", raw))
    return _DOT_TIME.sub(r"\1:\2", raw)


def _parse_human(raw: str, zones: dict[str, tzinfo]) -> datetime | None:
    """A written date; British day-first order; None when the day itself is missing."""
    raw = _english_months(raw)
    # "GMT+1" means UTC+1 to a reader; dateutil follows POSIX and would invert the sign.
    raw = _GMT_OFFSET.sub(lambda m: f" {m[1]}{int(m[2]):02d}:{m[3] or '00'}", raw)
    dayfirst = not _YEAR_FIRST.match(raw)  # 2025-09-03 stays year-month-day
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown zone names: the datetime stays naive
            # A field dateutil had to fill in takes the default's value: parsed again against
            # another default, it differs.
            a = dateparser.parse(
                raw, tzinfos=zones, fuzzy=True, dayfirst=dayfirst, default=_DEFAULT_A
            )
            if a.year == _DEFAULT_A.year or a.month == 1 or a.day == 1:  # may be filled in
                b = dateparser.parse(
                    raw, tzinfos=zones, fuzzy=True, dayfirst=dayfirst, default=_DEFAULT_B
                )
                if (a.year, a.month, a.day) != (b.year, b.month, b.day):
                    return None
    except (ValueError, OverflowError):
        return None
    return a


def to_utc_iso(dt: datetime | None) -> str | None:
    """`2025-09-10T13:02:11+00:00` for an aware datetime."""
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt else None


# A WordPress permalink's date: the post's date in the site's own time zone.
PERMALINK_DAY = re.compile(r"/((?:19|20)\d{2})/(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])/")


def publication_day(
    published_at: str | None, local: str | None = None, zone: tzinfo = LONDON, url: str = ""
) -> str | None:
    """The publication day (`YYYY-MM-DD`) in the publisher's own time zone: the page's offset
    when it gave one other than UTC; else the permalink's `/YYYY/MM/DD/`, which WordPress
    writes in the site's zone, when it is within a day of the instant (WordPress.com and
    Yoast give every time in UTC, whatever the site's zone); else the day in `zone` (Lord's
    Press publishes in London)."""
    if local and not local.endswith(("+00:00", "-00:00", "Z")):
        return local[:10]
    try:
        instant = datetime.fromisoformat(published_at or "")
    except ValueError:
        return None
    if not instant.tzinfo:
        return None
    if linked := PERMALINK_DAY.search(url):
        try:
            day = date(int(linked[1]), int(linked[2]), int(linked[3]))
        except ValueError:  # 2019/02/30
            day = None
        if day and abs((day - instant.astimezone(UTC).date()).days) <= 1:
            return day.isoformat()
    return instant.astimezone(zone).date().isoformat()


def day_start(day: str, zone: tzinfo = LONDON) -> datetime | None:
    """`YYYY-MM-DD` as 00:00 in `zone`."""
    try:
        return datetime.fromisoformat(day[:10]).replace(tzinfo=zone)
    except ValueError:
        return None


def utc_iso(raw: str | None, default_tz: tzinfo = LONDON) -> str | None:
    """A date string as an ISO 8601 UTC instant, or None when it is not a date."""
    return to_utc_iso(parse_instant(raw, default_tz))

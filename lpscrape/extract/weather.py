"""The header weather widget: the conditions when the page was served (it dates the capture)."""

from __future__ import annotations

import re
from datetime import datetime

from lxml.html import HtmlElement

from .dates import LONDON, parse_instant, to_utc_iso
from .html import clean, text_of, xpath
from .record import Weather

_NUM = r"([-−–]?\d+(?:[.,]\d+)?)"
_TEMP = re.compile(_NUM + r"\s*°\s*([CF])")
_HUMIDITY = re.compile(r"Humidity\s*:?\s*(\d+(?:\.\d+)?)\s*%", re.I)
_WIND = re.compile(
    r"Wind(?:\s*Speed)?\s*:?\s*" + _NUM + r"\s*(km/h|kmh|kph|mph|m/s|knots|kn|kt)\b", re.I
)
_CONDITION = re.compile(r"Condition\s*:?\s*([A-Za-z][A-Za-z ,'-]*?)\s*(?=Humidity|Wind|$)", re.I)
_LOCAL_TIME = re.compile(
    r"(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)[a-z]*,?\s+"
    r"[A-Z][a-z]+\.?\s+\d{1,2},?\s+\d{4},?\s+\d{1,2}:\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?"
)
_WIND_TO_KMH = {
    "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "m/s": 3.6,
    "knots": 1.852, "kn": 1.852, "kt": 1.852,
}  # fmt: skip

# Walking the attributes is half the time of testing every element (`//*[contains(@class…)]`).
_WIDGET_XPATH = (
    "//@class[contains(., 'weather') or contains(., 'splw')]/.. | //@id[contains(., 'weather')]/.."
)
_NOT_WIDGETS = {"html", "body", "main", "article", "section"}


def _is_widget(el: HtmlElement) -> bool:
    """A weather plugin's own element, not a page or post that merely files under `weather`."""
    if el.tag in _NOT_WIDGETS:
        return False
    names = (el.get("class") or "").split() + (el.get("id") or "").split()
    return any(
        n == "splw-main-wrapper" or ("weather" in n and not n.startswith(("category-", "tag-")))
        for n in names
    )


def _number(raw: str) -> float:
    return float(raw.replace("−", "-").replace("–", "-").replace(",", "."))


_DEGREE_TEXT = "//text()[contains(., '°')][not(ancestor::script or ancestor::style)]"
_READINGS = (_HUMIDITY, _WIND, _CONDITION)
_CONDITION_WORDS = re.compile(
    r"\b(?:clear|sunny|cloudy|clouds|overcast|rain|showers|drizzle|snow|sleet|fog|mist|"
    r"thunder|storm|haze|fair|windy|breezy)\b",
    re.I,
)
_IN_ARTICLE = "ancestor::p or ancestor::article or ancestor::*[contains(@class, 'entry-content')]"


def _shows_weather(text: str) -> bool:
    """A temperature with at least two other readings: humidity, wind or a condition."""
    if not _TEMP.search(text) or len(text) > 600:
        return False
    readings = sum(bool(r.search(text)) for r in _READINGS)
    return readings + bool(_CONDITION_WORDS.search(text)) >= 2


def find_widget(tree: HtmlElement) -> HtmlElement | None:
    """The outermost element that looks like a weather widget and shows a temperature:
    by the plugin's class names, else by what it shows (outside the article's text)."""
    for el in xpath(tree, _WIDGET_XPATH):
        if _is_widget(el) and _TEMP.search(el.text_content()):
            return el
    for node in xpath(tree, _DEGREE_TEXT):
        el = node.getparent()
        if el is None or xpath(el, _IN_ARTICLE):
            continue
        for _ in range(5):  # the smallest block around the reading that shows the rest
            if el is None or el.tag in _NOT_WIDGETS:
                break
            if _shows_weather(clean(" ".join(el.itertext()))):
                return el
            el = el.getparent()
    return None


_CURRENT = ".//*[contains(@class, 'cur-temp') or contains(@class, 'current-temp')]"


def _current_temperature_text(widget: HtmlElement) -> str | None:
    """The current reading's value and scale: "Feels like" or a forecast may come first."""
    for el in xpath(widget, _CURRENT):
        for scope in (el, el.getparent()):  # the scale may sit in a sibling element
            reading = clean(" ".join(scope.itertext())) if scope is not None else ""
            if _TEMP.search(reading):
                return reading
    return None


def _first_text(widget: HtmlElement, path: str) -> str | None:
    found = xpath(widget, path)
    return text_of(found[0]) if found else None


_CLOCK = re.compile(
    r"\s*(?:[|,–—-]\s*)?(?:\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\b|\d{1,2}:\d{2}|\d).*$", re.S
)
_FAST_TIME = re.compile(
    r"(?P<month>[A-Z][a-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4}),?\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?:(?P<ampm>[AaPp])\.?[Mm]\.?)?\s*$"
)
_MONTH_NAMES = (
    "January February March April May June July August September October November December"
)
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES.split(), 1)}


def _local_time(raw: str | None) -> datetime | None:
    """The widget's clock (`Wednesday, September 10, 2025 2:02 PM`) as London time."""
    if raw and (m := _FAST_TIME.search(raw)) and (month := _MONTHS.get(m["month"])):
        hour = int(m["hour"]) % 12 + (12 if (m["ampm"] or "").lower() == "p" else 0)
        if not m["ampm"]:
            hour = int(m["hour"])
        try:
            return datetime(int(m["year"]), month, int(m["day"]), hour, int(m["minute"]),
                            tzinfo=LONDON)  # fmt: skip
        except ValueError:
            return None
    return parse_instant(raw, LONDON)


def place_name(text: str | None) -> str | None:
    """`"London, UK 14:02"` → `"London, UK"`: the place, never the clock glued on."""
    place = _CLOCK.sub("", text or "").strip(" ,|–—-")
    return place or None


def weather_from_header(
    tree: HtmlElement, html: str | None = None
) -> tuple[Weather | None, str | None]:
    """The widget's readings in metric units, and its local time as raw text."""
    if html is not None and "°" not in html and "&deg;" not in html and "&#176;" not in html:
        return None, None  # no temperature anywhere: no widget to look for
    widget = find_widget(tree)
    if widget is None:
        return None, None
    text = clean(" ".join(widget.itertext()))
    w = Weather()
    if m := _TEMP.search(_current_temperature_text(widget) or text):
        value = _number(m[1])
        w.temperature_c = round((value - 32) * 5 / 9 if m[2] == "F" else value, 1)
    if m := _HUMIDITY.search(text):
        w.humidity_pct = round(float(m[1]))
    if m := _WIND.search(text):
        w.wind_kmh = round(_number(m[1]) * _WIND_TO_KMH[m[2].lower()], 1)
    if m := _CONDITION.search(text):
        w.condition = m[1].strip()
    else:
        desc = _first_text(widget, ".//*[contains(@class, 'desc')]")
        w.condition = desc[:1].upper() + desc[1:] if desc else None
    w.location = place_name(
        _first_text(
            widget,
            ".//*[contains(@class, 'header-title') or contains(@class, 'location')"
            " or contains(@class, 'city')]",
        )
    )
    raw_time = _first_text(widget, ".//*[contains(@class, 'current-time')]")
    if not raw_time and (m := _LOCAL_TIME.search(text)):
        raw_time = m[0]
    w.observed_at = to_utc_iso(_local_time(raw_time))
    return w, raw_time

"""The header weather widget: the conditions when the page was served (it dates the capture)."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .dates import LONDON, parse_instant, to_utc_iso
from .html import clean, text_of
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

_WIDGET_XPATH = (
    "//*[contains(@class, 'weather') or contains(@id, 'weather') or contains(@class, 'splw')]"
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


def find_widget(tree: HtmlElement) -> HtmlElement | None:
    """The outermost element that looks like a weather widget and shows a temperature."""
    for el in tree.xpath(_WIDGET_XPATH):
        if _is_widget(el) and _TEMP.search(el.text_content()):
            return el
    return None


_CURRENT = ".//*[contains(@class, 'cur-temp') or contains(@class, 'current-temp')]"


def _current_temperature_text(widget: HtmlElement) -> str | None:
    """The current reading's value and scale: "Feels like" or a forecast may come first."""
    for el in widget.xpath(_CURRENT):
        for scope in (el, el.getparent()):  # the scale may sit in a sibling element
            reading = clean(" ".join(scope.itertext())) if scope is not None else ""
            if _TEMP.search(reading):
                return reading
    return None


def _first_text(widget: HtmlElement, xpath: str) -> str | None:
    found = widget.xpath(xpath)
    return text_of(found[0]) if found else None


def weather_from_header(tree: HtmlElement) -> tuple[Weather | None, str | None]:
    """The widget's readings in metric units, and its local time as raw text."""
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
    w.location = _first_text(
        widget, ".//*[contains(@class, 'header-title') or contains(@class, 'location')]"
    )
    raw_time = _first_text(widget, ".//*[contains(@class, 'current-time')]")
    if not raw_time and (m := _LOCAL_TIME.search(text)):
        raw_time = m[0]
    w.observed_at = to_utc_iso(parse_instant(raw_time, LONDON))
    return w, raw_time

"""The dateline: the upper-case place that opens an article body (`ANTWERP — …`)."""

from __future__ import annotations

import re

# PLACE[, Region][ (Agency)] then an em dash, en dash, double hyphen or spaced hyphen.
_DATELINE = re.compile(
    r"""^\s*
    (?P<place>[^\W\d_][^,—–()\n]{0,40}?)            # the place, upper-case as printed
    (?:,\s*(?P<region>[^\W\d_][\w .'’-]{0,30}?))?   # optional region: "PARIS, France"
    \s*(?:\((?P<agency>[^()]{1,30})\))?             # optional agency: "(Reuters)"
    \s*(?:—|–|--|\s-\s)""",
    re.VERBOSE,
)
_PLACE_WORD = re.compile(r"^[^\W\d_][^\W\d_.'’-]*(?:[.'’-][^\W\d_]*)*$")
# Upper-case words that open a body but name no place: kickers, agencies, organisations.
NOT_PLACES = {
    "BREAKING", "EXCLUSIVE", "OPINION", "ANALYSIS", "UPDATE", "UPDATED", "WATCH", "LIVE",
    "EDITORIAL", "COMMENT", "REVIEW", "INTERVIEW", "CORRECTION", "NOTE", "EDITOR'S NOTE",
    "UN", "EU", "NATO", "OSCE", "OPEC", "IMF", "WHO", "WTO", "BBC", "CNN", "AP", "AFP",
    "US", "UK", "USA", "G7", "G20", "ASEAN", "OECD",
}  # fmt: skip


def _is_place(place: str) -> bool:
    words = place.split()
    return (
        0 < len(words) <= 4
        and place == place.upper()
        and sum(c.isalpha() for c in place) >= 3
        and place not in NOT_PLACES
        and all(_PLACE_WORD.match(w) for w in words)
    )


def parse_dateline(first_paragraph: str | None) -> str | None:
    """The place as printed (`"PARIS, France"`), or None when the body opens without one."""
    if not first_paragraph:
        return None
    m = _DATELINE.match(first_paragraph)
    if not m or not _is_place(m["place"].strip()):
        return None
    region = m["region"]
    if region and (not region[0].isupper() or any(c.isdigit() for c in region)):
        return None
    return m["place"].strip() + (f", {region.strip()}" if region else "")

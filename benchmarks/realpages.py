"""lpscrape's extractor against htmldate and trafilatura on real pages, scored in one run.

Usage: python benchmarks/realpages.py [--pages DIR] [--wordpress] [--show FIELD] [--json FILE]

The pages and their annotations are other projects' evaluation sets (../shared/realpages,
see its README): nothing there was written or labelled by this project. Scoring follows that
README: per field, only pages with a non-empty expected value; correct / wrong / missing;
a crash counts as missing. It is a benchmark, not a test: users' machines have no such folder.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import htmldate
import trafilatura
from w3lib.encoding import html_to_unicode

from lpscrape.extract import extract_article
from lpscrape.extract.dates import publication_day

DEFAULT_PAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "realpages"
FIELDS = ("date", "authors", "title", "categories", "tags")
_SPLIT = re.compile(r"\s*(?:;|,|&|\band\b|\bund\b|\bet\b|\bi\b|\by\b|\be\b|\bsowie\b)\s*", re.I)
_LEAD = re.compile(r"^(?:by|von|par|door|di|de|por)\s+", re.I)
_SPACE = re.compile(r"\s+")
LONDON = ZoneInfo("Europe/London")


def names(values: list[str] | None) -> frozenset[str]:
    """Author names split and normalised the same way for the gold and for a tool."""
    out = set()
    for value in values or []:
        for part in _SPLIT.split(_LEAD.sub("", value.strip())):
            if part := _SPACE.sub(" ", _LEAD.sub("", part.strip())).casefold():
                out.add(part)
    return frozenset(out)


def terms(values: list[str] | None) -> frozenset[str]:
    """Category or tag names as a casefolded set."""
    return frozenset(_SPACE.sub(" ", v).strip().casefold() for v in values or [] if v.strip())


def title(value: str | None) -> str | None:
    """A title with whitespace collapsed."""
    return _SPACE.sub(" ", value).strip() if value else None


def gold(page: dict[str, Any]) -> dict[str, Any]:
    """The scored expected values of one page (None = not scored)."""
    date = page.get("date_published")
    if page.get("date_published_htmldate"):
        date = None  # the two upstream sets disagree: not scored
    return {
        "date": date or None,
        "authors": names(page.get("authors")) or None,
        "title": title(page.get("title")),
        "categories": terms(page.get("categories")) or None,
        "tags": terms(page.get("tags")) or None,
    }


def ours(html: str, url: str) -> dict[str, Any]:
    """lpscrape's record, reduced to the scored fields."""
    r = extract_article(html, url).to_dict()
    # The day the archive keeps (`articles.published_day`), for a site whose zone is not
    # known (Lord's Press's is London): the day the page gave, else the permalink's; a time
    # given without an offset was read as London's.
    zone = UTC if r["published_at_local"] else LONDON
    return {
        "date": publication_day(r["published_at"], r["published_at_local"], zone, url),
        "authors": names(r["authors"]) or None,
        "title": title(r["title"]),
        "categories": terms(r["categories"]) or None,
        "tags": terms(r["tags"]) or None,
        "_is_article": r["is_article"],
    }


def htmldate_tool(html: str, url: str) -> dict[str, Any]:
    """htmldate's publication date (its recommended setting for the original date)."""
    return {"date": htmldate.find_date(html, original_date=True, url=url)}


def trafilatura_tool(html: str, url: str) -> dict[str, Any]:
    """trafilatura's metadata."""
    m = trafilatura.extract_metadata(html, default_url=url)
    if m is None:
        return {}
    return {
        "date": (m.date or "")[:10] or None,
        "authors": names(m.author.split(";")) if m.author else None,
        "title": title(m.title),
        "categories": terms(m.categories) or None,
        "tags": terms(m.tags) or None,
    }


TOOLS: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "lpscrape": ours,
    "htmldate": htmldate_tool,
    "trafilatura": trafilatura_tool,
}


def load(pages_dir: Path) -> list[tuple[str, dict[str, Any], str]]:
    """(key, annotation, decoded html) of every page, decoded as the crawler would."""
    truth = json.loads((pages_dir / "ground-truth.json").read_text(encoding="utf-8"))["pages"]
    out = []
    for key, page in sorted(truth.items()):
        raw = gzip.decompress((pages_dir / page["file"]).read_bytes())
        _, text = html_to_unicode(None, raw)
        out.append((key, page, text))
    return out


def run(pages: list[tuple[str, dict[str, Any], str]]) -> dict[str, Any]:
    """Every tool over every page: answers, crashes and seconds per tool."""
    answers: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in TOOLS}
    seconds: dict[str, float] = {}
    for name, fn in TOOLS.items():
        start = time.perf_counter()
        for key, page, html in pages:
            try:
                answers[name][key] = fn(html, page["url"])
            except Exception as exc:  # a crash counts as missing
                answers[name][key] = {"_crash": f"{type(exc).__name__}: {exc}"}
        seconds[name] = time.perf_counter() - start
    return {"answers": answers, "seconds": seconds}


def score(pages: list, answers: dict[str, dict[str, Any]], wp_only: bool) -> dict[str, Counter]:
    """Per tool and field: correct, wrong, missing, over pages with an expected value."""
    table: dict[str, Counter] = {name: Counter() for name in answers}
    for key, page, _ in pages:
        if wp_only and not page["wordpress"]:
            continue
        expected = gold(page)
        for name, by_page in answers.items():
            got = by_page.get(key, {})
            for field in FIELDS:
                if expected[field] is None or (name == "htmldate" and field != "date"):
                    continue
                value = got.get(field)
                outcome = (
                    "missing" if not value else "correct" if value == expected[field] else "wrong"
                )
                table[name][f"{field}:{outcome}"] += 1
                table[name][f"{field}:pages"] += 1
    return table


def print_table(title_: str, table: dict[str, Counter]) -> None:
    """Correct / wrong / missing per field and tool."""
    print(f"\n{title_}")
    print(f"{'field':<11} {'pages':>5}  " + "  ".join(f"{n:>21}" for n in table))
    for field in FIELDS:
        pages = max(t[f"{field}:pages"] for t in table.values())
        cells = []
        for t in table.values():
            if not t[f"{field}:pages"]:
                cells.append(f"{'—':>21}")
                continue
            c, w, m = (t[f"{field}:{k}"] for k in ("correct", "wrong", "missing"))
            cells.append(f"{c:>5} ok {w:>4} bad {m:>4} no")
        print(f"{field:<11} {pages:>5}  " + "  ".join(cells))


def show(pages: list, answers: dict[str, dict[str, Any]], field: str, wp_only: bool) -> None:
    """Every page where lpscrape is not right on FIELD, beside the expected value."""
    for key, page, _ in pages:
        if wp_only and not page["wordpress"]:
            continue
        expected = gold(page)[field]
        got = answers["lpscrape"][key]
        if expected is None or got.get(field) == expected:
            continue
        others = {n: answers[n][key].get(field) for n in ("htmldate", "trafilatura")}
        print(
            f"{key}  want={_fmt(expected)} got={_fmt(got.get(field))} "
            f"article={got.get('_is_article')} "
            + " ".join(f"{n}={_fmt(v)}" for n, v in others.items())
            + (f" CRASH {got['_crash']}" if "_crash" in got else "")
        )


def _fmt(value: Any) -> str:
    return repr(sorted(value)) if isinstance(value, frozenset) else repr(value)


def main() -> int:
    """Score the three tools and print the tables and speeds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--wordpress", action="store_true", help="--show: WordPress pages only")
    parser.add_argument("--show", choices=FIELDS, help="list lpscrape's misses on one field")
    parser.add_argument("--json", type=Path, help="also write the tables as JSON")
    args = parser.parse_args()
    if not (args.pages / "ground-truth.json").is_file():
        print(f"no real pages at {args.pages} (see ../shared/realpages/README.md)", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")
    pages = load(args.pages)
    result = run(pages)
    answers = result["answers"]
    if args.show:
        show(pages, answers, args.show, args.wordpress)
        return 0
    tables = {"all": score(pages, answers, False), "wordpress": score(pages, answers, True)}
    print(f"{len(pages)} pages, {sum(p['wordpress'] for _, p, _ in pages)} WordPress")
    print_table("All pages: correct / wrong / missing", tables["all"])
    print_table("WordPress pages: correct / wrong / missing", tables["wordpress"])
    refused = [k for k, a in answers["lpscrape"].items() if a.get("_is_article") is False]
    crashes = {n: sum("_crash" in a for a in answers[n].values()) for n in answers}
    print(f"\nlpscrape: {len(refused)} pages declared not an article; crashes: {crashes}")
    print(
        "pages/s: " + ", ".join(f"{n} {len(pages) / s:.1f}" for n, s in result["seconds"].items())
    )
    if args.json:
        args.json.write_text(
            json.dumps({k: {n: dict(c) for n, c in t.items()} for k, t in tables.items()}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

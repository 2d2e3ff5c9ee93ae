"""The same paragraph gained by many articles in one run: a theme or plugin's boilerplate
(a membership call, a share bar's text) inside the content, not the publisher's edits."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

from .bodies import version_body_sql

MIN_ARTICLES = 3  # fewer articles gaining one paragraph can be an editor's own notice
MIN_SHARE = 0.5  # of the run's changed articles


class SharedAddition(NamedTuple):
    """One paragraph that several articles gained in the same run."""

    paragraph: str
    urls: list[str]
    changed: int  # articles the run changed in all


def _paragraphs(text: str | None) -> set[str]:
    return {" ".join(p.split()) for p in (text or "").split("\n\n") if p.strip()}


def shared_additions(
    conn: Any, run_id: int, min_articles: int = MIN_ARTICLES, share: float = MIN_SHARE
) -> list[SharedAddition]:
    """Paragraphs that at least `min_articles` articles, and `share` of those the run gave a
    new version, gained in run `run_id`, most articles first."""
    rows = conn.execute(
        f"SELECT v.url, {version_body_sql('v')}, {version_body_sql('p')} "
        "FROM article_versions v JOIN article_versions p "
        "ON p.url = v.url AND p.version = v.version - 1 "
        "WHERE v.run_id = ? ORDER BY v.id",
        [run_id],
    ).fetchall()
    gained: dict[str, list[str]] = defaultdict(list)
    for url, body, before in rows:
        for paragraph in _paragraphs(body) - _paragraphs(before):
            gained[paragraph].append(url)
    found = [
        SharedAddition(paragraph, urls, len(rows))
        for paragraph, urls in gained.items()
        if len(urls) >= min_articles and len(urls) >= share * len(rows)
    ]
    return sorted(found, key=lambda s: (-len(s.urls), s.paragraph))


def addition_alert(found: SharedAddition) -> str:
    """The alert line for one shared paragraph."""
    quoted = found.paragraph if len(found.paragraph) <= 120 else found.paragraph[:117] + "…"
    return (
        f"{len(found.urls)} of the {found.changed} articles changed in this run gained the same "
        f"paragraph, “{quoted}”: boilerplate a theme or plugin put inside the content, not "
        f"the publisher's edits? e.g. {found.urls[0]} (the versions are stored; if it is "
        "boilerplate, teach the extractor to drop it and run `lpscrape reparse`)"
    )

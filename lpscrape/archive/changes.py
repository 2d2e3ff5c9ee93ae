"""Edit history: what changed between consecutive versions of an article, and of what kind.

`article_changes` has one row per change the archive saw: an edit (version n-1 → n) with the
fields it touched, word-level diffs of the title and the body and a class, or an event (the
article withdrawn from the site, or back on it). It is derived from `article_versions` and the
article captures alone, so `update_changes` can bring it up to date at any time and
`rebuild_changes` can remake it after a re-extraction.

Classes, most telling first (a change has one `change_class` and every class that applies in
`classes`):

- `correction`: the added text carries a correction notice ("An earlier version of this
  article…", "Correction:", "corrected").
- `rewrite`: less than half of the body's words survive.
- `retitled`: the headline's words changed.
- `byline`: the authors changed.
- `terms`: categories or tags changed.
- `revised`: a substantial edit short of a rewrite (less than 85 % of the words kept in place).
- `minor`: a few words, most of the text unchanged.
- `formatting`: the same words once typography is set aside (quotes, dashes, spaces of other
  widths): not a new version (see below).
- `whitespace`: the same words, only spacing or paragraph breaks changed: not a new version.
- `dates`: only the publisher's dates changed.
- `unpublished` / `republished`: the site stopped serving the article (404/410; the archived
  text stays) / served it again.

`silent` is added (and the `silent` column set) when the title or body changed but the
site's `modified_at` did not.

A fetch whose text differs from the current version's only in spacing or typography (the
site's `modified_at` may have moved) is not a new version: the store records it here as it
happens (`form_change`), with `from_version` = `to_version` and the hash of the form it saw,
once per form. Such rows exist only because the capture was applied, so a reparse (which
replays every capture) makes them again; `update_changes` never derives them.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from .bodies import version_body_sql
from .jsoncols import json_list
from .rows import insert_row

TABLE = "article_changes"
COLUMNS: dict[str, type] = {
    "id": int,
    "url": str,
    "change_class": str,
    "classes": str,  # JSON array
    "silent": int,
    "from_version": int,
    "to_version": int,
    "fields": str,  # JSON array
    "words_removed": int,
    "words_added": int,
    "similarity": float,
    "summary": str,
    "title_before": str,
    "title_after": str,
    "modified_at_before": str,
    "modified_at_after": str,
    "title_diff": str,  # JSON array of [op, text], op one of "=", "-", "+"
    "body_diff": str,  # JSON array of [op, text]
    "detected_at": str,
    "capture_id": int,
    "run_id": int,
    "content_hash": str,  # of the form seen, for a change that is not a new version
}
FORM_ONLY = ("whitespace", "formatting")  # the same words: never a new version
PRIORITY = (
    "correction",
    "rewrite",
    "retitled",
    "byline",
    "terms",
    "revised",
    "minor",
    "formatting",
    "whitespace",
    "dates",
)
REWRITE_BELOW = 0.5  # similarity of the body's words under which an edit is a rewrite
MINOR_FROM = 0.85  # similarity from which an edit is minor
SHORT_RUN = 2  # kept words between two changes shown as part of the change
VERSION_FIELDS = (
    "title",
    "byline",
    "authors",
    "dateline",
    "published_at",
    "modified_at",
    "categories",
    "tags",
    "body_text",
)
_CORRECTION = re.compile(
    r"\b(corrections?|corrected|an earlier version of this (article|story|report)|"
    r"(article|story|report) (was|has been) amended|we apologi[sz]e|erratum)\b",
    re.IGNORECASE,
)
# Typography a reader does not see as a change of words.
_TYPOGRAPHY = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "‚": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "″": '"',
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "…": "...",
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
    }
)
Diff = list[list[str]]


@dataclass
class Change:
    """One row of `article_changes`, before it is stored."""

    url: str
    change_class: str
    classes: list[str]
    from_version: int
    to_version: int
    detected_at: str | None
    capture_id: int | None
    run_id: int | None
    silent: bool = False
    fields: list[str] = field(default_factory=list)
    words_removed: int = 0
    words_added: int = 0
    similarity: float | None = None
    summary: str = ""
    title_before: str | None = None
    title_after: str | None = None
    modified_at_before: str | None = None
    modified_at_after: str | None = None
    title_diff: Diff | None = None
    body_diff: Diff | None = None
    content_hash: str | None = None

    def row(self) -> dict[str, Any]:
        """The change as a table row (lists as JSON)."""
        row = {k: v for k, v in self.__dict__.items()}
        for key in ("classes", "fields", "title_diff", "body_diff"):
            if row[key] is not None:
                row[key] = json.dumps(row[key], ensure_ascii=False)
        row["silent"] = int(self.silent)
        return row


# -- diffs -------------------------------------------------------------------------------------


def _tokens(text: str) -> list[tuple[str, str]]:
    """Words with the whitespace that follows each (the first element keeps leading space)."""
    pairs = [(m[1], m[2]) for m in re.finditer(r"(\S+)(\s*)", text or "")]
    lead = re.match(r"\s*", text or "")[0]
    if lead and pairs:
        pairs[0] = (lead + pairs[0][0], pairs[0][1])
    return pairs


def _is_break(space: str) -> bool:
    return "\n\n" in space


def word_diff(before: str | None, after: str | None) -> Diff:
    """A word-level diff: `[op, text]` segments, `=` kept, `-` removed, `+` added.

    Joining the `=` and `+` segments gives `after` back; joining `=` and `-` gives the words
    of `before`. A paragraph break added or removed is a `+` or `-` segment of whitespace.
    """
    old, new = _tokens(before or ""), _tokens(after or "")
    matcher = difflib.SequenceMatcher(None, [w for w, _ in old], [w for w, _ in new], False)
    out: Diff = []

    def emit(op: str, text: str) -> None:
        if not text:
            return
        if out and out[-1][0] == op:
            out[-1][1] += text
        else:
            out.append([op, text])

    for tag, i1, i2, j1, j2 in _readable(matcher.get_opcodes()):
        if tag == "equal":
            for (word, old_space), (_, new_space) in zip(old[i1:i2], new[j1:j2], strict=True):
                emit("=", word)
                if _is_break(old_space) != _is_break(new_space):  # a paragraph break moved
                    emit("-", old_space)
                    emit("+", new_space)
                else:
                    emit("=", new_space)
            continue
        if tag in ("delete", "replace"):
            emit("-", "".join(w + s for w, s in old[i1:i2]))
        if tag in ("insert", "replace"):
            emit("+", "".join(w + s for w, s in new[j1:j2]))
    return out


def _readable(
    opcodes: list[tuple[str, int, int, int, int]],
) -> list[tuple[str, int, int, int, int]]:
    """Opcodes with short kept runs (a "the", an "of") between two changes folded into them,
    so a replaced sentence reads as one removal and one addition."""
    out: list[tuple[str, int, int, int, int]] = []
    for k, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        inside = 0 < k < len(opcodes) - 1
        if tag == "equal" and inside and i2 - i1 <= SHORT_RUN:
            tag = "replace"
        if tag != "equal" and out and out[-1][0] != "equal":
            _, p1, _, q1, _ = out.pop()
            tag, i1, j1 = "replace", p1, q1
        out.append((tag, i1, i2, j1, j2))
    return out


def _words(text: str | None) -> list[str]:
    return (text or "").split()


def _typeset(text: str | None) -> list[str]:
    """The words with typography folded: what a reader would call the same text."""
    return unicodedata.normalize("NFKC", (text or "").translate(_TYPOGRAPHY)).split()


def _text_class(before: str | None, after: str | None) -> str | None:
    """`whitespace`, `formatting` or None (the words differ) for two texts that differ."""
    if _words(before) == _words(after):
        return "whitespace"
    if _typeset(before) == _typeset(after):
        return "formatting"
    return None


def _added_text(diff: Diff) -> str:
    return " ".join(text for op, text in diff if op == "+")


def _count(diff: Diff, op: str) -> int:
    return sum(len(text.split()) for o, text in diff if o == op)


# -- classification ----------------------------------------------------------------------------


_TEXT_FIELDS = ("title", "byline", "dateline", "body_text")
_LIST_FIELDS = ("authors", "categories", "tags")


def form_only(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """True when two contents differ only in spacing or typography (the site's modified date
    aside): the same words, so not a new version."""
    differs = False
    for name in _TEXT_FIELDS:
        if before.get(name) != after.get(name):
            if _typeset(before.get(name)) != _typeset(after.get(name)):
                return False
            differs = True
    for name in _LIST_FIELDS:
        old, new = json_list(before.get(name)), json_list(after.get(name))
        if old != new:
            if [_typeset(str(x)) for x in old] != [_typeset(str(x)) for x in new]:
                return False
            differs = True
    return differs and before.get("published_at") == after.get("published_at")


def classify(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed from one version's content to the next: fields, classes, diffs, counts."""
    fields = [f for f in VERSION_FIELDS if before.get(f) != after.get(f)]
    classes: set[str] = set()
    body_diff = word_diff(before.get("body_text"), after.get("body_text"))
    title_diff = word_diff(before.get("title"), after.get("title"))
    similarity = difflib.SequenceMatcher(
        None, _typeset(before.get("body_text")), _typeset(after.get("body_text")), False
    ).ratio()
    if "body_text" in fields:
        kind = _text_class(before.get("body_text"), after.get("body_text"))
        if kind:
            classes.add(kind)
        elif _CORRECTION.search(_added_text(body_diff)):
            classes.add("correction")
        elif similarity < REWRITE_BELOW:
            classes.add("rewrite")
        elif similarity < MINOR_FROM:
            classes.add("revised")
        else:
            classes.add("minor")
    if "title" in fields:
        classes.add(_text_class(before.get("title"), after.get("title")) or "retitled")
        if _CORRECTION.search(_added_text(title_diff)):
            classes.add("correction")
    if "authors" in fields or "byline" in fields:
        same = json_list(before.get("authors")) == json_list(after.get("authors"))
        classes.add(
            "formatting"
            if same and _text_class(before.get("byline"), after.get("byline"))
            else "byline"
        )
    if {"categories", "tags"} & set(fields):
        classes.add("terms")
    if "dateline" in fields and not {"body_text"} & set(fields):
        classes.add("minor")
    if not classes and {"published_at", "modified_at"} & set(fields):
        classes.add("dates")
    text_changed = bool({"title", "body_text"} & set(fields))
    silent = text_changed and before.get("modified_at") == after.get("modified_at")
    ordered = [c for c in PRIORITY if c in classes]
    primary = ordered[0] if ordered else "dates"
    if silent:
        ordered.append("silent")
    removed, added = _count(body_diff, "-"), _count(body_diff, "+")
    return {
        "change_class": primary,
        "classes": ordered,
        "silent": silent,
        "fields": fields,
        "words_removed": removed,
        "words_added": added,
        "similarity": round(similarity, 3),
        "summary": summarise(primary, ordered, fields, removed, added),
        "title_diff": title_diff if "title" in fields else None,
        "body_diff": body_diff if "body_text" in fields else None,
    }


_LABELS = {
    "correction": "a correction",
    "rewrite": "rewritten",
    "retitled": "new headline",
    "byline": "byline changed",
    "terms": "categories or tags changed",
    "revised": "substantially revised",
    "minor": "a few words changed",
    "formatting": "typography only (same words)",
    "whitespace": "spacing only (same words)",
    "dates": "dates only",
    "silent": "without the site's modified date moving",
}


def summarise(primary: str, classes: list[str], fields: list[str], removed: int, added: int) -> str:
    """One readable line: what kind of change, which fields, how many words."""
    labels = [_LABELS.get(c, c) for c in classes]
    parts = ["; ".join(labels) or primary]
    if "body_text" in fields:
        parts.append(f"{added} word{'' if added == 1 else 's'} added, {removed} removed")
    if fields:
        parts.append("fields: " + ", ".join(fields))
    return " — ".join(parts)


# -- from the archive --------------------------------------------------------------------------


def ensure_table(db: Database) -> bool:
    """Create `article_changes` and its indexes if missing; True when it was just created."""
    created = not db[TABLE].exists()
    db[TABLE].create(
        COLUMNS,
        pk="id",
        foreign_keys=[("url", "articles", "url")],
        if_not_exists=True,
    )
    have = db[TABLE].columns_dict
    for name, kind in COLUMNS.items():
        if name not in have:  # a table from before the column: derived data, extended in place
            db[TABLE].add_column(name, kind)
    db[TABLE].create_index(["url", "to_version"], if_not_exists=True)
    db[TABLE].create_index(["change_class"], if_not_exists=True)
    db[TABLE].create_index(["capture_id", "change_class"], unique=True, if_not_exists=True)
    return created


_VERSION_SQL = f"""
SELECT url, version, capture_id, run_id, first_seen_at,
{", ".join(f for f in VERSION_FIELDS if f != "body_text")}, {version_body_sql("v")} AS body_text
FROM article_versions v WHERE url = ? ORDER BY version
"""


def _version_changes(db: Database, url: str, known: set[tuple[int, str]]) -> Iterator[Change]:
    """The edits of one article whose rows are missing."""
    cursor = db.conn.execute(_VERSION_SQL, [url])
    names = [d[0] for d in cursor.description]
    versions = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    stored = {capture_id for capture_id, kind in known if kind not in _EVENTS}
    for before, after in itertools.pairwise(versions):
        if after["capture_id"] in stored:
            continue
        found = classify(before, after)
        yield Change(
            url=url,
            from_version=before["version"],
            to_version=after["version"],
            detected_at=after["first_seen_at"],
            capture_id=after["capture_id"],
            run_id=after["run_id"],
            title_before=before["title"],
            title_after=after["title"],
            modified_at_before=before["modified_at"],
            modified_at_after=after["modified_at"],
            **found,
        )


_EVENTS = ("unpublished", "republished")


def _status_events(db: Database, url: str) -> Iterator[Change]:
    """Withdrawals and returns of one article, from its captures in fetch order."""
    rows = db.conn.execute(
        "SELECT c.id, c.status, c.fetched_at, c.run_id, "
        "(SELECT max(v.version) FROM article_versions v WHERE v.url = c.article_url "
        " AND v.capture_id <= c.id) FROM captures c "
        "WHERE c.article_url = ? AND c.kind = 'article' AND c.status IN (200, 304, 404, 410) "
        "ORDER BY c.id",
        [url],
    ).fetchall()
    live = None
    title = db.conn.execute("SELECT title FROM articles WHERE url = ?", [url]).fetchone()
    for capture_id, status, fetched_at, run_id, version in rows:
        gone = status in (404, 410)
        if live is None:
            live = not gone
            if gone:
                continue  # never seen live: nothing was withdrawn
        if gone == live:
            kind = "unpublished" if gone else "republished"
            text = (
                f"withdrawn from the site (it answers {status}); the archived text stays"
                if gone
                else "served by the site again"
            )
            yield Change(
                url=url,
                change_class=kind,
                classes=[kind],
                from_version=version or 1,
                to_version=version or 1,
                detected_at=fetched_at,
                capture_id=capture_id,
                run_id=run_id,
                summary=text,
                title_before=title[0] if title else None,
                title_after=title[0] if title else None,
            )
            live = not gone


def _candidates(db: Database, since: int = 0) -> list[str]:
    """Articles that may have a change not yet recorded: a new version, or a withdrawal or
    return, shown by a capture after `since` (the last capture the table knows of)."""
    rows = db.conn.execute(
        "SELECT url FROM article_versions WHERE version > 1 AND capture_id > :since "
        "UNION SELECT article_url FROM captures WHERE id > :since AND kind = 'article' "
        "AND article_url IN (SELECT article_url FROM captures WHERE kind = 'article' "
        "AND status IN (404, 410) AND article_url IS NOT NULL)",
        {"since": since},
    )
    return sorted(r[0] for r in rows)


def changes_for(db: Database, url: str, known: set[tuple[int, str]] | None = None) -> list[Change]:
    """Every change of one article the table lacks (all of them when `known` is empty)."""
    known = known or set()
    found = list(_version_changes(db, url, known))
    found += [e for e in _status_events(db, url) if (e.capture_id, e.change_class) not in known]
    return sorted(found, key=lambda c: (c.capture_id or 0, c.change_class not in _EVENTS))


def update_changes(db: Database) -> int:
    """Add the rows `article_changes` lacks (no commit); returns how many were added."""
    ensure_table(db)
    rows = db.conn.execute(
        f"SELECT capture_id, change_class, from_version = to_version FROM {TABLE}"
    ).fetchall()
    known = {(capture_id, kind) for capture_id, kind, _ in rows}
    # Changes are recorded in capture order, all at once: none can hide before the last one.
    # Form-only rows are written by the store as captures arrive, so they don't count.
    since = max(
        (c or 0 for c, kind, same in rows if not (same and kind in FORM_ONLY)),
        default=0,
    )
    added = 0
    for url in _candidates(db, since):
        for change in changes_for(db, url, known):
            insert_row(db, TABLE, change.row())
            added += 1
    return added


def rebuild_changes(db: Database) -> int:
    """Remake the derived rows of `article_changes` from the versions and captures (no
    commit); the form-only rows the store wrote stay."""
    ensure_table(db)
    marks = ", ".join("?" * len(FORM_ONLY))
    db.conn.execute(
        f"DELETE FROM {TABLE} WHERE from_version != to_version OR change_class NOT IN ({marks})",
        FORM_ONLY,
    )
    return update_changes(db)


def form_change(
    db: Database,
    url: str,
    version: dict[str, Any],
    content: dict[str, Any],
    content_hash: str,
    *,
    capture_id: int,
    run_id: int | None,
    detected_at: str,
) -> str | None:
    """Record a fetch whose content differs from its version's only in form (no commit):
    its class, "seen" when this form was recorded before, None when the words changed."""
    known = db.conn.execute(
        f"SELECT 1 FROM {TABLE} WHERE url = ? AND content_hash = ? LIMIT 1", [url, content_hash]
    ).fetchone()
    if known:
        return "seen"
    if not form_only(version, content):
        return None
    found = classify(version, content)
    classes = [c for c in found["classes"] if c in FORM_ONLY] or ["formatting"]
    primary = classes[0]
    if found["silent"]:
        classes.append("silent")
    fields = found["fields"]
    found.update(
        change_class=primary,
        classes=classes,
        summary=summarise(primary, classes, fields, 0, 0) + " — not a new version",
    )
    change = Change(
        url=url,
        from_version=version["version"],
        to_version=version["version"],
        detected_at=detected_at,
        capture_id=capture_id,
        run_id=run_id,
        title_before=version.get("title"),
        title_after=content.get("title"),
        modified_at_before=version.get("modified_at"),
        modified_at_after=content.get("modified_at"),
        content_hash=content_hash,
        **found,
    )
    insert_row(db, TABLE, change.row())
    return primary

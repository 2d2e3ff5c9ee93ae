"""Where a version's body text is kept: once, in the article row or in one version."""

from __future__ import annotations

# A version whose body equals the next version's, or (the current version) the article row's,
# has body_shared = 1 and a NULL body_text: the text is read from the next version that keeps
# one, else from the article row. A NULL body is never shared, so the chain never ends in one.


def version_body_sql(alias: str = "v") -> str:
    """SQL giving the full body text of the `article_versions` row named `alias`."""
    return (
        f"CASE WHEN {alias}.body_shared THEN coalesce("
        f"(SELECT n.body_text FROM article_versions n WHERE n.url = {alias}.url "
        f"AND n.version > {alias}.version AND NOT n.body_shared ORDER BY n.version LIMIT 1), "
        f"(SELECT a.body_text FROM articles a WHERE a.url = {alias}.url)) "
        f"ELSE {alias}.body_text END"
    )


# Version 3 of the schema: bodies stored once in an older archive. Every comparison reads the
# bodies before any is cleared (one statement marks, the next clears).
SHARE_BODIES = (
    "UPDATE article_versions SET body_shared = 0 WHERE body_shared IS NULL",
    "UPDATE article_versions AS v SET body_shared = 1 WHERE v.body_text IS NOT NULL AND ("
    "v.body_text = (SELECT n.body_text FROM article_versions n "
    "WHERE n.url = v.url AND n.version = v.version + 1) "
    "OR v.body_text = (SELECT a.body_text FROM articles a "
    "WHERE a.url = v.url AND a.version = v.version))",
    "UPDATE article_versions SET body_text = NULL WHERE body_shared = 1",
)

"""Text from a site (or from Redis) made safe to print on a terminal.

A scraped title can hold terminal escape sequences (`ESC ] 0 ; … BEL` retitles the window,
others move the cursor, rewrite what is shown or worse); printed raw, the site talks to the
terminal. Every command that prints such text for a person passes it through `printable`
(or `printable_json` for JSON), at the point where it is printed: the archive keeps the text
as it was.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls, DEL and C1 controls (U+0080-U+009F: U+009B is a one-character CSI).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Where JSON text may still hold a control once `json.dumps` is done (it escapes C0 only).
_JSON_UNESCAPED = re.compile(r"[\x7f-\x9f]")


def printable(text: object, keep: str = "") -> str:
    """`text` with every control character shown as `\\xNN` (ESC as `\\x1b`), but those in
    `keep` (`"\\n"` for text of several lines, `"\\n\\t"`); by default one terminal line."""
    return _CONTROL.sub(
        lambda m: m[0] if m[0] in keep else f"\\x{ord(m[0]):02x}",
        str(text),
    )


def printable_json(value: Any, **options: Any) -> str:
    """`json.dumps(value, ensure_ascii=False, **options)`, through `printable_json_text`."""
    return printable_json_text(json.dumps(value, ensure_ascii=False, **options))


def printable_json_text(text: str) -> str:
    """JSON text (`json.dumps` escapes C0 controls but not DEL nor the C1 controls) with those
    escaped too (`\\u009b`): the same JSON, the same data, nothing a terminal would act on.
    Outside its strings JSON text is printable ASCII, so only strings change."""
    return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m[0]):04x}", text)

"""The bundled Lord's Press sample site, served on loopback for `lpscrape demo` and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .content import Article, Author, Term, articles
from .site import DemoSite

if TYPE_CHECKING:
    from .server import DemoServer, serve

__all__ = ["Article", "Author", "DemoServer", "DemoSite", "Term", "articles", "serve"]


def __getattr__(name: str) -> Any:
    """`serve` and `DemoServer`, imported late so `python -m lpscrape.demo.server` runs cleanly."""
    if name in ("serve", "DemoServer"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

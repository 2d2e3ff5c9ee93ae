"""Capture and store: the archive file (schema, store, versions, WARC, reparse)."""

from .store import Archive, ArchiveError, open_database

__all__ = ["Archive", "ArchiveError", "open_database"]

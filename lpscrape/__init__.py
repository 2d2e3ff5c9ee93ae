"""lpscrape: the archive of record for Lord's Press."""

__version__ = "0.1.0"

"""Pure extraction: `(html, url) -> Article`, no Scrapy and no database inside."""

from .article import extract_article
from .record import Article, Extraction, Weather

__all__ = ["Article", "Extraction", "Weather", "extract_article"]

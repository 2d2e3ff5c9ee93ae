"""A Scrapy add-on: with LPSCRAPE_REDIS_URL set, the crawl becomes one of the crawlers of a
shared frontier, whoever starts it (`lpscrape crawl --redis`, `scrapy crawl`, scrapyd)."""

from __future__ import annotations

from scrapy.settings import BaseSettings


def distributed_settings(settings: BaseSettings) -> None:
    """scrapy-redis's scheduler (articles in Redis, once per run), captures handed to the
    writer through Redis, and the host's delay and concurrency shared by every crawler (the
    local delay becomes 0: the shared one, LPSCRAPE_HOST_DELAY, replaces it)."""
    settings.set("SCHEDULER", "lpscrape.distributed.frontier.SharedFrontier", priority="cmdline")
    pipelines = {"lpscrape.distributed.handoff.HandoffPipeline": 300}
    settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["lpscrape.distributed.politeness.SharedPoliteness"] = 950
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    settings.set("LPSCRAPE_HOST_DELAY", settings.getfloat("DOWNLOAD_DELAY"), priority="cmdline")
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_START_DELAY", 0, priority="cmdline")
    settings.set("LPSCRAPE_LOG_KEEP", 0, priority="cmdline")  # no archive beside this crawler


class Distributed:
    """Switches a crawl to the shared frontier when LPSCRAPE_REDIS_URL is set; else nothing."""

    def update_settings(self, settings: BaseSettings) -> None:
        """Apply `distributed_settings` when a Redis URL is given."""
        if settings.get("LPSCRAPE_REDIS_URL"):
            distributed_settings(settings)

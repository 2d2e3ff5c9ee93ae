"""With LPSCRAPE_REDIS_URL set, a crawl becomes one of the crawlers of a shared frontier,
whoever starts it (`lpscrape crawl --redis`, `scrapy crawl`, scrapyd): the spider's
`update_settings` calls `switch` before the crawler's settings are frozen."""

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


def switch(settings: BaseSettings) -> None:
    """Apply `distributed_settings` when a Redis URL is given; else change nothing."""
    # Once only: Scrapy may call the spider's update_settings more than once, and the second
    # time the local delay (already moved to LPSCRAPE_HOST_DELAY) would read 0.
    if settings.get("LPSCRAPE_REDIS_URL") and not settings.getbool("LPSCRAPE_DISTRIBUTED"):
        distributed_settings(settings)
        settings.set("LPSCRAPE_DISTRIBUTED", True, priority="cmdline")

"""Scrapy settings for lpscrape, grouped: identity, politeness, robustness, storage, output."""

from lpscrape import __version__

BOT_NAME = "lpscrape"
SPIDER_MODULES = ["lpscrape.spiders"]
NEWSPIDER_MODULE = "lpscrape.spiders"

# --- Identity: who we are and how to reach us ----------------------------------------
LPSCRAPE_DEFAULT_START_URL = "https://lordspress.com/"
LPSCRAPE_CONTACT_URL = "https://github.com/lpscrape/lpscrape"
USER_AGENT = f"lpscrape/{__version__} (archive of record for Lord's Press; +{LPSCRAPE_CONTACT_URL})"

# --- Politeness: never hammer the site ------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0  # seconds between requests to the site; AutoThrottle never goes below
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False

# --- Robustness: retries with backoff, Retry-After, limits ----------------------------
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
# A retryable status, a timeout or a lost connection pauses the whole host (its download
# slot) for Retry-After (up to RETRY_AFTER_MAX), or for base × 2ⁿ on the n-th retry (up to
# RETRY_BACKOFF_MAX).
RETRY_BACKOFF_BASE = 2.0  # seconds
RETRY_BACKOFF_MAX = 120.0  # the longest pause of the backoff
# Retry-After is honoured in full up to this many seconds; a host asking for a longer pause is
# given up for the run: nothing more is sent to it, its other requests fail as `retry_after`,
# and the run alerts naming the host and the pause asked for.
RETRY_AFTER_MAX = 120.0
RETRY_GIVE_UP_LOG_LEVEL = "INFO"  # every failure is counted by reason in crawl_runs instead
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024  # larger bodies, or bodies that inflate past it, fail
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
REDIRECT_MAX_TIMES = 10  # more redirects than this (or back to a URL visited) is a loop
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's checks only the first request waiting for robots.txt (see ours).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "lpscrape.middlewares.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "lpscrape.middlewares.BackoffRetryMiddleware": 550,
    # Scrapy's redirects (3xx, meta refresh), where one that leaves the publication's hosts
    # (another port included) or loops is not followed: it fails (`offsite_redirect`,
    # `redirect_loop`), judged on the very URL Scrapy would fetch (see ours).
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "lpscrape.middlewares.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "lpscrape.middlewares.MetaRefreshMiddleware": 580,
    # A body stopped past DOWNLOAD_MAXSIZE is dropped before decompression (590) reads it.
    "lpscrape.middlewares.StoppedBodyMiddleware": 595,
}
# Each item's pipeline work is mostly SQLite: parallel items only add scheduling cost.
CONCURRENT_ITEMS = 1

# --- Storage: the archive file --------------------------------------------------------
ARCHIVE_DB = "archive.db"
ARCHIVE_BATCH_SIZE = 200  # rows per transaction
ARCHIVE_BATCH_SECONDS = 2.0  # and at least this often
# Extraction and storage run in a worker process beside the crawl's (a capture in, a stored
# outcome out, through a bounded queue): the crawl fetches on one core while the worker
# extracts and writes on the other. False: both in the crawl process.
LPSCRAPE_STORE_WORKER = True
# When this many captures wait for the worker (its inbox is full: sending would block), the crawl
# process extracts the next ones itself and the worker only stores them, so a slow worker
# never leaves the crawl's core idle.
LPSCRAPE_BALANCE_BACKLOG = 40
ITEM_PIPELINES = {
    "lpscrape.pipelines.ArchivePipeline": 300,
    "lpscrape.monitor.HealthPipeline": 400,  # after the archive: it closes the run first
}
# A new version whose body has fewer words than this share of the version before (or was
# found by another extraction layer) is held for review instead of stored.
LPSCRAPE_COLLAPSE_RATIO = 0.5

# --- Discovery: how much one run takes from the sitemaps -------------------------------
# Sitemap entries are requested newest first, at most this many per run (the rest wait for
# the next run, and the run says so); posts named by the feed and the REST API go first.
LPSCRAPE_SITEMAP_MAX_URLS = 10_000

# --- Monitoring: each run's field health, drift from the last healthy runs, alerts ----
# An alert when this share of a run's articles lost a key field or fell back to the
# generic extractor: the sign that the site's theme changed.
LPSCRAPE_ALERT_SHARE = 0.2
# Known articles re-read in full by every incremental run (those seen longest ago), so a
# night with nothing new still measures the site's current theme; 0 turns it off.
LPSCRAPE_HEALTH_SAMPLE = 40
LPSCRAPE_DRIFT_RUNS = 7  # the baseline: median of the last N healthy runs
LPSCRAPE_DRIFT_MIN_RUNS = 3  # healthy runs needed before a baseline exists
LPSCRAPE_DRIFT_MIN_ARTICLES = 10  # a run that read fewer articles is not judged on its fields
LPSCRAPE_DRIFT_DROP = 0.15  # a fill rate falling (or the fallback rising) by this share...
LPSCRAPE_DRIFT_MIN_PAGES = 3  # ...on at least this many articles, and beyond sampling luck
LPSCRAPE_DRIFT_BODY_SHRINK = 0.5  # median body length below this share of the baseline's
LPSCRAPE_DRIFT_FOUND_SHARE = 0.5  # articles found below this share of the baseline's
# Alert actions, tried when a run ends with alerts or fails (or set them in a TOML file).
LPSCRAPE_ALERTS_FILE = ""  # keys: command, webhook, mail_to, mail_from, sendmail, timeout
LPSCRAPE_ALERT_COMMAND = ""  # run with the alert's text on stdin
LPSCRAPE_ALERT_WEBHOOK = ""  # POSTed the alert as JSON
LPSCRAPE_ALERT_MAIL_TO = ""  # comma-separated addresses, mailed through sendmail
LPSCRAPE_ALERT_MAIL_FROM = ""  # default lpscrape@<this host>
LPSCRAPE_SENDMAIL = ""  # default /usr/sbin/sendmail, called with -t -oi (set: wins over the file)
LPSCRAPE_ALERT_TIMEOUT = None  # seconds each action may take (default 30)
# One log file per run (at LPSCRAPE_LOG_FILE_LEVEL), the newest LPSCRAPE_LOG_KEEP kept.
LPSCRAPE_LOG_DIR = ""  # default: logs/ beside the archive
LPSCRAPE_LOG_KEEP = 30  # 0: no run log files
LPSCRAPE_LOG_FILE_LEVEL = "INFO"

# --- Past one machine: a shared frontier in Redis, one archive writer -------------------
# With LPSCRAPE_REDIS_URL set (`lpscrape crawl --redis URL`, or `-s`/scrapyd's `setting=`), the
# spider switches the crawl to lpscrape.distributed's scheduler, pipeline and middleware
# (`LordsPressSpider.update_settings`, lpscrape/distributed/switch.py).
LPSCRAPE_REDIS_URL = ""
LPSCRAPE_REDIS_TTL = 15.0  # seconds without a heartbeat before a crawler counts as dead
LPSCRAPE_REDIS_POLL = 0.5  # seconds between looks at the shared queue when idle
LPSCRAPE_EXTRACT_ON_CRAWLER = True  # extract on the crawler's cores; the writer only stores
LPSCRAPE_PUBLICATION = ""  # the publication's name (default: the start URL's host)
# After the run, a crawler waits (while a writer runs, at most this long) for the writer's
# verdict on it: its exit status then says what a local crawl's would. 0: do not wait.
LPSCRAPE_VERDICT_WAIT = 600.0

# --- Output: progress on a terminal, a periodic log line otherwise; quiet logs ---------
EXTENSIONS = {
    "lpscrape.progress.Progress": 500,
    "lpscrape.runlog.RunLog": 100,
    "lpscrape.middlewares.SizeLimit": 0,  # a body past DOWNLOAD_MAXSIZE: its answer kept
}
LPSCRAPE_PROGRESS_INTERVAL = 2.0
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no control port for a crawl run from cron
FEED_EXPORT_ENCODING = "utf-8"

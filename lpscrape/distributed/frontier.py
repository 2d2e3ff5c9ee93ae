"""The shared frontier: scrapy-redis's scheduler and duplicate filter, with the bookkeeping
that lets any number of crawlers join one run, lose none of it when one is killed, and end it
together.

Article requests go to one Redis priority queue per publication, filtered by one Redis
duplicate filter, so no article is fetched twice whichever crawler asks. Discovery (robots.txt,
sitemaps, feed, REST API, listings) is read by one crawler at a time, the *discoverer*, from a
local queue: its bookkeeping (which sitemaps are pending, which posts the feed named) lives in
that one spider. A crawler takes a request from the queue into its own *in-flight* hash in one
atomic step; the request leaves the hash in the same transaction that hands its capture to the
writer. A crawler that stops beating (killed) has its in-flight requests put back in the queue
by the others, and its discovery taken over. The run ends when discovery is over, the queue is
empty and no crawler holds a request.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import logging
import os
import socket
import uuid
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter as RedisDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from lpscrape.distributed.keys import ALIVE, KNOWN, SiteKeys, connect, publication_of
from lpscrape.distributed.wire import REQUESTS, BadMessage
from lpscrape.items import FetchFailure

logger = logging.getLogger(__name__)
SHARED_KINDS = frozenset({"article"})  # requests that go to the shared queue
# Take the best request from the queue into this crawler's in-flight hash (with its score, to
# put it back as it was), in one step: a crawler killed between the two loses nothing.
POP = """
local got = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #got == 0 then return false end
redis.call('ZREM', KEYS[1], got[1])
redis.call('HSET', KEYS[2], got[1], got[2])
return got[1]
"""
# Put a crawler's in-flight requests back in the queue, and forget the crawler; a dead one
# (ARGV[2] = 1) is counted in the run's stats once, whichever crawler found it, for the alert.
REQUEUE = """
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do redis.call('ZADD', KEYS[1], entries[i + 1], entries[i]) end
redis.call('DEL', KEYS[2])
if redis.call('SREM', KEYS[3], ARGV[1]) == 1 and ARGV[2] == '1' then
  redis.call('HINCRBY', KEYS[4], 'crawlers_lost', 1)
  redis.call('HINCRBY', KEYS[4], 'taken_back', #entries / 2)
end
return #entries / 2
"""
# Join the run in progress, or begin a new one on a clean frontier (what a finished run left).
BEGIN = """
local current = redis.call('GET', KEYS[1])
if current then return {current, 0} end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('DEL', ARGV[2] .. id) end
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('SET', KEYS[1], ARGV[1])
return {ARGV[1], 1}
"""
# Keep a key alive only while it is still ours.
REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


@functools.cache
def crawler_id() -> str:
    """This crawler process's id in Redis: host, pid and a random suffix."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class UnreadableRequest(Exception):
    """A queued entry that is not a request this spider wrote (already out of the queue)."""

    def __init__(self, reason: str, raw: bytes) -> None:
        super().__init__(reason)
        self.raw = raw


class InflightQueue(PriorityQueue):
    """scrapy-redis's priority queue (requests as checked JSON, lpscrape.distributed.wire),
    popping into the crawler's in-flight hash."""

    def __init__(self, server: Any, spider: Spider, key: str, inflight: str) -> None:
        super().__init__(server, spider, key, serializer=REQUESTS)
        self.inflight = inflight
        self._pop = server.register_script(POP)
        self.members: dict[str, bytes] = {}  # origin URL -> its entry in the in-flight hash

    def pop(self, timeout: int = 0) -> Request | None:
        """The best request, now held in this crawler's in-flight hash; UnreadableRequest (the
        entry dropped from the hash) when it is not a request this spider wrote."""
        data = self._pop(keys=[self.key, self.inflight])
        if not data:
            return None
        try:
            request = self._decode_request(data)
        except (BadMessage, ValueError, TypeError) as exc:  # never run: JSON, checked
            self.server.hdel(self.inflight, data)
            raise UnreadableRequest(str(exc), data) from None
        self.members[origin(request)] = data
        return request


def origin(request: Request) -> str:
    """The URL the request was first made for (before any redirect)."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


class SharedFrontier(Scheduler):
    """scrapy-redis's Scheduler for article requests, a local queue for discovery, and the run's
    bookkeeping in Redis (who crawls, what each holds, when the run is over)."""

    def __init__(self, crawler: Crawler, server: Any, ttl: float) -> None:
        # persist: the run's end clears the frontier, not each crawler's close
        super().__init__(server, persist=True, serializer=REQUESTS)
        self.crawler = crawler
        self.stats = crawler.stats
        self.keys = SiteKeys("")
        self.ttl_ms = int(ttl * 1000)
        self.id = crawler_id()
        self.token: str | None = None
        self.began = False  # this crawler began the run (and announced it to the writer)
        self.discovering = False
        self.local: list[tuple[int, int, Request]] = []
        self.local_seen = RFPDupeFilter()
        self.counter = itertools.count()
        self._requeue = server.register_script(REQUEUE)
        self._begin = server.register_script(BEGIN)
        self._refresh = server.register_script(REFRESH)
        self.heartbeat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedFrontier:
        """Connect to LPSCRAPE_REDIS_URL and name the publication's keys."""
        settings = crawler.settings
        server = connect(settings.get("LPSCRAPE_REDIS_URL"))
        frontier = cls(crawler, server, settings.getfloat("LPSCRAPE_REDIS_TTL"))
        crawler.signals.connect(frontier.on_idle, signal=signals.spider_idle)
        # An idle crawler waits for the others' requests: look at the queue twice a second,
        # not at Scrapy's 5-second heartbeat (a class attribute read when the engine starts).
        crawler.engine._SLOT_HEARTBEAT_INTERVAL = settings.getfloat("LPSCRAPE_REDIS_POLL")  # type: ignore[union-attr]
        return frontier

    # -- the run --------------------------------------------------------------------------

    def open(self, spider: Spider) -> None:
        """Join the run in progress (or begin one), register, start beating."""
        self.spider = spider
        self.keys = SiteKeys(getattr(spider, "publication", "") or publication_of(spider.base))
        self.df = RedisDupeFilter(self.server, self.keys.dupefilter)
        self.queue = InflightQueue(self.server, spider, self.keys.queue, self.inflight)
        others = [k for k in self.keys.run_keys() if k != self.keys.crawlers]
        got, began = self._begin(
            keys=[self.keys.run, self.keys.crawlers, *others],
            args=[uuid.uuid4().hex, self.keys.inflight("")],
        )
        self.token, self.began = got.decode(), bool(began)
        self.stats.set_value("lpscrape/run_token", self.token)
        self.server.set(self.keys.alive(self.id), 1, px=self.ttl_ms)
        self.server.sadd(self.keys.crawlers, self.id)
        self.heartbeat = task.LoopingCall(self.beat)
        self.heartbeat.start(self.ttl_ms / 3000, now=False)
        spider.frontier = self  # type: ignore[attr-defined]
        logger.info(
            "%s run %s on %s as crawler %s",
            "began" if self.began else "joined",
            self.token,
            self.keys.site,
            self.id,
        )

    @property
    def inflight(self) -> str:
        """This crawler's in-flight hash."""
        return self.keys.inflight(self.id)

    def beat(self) -> None:
        """Say this crawler lives; keep the discovery lock while it discovers."""
        pipe = self.server.pipeline()
        pipe.set(self.keys.alive(self.id), 1, px=self.ttl_ms)
        pipe.set(ALIVE + self.id, 1, px=self.ttl_ms)  # its places at the hosts
        pipe.sadd(self.keys.crawlers, self.id)
        if pipe.execute()[2]:
            # Judged dead (no heartbeat for the TTL: a stalled process): what it held went back
            # to the queue. It counts again, so the run waits for what it still fetches.
            logger.warning("crawler %s missed its heartbeat: its requests went to others", self.id)
        if self.discovering:
            self._refresh(keys=[self.keys.discoverer], args=[self.id, self.ttl_ms])

    def take_discovery(self) -> bool:
        """Become the run's discoverer, if discovery is not over and nobody (alive) holds it."""
        if self.server.exists(self.keys.discovered):
            return False
        self.discovering = bool(
            self.server.set(self.keys.discoverer, self.id, nx=True, px=self.ttl_ms)
        )
        return self.discovering

    def local_idle(self) -> bool:
        """No discovery request waiting, being fetched or being parsed here. (The engine's
        downloader and scraper slots are read for it: Scrapy has no public "what is in
        progress"; robots.txt, fetched by its middleware without a kind, counts as discovery.)"""
        engine = self.crawler.engine
        assert engine is not None
        if self.local or getattr(engine, "_start", None) is not None:
            return False
        busy = list(engine.downloader.active)
        slot = engine.scraper.slot
        if slot is not None:
            busy += [*slot.active, *(entry[1] for entry in slot.queue)]
        return not any(r.meta.get("kind") not in SHARED_KINDS for r in busy)

    def check_discovery(self) -> None:
        """Discovery here is over as soon as its own requests are (not when the shared queue
        runs dry, as on one machine: articles discover nothing): the spider's end of discovery
        then runs, and once what it asked for is read too, the run is told every article
        request is in the queue — a discoverer killed after that costs no second discovery."""
        if not self.discovering or not self.local_idle():
            return
        spider = self.spider
        if not getattr(spider, "discovery_done", True):
            if not spider.sitemaps_listed:  # type: ignore[attr-defined]
                return  # robots.txt not read yet
            for request in spider.end_of_discovery():  # type: ignore[attr-defined]
                self.crawler.engine.crawl(request)  # type: ignore[union-attr]
            if not self.local_idle():
                return
        self.server.set(self.keys.discovered, 1)
        self.server.delete(self.keys.discoverer)
        self.discovering = False
        logger.info("discovery of run %s is over: every article is in the queue", self.token)

    def known(self) -> dict[str, Any]:
        """What the archive knows, as the writer last published it ({} if never)."""
        raw = self.server.get(KNOWN)
        return json.loads(raw) if raw else {}

    # -- requests -------------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        """Articles to the shared queue (once per run, whichever crawler asks); discovery
        requests to this crawler's own queue."""
        if request.meta.get("kind") not in SHARED_KINDS:
            if not request.dont_filter and self.local_seen.request_seen(request):
                return False
            heapq.heappush(self.local, (-request.priority, next(self.counter), request))
            return True
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.queue.push(request)
        self.stats.inc_value("scheduler/enqueued/redis")
        held = self.queue.members.pop(origin(request), None)
        if held is not None:  # a retry or redirect of a request this crawler held
            self.server.hdel(self.inflight, held)
        return True

    def next_request(self) -> Request | None:
        """Discovery first (it feeds the queue), then the shared queue."""
        if self.local:
            return heapq.heappop(self.local)[2]
        self.check_discovery()
        if self.local:  # the end of discovery asked for listings
            return heapq.heappop(self.local)[2]
        if self.discovering:
            # The discoverer takes no article until its discovery is over: its reactor feeds
            # the queue for every crawler, and an article here (extracted on this reactor)
            # would slow the feeding down to its own pace.
            return None
        try:
            request = self.queue.pop()
        except UnreadableRequest as exc:
            self.reject(exc)
            return None
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def reject(self, exc: UnreadableRequest) -> None:
        """A queued entry nobody wrote as lpscrape does: kept aside in REJECTED, never run, and
        counted as a failure of the run (`bad_handoff`) through the writer."""
        from lpscrape.distributed.handoff import hand_off, run_info, set_aside

        kept = set_aside(self.server, {"data": exc.raw}, str(exc), source=self.keys.queue)
        where = f"an entry of {self.keys.queue} (kept as {kept})"
        logger.error("not a request lpscrape wrote: %s", where)
        failure = FetchFailure(where, "article", "bad_handoff", str(exc)[:300])
        hand_off(self.server, run_info(self.token or "", self.spider), failure, False)
        self.stats.inc_value("lpscrape/bad_handoff")

    def has_pending_requests(self) -> bool:
        """Anything left here or in the shared queue."""
        return bool(self.local) or len(self.queue) > 0

    def __len__(self) -> int:
        return len(self.local) + len(self.queue)

    def done_with(self, request_url: str, pipe: Any) -> None:
        """Release a request from the in-flight hash, in the caller's transaction."""
        held = self.queue.members.pop(request_url, None)
        if held is not None:
            pipe.hdel(self.inflight, held)

    # -- the end of the run ---------------------------------------------------------------

    def requeue_dead(self) -> int:
        """Put back the requests of crawlers that stopped beating; returns how many."""
        moved = 0
        for member in self.server.smembers(self.keys.crawlers):
            other = member.decode()
            if other == self.id or self.server.exists(self.keys.alive(other)):
                continue
            keys = [self.keys.queue, self.keys.inflight(other), self.keys.crawlers, self.keys.stats]
            count = int(self._requeue(keys=keys, args=[other, 1]))
            if count:
                logger.warning("crawler %s stopped: %d requests back in the queue", other, count)
            moved += count
        self.stats.inc_value("lpscrape/requeued", moved)
        return moved

    def run_over(self) -> bool:
        """Discovery over, the queue empty, no crawler holding a request."""
        if not self.server.exists(self.keys.discovered) or len(self.queue):
            return False
        members = [m.decode() for m in self.server.smembers(self.keys.crawlers)]
        return not any(self.server.exists(self.keys.inflight(m)) for m in members)

    def on_idle(self, spider: Spider) -> None:
        """Idle here: what this crawler held is finished; stay until the whole run is over,
        taking discovery over from a crawler that died with it."""
        self.server.delete(self.inflight)  # idle: every request taken has been answered
        self.queue.members.clear()
        self.check_discovery()
        self.requeue_dead()
        if self.run_over():
            return
        if not self.discovering and self.take_discovery():
            logger.warning("the discoverer of run %s stopped: this crawler takes over", self.token)
            for request in spider.begin_discovery():  # type: ignore[attr-defined]
                self.crawler.engine.crawl(request)  # type: ignore[union-attr]
        raise DontCloseSpider

    def close(self, reason: str) -> None:
        """Leave the run: add this crawler's counts; the last one out reports its end."""
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        from lpscrape.distributed.handoff import report_run_end, run_info

        stats = self.crawler.stats
        counts = {
            "requests": stats.get_value("downloader/request_count", 0),
            "fetched": stats.get_value("response_received_count", 0),
            "bytes_downloaded": stats.get_value("downloader/response_bytes", 0),
            "skipped": stats.get_value("lpscrape/skipped", 0),
            "sitemap_deferred": stats.get_value("lpscrape/sitemap_deferred", 0),
            "forbidden": stats.get_value("lpscrape/forbidden_articles", 0),
            "forbidden_sources": stats.get_value("lpscrape/forbidden_sources", 0),
        }
        pipe = self.server.pipeline()
        for name, value in counts.items():
            pipe.hincrby(self.keys.stats, name, int(value or 0))
        if reason != "finished":  # stopped early (Ctrl+C): what it held goes back for the others
            keys = [self.keys.queue, self.inflight, self.keys.crawlers, self.keys.stats]
            self._requeue(keys=keys, args=[self.id, 0])
        else:
            pipe.delete(self.inflight)
            pipe.srem(self.keys.crawlers, self.id)
        pipe.delete(self.keys.alive(self.id), ALIVE + self.id)
        if self.discovering:
            pipe.delete(self.keys.discoverer)
        pipe.execute()
        last = reason == "finished" and self.run_over() and not self._others_alive()
        if last and self.server.set(self.keys.finished, self.id, nx=True):
            report_run_end(self.server, self.keys, run_info(self.token or "", self.spider))

    def _others_alive(self) -> bool:
        members = [m.decode() for m in self.server.smembers(self.keys.crawlers)]
        return any(self.server.exists(self.keys.alive(m)) for m in members if m != self.id)

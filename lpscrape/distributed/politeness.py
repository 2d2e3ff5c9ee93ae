"""Per-host politeness shared by every crawler: one delay, one concurrency and one backoff
pause per host, kept in Redis, whatever the number of crawlers.

Before a request goes out, an atomic script (on Redis's own clock, so the hosts' clocks do not
matter) checks that fewer than CONCURRENT_REQUESTS_PER_DOMAIN requests of the host are out
(from all crawlers), reserves the host's next send time (the latest of now, the last
reservation plus LPSCRAPE_HOST_DELAY, and the end of any pause of the host) and records the
request among those out, with an expiry so a killed crawler's places come back. The request
then waits here until its time; its place is given back when its answer (or error) comes.

When any crawler pauses the host (`Retry-After`, or the retry backoff: lpscrape.middlewares
sends HOST_PAUSED), the pause's end goes to Redis as the host's "not before" time, and every
crawler's requests honour it: new reservations come after it, and a request whose reserved
time fell inside it waits for its end and reserves again.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from lpscrape.distributed.frontier import crawler_id
from lpscrape.distributed.keys import ALIVE, PREFIX, connect
from lpscrape.middlewares import HOST_PAUSED

# KEYS: the host's next send time (ms), its requests out (a sorted set by expiry), the end of
# its pause (ms). ARGV: delay ms, limit, member (`<crawler id>|<n>`), expiry ms, the prefix of
# crawlers' heartbeats, this crawler's id, the heartbeat's life (ms). Returns the wait in ms,
# or -1 when the host is full. The places of a crawler whose heartbeat stopped (killed) come
# back at once, not at their expiry (a minute): the others would wait for nothing.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', ARGV[5] .. ARGV[6], 1, 'PX', tonumber(ARGV[7]))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
for _, held in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local owner = string.match(held, '^(.*)|')
  if owner and redis.call('EXISTS', ARGV[5] .. owner) == 0 then
    redis.call('ZREM', KEYS[2], held)
  end
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return -1 end
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'),
                    tonumber(redis.call('GET', KEYS[3]) or '0'))
redis.call('SET', KEYS[1], at + tonumber(ARGV[1]), 'PX', 3600000)
redis.call('ZADD', KEYS[2], at + tonumber(ARGV[4]), ARGV[3])
redis.call('PEXPIRE', KEYS[2], 3600000)
return at - now
"""
# KEYS: the end of the host's pause (ms). ARGV: the pause in ms. Moves the end later, never
# earlier; returns it.
PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ends = math.max(now + tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], ends, 'PX', ends - now + 1000)
return ends
"""
# KEYS: the end of the host's pause (ms). Returns how long it still lasts (ms, 0: over).
PAUSED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return math.max(0, tonumber(redis.call('GET', KEYS[1]) or '0') - now)
"""
SLOT = "lpscrape_host_slot"


class SharedPoliteness:
    """A downloader middleware: every crawler's requests to a host share its delay and its
    concurrency through Redis."""

    def __init__(
        self, server: Any, delay: float, limit: int, expiry: float, poll: float, ttl: float
    ) -> None:
        self.server = server
        self.delay_ms = int(delay * 1000)
        self.limit = max(1, limit)
        self.expiry_ms = int(expiry * 1000)
        self.poll = poll
        self.ttl_ms = int(ttl * 1000)
        self.reserve = server.register_script(RESERVE)
        self.pause = server.register_script(PAUSE)
        self.paused = server.register_script(PAUSED)
        self.id = crawler_id()  # the frontier's heartbeat keeps this crawler's places
        self.counter = itertools.count()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPoliteness:
        """LPSCRAPE_HOST_DELAY and CONCURRENT_REQUESTS_PER_DOMAIN, shared by all crawlers."""
        settings = crawler.settings
        delay = settings.getfloat("LPSCRAPE_HOST_DELAY")
        middleware = cls(
            connect(settings.get("LPSCRAPE_REDIS_URL")),
            delay,
            settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
            settings.getfloat("DOWNLOAD_TIMEOUT") + delay + 30,
            settings.getfloat("LPSCRAPE_REDIS_POLL"),
            settings.getfloat("LPSCRAPE_REDIS_TTL"),
        )
        crawler.signals.connect(middleware.host_paused, signal=HOST_PAUSED)
        return middleware

    def keys(self, request: Request) -> list[str]:
        """The host's keys: next send time, requests out, end of its pause."""
        host = urlparse_cached(request).netloc.lower()
        return [f"{PREFIX}:host:{host}:{name}" for name in ("next", "out", "pause")]

    def host_paused(self, request: Request, seconds: float) -> None:
        """This crawler paused the host (`Retry-After`, backoff): so do all the others."""
        self.pause(keys=self.keys(request)[2:], args=[int(seconds * 1000)])

    async def process_request(self, request: Request) -> None:
        """Wait for a place at the host and for the host's next send time, and past any pause
        of the host that began meanwhile (another crawler's 429)."""
        keys = self.keys(request)
        while True:
            member = f"{self.id}|{next(self.counter)}"
            full = 0.005  # the host is full: look again soon, then less and less often
            while (wait := int(self.reserve(keys=keys, args=self.args(member)))) < 0:
                await asyncio.sleep(full)
                full = min(full * 2, self.poll / 5)
            request.meta[SLOT] = member
            if not wait:
                return
            await asyncio.sleep(wait / 1000)
            left = int(self.paused(keys=keys[2:]))
            if not left:
                return
            self.release(request)  # paused while it waited: its place back, a new turn after
            await asyncio.sleep(left / 1000)

    def args(self, member: str) -> list[Any]:
        """The script's arguments for one request."""
        return [self.delay_ms, self.limit, member, self.expiry_ms, ALIVE, self.id, self.ttl_ms]

    def release(self, request: Request) -> None:
        """Give the request's place at the host back."""
        member = request.meta.pop(SLOT, None)
        if member is not None:
            self.server.zrem(self.keys(request)[1], member)

    def process_response(self, request: Request, response: Response) -> Response:
        """The answer came: the place is free."""
        self.release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """The request failed: the place is free."""
        self.release(request)

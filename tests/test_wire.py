"""What crosses Redis is JSON, read back exactly and checked: no pickle, nothing of the
message's choosing runs (lpscrape/distributed/wire.py; no Redis needed here)."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from scrapy import Request
from scrapy.utils.request import request_from_dict

from lpscrape.demo import DemoSite
from lpscrape.distributed.wire import (
    REQUESTS,
    BadMessage,
    RunInfo,
    end_fields,
    item_fields,
    read_message,
)
from lpscrape.items import Capture, FetchFailure
from lpscrape.worker import extract

RUN = RunInfo("0123456789abcdef0123456789abcdef", "lordspress.com", "https://lordspress.com/")


def as_stream(fields: dict[str, Any]) -> dict[bytes, bytes]:
    """The fields as Redis gives them back: bytes."""
    return {k.encode(): v if isinstance(v, bytes) else str(v).encode() for k, v in fields.items()}


def article_capture() -> Capture:
    """A sample-site article page as a crawler captures and extracts it (weather included)."""
    site = DemoSite()
    article = site.articles[0]
    answer = site.respond("GET", article.path, {})
    capture = Capture(
        url=site.url(article.path),
        status=answer.status,
        body=answer.body,
        headers={k: [v] for k, v in answer.headers.items()},
        fetched_at="2025-11-05T11:02:37+00:00",
        discovered_via="sitemap",
        publication="lordspress.com",
    )
    assert not extract(capture) and capture.record is not None
    assert capture.record.weather is not None
    return capture


def test_a_capture_and_its_record_cross_exactly() -> None:
    capture = article_capture()
    message = read_message(as_stream(item_fields(RUN, capture, crashed=False)))
    assert (message.op, message.run, message.item, message.crashed) == ("item", RUN, capture, False)
    failure = FetchFailure("https://lordspress.com/x/", "article", "timeout", "60 s", "feed")
    assert read_message(as_stream(item_fields(RUN, failure, crashed=True))).item == failure
    end = read_message(as_stream(end_fields(RUN, {"requests": 51, "fetched": 50})))
    assert (end.op, end.stats) == ("end", {"requests": 51, "fetched": 50})


def forged(change: str) -> dict[bytes, bytes]:
    """A capture's message with one thing wrong."""
    fields = item_fields(RUN, article_capture(), crashed=False)
    data = json.loads(fields["data"])
    if change == "pickle":
        fields["data"], fields["v"] = pickle.dumps(data), ""
    elif change == "unknown field":
        data["item"]["__class__"] = "os.system"
    elif change == "wrong type":
        data["item"]["record"]["word_count"] = "many"
    elif change == "nested wrong type":
        data["item"]["record"]["weather"]["temperature_c"] = [1]
    elif change == "no body":
        del fields["body"]
    elif change == "bad token":
        fields["run"] = "../../etc"
    elif change == "bad status":
        data["item"]["status"] = 1200
    if change not in ("pickle", "no body", "bad token"):
        fields["data"] = json.dumps(data)
    return as_stream(fields)


@pytest.mark.parametrize(
    "change",
    [
        "pickle",
        "unknown field",
        "wrong type",
        "nested wrong type",
        "no body",
        "bad token",
        "bad status",
    ],
)
def test_a_message_that_is_not_what_a_crawler_writes_is_refused(change: str) -> None:
    with pytest.raises(BadMessage):
        read_message(forged(change))


def test_a_queued_request_crosses_as_json_and_comes_back_whole() -> None:
    request = Request(
        "https://lordspress.com/2025/09/10/slug/",
        headers={"If-None-Match": '"abc"'},
        priority=10,
        meta={"kind": "article", "via": "sitemap", "lastmod": None, "retry_times": 2,
              "redirect_urls": ["https://lordspress.com/?p=7"], "download_latency": 0.25,
              "handle_httpstatus_list": [200, 304, 404, 410], "raw": b"\x00\xff"},
    )  # fmt: skip
    data = REQUESTS.dumps(request.to_dict())
    assert b"\x80" not in data[:2]  # not a pickle
    again = request_from_dict(REQUESTS.loads(data))
    assert (again.url, again.priority, again.meta) == (request.url, 10, request.meta)
    assert again.headers == request.headers and again.body == request.body


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        (pickle.dumps({"url": "https://lordspress.com/"}), "not JSON"),
        (b'{"url": "https://lordspress.com/", "_class": "os.system"}', "unexpected fields"),
        (b'{"url": "https://lordspress.com/", "callback": "close"}', "callback"),
        (b'{"url": "https://lordspress.com/", "method": "POST"}', "method"),
        (b'{"url": "file:///etc/passwd"}', "URL"),
        (b'{"url": "https://lordspress.com/", "meta": []}', "meta"),
    ],
)
def test_a_queued_entry_that_is_not_an_article_request_is_refused(entry: bytes, why: str) -> None:
    with pytest.raises(BadMessage, match=why):
        REQUESTS.loads(entry)


def test_a_request_whose_meta_is_not_json_is_refused_when_queued() -> None:
    request = Request("https://lordspress.com/", meta={"kind": "article", "when": object()})
    with pytest.raises(TypeError, match=r"meta\.when"):
        REQUESTS.dumps(request.to_dict())

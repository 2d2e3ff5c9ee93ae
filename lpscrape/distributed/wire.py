"""What crosses Redis, as JSON and never as pickle: whoever can write to Redis must not be able
to run code in a crawler or in the writer.

- The hand-off stream: a capture or a failed fetch is JSON in the message's `data` field (a
  capture's body, bytes, apart in `body`), with its run's token, publication, start URL and
  mode; the run's end is JSON counts. `read_message` checks every field against the
  dataclasses of lpscrape.items and lpscrape.extract and raises `BadMessage` for anything
  else (an old pickle included): the writer keeps it aside and counts it, it never runs it.
- The shared request queue: `REQUESTS`, scrapy-redis's serializer (its `loads` and `dumps`),
  writes a request's dict as JSON (bytes as base64) and reads back only what an article
  request of this spider can be: no request class of the message's choosing, callbacks among
  the spider's `parse_*` methods and `on_error`, meta of JSON values.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import types
from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from scrapy import Request

from lpscrape.items import Capture, FetchFailure

FORMAT = b"1"  # the `v` field of every message written as below
TOKEN = re.compile(r"[0-9a-f]{32}")  # a run's token (uuid4 hex, see frontier.BEGIN)
NAME = re.compile(r"[A-Za-z0-9_.:-]{1,40}")  # a capture's kind, a failure's reason
CALLBACK = re.compile(r"parse_[a-z_]{1,40}|on_error")
MODES = ("incremental", "full")
BYTES = "$b"  # {"$b": base64}: bytes inside a request's meta or cb_kwargs
T = TypeVar("T")


class BadMessage(ValueError):
    """A message that is not what a crawler or the writer writes: why, in a few words."""


@dataclass
class RunInfo:
    """What every hand-off message says about its run."""

    token: str
    publication: str | None = None
    start_url: str | None = None
    mode: str = "incremental"


@dataclass
class Message:
    """One hand-off message, read and checked: an item of a run, or the run's end."""

    op: str  # item | end
    run: RunInfo
    item: Capture | FetchFailure | None = None
    crashed: bool = False  # extraction crashed on the crawler (the capture is kept)
    stats: dict[str, int] | None = None  # the crawlers' counts, with the run's end


# -- the hand-off stream ------------------------------------------------------------------


def run_fields(run: RunInfo) -> dict[str, str]:
    """The stream fields that name a message's run."""
    out = {"v": FORMAT.decode(), "run": run.token, "mode": run.mode}
    if run.publication is not None:
        out["publication"] = run.publication
    if run.start_url is not None:
        out["start_url"] = run.start_url
    return out


def item_fields(run: RunInfo, item: Capture | FetchFailure, crashed: bool) -> dict[str, Any]:
    """The stream fields of one capture (its body apart, as bytes) or failed fetch."""
    data = asdict(item)
    body = data.pop("body", None)
    kind = "capture" if isinstance(item, Capture) else "failure"
    payload = {"type": kind, "item": data, "crashed": crashed}
    out: dict[str, Any] = {**run_fields(run), "op": "item", "data": json.dumps(payload)}
    if body is not None:
        out["body"] = body
    return out


def end_fields(run: RunInfo, stats: dict[str, int]) -> dict[str, str]:
    """The stream fields of a run's end, with the crawlers' summed counts."""
    return {**run_fields(run), "op": "end", "data": json.dumps(stats)}


def _text(fields: dict[bytes, bytes], name: str, limit: int = 2000) -> str | None:
    """A field as printable text, None when absent; BadMessage when it is not text."""
    raw = fields.get(name.encode())
    if raw is None:
        return None
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise BadMessage(f"field {name!r} is not UTF-8 text") from None
    if len(text) > limit or not text.isprintable():
        raise BadMessage(f"field {name!r} is not a short line of text")
    return text


def read_run(fields: dict[bytes, bytes]) -> RunInfo:
    """The run a message names; BadMessage when its token or any other run field is wrong."""
    token = _text(fields, "run")
    if token is None or not TOKEN.fullmatch(token):
        raise BadMessage("no run token")
    start_url = _text(fields, "start_url")
    if start_url is not None and not start_url.startswith(("http://", "https://")):
        raise BadMessage("start_url is not an http(s) URL")
    mode = _text(fields, "mode") or "incremental"
    if mode not in MODES:
        raise BadMessage(f"unknown mode {mode!r}")
    return RunInfo(token, _text(fields, "publication", 200), start_url, mode)


def read_message(fields: dict[bytes, bytes]) -> Message:
    """One stream message, checked field by field; BadMessage says what is wrong."""
    if fields.get(b"v") != FORMAT:
        raise BadMessage("not a JSON hand-off message (a pickle from an older lpscrape?)")
    run = read_run(fields)
    op = _text(fields, "op")
    try:
        data = json.loads(fields.get(b"data", b""))
    except (ValueError, UnicodeDecodeError):
        raise BadMessage("data is not JSON") from None
    if op == "end":
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and type(v) is int for k, v in data.items()
        ):
            raise BadMessage("the run's end does not carry counts")
        return Message("end", run, stats=data)
    if op != "item":
        raise BadMessage(f"unknown op {op!r}")
    if not isinstance(data, dict) or set(data) != {"type", "item", "crashed"}:
        raise BadMessage("data is not an item")
    if type(data["crashed"]) is not bool:
        raise BadMessage("crashed is not true or false")
    if data["type"] == "failure":
        failure = from_json(FetchFailure, data["item"])
        _check_names(failure.kind, failure.reason)
        return Message("item", run, failure, data["crashed"])
    if data["type"] != "capture":
        raise BadMessage(f"unknown item type {data['type']!r}")
    body = fields.get(b"body")
    if body is None:
        raise BadMessage("a capture without its body")
    capture = from_json(Capture, data["item"], body=body)
    _check_names(capture.kind, capture.failure)
    if not 100 <= capture.status <= 599 or not capture.url.startswith(("http://", "https://")):
        raise BadMessage("a capture's status or URL is not HTTP's")
    return Message("item", run, capture, data["crashed"])


def _check_names(*names: str | None) -> None:
    for name in names:
        if name is not None and not NAME.fullmatch(name):
            raise BadMessage(f"not a kind or reason: {name[:40]!r}")


# -- dataclasses from JSON, every field checked -------------------------------------------


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def from_json(cls: type[T], data: Any, **given: Any) -> T:
    """An instance of dataclass `cls` from JSON data, each field checked against its type
    (`given`: fields the caller has already, such as bytes sent apart)."""
    if not isinstance(data, dict):
        raise BadMessage(f"{cls.__name__} is not an object")
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    if unknown := set(data) - names:
        raise BadMessage(f"{cls.__name__} has unknown fields {sorted(unknown)[:3]}")
    hints = _hints(cls)
    values = {k: _value(hints[k], v, f"{cls.__name__}.{k}") for k, v in data.items()}
    try:
        return cls(**values, **given)
    except TypeError as exc:  # a required field missing
        raise BadMessage(f"{cls.__name__}: {exc}") from None


def _value(hint: Any, value: Any, where: str) -> Any:
    """`value` if it is of type `hint` (JSON's numbers, strings, lists, objects), else
    BadMessage."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        for arg in args:
            try:
                return _value(arg, value, where)
            except BadMessage:
                continue
    elif hint is type(None) or hint is None:
        if value is None:
            return None
    elif hint is bool or hint is int or hint is str:
        if type(value) is hint:
            return value
    elif hint is float:
        if type(value) in (int, float):
            return float(value)
    elif origin is list:
        if isinstance(value, list):
            return [_value(args[0], v, where) for v in value]
    elif origin is dict:
        if isinstance(value, dict):
            return {_value(args[0], k, where): _value(args[1], v, where) for k, v in value.items()}
    elif is_dataclass(hint):
        return from_json(hint, value)  # type: ignore[type-var]
    raise BadMessage(f"{where} is not a {getattr(hint, '__name__', hint)}")


# -- the shared request queue (scrapy-redis's SCHEDULER_SERIALIZER) -------------------------


def _to_json(value: Any, where: str) -> Any:
    """A meta value as JSON: bytes tagged as base64, tuples as lists; TypeError otherwise."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, bytes):
        return {BYTES: base64.b64encode(value).decode()}
    if isinstance(value, list | tuple):
        return [_to_json(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        if BYTES in value:
            raise TypeError(f"request {where} uses the reserved key {BYTES!r}")
        return {k: _to_json(v, f"{where}.{k}") for k, v in value.items()}
    raise TypeError(
        f"request {where} holds a {type(value).__name__}: requests in the shared queue carry "
        "JSON values only (str, numbers, booleans, None, lists, dicts, bytes)"
    )


def _from_json(value: Any) -> Any:
    """A meta value as `_to_json` wrote it."""
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {BYTES} and isinstance(value[BYTES], str):
            return _b64(value[BYTES])
        return {k: _from_json(v) for k, v in value.items()}
    return value


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise BadMessage("not base64") from None


class RequestSerializer:
    """scrapy-redis's serializer for `Request.to_dict()`, as JSON (module-like: `loads`,
    `dumps`)."""

    KEYS = frozenset(Request.attributes)  # what `request_from_dict` reads; no `_class`

    @staticmethod
    def dumps(request: dict[str, Any]) -> bytes:
        """A request's dict as JSON; TypeError for a request this queue cannot carry."""
        if "_class" in request:
            raise TypeError(f"the shared queue carries Request only, not {request['_class']}")
        out = {k: v for k, v in request.items() if k not in ("headers", "body", "meta")}
        out["headers"] = {
            k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in request.get("headers", {}).items()
        }
        out["body"] = base64.b64encode(request.get("body") or b"").decode()
        out["meta"] = _to_json(request.get("meta") or {}, "meta")
        out["cookies"] = _to_json(request.get("cookies") or {}, "cookies")
        out["cb_kwargs"] = _to_json(request.get("cb_kwargs") or {}, "cb_kwargs")
        return json.dumps(out, separators=(",", ":")).encode()

    @staticmethod
    def loads(data: bytes) -> dict[str, Any]:
        """A request's dict, checked; BadMessage for anything an article request cannot be."""
        try:
            d = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise BadMessage("a queued request that is not JSON (a pickle?)") from None
        if not isinstance(d, dict) or not set(d) <= RequestSerializer.KEYS or "url" not in d:
            raise BadMessage("a queued request with unexpected fields")
        url, method = d["url"], d.get("method", "GET")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise BadMessage("a queued request whose URL is not http(s)")
        if method not in ("GET", "HEAD"):
            raise BadMessage(f"a queued request with method {str(method)[:10]!r}")
        for name in ("callback", "errback"):
            if d.get(name) is not None and not (
                isinstance(d[name], str) and CALLBACK.fullmatch(d[name])
            ):
                raise BadMessage(f"a queued request with {name} {str(d[name])[:40]!r}")
        checks = {
            "headers": dict[str, list[str]],
            "body": str,
            "encoding": str,
            "priority": int,
            "dont_filter": bool,
            "flags": list[str],
        }
        for name, hint in checks.items():
            if name in d:
                _value(hint, d[name], f"request.{name}")
        for name in ("meta", "cb_kwargs"):
            if not isinstance(d.get(name, {}), dict):
                raise BadMessage(f"a queued request whose {name} is not an object")
        d["body"] = _b64(d.get("body", ""))
        for name in ("meta", "cookies", "cb_kwargs"):
            if name in d:
                d[name] = _from_json(d[name])
        return d


REQUESTS = RequestSerializer()

"""A polite Semantic Scholar client: the `semanticscholar` package, rate-limited, with backoff.

The package (0.12.0) is used with `retry=False`; everything about pacing and retrying is ours:

- a rate limiter shared by every request this client makes (1 request/s with `S2_API_KEY`,
  1 request per 3 s without; `rate=` or `S2_RATE` overrides it),
- exponential backoff with jitter on 429 (which the package raises as `tenacity.RetryError`),
  5xx, timeouts, broken connections, truncated JSON and a 200 whose body is `{"error": ...}`
  (the package turns that, and any status it does not know, into `{}`: we refuse `{}`),
- explicit `fields` on every call (the package's defaults are enormous),
- the package's bugs worked around: queries are `quote_plus`-encoded before it sees them, and
  references/citations are fetched with our own httpx call so that `x-api-key` is sent
  (the package forgets the header on those endpoints).

`api_url` is the base without `/graph/v1` (the package appends it), so tests point the same code
path at a local replay server.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import tenacity
from semanticscholar import SemanticScholar
from semanticscholar.ApiRequester import ApiRequester
from semanticscholar.SemanticScholarException import (
    BadQueryParametersException,
    GatewayTimeoutException,
    InternalServerErrorException,
    ObjectNotFoundException,
)

from kg.util import batched, env_number

DEFAULT_API_URL = "https://api.semanticscholar.org"
BATCH_SIZE = 500  # POST /paper/batch takes at most 500 ids
EDGE_CAP = 10_000  # offset + limit must stay under 10,000 on /references and /citations

PAPER_FIELDS = [
    "paperId",
    "externalIds",
    "title",
    "year",
    "venue",
    "authors",
    "abstract",
    "citationCount",
    "influentialCitationCount",
    "referenceCount",
    "tldr",
    "url",
    "publicationDate",
]
EDGE_FIELDS = ["contexts", "intents", "isInfluential", "paperId", "title", "year", "externalIds", "authors"]
SEARCH_FIELDS = ["paperId", "title", "year", "authors", "externalIds", "venue"]


class S2Error(Exception):
    """A Semantic Scholar call failed for a reason worth one line to the user."""


class S2Unavailable(S2Error):
    """Retries exhausted (429s, 5xx, timeouts, bad bodies)."""


class S2BadResponse(Exception):
    """HTTP 200 with `{"error": ...}` or an unexpected status: the package hands back `{}`."""


class _CheckedRequester(ApiRequester):
    """The package's own requester (same HTTP code path), refusing the `{}` it returns for error bodies."""

    async def get_data_async(self, url, parameters, headers, payload=None):
        data = await super().get_data_async(url, parameters, headers, payload)
        if isinstance(data, dict) and not data:
            raise S2BadResponse(f"empty or error body from {url} (HTTP 200 with an error, or an unexpected status)")
        return data


class RateLimiter:
    """At most `rate` requests per second *as the server sees them*, across threads.

    The next request may start `1/rate` after the previous one started *and* after it finished
    (`done()`): the package builds a fresh HTTP client per call, so the time from our start to
    the server's arrival varies by tens of milliseconds, and spacing starts alone let two
    arrivals come closer than the limit. `clock`/`sleep` are injectable.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may start; returns how long it waited."""
        with self._lock:
            now = self._clock()
            wait = self._next - now
            if wait > 0:
                self._sleep(wait)
                now = self._clock()
            self._next = max(now, self._next) + self.interval
            return max(wait, 0.0)

    def done(self) -> None:
        """The request that last acquired has finished: the next one waits a full interval from now."""
        with self._lock:
            self._next = max(self._next, self._clock() + self.interval)


@dataclass
class Backoff:
    """Exponential backoff with jitter: attempt k waits uniform(0.5, 1) * min(cap, base * 2**k) seconds."""

    base: float = 2.0
    cap: float = 60.0
    attempts: int = 6  # total tries per request, the first included
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(0.5, 1.0) * min(self.cap, self.base * (2**attempt))


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    backoff_waits: list[float] = field(default_factory=list)
    rate_waits: float = 0.0
    errors: Counter = field(default_factory=Counter)


class _HTTPStatus(Exception):
    """A retryable status from our own httpx calls (429, 5xx)."""


# What we retry: 429 (tenacity.RetryError around ConnectionRefusedError), 500, 504, timeouts and
# broken connections, truncated or non-JSON bodies (ValueError), a 500 without "message" (KeyError),
# and the package's `{}` for error bodies.
_RETRYABLE = (
    tenacity.RetryError,
    ConnectionRefusedError,
    InternalServerErrorException,
    GatewayTimeoutException,
    httpx.TransportError,
    ValueError,
    KeyError,
    S2BadResponse,
    _HTTPStatus,
)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (tenacity.RetryError, ConnectionRefusedError)):
        return "429 too many requests"
    if isinstance(exc, InternalServerErrorException):
        return "500 server error"
    if isinstance(exc, GatewayTimeoutException):
        return "504 gateway timeout"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.TransportError):
        return f"connection error ({type(exc).__name__})"
    if isinstance(exc, S2BadResponse):
        return "error body"
    if isinstance(exc, _HTTPStatus):
        return str(exc)
    if isinstance(exc, (ValueError, KeyError)):
        return "malformed response"
    return type(exc).__name__


def default_rate(api_key: str | None) -> float:
    return env_number("S2_RATE", 0.0, minimum=0.01, maximum=1000) or (1.0 if api_key else 1 / 3)


class S2Client:
    """Everything `ingest` asks Semantic Scholar, one rate limiter and one backoff policy for all of it."""

    def __init__(
        self,
        api_key: str | None = None,
        api_url: str | None = None,
        rate: float | None = None,
        timeout: float = 30.0,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.api_key = api_key if api_key is not None else (os.environ.get("S2_API_KEY") or None)
        self.api_url = (api_url or os.environ.get("S2_API_URL") or DEFAULT_API_URL).rstrip("/")
        self.timeout = timeout
        self.backoff = backoff or Backoff(base=env_number("S2_BACKOFF_BASE", 2.0, maximum=600))
        self.limiter = RateLimiter(rate or default_rate(self.api_key), sleep=sleep)
        self._sleep = sleep
        self.stats = Stats()
        self._sch = SemanticScholar(timeout=timeout, api_key=self.api_key, api_url=self.api_url, retry=False)
        inner = self._sch._AsyncSemanticScholar  # the sync class wraps the async one
        inner._requester = _CheckedRequester(timeout, retry=False)
        self._http = httpx.Client(timeout=timeout, headers=self._headers())

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key} if self.api_key else {}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> S2Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the retry loop --------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        """One logical request: rate-limited attempts with backoff. Raises S2Unavailable when spent."""
        last = ""
        for attempt in range(self.backoff.attempts):
            self.stats.rate_waits += self.limiter.acquire()
            self.stats.requests += 1
            try:
                try:
                    return fn()
                finally:
                    self.limiter.done()
            except ObjectNotFoundException:
                raise
            except BadQueryParametersException as exc:
                raise S2Error(f"{what}: bad request ({exc})") from None
            except PermissionError:
                raise S2Error(f"{what}: 403 forbidden (is S2_API_KEY valid?)") from None
            except _RETRYABLE as exc:
                last = _reason(exc)
                self.stats.errors[last] += 1
                if attempt + 1 >= self.backoff.attempts:
                    break
                self.stats.retries += 1
                wait = self.backoff.delay(attempt)
                self.stats.backoff_waits.append(wait)
                self._sleep(wait)
        raise S2Unavailable(f"{what}: {last} (gave up after {self.backoff.attempts} attempts)")

    # -- papers ----------------------------------------------------------------------------
    def papers(self, ids: list[str], fields: list[str] | None = None) -> dict[str, dict | None]:
        """Metadata for many ids in ceil(N/500) batch requests: {requested id: paper dict or None}."""
        fields = fields or PAPER_FIELDS
        if "externalIds" not in fields:
            fields = [*fields, "externalIds"]
        out: dict[str, dict | None] = {}
        unique = list(dict.fromkeys(ids))
        for chunk in batched(unique, BATCH_SIZE):
            found, _missing = self._call(
                f"batch of {len(chunk)} papers",
                partial(self._sch.get_papers, chunk, fields=fields, return_not_found=True),
            )
            out.update(_assign(chunk, [p.raw_data for p in found]))
        return out

    def paper(self, paper_id: str, fields: list[str] | None = None) -> dict | None:
        try:
            p = self._call(f"paper {paper_id}", lambda: self._sch.get_paper(paper_id, fields=fields or PAPER_FIELDS))
        except ObjectNotFoundException:
            return None
        return p.raw_data

    def match_title(self, title: str, fields: list[str] | None = None) -> dict | None:
        """S2's single best title match (`/paper/search/match`), or None. The caller must confirm it."""
        q = quote_plus(title)  # bug workaround: the package does not encode queries
        try:
            p = self._call(
                f"title match {title[:40]!r}",
                lambda: self._sch.search_paper(q, match_title=True, fields=fields or SEARCH_FIELDS),
            )
        except ObjectNotFoundException:
            return None
        return dict(p.raw_data)

    def search(self, query: str, limit: int = 10, fields: list[str] | None = None) -> list[dict]:
        """First page of relevance search (one request)."""
        q = quote_plus(query)
        try:
            res = self._call(f"search {query[:40]!r}", lambda: self._sch.search_paper(q, limit=limit, fields=fields or SEARCH_FIELDS))
        except ObjectNotFoundException:
            return []
        return [dict(p.raw_data) for p in list(res.items)[:limit]]

    # -- references and citations: our own httpx call (the package drops x-api-key here) ----
    def edges(self, paper_id: str, kind: str, fields: list[str] | None = None, page_size: int = 1000) -> tuple[list[dict], bool]:
        """Every reference or citation of a paper, paged until `next` is gone.

        Returns (items, truncated); truncated is True when the API's 10,000 cap stopped us.
        Empty pages that still carry `next` are followed, not taken as the end.
        """
        if kind not in ("references", "citations"):
            raise ValueError(kind)
        fields = fields or EDGE_FIELDS
        url = f"{self.api_url}/graph/v1/paper/{quote(paper_id, safe=':/.')}/{kind}"
        items: list[dict] = []
        offset = 0
        while True:
            limit = min(page_size, EDGE_CAP - 1 - offset)
            if limit <= 0:
                return items, True
            params = {"fields": ",".join(fields), "offset": offset, "limit": limit}
            page = self._call(f"{kind} of {paper_id} at {offset}", partial(self._get_json, url, params))
            if not isinstance(page, dict) or "data" not in page:
                raise S2Error(f"{kind} of {paper_id}: unexpected response shape")
            items.extend(page["data"] or [])
            nxt = page.get("next")
            if nxt is None:
                return items, False
            if nxt <= offset:
                raise S2Error(f"{kind} of {paper_id}: `next` did not advance ({nxt} after {offset})")
            offset = nxt

    def _get_json(self, url: str, params: dict) -> Any:
        r = self._http.get(url, params=params)
        if r.status_code == 404:
            try:
                msg = r.json().get("error", "not found")
            except ValueError:
                msg = "not found"
            raise ObjectNotFoundException(msg)
        if r.status_code == 400:
            raise BadQueryParametersException(r.text[:200])
        if r.status_code == 403:
            raise PermissionError("403")
        if r.status_code == 429 or r.status_code >= 500:
            raise _HTTPStatus(f"{r.status_code} {'too many requests' if r.status_code == 429 else 'server error'}")
        if r.status_code != 200:
            raise _HTTPStatus(f"unexpected status {r.status_code}")
        data = r.json()  # ValueError on truncated JSON: retried
        if isinstance(data, dict) and "error" in data and "data" not in data:
            raise S2BadResponse(str(data["error"])[:200])
        return data


def _norm_doi(doi: str) -> str:
    return doi.strip().lower()


def _id_matches(requested: str, paper: dict) -> bool:
    ext = {k.lower(): str(v) for k, v in (paper.get("externalIds") or {}).items() if v is not None}
    prefix, _, value = requested.partition(":")
    if not value:
        if len(requested) == 40 and all(c in "0123456789abcdef" for c in requested):
            return paper.get("paperId") == requested
        return _norm_doi(ext.get("doi", "")) == _norm_doi(requested)
    p = prefix.lower()
    if p == "arxiv":
        return ext.get("arxiv", "").lower() == value.lower()
    if p == "doi":
        return _norm_doi(ext.get("doi", "")) == _norm_doi(value)
    if p == "corpusid":
        return ext.get("corpusid") == value
    key = {"mag": "mag", "acl": "acl", "pmid": "pubmed", "pmcid": "pubmedcentral"}.get(p)
    return bool(key) and ext.get(key, "").lower() == value.lower()


def _assign(requested: Sequence[str], found: list[dict]) -> dict[str, dict | None]:
    """Map each requested id to its paper. The package drops the API's nulls, so order alone is not enough."""
    out: dict[str, dict | None] = {}
    if len(found) == len(requested):
        return dict(zip(requested, found, strict=False))
    pool = list(found)
    for rid in requested:
        hit = next((p for p in pool if _id_matches(rid, p)), None)
        out[rid] = hit
        if hit is not None:
            pool.remove(hit)
    return out

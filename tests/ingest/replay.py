"""A local Semantic Scholar for tests: a real HTTP server (stdlib, in a thread) on 127.0.0.1.

It answers the Graph API paths the client uses, from two kinds of data:
- recorded cassettes from tests/ingest/fixtures/s2-recorded/ (real S2 responses, MIT), replayed when method, path,
  query and body match a recorded request;
- a synthesized world (fixtures/s2_world.json, in S2's shapes) for this corpus's sources:
  batch, single paper, references, citations (paged, with the empty-page-with-`next` quirk),
  search and title match.

Faults are queued with `fault(kind, times, path=...)`: 429, 500, 502, timeout (the response
comes after `delay` seconds), truncated JSON, 200 with an error body. Every request is logged
with its arrival time (time.monotonic) so tests assert rate limits from what the server saw.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml
from rapidfuzz import fuzz

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RECORDED = Path(__file__).resolve().parent / "fixtures" / "s2-recorded"  # copied from ../shared/s2-recorded
GRAPH = "/graph/v1"


@dataclass
class Req:
    t: float
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes
    status: int = 0


@dataclass
class Fault:
    kind: str  # 429 | 500 | 502 | timeout | truncated | error200 | drop
    times: int = 1
    path: str | None = None  # only requests whose path contains this
    delay: float = 1.0


@dataclass
class World:
    papers: dict[str, dict] = field(default_factory=dict)  # paperId -> paper
    refs: dict[str, list] = field(default_factory=dict)  # paperId -> reference items
    cites: dict[str, list] = field(default_factory=dict)  # paperId -> citation items (None = filtered gap)
    synthesize_arxiv: bool = False  # answer any ARXIV:<id> with a made-up paper (batching tests)

    @classmethod
    def load(cls, path: Path = FIXTURES / "s2_world.json") -> World:
        data = json.loads(path.read_text())
        w = cls()
        for p in data["papers"]:
            p = {k: v for k, v in p.items() if not k.startswith("_")}
            w.papers[p["paperId"]] = p
        for e in data["edges"]:
            citing, cited = w.papers[e["citing"]], w.papers[e["cited"]]
            extra = {k: e[k] for k in ("intents", "isInfluential", "contexts")}
            w.refs.setdefault(e["citing"], []).append({**extra, "citedPaper": _brief(cited)})
            w.cites.setdefault(e["cited"], []).append({**extra, "citingPaper": _brief(citing)})
        for pid, spec in data.get("bulk_citations", {}).items():
            lst = w.cites.setdefault(pid, [])
            lo, hi = spec["gap"]
            n = 0
            while n < spec["count"]:
                if lo <= len(lst) < hi:
                    lst.append(None)
                    continue
                fake = f"{n:08x}" + "c" * 32
                lst.append({"intents": [], "isInfluential": False, "contexts": [], "citingPaper": {"paperId": fake, "title": f"Synthetic citer {n}", "year": 2023, "externalIds": {}, "authors": []}})
                n += 1
        return w

    def find(self, ident: str) -> dict | None:
        ident = unquote(ident)
        if ident in self.papers:
            return self.papers[ident]
        prefix, _, value = ident.partition(":")
        if not value:
            prefix, value = "DOI", ident
        key = {"arxiv": "ArXiv", "doi": "DOI", "corpusid": "CorpusId"}.get(prefix.lower())
        if key is None:
            return None
        for p in self.papers.values():
            v = p["externalIds"].get(key)
            if v is not None and str(v).lower() == value.lower():
                return p
        if self.synthesize_arxiv and key == "ArXiv":
            import hashlib

            pid = hashlib.sha1(f"synthetic-arxiv:{value}".encode()).hexdigest()
            return {"paperId": pid, "externalIds": {"ArXiv": value}, "title": f"Synthetic paper {value}", "year": 2024}
        return None


def _brief(p: dict) -> dict:
    return {k: p.get(k) for k in ("paperId", "title", "year", "externalIds", "authors")}


class ReplayServer:
    def __init__(self, world: World | None = None, cassettes: list[str] = ()):
        self.world = world or World.load()
        self.recorded: dict[tuple, tuple[int, str]] = {}
        for name in cassettes:
            self._load_cassette(RECORDED / name)
        self.faults: deque[Fault] = deque()
        self.delay = 0.0  # seconds added to every response (to kill a client mid-run)
        self.log: list[Req] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fault(self, kind: str, times: int = 1, path: str | None = None, delay: float = 1.0) -> None:
        with self._lock:
            self.faults.append(Fault(kind, times, path, delay))

    def requests(self, path_contains: str = "") -> list[Req]:
        with self._lock:
            return [r for r in self.log if path_contains in r.path]

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- cassettes --------------------------------------------------------------------
    def _load_cassette(self, path: Path) -> None:
        for it in yaml.safe_load(path.read_text())["interactions"]:
            req, resp = it["request"], it["response"]
            u = urlsplit(req["uri"])
            body = req.get("body") or ""
            key = (req["method"], unquote(u.path), _qkey(u.query), _bkey(body))
            status = (resp.get("status") or {}).get("code") or resp.get("status_code") or 200
            text = (resp.get("body") or {}).get("string") if "body" in resp else resp.get("content")
            self.recorded[key] = (int(status), text or "")

    # -- the handler -------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.path is None or f.path in path:
                    f.times -= 1
                    if f.times <= 0:
                        self.faults.remove(f)
                    return f
        return None

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def _serve(self, method: str) -> None:
                t = time.monotonic()
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                u = urlsplit(self.path)
                rec = Req(t, method, unquote(u.path), dict(parse_qsl(u.query, keep_blank_values=True)), {k.lower(): v for k, v in self.headers.items()}, body)
                with server._lock:
                    server.log.append(rec)
                if server.delay:
                    time.sleep(server.delay)
                status, payload = server._respond(method, u, body, rec)
                rec.status = status
                try:
                    self._send(status, payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send(self, status: int, payload) -> None:
                if isinstance(payload, Fault):
                    f = payload
                    if f.kind == "timeout":
                        time.sleep(f.delay)
                        status, payload = 200, {"data": [], "error": "too late"}
                    elif f.kind == "drop":
                        self.close_connection = True
                        return
                    elif f.kind == "truncated":
                        raw = b'{"data": [{"paperId": "abc", "title": "Trunc'
                        self._raw(200, raw)
                        return
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self._raw(status, raw)

            def _raw(self, status: int, raw: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        return Handler

    def _respond(self, method: str, u, body: bytes, rec: Req):
        path = unquote(u.path)
        f = self._take_fault(path)
        if f is not None:
            if f.kind == "429":
                return 429, {"message": "Too Many Requests. Please wait and try again or apply for a key for higher rate limits.", "code": "429"}
            if f.kind == "500":
                return 500, {"message": "Internal Server Error"}
            if f.kind == "502":
                return 502, b"<html>Bad Gateway</html>"
            if f.kind == "error200":
                return 200, {"error": "Something went wrong on our side (injected)"}
            return 200, f
        key = (method, path, _qkey(u.query), _bkey(body.decode() if body else ""))
        if key in self.recorded:
            status, text = self.recorded[key]
            return status, text.encode()
        if not path.startswith(GRAPH):
            return 404, {"error": "not found"}
        return self._world(method, path[len(GRAPH) :], rec, body)

    def _world(self, method: str, path: str, rec: Req, body: bytes):
        w = self.world
        q = rec.query
        if method == "POST" and path == "/paper/batch":
            ids = json.loads(body or b"{}").get("ids") or []
            if len(ids) > 500:
                return 400, {"error": "Too many ids; the limit is 500"}
            return 200, [w.find(i) for i in ids]
        if path == "/paper/search/match":
            query = q.get("query", "").replace("+", " ")
            best = max(w.papers.values(), key=lambda p: fuzz.token_sort_ratio(query.lower(), p["title"].lower()))
            score = fuzz.token_sort_ratio(query.lower(), best["title"].lower())
            if score < 50:
                return 404, {"error": "Title match not found"}
            return 200, {"data": [{**best, "matchScore": round(score * 1.6, 2)}]}
        if path == "/paper/search":
            words = [x for x in q.get("query", "").replace("+", " ").lower().split() if x]
            hits = [p for p in w.papers.values() if words and all(x in p["title"].lower() for x in words)]
            off, lim = int(q.get("offset", 0)), int(q.get("limit", 100))
            page = {"total": len(hits), "offset": off, "data": hits[off : off + lim]}
            if off + lim < len(hits):
                page["next"] = off + lim
            return 200, page
        parts = path.split("/")
        if len(parts) >= 3 and parts[1] == "paper":
            if parts[-1] in ("references", "citations"):
                ident = "/".join(parts[2:-1])
                p = w.find(ident)
                if p is None:
                    return 404, {"error": f"Paper with id {ident} not found"}
                off, lim = int(q.get("offset", 0)), int(q.get("limit", 100))
                if off + lim >= 10000:
                    return 400, {"error": "offset + limit must be < 10000"}
                lst = (w.refs if parts[-1] == "references" else w.cites).get(p["paperId"], [])
                page = {"offset": off, "data": [x for x in lst[off : off + lim] if x is not None]}
                if off + lim < len(lst):
                    page["next"] = off + lim
                return 200, page
            ident = "/".join(parts[2:])
            p = w.find(ident)
            if p is None:
                return 404, {"error": f"Paper with id {ident} not found"}
            return 200, p
        return 404, {"error": f"unknown path {path}"}


def _qkey(query: str) -> tuple:
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))


def _bkey(body: str) -> str:
    if not body:
        return ""
    try:
        return json.dumps(json.loads(body), sort_keys=True)
    except ValueError:
        return body

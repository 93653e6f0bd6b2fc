"""`kg ingest`: fill the cache with what Semantic Scholar knows about each corpus source.

Idempotent and resumable: every paper and every edge list is its own cache file, written
atomically as soon as it is known, and a fresh file is never fetched again (unless `refresh`).
Kill it half-way and run it again: it picks up where the cache stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ingest.cache import Cache
from ingest.client import BATCH_SIZE, S2Client, S2Error
from ingest.resolve import S2_KINDS, confirm_match, id_sanity, lookup_id
from kg.schema import Source
from kg.util import batched


@dataclass
class Summary:
    resolved: list[str] = field(default_factory=list)  # have an S2 paperId (fetched now or cached)
    fetched: list[str] = field(default_factory=list)  # metadata fetched in this run
    from_cache: list[str] = field(default_factory=list)  # fresh in the cache, not fetched
    not_found: dict[str, str] = field(default_factory=dict)  # S2 does not know it (or only a weak match)
    skipped: dict[str, str] = field(default_factory=dict)  # nothing to ask S2 (posts, comments)
    failed: dict[str, str] = field(default_factory=dict)  # errors, with reasons
    missing: list[str] = field(default_factory=list)  # offline and not in the cache
    corrupt: list[str] = field(default_factory=list)  # offline and its cache file is corrupt (Cache.corrupt says how)
    warnings: list[str] = field(default_factory=list)
    edge_lists_fetched: int = 0
    edge_lists_cached: int = 0
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.missing and not self.corrupt

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"ok": self.ok}


Progress = Callable[[str, int], None]  # (what just happened, how many units done)


def plan(sources: list[Source]) -> tuple[dict[str, str], list[Source], dict[str, str]]:
    """Split sources into {id: lookup id}, those to match by title, and {id: why skipped}."""
    by_id, by_title, skipped = {}, [], {}
    for s in sources:
        lid = lookup_id(s)
        if lid:
            by_id[s.id] = lid
        elif s.kind in S2_KINDS:
            by_title.append(s)
        else:
            skipped[s.id] = f"{s.kind} without an S2 id, arXiv id or DOI (S2 does not index it)"
    return by_id, by_title, skipped


def ingest(
    sources: list[Source],
    cache: Cache,
    client: S2Client | None,
    refresh: bool = False,
    edges: bool = True,
    progress: Progress | None = None,
) -> Summary:
    """Fetch what is missing or stale. `client=None` means offline: read the cache, report the gaps."""
    tick = progress or (lambda *_: None)
    summary = Summary()
    cache.sweep_tmp()
    by_id, by_title, summary.skipped = plan(sources)
    srcs = {s.id: s for s in sources}

    # -- metadata ------------------------------------------------------------------------------
    todo_ids: dict[str, str] = {}
    todo_titles: list[Source] = []
    for sid in [s.id for s in sources if s.id not in summary.skipped]:
        entry = cache.read("papers", sid)
        lookup = by_id.get(sid) or f"title:{srcs[sid].title}"
        usable = entry is not None and entry.get("lookup") == lookup
        if usable and (client is None or (not refresh and cache.is_fresh(entry))):
            assert entry is not None  # usable implies an entry
            _count_cached(summary, sid, entry)
            tick(f"{sid}: cached", 1)
            continue
        if client is None:
            corrupt = cache.path("papers", sid) in cache.corrupt
            (summary.corrupt if corrupt else summary.missing).append(sid)
            tick(f"{sid}: {'corrupt' if corrupt else 'missing'}", 1)
            continue
        if sid in by_id:
            todo_ids[sid] = by_id[sid]
        else:
            todo_titles.append(srcs[sid])

    if todo_ids and client is not None:
        for chunk in batched(list(todo_ids.items()), BATCH_SIZE):
            try:
                got = client.papers([lid for _, lid in chunk])
            except S2Error as exc:
                for sid, _ in chunk:
                    summary.failed[sid] = str(exc)
                    tick(f"{sid}: failed", 1)
                continue
            for sid, lid in chunk:
                paper = got.get(lid)
                if paper and paper.get("paperId"):
                    warn = id_sanity(srcs[sid], paper)
                    if warn:
                        summary.warnings.append(f"{sid}: {warn}")
                    cache.write("papers", sid, {"lookup": lid, "status": "found", "paper": paper})
                    summary.fetched.append(sid)
                    summary.resolved.append(sid)
                else:
                    cache.write("papers", sid, {"lookup": lid, "status": "not_found", "paper": None})
                    summary.fetched.append(sid)
                    summary.not_found[sid] = f"S2 has no paper for {lid}"
                tick(f"{sid}: fetched", 1)

    for s in todo_titles if client is not None else []:
        assert client is not None  # the loop runs only online
        lookup = f"title:{s.title}"
        try:
            paper = client.match_title(s.title)
        except S2Error as exc:
            summary.failed[s.id] = str(exc)
            tick(f"{s.id}: failed", 1)
            continue
        summary.fetched.append(s.id)
        if paper is None:
            cache.write("papers", s.id, {"lookup": lookup, "status": "not_found", "paper": None})
            summary.not_found[s.id] = "no S2 title match"
        else:
            check = confirm_match(s, paper)
            if check.accepted:
                cache.write("papers", s.id, {"lookup": lookup, "status": "found", "paper": paper, "match": check.reason})
                summary.resolved.append(s.id)
            else:
                cache.write("papers", s.id, {"lookup": lookup, "status": "unconfirmed", "paper": None, "candidate": paper, "match": check.reason})
                summary.not_found[s.id] = f"weak title match rejected: {check.reason}"
        tick(f"{s.id}: fetched", 1)

    # -- references and citations ----------------------------------------------------------------
    if edges:
        for sid in list(summary.resolved):
            entry = cache.read("papers", sid) or {}
            pid = (entry.get("paper") or {}).get("paperId")
            if not pid:
                continue
            for kind in ("references", "citations"):
                e = cache.read(kind, sid)
                usable = e is not None and e.get("paperId") == pid
                if usable and (client is None or (not refresh and cache.is_fresh(e))):
                    summary.edge_lists_cached += 1
                    continue
                if client is None:
                    (summary.corrupt if cache.path(kind, sid) in cache.corrupt else summary.missing).append(f"{sid} ({kind})")
                    continue
                try:
                    items, truncated = client.edges(pid, kind)
                except S2Error as exc:
                    summary.failed[f"{sid} ({kind})"] = str(exc)
                    continue
                cache.write(kind, sid, {"paperId": pid, "items": items, "truncated": truncated})
                summary.edge_lists_fetched += 1
                if truncated:
                    summary.warnings.append(f"{sid}: {kind} stop at the API's 10,000 cap")
            tick(f"{sid}: edges", 1)

    if client is not None:
        summary.requests = client.stats.requests
    return summary


def _count_cached(summary: Summary, sid: str, entry: dict) -> None:
    summary.from_cache.append(sid)
    status = entry.get("status")
    if status == "found":
        summary.resolved.append(sid)
    elif status == "unconfirmed":
        summary.not_found[sid] = f"weak title match rejected: {entry.get('match', '')}"
    else:
        summary.not_found[sid] = "S2 has no paper for it (cached answer)"


def units(sources: list[Source], edges: bool = True) -> int:
    """Progress-bar total: one unit per source, one more per source for its edge lists."""
    return len(sources) * (2 if edges else 1)

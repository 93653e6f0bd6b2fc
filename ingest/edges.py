"""Citation edges among corpus sources, and outside papers worth adding, from the S2 cache.

`citation_edges(corpus)` is what the graph gets (through `claimgraph`): CITES edges between known sources,
with S2's citation intents and influential flag. Both directions of the cache are used (A's
reference list and B's citation list can each reveal A -> B), merged per pair. No cache, no
edges; this never touches the network.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ingest.cache import Cache
from kg.loading import Corpus
from kg.records import CitationEdge


@dataclass
class Suggestion:
    paperId: str
    title: str
    year: int | None
    cites: list[str]  # corpus sources this paper cites
    cited_by: list[str]  # corpus sources that cite it

    @property
    def links(self) -> int:
        return len(set(self.cites) | set(self.cited_by))


def paper_ids(corpus: Corpus, cache: Cache | None = None) -> dict[str, str]:
    """{source id: S2 paperId} for every source the cache resolved."""
    cache = cache or Cache.open()
    out = {}
    for sid in corpus.sources:
        e = cache.read("papers", sid)
        pid = ((e or {}).get("paper") or {}).get("paperId") if e and e.get("status") == "found" else None
        if pid:
            out[sid] = pid
    return out


def _items(cache: Cache, corpus: Corpus):
    """(source id, kind, other paper dict, edge item) for every cached edge."""
    for sid in corpus.sources:
        for kind, key in (("references", "citedPaper"), ("citations", "citingPaper")):
            e = cache.read(kind, sid)
            for item in (e or {}).get("items") or []:
                other = item.get(key) or {}
                if other.get("paperId"):
                    yield sid, kind, other, item


def citation_edges(corpus: Corpus, cache: Cache | None = None) -> list[CitationEdge]:
    cache = cache or Cache.open()
    by_pid = {pid: sid for sid, pid in paper_ids(corpus, cache).items()}
    intents: dict[tuple[str, str], list[str]] = {}
    influential: dict[tuple[str, str], bool] = {}
    for sid, kind, other, item in _items(cache, corpus):
        osid = by_pid.get(other["paperId"])
        if not osid or osid == sid:
            continue
        pair = (sid, osid) if kind == "references" else (osid, sid)
        seen = intents.setdefault(pair, [])
        seen.extend(i for i in item.get("intents") or [] if i not in seen)
        influential[pair] = influential.get(pair, False) or bool(item.get("isInfluential"))
    return [CitationEdge(citing=a, cited=b, intents=tuple(intents[(a, b)]), influential=influential[(a, b)]) for a, b in sorted(intents)]


def suggestions(corpus: Corpus, cache: Cache | None = None, min_links: int = 2) -> list[Suggestion]:
    """Papers outside the corpus that cite, or are cited by, at least `min_links` corpus sources."""
    cache = cache or Cache.open()
    known = set(paper_ids(corpus, cache).values())
    cites: dict[str, set[str]] = defaultdict(set)
    cited_by: dict[str, set[str]] = defaultdict(set)
    info: dict[str, dict] = {}
    for sid, kind, other, _item in _items(cache, corpus):
        pid = other["paperId"]
        if pid in known:
            continue
        info.setdefault(pid, other)
        (cited_by if kind == "references" else cites)[pid].add(sid)
    out = []
    for pid, other in info.items():
        s = Suggestion(pid, other.get("title") or "", other.get("year"), sorted(cites[pid]), sorted(cited_by[pid]))
        if s.links >= min_links:
            out.append(s)
    out.sort(key=lambda s: (-s.links, s.title))
    return out

"""What the graph and UI show from Semantic Scholar: cached metadata per corpus source.

`cached_metadata(corpus)` reads only the cache (never the network). Sources without a cached,
confirmed S2 record are absent from the result, so callers fall back to the YAML metadata.
"""

from __future__ import annotations

from ingest.cache import Cache
from kg.loading import Corpus


def cached_metadata(corpus: Corpus, cache: Cache | None = None) -> dict[str, dict]:
    cache = cache or Cache.open()
    found = ((sid, cached_paper(sid, cache)) for sid in corpus.sources)
    return {sid: meta for sid, meta in found if meta}


def cached_paper(source_id: str, cache: Cache | None = None) -> dict | None:
    """One source's cached S2 record (see cached_metadata), or None."""
    cache = cache or Cache.open()
    try:
        e = cache.read("papers", source_id)
    except OSError:
        return None
    if not e or e.get("status") != "found" or not e.get("paper"):
        return None
    p = e["paper"]
    tldr = p.get("tldr")
    return {
        "s2_paper_id": p.get("paperId"),
        "title": p.get("title"),
        "year": p.get("year"),
        "abstract": p.get("abstract"),
        "venue": p.get("venue") or None,
        "citation_count": p.get("citationCount"),
        "influential_citation_count": p.get("influentialCitationCount"),
        "tldr": tldr.get("text") if isinstance(tldr, dict) else None,
        "url": p.get("url"),
        "external_ids": p.get("externalIds") or {},
        "fetched_at": e.get("fetched_at"),
    }

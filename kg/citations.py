"""Citation edges among corpus sources, as the Semantic Scholar cache recorded them.

`ingest` owns the cache and its format; the graph only asks it for edges. Without a cache
(a fresh clone that never ran `kg ingest`) there are simply no CITES edges.
"""

from __future__ import annotations

from kg.graph import Citation
from kg.loading import Corpus


def load_citations(corpus: Corpus) -> list[Citation]:
    try:
        from ingest.edges import citation_edges
    except ImportError:
        return []
    return [Citation(e.citing, e.cited, tuple(e.intents), e.influential) for e in citation_edges(corpus)]

"""Export the graph: JSON (everything, with balances), GraphML (graph tools), CSV (the evidence
table), BibTeX (the sources)."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import networkx as nx

from kg.evidence import Weights
from kg.store import GraphStore, overview

FORMATS = ("json", "graphml", "csv", "bibtex")


def export(store: GraphStore, fmt: str, weights: Weights | None = None) -> str:
    return {"json": to_json, "graphml": to_graphml, "csv": to_csv, "bibtex": to_bibtex}[fmt](store, weights)


def to_json(store: GraphStore, weights: Weights | None = None) -> str:
    corpus = store.corpus
    data = {
        "sources": [s.model_dump(exclude_defaults=True) for s in corpus.sources.values()],
        "hypotheses": [{**h.model_dump(exclude_defaults=True), "balance": b.to_dict()} for h, b in overview(store, weights)],
        "claims": [c.model_dump(exclude_defaults=True) for c in corpus.claims.values()],
        "verdicts": [v.model_dump(mode="json") for v in store.all_verdicts()],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_graphml(store: GraphStore, weights: Weights | None = None) -> str:  # noqa: ARG001 - every format takes weights
    # GraphML holds scalars only: lists become '; '-joined text, None is dropped.
    g = nx.MultiDiGraph()
    for n, d in store.graph.nodes(data=True):
        g.add_node(n, **_scalars(d))
    for u, v, d in store.graph.edges(data=True):
        g.add_edge(u, v, **_scalars(d))
    return "\n".join(nx.generate_graphml(g)) + "\n"


def _scalars(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, list | tuple):
            out[k] = "; ".join(map(str, v))
        elif isinstance(v, str | int | float | bool):  # None and whole records (a verdict) stay out
            out[k] = v
    return out


def to_csv(store: GraphStore, weights: Weights | None = None) -> str:
    """One row per evidence link, with the weight it carries and where the claim is made."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["hypothesis", "claim", "source", "relation", "strength", "setting", "reproduction", "weight", "locator", "statement", "rationale"])
    for hyp, bal in overview(store, weights):
        for c in sorted(bal.contributions, key=lambda c: (-c.weight, c.row.claim)):
            claim = store.claim(c.row.claim)
            assert claim is not None  # evidence rows come from the store's own claims
            writer.writerow([hyp.id, claim.id, claim.source, c.row.relation, c.row.strength, c.row.setting, c.reproduction, f"{c.weight:.3f}", str(claim.locator), claim.statement, c.row.rationale])
    return buf.getvalue()


_BIB_TYPES = {"paper": "article", "post": "misc", "comment": "misc", "book": "book", "talk": "misc"}


def _bib_escape(text: str) -> str:
    return re.sub(r"([{}\\%&$#_])", r"\\\1", text)


def to_bibtex(store: GraphStore, weights: Weights | None = None) -> str:  # noqa: ARG001 - every format takes weights
    entries = []
    for s in sorted(store.sources(), key=lambda s: s.id):
        fields = {"title": "{" + _bib_escape(s.title) + "}", "author": _bib_escape(" and ".join(s.authors)) if s.authors else None}
        fields["year"] = str(s.year) if s.year else None
        fields["journal" if s.kind == "paper" else "howpublished"] = _bib_escape(s.venue) if s.venue else None
        if s.ids.arxiv:
            fields.update(eprint=s.ids.arxiv, archivePrefix="arXiv")
        fields["doi"] = s.ids.doi
        fields["url"] = s.ids.url or (f"https://arxiv.org/abs/{s.ids.arxiv}" if s.ids.arxiv else None)
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items() if v)
        entries.append(f"@{_BIB_TYPES[s.kind]}{{{s.id},\n{body}\n}}")
    return "\n\n".join(entries) + "\n"

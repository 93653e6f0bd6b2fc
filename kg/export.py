"""Export the graph: JSON (everything, with balances), GraphML (graph tools), CSV (the evidence
table), BibTeX (the sources).

Each format escapes what it writes, whatever the text holds (a verdict summary or a cached
title comes from outside the validated corpus): GraphML drops the characters XML 1.0 cannot
hold, a BibTeX value cannot close its entry, a CSV cell cannot start a spreadsheet formula.
tests/kg/test_hostile.py parses each export back.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from urllib.parse import quote

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
        g.add_node(_xml_text(n), **_scalars(d))
    for u, v, d in store.graph.edges(data=True):
        g.add_edge(_xml_text(u), _xml_text(v), **_scalars(d))
    return "\n".join(nx.generate_graphml(g)) + "\n"


# What XML 1.0 cannot hold at all, even escaped: C0 controls but tab and newlines, lone
# surrogates, U+FFFE and U+FFFF. Each becomes U+FFFD, the replacement character.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _scalars(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, list | tuple):
            out[k] = _xml_text("; ".join(map(str, v)))
        elif isinstance(v, str):
            out[k] = _xml_text(v)
        elif isinstance(v, int | float | bool):  # None and whole records (a verdict) stay out
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
            texts = [hyp.id, claim.id, claim.source, c.row.relation, c.row.strength, c.row.setting, c.reproduction]
            writer.writerow([*map(_csv_cell, texts), f"{c.weight:.3f}", *map(_csv_cell, [str(claim.locator), claim.statement, c.row.rationale])])
    return buf.getvalue()


def _csv_cell(text: str) -> str:
    """A spreadsheet runs a cell that starts with = + - @ (or a tab or CR before one) as a
    formula: such a cell starts with an apostrophe, which spreadsheets show as text (OWASP)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_BIB_TYPES = {"paper": "article", "post": "misc", "comment": "misc", "book": "book", "talk": "misc"}


# LaTeX's special characters as commands. Braces become commands too: BibTeX counts every
# brace, escaped or not, so a lone `\}` would still close the value and let text after it
# start a new entry.
_BIB_SPECIAL = {
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "\\": r"\textbackslash{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIB_SPECIAL_RE = re.compile("[{}\\\\%&$#_~^]")


def _bib_escape(text: str) -> str:
    return _BIB_SPECIAL_RE.sub(lambda m: _BIB_SPECIAL[m.group()], " ".join(text.split()))


def _bib_address(text: str) -> str:
    """A URL, DOI or eprint, percent-encoded where it holds a brace, backslash, quote or space."""
    return quote(text, safe="!#$%&'()*+,/:;=?@[]~")


def to_bibtex(store: GraphStore, weights: Weights | None = None) -> str:  # noqa: ARG001 - every format takes weights
    entries = []
    for s in sorted(store.sources(), key=lambda s: s.id):
        fields = {"title": "{" + _bib_escape(s.title) + "}", "author": _bib_escape(" and ".join(s.authors)) if s.authors else None}
        fields["year"] = str(s.year) if s.year else None
        fields["journal" if s.kind == "paper" else "howpublished"] = _bib_escape(s.venue) if s.venue else None
        if s.ids.arxiv:
            fields.update(eprint=_bib_address(s.ids.arxiv), archivePrefix="arXiv")
        fields["doi"] = _bib_address(s.ids.doi) if s.ids.doi else None
        url = s.ids.url or (f"https://arxiv.org/abs/{s.ids.arxiv}" if s.ids.arxiv else None)
        fields["url"] = _bib_address(url) if url else None
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items() if v)
        entries.append(f"@{_BIB_TYPES[s.kind]}{{{s.id},\n{body}\n}}")
    return "\n\n".join(entries) + "\n"

"""What the graph explorer draws: pure functions from plain data to a networkx graph, and from
a networkx graph to st-link-analysis (Cytoscape.js) elements. No Streamlit here, so the
conversion has its own unit tests (tests/ui/test_graphview.py).

Node keys are kg's `kind:id`. Every node carries `label` (its kind, which st-link-analysis
styles by), `name` (the caption drawn under it), `kind` and `entity` (the id its page takes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

KIND_LABEL = {"hypothesis": "Hypothesis", "claim": "Claim", "source": "Source", "run": "Run"}
KIND_COLOUR = {"hypothesis": "#5e35b1", "claim": "#0277bd", "source": "#6d4c41", "run": "#ef6c00"}
KIND_ICON = {"hypothesis": "flag", "claim": "description", "source": "science", "run": "analytics"}
EDGE_COLOUR = {
    "supports": "#2e7d32",
    "contradicts": "#c62828",
    "qualifies": "#9e9e9e",
    "FROM": "#bcaaa4",
    "REFINES": "#7e57c2",
    "LINK": "#0288d1",
    "CITES": "#a1887f",
    "TESTS": "#ef6c00",
}
STRENGTH_RANK = {"strong": 0, "moderate": 1, "weak": 2}


@dataclass(frozen=True, slots=True)
class Row:
    """One evidence link, flattened: what the explorer filters on."""

    hypothesis: str
    claim: str
    source: str
    relation: str
    strength: str
    setting: str


def short(text: str, width: int = 48) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def select(
    data: dict,
    hypotheses: Iterable[str] | None = None,
    relations: Iterable[str] | None = None,
    settings: Iterable[str] | None = None,
    years: tuple[int, int] | None = None,
    include_sources: bool = True,
    max_claims: int = 150,
) -> nx.MultiDiGraph:
    """The explorer's graph for a set of filters.

    `data` is `ui.data.explorer_inputs`: {"hypotheses": {id: title}, "parents": {id: parent},
    "sources": {id: {title, year, kind}}, "claims": {id: {statement, source, setting}},
    "rows": [Row]}. An empty or None filter means "all". Claims whose source has no year
    are dropped by a year filter. When more than `max_claims` claims match, the strongest are
    kept (strong before moderate before weak, then by id) and `g.graph["omitted"]` says how
    many were left out.
    """
    hyp_filter = set(hypotheses or ()) or set(data["hypotheses"])
    rel_filter = set(relations or ())
    set_filter = set(settings or ())
    rows = []
    for r in data["rows"]:
        if r.claim not in data["claims"]:
            continue
        if r.hypothesis not in hyp_filter or (rel_filter and r.relation not in rel_filter) or (set_filter and r.setting not in set_filter):
            continue
        if years is not None:
            year = data["sources"].get(r.source, {}).get("year")
            if year is None or not years[0] <= year <= years[1]:
                continue
        rows.append(r)

    rank: dict[str, tuple] = {}
    for r in rows:
        key = (STRENGTH_RANK.get(r.strength, 3), r.claim)
        rank[r.claim] = min(rank.get(r.claim, key), key)
    kept = sorted(rank, key=rank.__getitem__)[:max_claims]
    kept_set = set(kept)

    g = nx.MultiDiGraph(omitted=len(rank) - len(kept), matched=len(rank))
    for hid in sorted(hyp_filter):
        if hid in data["hypotheses"]:
            g.add_node(f"hypothesis:{hid}", kind="hypothesis", id=hid, name=data["hypotheses"][hid])
    for cid in kept:
        c = data["claims"][cid]
        g.add_node(f"claim:{cid}", kind="claim", id=cid, name=c["statement"], setting=c["setting"])
        if include_sources and c["source"] in data["sources"]:
            s = data["sources"][c["source"]]
            g.add_node(f"source:{c['source']}", kind="source", id=c["source"], name=s["title"], year=s.get("year"))
            g.add_edge(f"claim:{cid}", f"source:{c['source']}", type="FROM")
    for r in rows:
        if r.claim in kept_set:
            g.add_edge(f"claim:{r.claim}", f"hypothesis:{r.hypothesis}", type="EVIDENCE", relation=r.relation, strength=r.strength)
    for child, parent in data.get("parents", {}).items():
        if f"hypothesis:{child}" in g and f"hypothesis:{parent}" in g:
            g.add_edge(f"hypothesis:{child}", f"hypothesis:{parent}", type="REFINES")
    return g


def from_subgraph(sub: Any) -> nx.MultiDiGraph:
    """kg's `Subgraph` (a neighbourhood) as a networkx graph with the explorer's attributes."""
    g = nx.MultiDiGraph()
    for n in sub.nodes:
        g.add_node(n["key"], kind=n["kind"], id=n["id"], name=n["label"])
    for e in sub.edges:
        attrs = {"type": e["type"]}
        if e.get("relation"):
            attrs["relation"] = e["relation"]
        g.add_edge(e["source"], e["target"], **attrs)
    return g


def edge_label(attrs: dict) -> str:
    """EVIDENCE edges are labelled by relation (SUPPORTS, …), others by type (FROM, LINK…)."""
    if attrs.get("type") == "EVIDENCE":
        return str(attrs.get("relation", "evidence")).upper()
    if attrs.get("type") == "LINK" and attrs.get("relation"):
        return str(attrs["relation"]).upper()
    return str(attrs.get("type", "EDGE")).upper()


def to_elements(g: nx.MultiDiGraph, focus: str | None = None, width: int = 48) -> dict:
    """Cytoscape elements for st-link-analysis: {"nodes": [{"data": …}], "edges": [{"data": …}]}.

    Deterministic (sorted) so the component does not re-layout on every rerun. Text stays in
    data fields: the component renders it as text, never as HTML.
    """
    nodes = []
    for key in sorted(g.nodes):
        a = g.nodes[key]
        kind = a.get("kind") or key.partition(":")[0]
        data = {
            "id": key,
            "label": KIND_LABEL.get(kind, kind.title()),
            "name": short(a.get("name") or a.get("id") or key, width),
            "kind": kind,
            "entity": a.get("id") or key.partition(":")[2],
            "text": " ".join(str(a.get("name") or "").split()),
        }
        for extra in ("setting", "year"):
            if a.get(extra) is not None:
                data[extra] = a[extra]
        if focus and key == focus:
            data["focus"] = True
        nodes.append({"data": data})
    edges = []
    for i, (u, v, k, a) in enumerate(sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[3].get("type")), str(e[3].get("relation"))))):
        edges.append({"data": {"id": f"e{i}", "source": u, "target": v, "label": edge_label(a), **({"strength": a["strength"]} if a.get("strength") else {})}})
    return {"nodes": nodes, "edges": edges}


def node_styles() -> list:
    from st_link_analysis import NodeStyle

    return [NodeStyle(KIND_LABEL[k], KIND_COLOUR[k], "name", KIND_ICON[k]) for k in KIND_LABEL]


def edge_styles(labels: Iterable[str] | None = None) -> list:
    from st_link_analysis import EdgeStyle

    names = sorted(set(labels or [])) or ["SUPPORTS", "CONTRADICTS", "QUALIFIES", "FROM", "REFINES", "LINK", "CITES", "TESTS"]
    out = []
    for name in names:
        colour = EDGE_COLOUR.get(name.lower()) or EDGE_COLOUR.get(name) or EDGE_COLOUR["LINK"]
        out.append(EdgeStyle(name, colour, caption="label", labeled=None, directed=True))
    return out


def clicked(event: Any) -> tuple[str, str] | None:
    """(kind, id) of the node an st-link-analysis event names, or None.

    Handles the component's custom events ({"action": name, "data": {"target_id": key}}) and its
    expand action ({"action": "expand", "data": {"node_ids": [key]}})."""
    if not isinstance(event, dict):
        return None
    data = event.get("data") or {}
    key = data.get("target_id") or next(iter(data.get("node_ids") or []), None)
    if not isinstance(key, str) or ":" not in key:
        return None
    kind, _, entity = key.partition(":")
    if kind not in KIND_LABEL or not entity:
        return None
    return kind, entity

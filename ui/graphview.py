"""What the graph explorer draws: a selection from kg's graph, and any graph of kg's shape as
st-link-analysis (Cytoscape.js) elements. No Streamlit here, so both have unit tests
(tests/ui/test_ui_units.py).

The graph's shape is kg's (`kg.graph.build_graph`): node keys `kind:id`, node attributes
`kind`, `id`, `label`, `statement`, `setting`, `source`, `year`; edge attributes `type`,
`relation`, `strength`. This module only picks from that graph and styles it. Every drawn node
carries `label` (its kind, which st-link-analysis styles by), `name` (the caption under it),
`kind` and `entity` (the id its page takes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from kg import Kind, Weights, node_key
from kg.graph import Edge, split_key
from kg.schema import RELATIONS
from kg.util import shorten
from ui import palette

KIND_LABEL: dict[str, str] = {kind: kind.value.title() for kind in Kind}
KIND_ICON: dict[str, str] = {Kind.hypothesis: "flag", Kind.claim: "description", Kind.source: "science", Kind.run: "analytics"}


def entities(g: nx.MultiDiGraph, kind: Kind) -> dict[str, dict[str, Any]]:
    """{id: node attributes} for every node of one kind, in key order."""
    return {a["id"]: a for _, a in sorted((k, a) for k, a in g.nodes(data=True) if a["kind"] == kind)}


def source_years(g: nx.MultiDiGraph) -> list[int]:
    """The distinct years of the graph's sources, ascending (sources without a year left out)."""
    return sorted({a["year"] for a in entities(g, Kind.source).values() if a.get("year")})


def select(
    g: nx.MultiDiGraph,
    hypotheses: Iterable[str] | None = None,
    relations: Iterable[str] | None = None,
    settings: Iterable[str] | None = None,
    years: tuple[int, int] | None = None,
    include_sources: bool = True,
    max_claims: int = 150,
) -> nx.MultiDiGraph:
    """The explorer's graph for a set of filters: a selection of kg's graph `g`.

    The hypotheses asked for (all when none), the claims whose evidence on them passes the
    relation, setting and year filters, and, with `include_sources`, those claims' sources;
    with their evidence, FROM and REFINES edges. An empty or None filter means "all". Claims
    whose source has no year are dropped by a year filter. When more than `max_claims` claims
    match, the strongest are kept (by kg's default strength weights, then by id) and
    `graph["omitted"]` says how many were left out.
    """
    wanted = {node_key(Kind.hypothesis, h) for h in hypotheses or ()}
    hyp_keys = sorted(k for k, a in g.nodes(data=True) if a["kind"] == Kind.hypothesis and (not wanted or k in wanted))
    rel_filter, set_filter = set(relations or ()), set(settings or ())

    def year_of(claim: dict[str, Any]) -> int | None:
        source = node_key(Kind.source, claim["source"])
        return g.nodes[source].get("year") if source in g else None

    evidence = []  # (claim key, hypothesis key, edge attributes) that pass the filters
    for hk in hyp_keys:
        for ck, _, a in g.in_edges(hk, data=True):
            if a["type"] != Edge.EVIDENCE:
                continue
            claim = g.nodes[ck]
            if (rel_filter and a["relation"] not in rel_filter) or (set_filter and claim["setting"] not in set_filter):
                continue
            if years is not None:
                year = year_of(claim)
                if year is None or not years[0] <= year <= years[1]:
                    continue
            evidence.append((ck, hk, a))

    strength = Weights().strength
    rank: dict[str, tuple[float, str]] = {}
    for ck, _, a in evidence:
        key = (-strength.get(a["strength"], 0.0), ck)
        rank[ck] = min(rank.get(ck, key), key)
    kept = sorted(rank, key=rank.__getitem__)[:max_claims]

    out = nx.MultiDiGraph(omitted=len(rank) - len(kept), matched=len(rank))
    out.add_nodes_from((k, g.nodes[k]) for k in hyp_keys)
    out.add_nodes_from((k, g.nodes[k]) for k in kept)
    for ck in kept:
        for _, sk, a in g.out_edges(ck, data=True):
            if include_sources and a["type"] == Edge.FROM:
                out.add_node(sk, **g.nodes[sk])
                out.add_edge(ck, sk, **a)
    out.add_edges_from((ck, hk, a) for ck, hk, a in evidence if ck in out)
    for hk in hyp_keys:
        out.add_edges_from((hk, parent, a) for _, parent, a in g.out_edges(hk, data=True) if a["type"] == Edge.REFINES and parent in out)
    return out


def from_subgraph(sub: Any) -> nx.MultiDiGraph:
    """A store's neighbourhood (`kg.store.Subgraph`: nodes {key, kind, id, label}, edges
    {source, target, type, relation}) as a networkx graph with kg's attribute names."""
    g = nx.MultiDiGraph()
    for n in sub.nodes:
        g.add_node(n["key"], kind=n["kind"], id=n["id"], label=n["label"])
    for e in sub.edges:
        attrs = {"type": e["type"]}
        if e.get("relation"):
            attrs["relation"] = e["relation"]
        g.add_edge(e["source"], e["target"], **attrs)
    return g


def edge_label(attrs: dict) -> str:
    """EVIDENCE edges are labelled by relation (SUPPORTS, …), LINK edges by theirs when they
    have one (REPLICATES, …), the others by type (FROM, REFINES, …)."""
    if attrs.get("type") in (Edge.EVIDENCE, Edge.LINK) and attrs.get("relation"):
        return str(attrs["relation"]).upper()
    return str(attrs.get("type", "EDGE")).upper()


def author_year(authors: Iterable[str], year: int | None) -> str:
    """'Nanda et al. 2023', 'Barak & Edelman 2022', 'Solomonoff 1964': how a reader names a source."""
    names = [a.split()[-1] for a in authors if a.split()]
    who = names[0] + (" et al." if len(names) > 2 else f" & {names[1]}" if len(names) == 2 else "") if names else ""
    return " ".join(x for x in (who, str(year) if year else "") if x)


def to_elements(g: nx.MultiDiGraph, focus: str | None = None, width: int = 40, names: dict[str, str] | None = None) -> dict:
    """Cytoscape elements for st-link-analysis: {"nodes": [{"data": …}], "edges": [{"data": …}]}.

    Deterministic (sorted) so the component does not re-layout on every rerun. Text stays in
    data fields: the component renders it as text, never as HTML.
    """
    nodes = []
    for key in sorted(g.nodes):
        a = g.nodes[key]
        text = " ".join(str(a.get("statement") or a.get("label") or a["id"]).split())
        name = (names or {}).get(key) or shorten(text, width)  # short titles; sources by author and year when known
        data = {"id": key, "label": KIND_LABEL[a["kind"]], "name": name, "kind": a["kind"], "entity": a["id"], "text": text}
        for extra in ("setting", "year"):
            if a.get(extra) is not None:
                data[extra] = a[extra]
        if focus and key == focus:
            data["focus"] = True
        nodes.append({"data": data})
    edges = []
    ordered = sorted(g.edges(data=True), key=lambda e: (e[0], e[1], str(e[2].get("type")), str(e[2].get("relation"))))
    for i, (u, v, a) in enumerate(ordered):
        data = {"id": f"e{i}", "source": u, "target": v, "label": edge_label(a)}
        if a.get("strength"):
            data["strength"] = a["strength"]
        edges.append({"data": data})
    return {"nodes": nodes, "edges": edges}


# st-link-analysis draws captions at 3.6 px and hides any under 10 px on screen, so at the zoom
# that fits a graph nobody sees a label. These sizes keep them readable at default zoom.
NODE_TEXT = {"font-size": 8, "min-zoomed-font-size": 0, "text-wrap": "wrap", "text-max-width": 90, "text-margin-y": 2}
EDGE_TEXT = {"font-size": 5, "min-zoomed-font-size": 0, "text-background-opacity": 0.85}


def _with_text(style: Any, extra: dict[str, Any]) -> Any:
    dump = style.dump

    def dump_with_text() -> dict[str, Any]:
        out = dump()
        out["style"] = {**out["style"], **extra}
        return out

    style.dump = dump_with_text
    return style


def node_styles() -> list:
    from st_link_analysis import NodeStyle

    return [_with_text(NodeStyle(KIND_LABEL[kind], palette.KIND_HEX[kind], "name", KIND_ICON[kind]), NODE_TEXT) for kind in Kind]


def edge_styles(labels: Iterable[str] | None = None) -> list:
    from st_link_analysis import EdgeStyle

    every = [r.upper() for r in RELATIONS] + [e.value for e in Edge if e != Edge.EVIDENCE]
    return [_with_text(EdgeStyle(name, palette.edge_hex(name), caption="label", labeled=None, directed=True), EDGE_TEXT) for name in sorted(set(labels or [])) or every]


def legend_html(edge_labels: Iterable[str], kinds: Iterable[str]) -> str:
    """The graph's legend as static HTML (our own words and colours; no corpus text)."""
    nodes = "".join(
        f'<span style="margin-right:14px"><span style="display:inline-block;width:11px;height:11px;border-radius:50%;background:{palette.KIND_HEX[k]};margin-right:4px"></span>{KIND_LABEL[k]}</span>'
        for k in kinds
    )
    edges = "".join(
        f'<span style="margin-right:14px"><span style="display:inline-block;width:22px;height:3px;background:{palette.edge_hex(e)};vertical-align:middle;margin-right:4px"></span>{e.lower()}</span>'
        for e in sorted(set(edge_labels))
    )
    return f'<div data-testid="graph-legend" style="font-size:0.8rem;line-height:1.9">{nodes}<br>{edges}</div>'


def clicked(event: Any) -> tuple[str, str] | None:
    """(kind, id) of the node an st-link-analysis event names, or None.

    Handles the component's custom events ({"action": name, "data": {"target_id": key}}) and its
    expand action ({"action": "expand", "data": {"node_ids": [key]}})."""
    if not isinstance(event, dict):
        return None
    data = event.get("data") or {}
    key = data.get("target_id") or next(iter(data.get("node_ids") or []), None)
    if not isinstance(key, str):
        return None
    kind, entity = split_key(key)
    if kind not in KIND_LABEL or not entity:
        return None
    return kind, entity

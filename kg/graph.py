"""Build the claims graph (a networkx MultiDiGraph) from a validated corpus.

Node keys are `kind:id` (`claim:…`, `source:…`, `hypothesis:…`, `run:…`) so a claim and a
source may share a slug. Edges, all pointing away from the claim that asserts something:

    claim -FROM-> source                     who makes the claim
    claim -EVIDENCE{relation,strength}-> hypothesis
    claim -LINK{relation}-> claim            replicates | fails-to-replicate | disputes | extends
    hypothesis -REFINES-> hypothesis         a hypothesis and its parent
    source -CITES{intents,influential}-> source   from the Semantic Scholar cache
    run -TESTS{outcome,expect}-> claim       the latest run of each of a claim's reproductions
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from kg.loading import Corpus

KINDS = ("hypothesis", "claim", "source", "run")


def node_key(kind: str, entity_id: str) -> str:
    return f"{kind}:{entity_id}"


def split_key(key: str) -> tuple[str, str]:
    kind, _, entity_id = key.partition(":")
    return kind, entity_id


@dataclass(frozen=True)
class Verdict:
    """The latest run of one reproduction a claim names."""

    claim: str
    job: str
    preset: str
    expect: str
    outcome: str  # reproduced | not-reproduced | inconclusive
    run_id: str
    finished_at: str = ""
    summary: str = ""


@dataclass(frozen=True)
class Citation:
    citing: str  # source id
    cited: str
    intents: tuple[str, ...] = ()
    influential: bool = False


def label_of(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def build_graph(corpus: Corpus, verdicts: Iterable[Verdict] = (), citations: Iterable[Citation] = ()) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_nodes_from(
        (node_key("source", s.id), {"kind": "source", "id": s.id, "label": s.title, "year": s.year, "source_kind": s.kind})
        for s in corpus.sources.values()
    )
    g.add_nodes_from(
        (node_key("hypothesis", h.id), {"kind": "hypothesis", "id": h.id, "label": h.title}) for h in corpus.hypotheses.values()
    )
    g.add_nodes_from(
        (node_key("claim", c.id), {"kind": "claim", "id": c.id, "label": label_of(c.statement), "setting": c.setting, "source": c.source})
        for c in corpus.claims.values()
    )
    edges = []
    for c in corpus.claims.values():
        ck = node_key("claim", c.id)
        edges.append((ck, node_key("source", c.source), {"type": "FROM"}))
        for e in c.evidence:
            edges.append((ck, node_key("hypothesis", e.hypothesis), {"type": "EVIDENCE", "relation": e.relation, "strength": e.strength}))
        for link in c.links:
            edges.append((ck, node_key("claim", link.claim), {"type": "LINK", "relation": link.relation}))
    for h in corpus.hypotheses.values():
        if h.parent:
            edges.append((node_key("hypothesis", h.id), node_key("hypothesis", h.parent), {"type": "REFINES"}))
    for cite in citations:
        if cite.citing in corpus.sources and cite.cited in corpus.sources:
            edges.append(
                (node_key("source", cite.citing), node_key("source", cite.cited), {"type": "CITES", "intents": list(cite.intents), "influential": cite.influential})
            )
    for v in verdicts:
        if v.claim in corpus.claims:
            rk = node_key("run", v.run_id)
            if rk not in g:
                g.add_node(rk, kind="run", id=v.run_id, label=f"{v.job}/{v.preset}: {v.outcome}", outcome=v.outcome, job=v.job)
            edges.append((rk, node_key("claim", v.claim), {"type": "TESTS", "outcome": v.outcome, "expect": v.expect}))
    # Only edges between nodes that exist: a dangling reference in a bad corpus must not invent nodes.
    g.add_edges_from(e for e in edges if e[0] in g and e[1] in g)
    return g

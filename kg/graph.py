"""Build the claims graph (a networkx MultiDiGraph) from a validated corpus.

This is the one place the graph's shape is decided: the Neo4j projection (`kg.sync`) and the
UI's explorer both read the node and edge attributes set here.

Node keys are `kind:id` (`claim:…`, `source:…`, `hypothesis:…`, `run:…`) so a claim and a
source may share a slug. Edges, all pointing away from the claim that asserts something:

    claim -FROM-> source                     who makes the claim
    claim -EVIDENCE{relation,strength,rationale}-> hypothesis
    claim -LINK{relation,note}-> claim       replicates | fails-to-replicate | disputes | extends
    hypothesis -REFINES-> hypothesis         a hypothesis and its parent
    source -CITES{intents,influential}-> source   from the Semantic Scholar cache
    run -TESTS{outcome,expect,status,...}-> claim   each reproduction's verdict of record (status
                                             record or stale, node id record:<job>.<preset>) or latest local run
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from kg.loading import Corpus
from kg.records import CitationEdge, ClaimVerdict
from kg.util import shorten

if TYPE_CHECKING:
    import networkx as nx


class Kind(StrEnum):
    """The kinds of node in the graph; a node's key is `kind:id`."""

    hypothesis = "hypothesis"
    claim = "claim"
    source = "source"
    run = "run"


class Edge(StrEnum):
    FROM = "FROM"
    EVIDENCE = "EVIDENCE"
    LINK = "LINK"
    REFINES = "REFINES"
    CITES = "CITES"
    TESTS = "TESTS"


def node_key(kind: str, entity_id: str) -> str:
    return f"{kind}:{entity_id}"


def split_key(key: str) -> tuple[str, str]:
    kind, _, entity_id = key.partition(":")
    return kind, entity_id


def group_of(corpus: Corpus, source_id: str) -> str:
    """A source's independence group: its declared origin (lab, dataset, line of follow-ups), else itself."""
    source = corpus.sources.get(source_id)
    return (source.origin if source else None) or source_id


def independently_replicated(corpus: Corpus) -> set[str]:
    """Claims that replicate, or are replicated by, a claim from another independence group."""
    found: set[str] = set()
    for c in corpus.claims.values():
        for link in c.links:
            other = corpus.claims.get(link.claim)
            if link.relation == "replicates" and other and group_of(corpus, c.source) != group_of(corpus, other.source):
                found.update((c.id, other.id))
    return found


def run_label(v: ClaimVerdict) -> str:
    tag = {"record": " (verdict of record)", "stale": " (stale verdict of record)"}.get(v.status, "")
    return f"{v.job}/{v.preset}: {v.outcome}{tag}"


def build_graph(corpus: Corpus, verdicts: Iterable[ClaimVerdict] = (), citations: Iterable[CitationEdge] = ()) -> nx.MultiDiGraph:
    import networkx as nx  # here, not at the top: `kg hypotheses` never needs the graph and its import

    g = nx.MultiDiGraph()
    g.add_nodes_from(
        (
            node_key(Kind.source, s.id),
            {
                "kind": Kind.source.value,
                "id": s.id,
                "label": s.title,
                "year": s.year,
                "source_kind": s.kind,
                "authors": list(s.authors),
                "aliases": list(s.aliases),
                "group": s.origin or s.id,
            },
        )
        for s in corpus.sources.values()
    )
    g.add_nodes_from((node_key(Kind.hypothesis, h.id), {"kind": Kind.hypothesis.value, "id": h.id, "label": h.title, "statement": h.statement}) for h in corpus.hypotheses.values())
    replicated = independently_replicated(corpus)
    g.add_nodes_from(
        (
            node_key(Kind.claim, c.id),
            {
                "kind": Kind.claim.value,
                "id": c.id,
                "label": shorten(c.statement),
                "statement": c.statement,
                "setting": c.setting,
                "source": c.source,
                "claim_kind": c.effective_kind,
                "controlled": c.controlled,
                "runs": c.runs,
                "group": group_of(corpus, c.source),
                "replicated": c.id in replicated,
            },
        )
        for c in corpus.claims.values()
    )
    edges: list[tuple[str, str, dict[str, Any]]] = []
    for c in corpus.claims.values():
        ck = node_key(Kind.claim, c.id)
        edges.append((ck, node_key(Kind.source, c.source), {"type": Edge.FROM.value}))
        for i, e in enumerate(c.evidence):
            attrs: dict[str, Any] = {"type": Edge.EVIDENCE.value, "relation": e.relation, "strength": e.strength, "rationale": e.rationale, "direct": e.direct, "ord": i}
            edges.append((ck, node_key(Kind.hypothesis, e.hypothesis), attrs))
        for i, link in enumerate(c.links):
            edges.append((ck, node_key(Kind.claim, link.claim), {"type": Edge.LINK.value, "relation": link.relation, "note": link.note, "ord": i}))
    for h in corpus.hypotheses.values():
        if h.parent:
            edges.append((node_key(Kind.hypothesis, h.id), node_key(Kind.hypothesis, h.parent), {"type": Edge.REFINES.value}))
    for cite in citations:
        if cite.citing in corpus.sources and cite.cited in corpus.sources:
            attrs = {"type": Edge.CITES.value, "intents": list(cite.intents), "influential": cite.influential}
            edges.append((node_key(Kind.source, cite.citing), node_key(Kind.source, cite.cited), attrs))
    for v in verdicts:
        if v.claim not in corpus.claims:
            continue
        rk = node_key(Kind.run, v.run_id)
        if rk not in g:  # a run that tests several claims is one node, labelled by its first verdict
            g.add_node(rk, kind=Kind.run.value, id=v.run_id, label=run_label(v), outcome=v.outcome, job=v.job)
        attrs = {
            "type": Edge.TESTS.value,
            "claim": v.claim,
            "job": v.job,
            "preset": v.preset,
            "expect": v.expect,
            "outcome": v.outcome,
            "run_id": v.run_id,
            "finished_at": v.finished_at,
            "summary": v.summary,
            "status": v.status,
            "verdict": v,
        }
        edges.append((rk, node_key(Kind.claim, v.claim), attrs))
    # Only edges between nodes that exist: a dangling reference in a bad corpus must not invent nodes.
    g.add_edges_from(e for e in edges if e[0] in g and e[1] in g)
    return g

"""The queries the UI and the CLI need, behind one interface with two implementations.

`GraphStore` answers from the embedded networkx graph (the default); `kg.neo4j_store.Neo4jStore`
answers from a shared Neo4j server. Both return the same plain records, and the evidence
arithmetic happens once, in `kg.evidence`, on the `EvidenceRow`s either store returns,
so both stores give the same balance by construction. `tests/contract/` holds them to it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from kg.evidence import Balance, Contribution, EvidenceRow, Weights, aggregate, new_evidence_row
from kg.graph import Edge, Kind, build_graph, group_of, independently_replicated, node_key, split_key
from kg.loading import Corpus, Origin
from kg.records import CitationEdge, ClaimVerdict
from kg.schema import Claim, Hypothesis, Source
from kg.search import Entry, Hit, SearchIndex
from kg.summary import Summary, method, summarise
from kg.util import gc_paused

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class LinkRow:
    """A claim-to-claim link seen from one claim: `direction` is `out` when this claim made it."""

    claim: str
    other: str
    relation: str
    direction: str  # out | in


@dataclass
class Subgraph:
    nodes: list[dict[str, Any]] = field(default_factory=list)  # {key, kind, id, label}
    edges: list[dict[str, Any]] = field(default_factory=list)  # {source, target, type, relation?}


class Store(Protocol):
    def stats(self) -> dict[str, int]: ...
    def hypotheses(self) -> list[Hypothesis]: ...
    def hypothesis(self, hypothesis_id: str) -> Hypothesis | None: ...
    def claim(self, claim_id: str) -> Claim | None: ...
    def source(self, source_id: str) -> Source | None: ...
    def sources(self) -> list[Source]: ...
    def evidence(self, hypothesis_id: str) -> list[EvidenceRow]: ...
    def evidence_by_hypothesis(self) -> dict[str, list[EvidenceRow]]: ...
    def claims_of_source(self, source_id: str) -> list[Claim]: ...
    def claim_links(self, claim_id: str) -> list[LinkRow]: ...
    def citations(self, source_id: str) -> list[CitationEdge]: ...
    def verdicts(self, claim_id: str) -> list[ClaimVerdict]: ...
    def verdicts_of(self, claim_ids: Iterable[str]) -> dict[str, list[ClaimVerdict]]: ...
    def claims_of(self, claim_ids: Iterable[str]) -> dict[str, Claim]: ...
    def neighbourhood(self, key: str, depth: int = 1) -> Subgraph: ...
    def path(self, key_a: str, key_b: str) -> list[str] | None: ...
    def search(self, text: str, limit: int = 20, kinds: set[str] | None = None) -> list[Hit]: ...
    def origin(self, kind: str, entity_id: str) -> Origin | None: ...


# --- queries built on the interface (one implementation for both stores) -------------------


def balance(store: Store, hypothesis_id: str, weights: Weights | None = None) -> Balance:
    with gc_paused():
        return aggregate(hypothesis_id, store.evidence(hypothesis_id), weights)


def overview(store: Store, weights: Weights | None = None) -> list[tuple[Hypothesis, Balance]]:
    """Every hypothesis with its balance, in corpus order (one evidence query for all of them)."""
    with gc_paused():  # ~17k rows per hypothesis at 100k claims: see kg.util.gc_paused
        rows = store.evidence_by_hypothesis()
        return [(h, aggregate(h.id, rows.get(h.id, []), weights)) for h in store.hypotheses()]


@runtime_checkable
class SummaryKeeper(Protocol):
    """A store that keeps the overview's summaries for its current state (kg.neo4j_store)."""

    def kept_summaries(self, method: str) -> tuple[Any, dict[str, Summary] | None]: ...
    def keep_summaries(self, method: str, version: Any, summaries: dict[str, Summary]) -> bool: ...


@gc_paused()  # see kg.util.gc_paused
def summaries(store: Store, weights: Weights | None = None) -> list[tuple[Hypothesis, Summary]]:
    """Every hypothesis with the numbers the overview shows (kg.summary), in corpus order.

    Computed as `overview` computes them; a store that keeps summaries (Neo4j) answers under
    the default weights from one small query once a reader has computed them for its current
    state, and the first reader keeps what it computed. Other weights are always computed."""
    weights = weights or Weights()
    if weights != Weights() or not isinstance(store, SummaryKeeper):
        return [(h, summarise(b)) for h, b in overview(store, weights)]
    version, kept = store.kept_summaries(method())  # the state first: what is kept below is for it
    hypotheses = store.hypotheses()
    if kept is not None and all(h.id in kept for h in hypotheses):
        return [(h, kept[h.id]) for h in hypotheses]
    found = [(h, summarise(b)) for h, b in overview(store, weights)]
    if version is not None:
        store.keep_summaries(method(), version, {h.id: s for h, s in found})
    return found


def by_relation(store: Store, hypothesis_id: str, weights: Weights | None = None) -> dict[str, list[Contribution]]:
    """The contributions behind a hypothesis grouped by relation, heaviest first."""
    groups: dict[str, list[Contribution]] = {"supports": [], "contradicts": [], "qualifies": []}
    for c in sorted(balance(store, hypothesis_id, weights).contributions, key=lambda c: (-c.weight, c.row.claim)):
        groups[c.row.relation].append(c)
    return groups


def resolve_key(store: Store, ref: str) -> str | None:
    """Accept `kind:id` or a bare id; bare ids are tried as hypothesis, claim, then source."""
    kind, _, entity_id = ref.partition(":")
    if entity_id and kind in Kind.__members__:
        return ref
    for kind, getter in (("hypothesis", store.hypothesis), ("claim", store.claim), ("source", store.source)):
        if getter(ref) is not None:
            return node_key(kind, ref)
    return None


# --- the embedded store ------------------------------------------------------------------


class GraphStore:
    """The networkx store: the corpus models plus the graph built from them, all in memory."""

    def __init__(self, corpus: Corpus, verdicts: Iterable[ClaimVerdict] = (), citations: Iterable[CitationEdge] = ()):
        self.corpus = corpus
        self._verdicts = list(verdicts)
        self._citations = list(citations)
        self._index: SearchIndex | None = None
        self._evidence: dict[str, list[EvidenceRow]] | None = None

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The networkx graph (kg.graph), built on first use: listing balances does not need it."""
        with gc_paused():
            return build_graph(self.corpus, self._verdicts, self._citations)

    # everything, for export and sync
    def all_verdicts(self) -> list[ClaimVerdict]:
        return list(self._verdicts)

    def all_citations(self) -> list[CitationEdge]:
        return list(self._citations)

    # entities
    def stats(self) -> dict[str, int]:
        return dict(self._stats)  # every UI page shows them; counting at 100k claims takes ~0.2 s

    @cached_property
    def _stats(self) -> dict[str, int]:
        return {
            "sources": len(self.corpus.sources),
            "hypotheses": len(self.corpus.hypotheses),
            "claims": len(self.corpus.claims),
            "evidence": sum(len(c.evidence) for c in self.corpus.claims.values()),
            "runs": len(self._verdicts),
            "citations": sum(1 for c in self._citations if c.citing in self.corpus.sources and c.cited in self.corpus.sources),
        }

    def hypotheses(self) -> list[Hypothesis]:
        return list(self.corpus.hypotheses.values())

    def hypothesis(self, hypothesis_id: str) -> Hypothesis | None:
        return self.corpus.hypotheses.get(hypothesis_id)

    def claim(self, claim_id: str) -> Claim | None:
        return self.corpus.claims.get(claim_id)

    def source(self, source_id: str) -> Source | None:
        return self.corpus.sources.get(source_id)

    def sources(self) -> list[Source]:
        return list(self.corpus.sources.values())

    def origin(self, kind: str, entity_id: str) -> Origin | None:
        return self.corpus.origin({"claim": "claims", "source": "sources", "hypothesis": "hypotheses"}.get(kind, kind), entity_id)

    # relations
    def evidence(self, hypothesis_id: str) -> list[EvidenceRow]:
        if self._evidence is None:  # one pass over all claims serves every hypothesis
            self._evidence = self._all_evidence()
        return list(self._evidence.get(hypothesis_id, []))

    def evidence_by_hypothesis(self) -> dict[str, list[EvidenceRow]]:
        """{hypothesis id: its evidence rows} for every hypothesis with evidence."""
        if self._evidence is None:
            self._evidence = self._all_evidence()
        return {h: list(rows) for h, rows in self._evidence.items()}

    @gc_paused()  # 200k rows at 100k claims: see kg.util.gc_paused
    def _all_evidence(self) -> dict[str, list[EvidenceRow]]:
        verdicts: dict[str, list[tuple[str, str]]] = {}
        for v in self._verdicts:
            if v.weighs:  # a stale verdict of record weighs as no verdict
                verdicts.setdefault(v.claim, []).append((v.outcome, v.expect))
        replicated = independently_replicated(self.corpus)
        groups: dict[str, str] = {}  # source -> its independence group (~10 claims per source)
        rows: dict[str, list[EvidenceRow]] = {}
        for c in self.corpus.claims.values():
            # what every link of the claim shares, worked out once per claim
            group = groups.get(c.source)
            if group is None:
                group = groups[c.source] = group_of(self.corpus, c.source)
            claim_verdicts = tuple(verdicts.get(c.id, ()))
            kind = c.effective_kind
            is_replicated = c.id in replicated
            for e in c.evidence:
                row = new_evidence_row(
                    c.id,
                    c.source,
                    e.relation,
                    e.strength,
                    c.setting,
                    e.rationale,
                    claim_verdicts,
                    kind,
                    c.controlled,
                    c.runs,
                    e.direct,
                    group,
                    is_replicated,
                )
                rows.setdefault(e.hypothesis, []).append(row)
        return rows

    def claims_of_source(self, source_id: str) -> list[Claim]:
        key = node_key("source", source_id)
        if key not in self.graph:
            return []
        ids = sorted(split_key(u)[1] for u, _, d in self.graph.in_edges(key, data=True) if d["type"] == Edge.FROM)
        return [self.corpus.claims[i] for i in ids]

    def claim_links(self, claim_id: str) -> list[LinkRow]:
        key = node_key("claim", claim_id)
        if key not in self.graph:
            return []
        rows = [LinkRow(claim_id, split_key(v)[1], d["relation"], "out") for _, v, d in self.graph.out_edges(key, data=True) if d["type"] == Edge.LINK]
        rows += [LinkRow(claim_id, split_key(u)[1], d["relation"], "in") for u, _, d in self.graph.in_edges(key, data=True) if d["type"] == Edge.LINK]
        return sorted(rows, key=lambda r: (r.direction, r.relation, r.other))

    def citations(self, source_id: str) -> list[CitationEdge]:
        return sorted((c for c in self._citations if source_id in (c.citing, c.cited) and c.citing in self.corpus.sources and c.cited in self.corpus.sources), key=lambda c: (c.citing, c.cited))

    def verdicts(self, claim_id: str) -> list[ClaimVerdict]:
        return sorted((v for v in self._verdicts if v.claim == claim_id), key=lambda v: (v.job, v.preset))

    def claims_of(self, claim_ids: Iterable[str]) -> dict[str, Claim]:
        return {i: self.corpus.claims[i] for i in claim_ids if i in self.corpus.claims}

    def verdicts_of(self, claim_ids: Iterable[str]) -> dict[str, list[ClaimVerdict]]:
        wanted = set(claim_ids)
        found: dict[str, list[ClaimVerdict]] = {}
        for v in sorted(self._verdicts, key=lambda v: (v.job, v.preset)):
            if v.claim in wanted:
                found.setdefault(v.claim, []).append(v)
        return found

    # graph walks
    def neighbourhood(self, key: str, depth: int = 1) -> Subgraph:
        """Every node within `depth` hops (either direction) and the edges among them, sorted."""
        if key not in self.graph:
            return Subgraph()
        seen, frontier = {key}, deque([(key, 0)])
        while frontier:
            node, d = frontier.popleft()
            if d == depth:
                continue
            for other in set(self.graph.successors(node)) | set(self.graph.predecessors(node)):
                if other not in seen:
                    seen.add(other)
                    frontier.append((other, d + 1))
        nodes = [{"key": n, "kind": self.graph.nodes[n]["kind"], "id": self.graph.nodes[n]["id"], "label": self.graph.nodes[n]["label"]} for n in sorted(seen)]
        edges = [{"source": u, "target": v, "type": d["type"], "relation": d.get("relation")} for u, v, d in self.graph.subgraph(seen).edges(data=True)]
        edges.sort(key=lambda e: (e["source"], e["target"], e["type"], e["relation"] or ""))
        return Subgraph(nodes, edges)

    def path(self, key_a: str, key_b: str) -> list[str] | None:
        """A shortest path ignoring edge direction, or None."""
        if key_a not in self.graph or key_b not in self.graph:
            return None
        import networkx as nx

        try:
            shortest: list[str] = nx.shortest_path(self.graph.to_undirected(as_view=True), key_a, key_b)
            return shortest
        except nx.NetworkXNoPath:
            return None

    def search(self, text: str, limit: int = 20, kinds: set[str] | None = None) -> list[Hit]:
        if self._index is None:
            self._index = SearchIndex(search_entries(self.corpus.sources.values(), self.corpus.hypotheses.values(), self.corpus.claims.values()))
        return self._index.search(text, limit, kinds)


class _SourceLike(Protocol):
    """What search reads of a source: a `Source`, or a row from Neo4j."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def aliases(self) -> Sequence[str]: ...
    @property
    def authors(self) -> Sequence[str]: ...


class _HypothesisLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def statement(self) -> str: ...


class _ClaimLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def statement(self) -> str: ...


def search_entries(sources: Iterable[_SourceLike], hypotheses: Iterable[_HypothesisLike], claims: Iterable[_ClaimLike]) -> list[Entry]:
    """What search looks at, per entity (both stores build their index from this)."""
    entries = [Entry("source", s.id, s.title, (("title", s.title), *(("alias", a) for a in s.aliases), *(("author", a) for a in s.authors), ("id", s.id))) for s in sources]
    entries += [Entry("hypothesis", h.id, h.title, (("title", h.title), ("statement", h.statement), ("id", h.id))) for h in hypotheses]
    entries += [Entry("claim", c.id, c.statement, (("statement", c.statement), ("id", c.id))) for c in claims]
    return entries


class CorpusError(Exception):
    """The corpus has errors; the message says how many and how to see them."""

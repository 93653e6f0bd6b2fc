"""Every store query gives the same answer on every store, for every entity of every corpus.

`reference` is the embedded GraphStore; `store` is each implementation (embedded, Neo4j) loaded
from the same corpus (see conftest.py). The second half pins down expected answers on the
hostile corpus by hand, so a bug shared by both stores cannot pass unnoticed.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from corpora import C1, C2, C3, C4, H1, H2, S1, S2

from kg.graph import node_key
from kg.store import balance, by_relation, overview, resolve_key

MISSING = ["no-such-id", "x'}) MATCH (n) DETACH DELETE n //", "`", ""]
QUERIES = [
    "grokking",
    "weight decay",
    "badllama",
    "superposition",
    "safety fine-tuning shallow",
    "MATCH (n) DETACH DELETE n",
    "'",
    '"quoted"',
    "`backticked`",
    "Zoë",
    "李雷",
    "$param",
    "drop constraint",
    "hunter2",
    "x'}) RETURN 1 //",
    "claim one",
    "src",
    "ünï",
]


def all_keys(ref) -> list[str]:
    return sorted(ref.graph.nodes)


def sample(items: list, n: int) -> list:
    """All items when few, else an even spread (deterministic)."""
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


# --- the contract: equal answers --------------------------------------------------------------


def test_stats(reference, store):
    assert store.stats() == reference.stats()


def test_hypotheses_and_sources_in_corpus_order(reference, store):
    assert store.hypotheses() == reference.hypotheses()
    assert store.sources() == reference.sources()


def test_every_entity_by_id(reference, store):
    for h in reference.corpus.hypotheses:
        assert store.hypothesis(h) == reference.hypothesis(h), h
    for c in reference.corpus.claims:
        assert store.claim(c) == reference.claim(c), c
    for s in reference.corpus.sources:
        assert store.source(s) == reference.source(s), s
    for missing in MISSING:
        assert store.hypothesis(missing) is None and store.claim(missing) is None and store.source(missing) is None


def test_origins(reference, store):
    for kind, plural, ids in (("claim", "claims", reference.corpus.claims), ("source", "sources", reference.corpus.sources), ("hypothesis", "hypotheses", reference.corpus.hypotheses)):
        for entity_id in ids:
            assert store.origin(kind, entity_id) == reference.origin(kind, entity_id), (kind, entity_id)
            assert store.origin(plural, entity_id) == reference.origin(plural, entity_id), (plural, entity_id)
    assert store.origin("claim", "no-such-id") is None


def test_evidence_of_every_hypothesis(reference, store):
    for h in [*reference.corpus.hypotheses, *MISSING]:
        assert store.evidence(h) == reference.evidence(h), h


def test_evidence_of_all_hypotheses_at_once(reference, store):
    """The overview's one query gives every hypothesis's rows, as `evidence` does one by one."""
    want = {h: reference.evidence(h) for h in reference.corpus.hypotheses if reference.evidence(h)}
    assert store.evidence_by_hypothesis() == want


def test_balances_overview_and_grouping(reference, store):
    """The derived queries the UI shows (they run on the interface, once for both stores)."""

    def plain(balance_):
        return (balance_.to_dict(), balance_.explain())

    assert [(h, plain(b)) for h, b in overview(store)] == [(h, plain(b)) for h, b in overview(reference)]
    for h in reference.corpus.hypotheses:
        assert plain(balance(store, h)) == plain(balance(reference, h))
        got, want = by_relation(store, h), by_relation(reference, h)
        assert {k: [(c.row, c.weight) for c in v] for k, v in got.items()} == {k: [(c.row, c.weight) for c in v] for k, v in want.items()}


def test_claims_of_every_source(reference, store):
    for s in [*reference.corpus.sources, *MISSING]:
        assert store.claims_of_source(s) == reference.claims_of_source(s), s


def test_claim_links_of_every_claim(reference, store):
    for c in [*reference.corpus.claims, *MISSING]:
        assert store.claim_links(c) == reference.claim_links(c), c


def test_citations_of_every_source(reference, store):
    for s in [*reference.corpus.sources, *MISSING]:
        assert store.citations(s) == reference.citations(s), s


def test_many_claims_at_once(reference, store):
    found = store.claims_of([*reference.corpus.claims, "no-such-claim"])
    assert found == dict(reference.corpus.claims)
    assert store.claims_of([]) == {}


def test_verdicts_of_many_claims_at_once(reference, store):
    ids = list(reference.corpus.claims) + ["no-such-claim"]
    found = store.verdicts_of(ids)
    assert found == {c: reference.verdicts(c) for c in reference.corpus.claims if reference.verdicts(c)}
    assert store.verdicts_of([]) == {}


def test_verdicts_of_every_claim(reference, store):
    for c in [*reference.corpus.claims, *MISSING]:
        assert store.verdicts(c) == reference.verdicts(c), c


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_neighbourhoods(reference, store, depth):
    keys = sample(all_keys(reference), 40 if depth < 2 else 12)
    for key in [*keys, "claim:no-such-id", "nonsense"]:
        got, want = store.neighbourhood(key, depth), reference.neighbourhood(key, depth)
        assert dataclasses.asdict(got) == dataclasses.asdict(want), (key, depth)


def test_paths(reference, store):
    """Same answer where the shortest path is unique; where several tie, the same length and a
    real path (networkx and Neo4j may pick different ones of equal length)."""
    undirected = reference.graph.to_undirected(as_view=True)
    keys = sample(all_keys(reference), 14)
    pairs = list(itertools.combinations(keys, 2)) + [(keys[0], keys[0]), (keys[0], "claim:no-such-id")]
    for a, b in pairs:
        got, want = store.path(a, b), reference.path(a, b)
        if want is None:
            assert got is None, (a, b)
            continue
        assert got is not None, (a, b)
        assert len(got) == len(want), (a, b, got, want)
        assert got[0] == a and got[-1] == b
        assert all(undirected.has_edge(u, v) for u, v in zip(got, got[1:], strict=False)), (a, b, got)


def test_search(reference, store):
    for q in QUERIES:
        assert store.search(q) == reference.search(q), q
        assert store.search(q, limit=3) == reference.search(q, limit=3), q
        for kinds in ({"claim"}, {"source", "hypothesis"}):
            assert store.search(q, kinds=kinds) == reference.search(q, kinds=kinds), (q, kinds)


def test_resolve_key(reference, store):
    ids = [*reference.corpus.hypotheses, *reference.corpus.claims, *reference.corpus.sources][:30]
    for ref in [*ids, *MISSING, "claim:anything"]:
        assert resolve_key(store, ref) == resolve_key(reference, ref), ref


# --- expected answers on the hostile corpora (both stores) -------------------------------------


@pytest.mark.parametrize("corpus_name", ["hostile-yaml"], indirect=True)
def test_hostile_yaml_answers(store):
    assert store.stats() == {"sources": 3, "hypotheses": 3, "claims": 5, "evidence": 6, "runs": 5, "citations": 4}
    c = store.claim("claim-with-quotes")
    assert c.statement == "It's claimed that \"x\" holds'; MATCH (n) DETACH DELETE n; RETURN 'gotcha' // `end`"
    assert c.locator.figure == "`3`"
    assert store.source("match-n-detach-delete-n").authors == ["O'Brien, `Tick`", '"Quote" Author', "$param {id: 1}"]
    rows = store.evidence("drop-constraint-all")
    # a replication within one source is not independent: one group, diminishing returns
    assert [(r.claim, r.relation, r.strength, r.group, r.independent_replication) for r in rows] == [
        ("claim-with-quotes", "supports", "strong", "match-n-detach-delete-n", False),
        ("claim-replicates", "supports", "moderate", "match-n-detach-delete-n", False),
        ("claim-disputes", "contradicts", "strong", "return-1-union-call", False),
    ]
    assert rows[0].rationale == "Because ') RETURN 1 // says so"
    assert rows[0].verdicts == (("reproduced", "reproduced"), ("not-reproduced", "reproduced"))
    assert rows[1].verdicts == (("reproduced", "reproduced"), ("reproduced", "reproduced"))
    assert store.evidence("lonely-hypothesis") == []
    assert balance(store, "drop-constraint-all").contested
    assert [(link.other, link.relation, link.direction) for link in store.claim_links("claim-with-quotes")] == [
        ("claim-disputes", "disputes", "in"),
        ("claim-replicates", "replicates", "in"),
    ]
    assert [v.run_id for v in store.verdicts("claim-with-quotes")] == ["run-`2`", "run-'1'"]  # sorted by (job, preset)
    assert [(c.citing, c.cited, c.intents) for c in store.citations("return-1-union-call")] == [
        ("match-n-detach-delete-n", "return-1-union-call", ("methodology", "result")),
        ("match-n-detach-delete-n", "return-1-union-call", ("background",)),
        ("return-1-union-call", "match-n-detach-delete-n", ("background",)),
    ]
    assert store.path("claim:claim-isolated", "hypothesis:lonely-hypothesis") is None
    assert store.path("hypothesis:set-n-admin-true", "hypothesis:drop-constraint-all") == ["hypothesis:set-n-admin-true", "hypothesis:drop-constraint-all"]
    hood = store.neighbourhood("run:run-'1'", 1)
    assert [n["key"] for n in hood.nodes] == ["claim:claim-disputes", "claim:claim-with-quotes", "run:run-'1'"]
    assert [(e["source"], e["target"], e["type"]) for e in hood.edges] == [
        ("claim:claim-disputes", "claim:claim-with-quotes", "LINK"),
        ("run:run-'1'", "claim:claim-disputes", "TESTS"),
        ("run:run-'1'", "claim:claim-with-quotes", "TESTS"),
    ]
    assert store.search("hunter2")[0].id == "return-1-union-call"
    assert store.origin("claim", "claim-disputes").line == 19  # the line of its "- id:"


@pytest.mark.parametrize("corpus_name", ["hostile-ids"], indirect=True)
def test_hostile_ids_answers(store):
    assert store.stats() == {"sources": 2, "hypotheses": 2, "claims": 4, "evidence": 4, "runs": 2, "citations": 2}
    assert [h.id for h in store.hypotheses()] == [H1, H2]
    assert store.claim(C4).id == C4
    assert [(r.claim, r.relation, r.group, r.independent_replication) for r in store.evidence(H1)] == [(C1, "supports", S1, False), (C2, "contradicts", S1, False)]
    assert [c.id for c in store.claims_of_source(S1)] == sorted([C1, C2])
    assert [(link.other, link.direction) for link in store.claim_links(C2)] == [(C3, "in"), (C1, "out")]
    assert store.path(node_key("claim", C3), node_key("hypothesis", H1)) in (
        [node_key("claim", C3), node_key("claim", C2), node_key("hypothesis", H1)],
        [node_key("claim", C3), node_key("hypothesis", H2), node_key("hypothesis", H1)],
    )
    assert store.verdicts(C1)[0].run_id == "run'}) DELETE n //"
    assert [(c.citing, c.cited, c.intents) for c in store.citations(S2)] == [(S2, S1, ()), (S1, S2, ("result'",))]  # "`" sorts before "s"
    assert store.origin("source", S1).file == "we'ird`.yaml"

"""The embedded store: graph shape and every query the UI and CLI use."""

from __future__ import annotations

from claimgraph import load_graph_store
from kg.records import CitationEdge, ClaimVerdict, Verdict
from kg.store import GraphStore, balance, by_relation, overview, resolve_key
from kg.validation import validate


def claim_verdict(claim, job, preset, expect, outcome, run_id, finished_at="", reason=""):
    """A ClaimVerdict as a run would give it (positional, for compact test data)."""
    return ClaimVerdict(claim=claim, job=job, preset=preset, expect=expect, verdict=Verdict(outcome=outcome, reason=reason), run_id=run_id, finished_at=finished_at)


def citation(citing, cited, intents=(), influential=False):
    return CitationEdge(citing=citing, cited=cited, intents=intents, influential=influential)


def store_of(path, verdicts=()):
    report = validate(path)
    assert report.ok, report.errors
    return GraphStore(report.corpus, list(verdicts))


def test_graph_has_typed_nodes_and_edges(base_corpus):
    g = store_of(base_corpus).graph
    assert g.nodes["claim:grokking-fourier"]["kind"] == "claim"
    types = sorted(d["type"] for _, _, d in g.edges(data=True))
    assert types == ["EVIDENCE", "EVIDENCE", "FROM", "FROM", "LINK", "REFINES"]
    [(u, v, d)] = [(u, v, d) for u, v, d in g.edges(data=True) if d["type"] == "EVIDENCE" and u == "claim:grokking-fourier"]
    assert v == "hypothesis:general-algorithms" and d["relation"] == "supports" and d["strength"] == "strong"


def test_queries(base_corpus):
    store = store_of(base_corpus)
    assert store.stats()["claims"] == 2
    assert [c.id for c in store.claims_of_source("barak2022-hidden-progress")] == ["parity-hidden-progress"]
    assert store.claims_of_source("nope") == []
    [link] = store.claim_links("grokking-fourier")
    assert (link.other, link.relation, link.direction) == ("parity-hidden-progress", "extends", "in")
    assert store.path("claim:parity-hidden-progress", "source:nanda2023-progress-measures") == ["claim:parity-hidden-progress", "claim:grokking-fourier", "source:nanda2023-progress-measures"]
    assert store.path("claim:grokking-fourier", "hypothesis:missing") is None
    sub = store.neighbourhood("claim:grokking-fourier", depth=1)
    assert {n["key"] for n in sub.nodes} == {"claim:grokking-fourier", "source:nanda2023-progress-measures", "hypothesis:general-algorithms", "claim:parity-hidden-progress"}
    assert resolve_key(store, "grokking-fourier") == "claim:grokking-fourier"
    assert resolve_key(store, "general-algorithms") == "hypothesis:general-algorithms"
    assert resolve_key(store, "nothing-here") is None


def test_search_tolerates_typos_and_aliases(base_corpus):
    store = store_of(base_corpus)
    assert store.search("progres mesures for groking")[0].id == "nanda2023-progress-measures"
    assert store.search("sparse parity", kinds={"source"})[0].id == "barak2022-hidden-progress"
    assert store.search("zzzzqqqq") == []


def test_balance_and_grouping(base_corpus):
    store = store_of(base_corpus)
    b = balance(store, "general-algorithms")
    assert b.support == 3.0 * 0.6 and b.score == 1.0
    groups = by_relation(store, "learnability-prior")
    assert [c.row.claim for c in groups["supports"]] == ["parity-hidden-progress"]
    assert [h.id for h, _ in overview(store)] == ["general-algorithms", "learnability-prior"]


def test_verdicts_change_the_balance_and_show_as_run_nodes(base_corpus):
    v = claim_verdict("grokking-fourier", "grokking", "smoke", "reproduced", "not-reproduced", "run-1")
    store = store_of(base_corpus, [v])
    assert store.verdicts("grokking-fourier") == [v]
    assert balance(store, "general-algorithms").support == 3.0 * 0.6 * 0.5
    assert store.graph.nodes["run:run-1"]["kind"] == "run"


def test_bundled_corpus_builds(repo_root):
    store = load_graph_store(repo_root / "claims", runs=False)
    stats = store.stats()
    assert stats["claims"] >= 70 and stats["hypotheses"] >= 9 and stats["sources"] >= 36
    for hypothesis, b in overview(store):
        assert sum(b.counts.values()) >= 4, hypothesis.id

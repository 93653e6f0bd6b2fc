"""Every query the Neo4j store and `kg sync` send is planned with an index where one is expected.

The store's queries are recorded while every method of the `Store` protocol runs against the
real server, then each is EXPLAINed (planned, not run) with the parameters it was sent with.
A point query (one entity, one neighbourhood) must seek an index and scan nothing: a label or
relationship-type scan there means a missing index or a query the planner cannot anchor, and
costs seconds at 100k claims. Whole-label reads (listings, counts, the overview) may scan their
label, never all nodes. kg.sync's write queries are EXPLAINed the same way from their constants.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import kg.neo4j_store as neo4j_store
import kg.sync as kg_sync
from kg.graph import node_key
from kg.neo4j_store import Neo4jStore
from kg.store import Store, summaries

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from corpora import build

pytestmark = pytest.mark.neo4j

# Queries that read a whole label on purpose (a listing, a count, every hypothesis's evidence).
WHOLE_LABEL = {
    neo4j_store.Q_STATS,
    *neo4j_store.Q_DOCS.values(),
    *neo4j_store.Q_SEARCH_ENTRIES.values(),
    neo4j_store.Q_EVIDENCE_ALL,
    neo4j_store.Q_EVIDENCE_PACKS,  # one small node per hypothesis
    *kg_sync.EXISTING.values(),  # the sync's diff reads every id and hash once
}


def operators(plan: dict[str, Any]) -> list[str]:
    """Operator names of a plan tree, without the `@neo4j` suffix or `(Locking)`-style details."""
    name = plan["operatorType"].split("@")[0].split("(")[0]
    return [name, *(op for child in plan.get("children", []) for op in operators(child))]


def explain(driver, query: str, params: dict[str, Any]) -> list[str]:
    with driver.session(database="neo4j", notifications_min_severity="OFF") as session:
        summary = session.run("EXPLAIN " + query, params).consume()
    assert summary.plan, query
    return operators(summary.plan)


def check(query: str, ops: list[str]) -> str | None:
    """Why the plan is wrong, or None. A label scan or a scan of every node or relationship
    fails; a scan of an index (NodeIndexScan, RelationshipIndexScan) passes, because on the tiny
    test graph the planner's statistics make it prefer scanning the key index over seeking it,
    differently from run to run (even for `UNWIND $keys ... {key: k}` lookups). At 100k claims
    this difference is not checked here; bench/neo4j_bench.py times those queries."""
    scans = [op for op in ops if op.endswith("Scan") and not op.endswith("IndexScan")]
    if query in WHOLE_LABEL:
        bad = [op for op in scans if op.startswith(("AllNodes", "DirectedAllRelationships", "UndirectedAllRelationships"))]
        return f"scans everything ({', '.join(bad)})" if bad else None
    if scans:
        return f"scans ({', '.join(scans)}) where an index seek is expected"
    if not any("Seek" in op or op.endswith("IndexScan") for op in ops) and "Argument" not in ops:
        return "uses no index"
    return None


def cypher_constants(module, prefix: str) -> set[str]:
    found: set[str] = set()
    for name, value in vars(module).items():
        if name.startswith(prefix):
            found |= set(value.values()) if isinstance(value, dict) else {value} if isinstance(value, str) else set()
    return found


@pytest.fixture
def recorded(neo4j_db, monkeypatch):
    """{query: params} for every query the store sent while every Store method ran once."""
    ref = build("hostile-yaml")  # has run verdicts and citations, so every query finds rows
    kg_sync.sync(ref, neo4j_db, database="neo4j")
    store = Neo4jStore("bolt://unused", driver=neo4j_db, database="neo4j")
    seen: dict[str, dict[str, Any]] = {}
    original = Neo4jStore._read

    def record(self, query, **params):
        seen.setdefault(query, params)
        return original(self, query, **params)

    monkeypatch.setattr(Neo4jStore, "_read", record)
    claim = next(c for c in ref.corpus.claims.values() if ref.verdicts(c.id) and ref.claim_links(c.id))
    source = next(s for s in ref.corpus.sources if ref.citations(s))
    hypothesis = next(iter(ref.corpus.hypotheses))
    calls = {
        "stats": (),
        "hypotheses": (),
        "hypothesis": (hypothesis,),
        "claim": (claim.id,),
        "source": (source,),
        "sources": (),
        "evidence": (hypothesis,),
        "evidence_by_hypothesis": (),
        "claims_of_source": (source,),
        "claim_links": (claim.id,),
        "citations": (source,),
        "verdicts": (claim.id,),
        "verdicts_of": ([claim.id, "no-such-claim"],),
        "claims_of": ([claim.id, "no-such-claim"],),
        "neighbourhood": (node_key("claim", claim.id), 2),
        "path": (node_key("claim", claim.id), node_key("source", source)),
        "search": ("grokking",),
        "origin": ("claim", claim.id),
    }
    more = [("origin", ("source", source)), ("origin", ("hypothesis", hypothesis)), ("neighbourhood", (node_key("source", source), 1))]
    protocol = {name for name, value in vars(Store).items() if callable(value) and not name.startswith("_")}
    assert set(calls) == protocol, "add the new Store method to `calls` so its queries get checked"
    for name, args in [*calls.items(), *more]:
        getattr(store, name)(*args)
    summaries(store)  # computes the overview's summaries and keeps them ...
    summaries(store)  # ... then reads what it kept
    # Without the sync's evidence packs (a graph synced by older code), evidence comes off the graph.
    neo4j_db.execute_query("MATCH (m:KgMeta) REMOVE m.packed", database_="neo4j")
    fresh = Neo4jStore("bolt://unused", driver=neo4j_db, database="neo4j")
    fresh.evidence(hypothesis)
    fresh.evidence_by_hypothesis()
    return seen


def test_every_store_query_seeks_an_index(neo4j_db, recorded):
    unchecked = cypher_constants(neo4j_store, "Q_") - set(recorded)
    assert not unchecked, f"never issued, so never checked: {unchecked}"
    bad = {query: why for query, params in recorded.items() if (why := check(query, explain(neo4j_db, query, params)))}
    assert not bad, "\n\n".join(f"{why}:\n{query}" for query, why in bad.items())


def test_every_sync_query_seeks_an_index(neo4j_db, recorded):
    queries = cypher_constants(kg_sync, "UPSERT_") | cypher_constants(kg_sync, "MOVE") | cypher_constants(kg_sync, "DELETE_")
    queries |= {kg_sync.BEGIN_META, kg_sync.END_META, kg_sync.READ_META, *kg_sync.EXISTING.values()}
    queries.add(neo4j_store.KEEP_SUMMARIES)  # the store's one write (the overview's summaries)
    bad = {query: why for query in queries if (why := check(query, explain(neo4j_db, query, {})))}
    assert not bad, "\n\n".join(f"{why}:\n{query}" for query, why in bad.items())


def test_a_scanning_query_is_caught(neo4j_db, recorded):
    """The check itself: a lookup on a property without an index plans a label scan and fails."""
    query = "MATCH (c:Claim {statement: $text}) RETURN c.id"
    assert check(query, explain(neo4j_db, query, {"text": "x"})) == "scans (NodeByLabelScan) where an index seek is expected"

"""The overview's summaries on the real server: the first reader after a sync keeps them in
Neo4j, later readers (other store objects, other processes) read them in one query, and a sync
that changes something makes them stale, so the next reader recomputes them."""

from __future__ import annotations

import pytest
from test_sync import edited

from claimgraph import load_graph_store
from kg.neo4j_store import Neo4jStore
from kg.store import GraphStore, summaries
from kg.summary import method
from kg.sync import META_ID, sync
from kg.util import default_corpus

pytestmark = pytest.mark.neo4j

DB = "neo4j"


@pytest.fixture(scope="module")
def bundled() -> GraphStore:
    return load_graph_store(default_corpus(), runs=False)


def kept(driver) -> list[tuple[str, int]]:
    records = driver.execute_query("MATCH (s:KgSummary) RETURN s.id AS id, s.version AS version", database_=DB).records
    return [(r["id"], r["version"]) for r in records]


def meta_version(driver) -> int:
    return int(driver.execute_query("MATCH (m:KgMeta {id: $id}) RETURN m.version AS v", id=META_ID, database_=DB).records[0]["v"])


def no_evidence_reads(monkeypatch) -> None:
    def refuse(self):
        raise AssertionError("read every hypothesis's evidence instead of the kept summaries")

    monkeypatch.setattr(Neo4jStore, "evidence_by_hypothesis", refuse)


def test_the_first_reader_keeps_them_and_later_readers_read_them(neo4j_db, bundled, monkeypatch):
    sync(bundled, neo4j_db, database=DB)
    first = summaries(Neo4jStore("bolt://unused", driver=neo4j_db, database=DB))
    assert first == summaries(bundled)
    assert kept(neo4j_db) == [(method(), meta_version(neo4j_db))]
    no_evidence_reads(monkeypatch)
    assert summaries(Neo4jStore("bolt://unused", driver=neo4j_db, database=DB)) == first


def test_a_sync_that_changes_something_makes_them_stale(neo4j_db, bundled, monkeypatch):
    sync(bundled, neo4j_db, database=DB)
    store = Neo4jStore("bolt://unused", driver=neo4j_db, database=DB)
    before = summaries(store)
    new = edited(bundled)
    sync(new, neo4j_db, database=DB)
    after = summaries(store)
    assert after == summaries(new) != before
    assert kept(neo4j_db) == [(method(), meta_version(neo4j_db))]
    assert not sync(new, neo4j_db, database=DB).changed  # no change, no new version: still valid
    no_evidence_reads(monkeypatch)
    assert summaries(Neo4jStore("bolt://unused", driver=neo4j_db, database=DB)) == after


def test_summaries_computed_before_a_sync_are_never_kept_for_it(neo4j_db, bundled):
    sync(bundled, neo4j_db, database=DB)
    store = Neo4jStore("bolt://unused", driver=neo4j_db, database=DB)
    version, found = store.kept_summaries(method())
    assert found is None and version is not None
    stale = {h.id: s for h, s in summaries(bundled)}
    sync(edited(bundled), neo4j_db, database=DB)  # the version moves on between reading and keeping
    assert store.keep_summaries(method(), version, stale) is False
    assert kept(neo4j_db) == []


def test_nothing_is_kept_or_read_while_a_sync_writes(neo4j_db, bundled):
    sync(bundled, neo4j_db, database=DB)
    store = Neo4jStore("bolt://unused", driver=neo4j_db, database=DB)
    summaries(store)
    neo4j_db.execute_query("MATCH (m:KgMeta {id: $id}) SET m.dirty = true", id=META_ID, database_=DB)
    assert store.kept_summaries(method()) == (None, None)
    assert summaries(store) == summaries(bundled)  # computed from what is there

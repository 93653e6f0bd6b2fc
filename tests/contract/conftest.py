"""Both stores, loaded from the same corpora, for the contract suite.

Corpora:
- `bundled`: the real corpus in claims/ (validated, as `kg` loads it).
- `hostile-yaml`: tests/contract/hostile/: quotes, backticks, Cypher fragments and unicode in
  every text field, slug ids that spell Cypher, plus run verdicts and citations (duplicates,
  a run shared by two claims, a self-citation, a citation to an unknown source).
- `hostile-ids`: built in code, bypassing the schema, so the ids themselves carry quotes,
  backticks, colons, braces, newlines and Cypher; proves nothing is built into Cypher from data.

`reference` is always the embedded GraphStore; `store` is each implementation in turn (the
Neo4j one is marked `neo4j`, so `-m "not neo4j"` runs the suite on the embedded store alone).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kg.store import GraphStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "neo4j"))
import neo4j_server
from corpora import CORPORA, build


@pytest.fixture(params=CORPORA)
def corpus_name(request) -> str:
    return request.param


@pytest.fixture
def reference(corpus_name) -> GraphStore:
    return build(corpus_name)


def _loaded_corpus(driver) -> str | None:
    records = driver.execute_query("MATCH (m:ContractCorpus) RETURN m.name AS name", database_="neo4j").records
    return records[0]["name"] if len(records) == 1 else None


def neo4j_store_for(driver, name: str):
    """A Neo4jStore over a database holding exactly corpus `name` (cleared and synced if not)."""
    from kg.neo4j_store import Neo4jStore
    from kg.sync import sync

    if _loaded_corpus(driver) != name:
        neo4j_server.clear(driver, schema=False)
        report = sync(build(name), driver, database="neo4j")
        assert report.changed
        driver.execute_query("CREATE (:ContractCorpus {name: $name})", name=name, database_="neo4j")
    return Neo4jStore("bolt://unused", driver=driver, database="neo4j")


@pytest.fixture(params=["graph", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request, corpus_name):
    """Each store implementation, loaded from `corpus_name`."""
    if request.param == "graph":
        ref = build(corpus_name)
        # A second embedded store from the same inputs, not the reference object itself.
        return GraphStore(ref.corpus, ref._verdicts, ref._citations)
    return neo4j_store_for(request.getfixturevalue("neo4j_driver"), corpus_name)

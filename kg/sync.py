"""`kg sync`: project the corpus (and run verdicts, and citations) into Neo4j, idempotently.

The Neo4j model mirrors `kg.graph` (same node keys, same edge types):

    (:Source|Hypothesis|Claim|Run :KgNode {id, key, kind, label, h, ord, file, line, ...})
    (c:Claim)-[:FROM]->(:Source)        (c)-[:EVIDENCE {relation, strength, rationale, ord}]->(:Hypothesis)
    (c)-[:LINK {relation, note}]->(:Claim)  (:Hypothesis)-[:REFINES]->(:Hypothesis)
    (:Source)-[:CITES {k, h, ord, intents, influential}]->(:Source)
    (:Run)-[:TESTS {k, h, ord, claim, job, preset, expect, outcome, run_id, finished_at, summary, status}]->(:Claim)
    (:KgMeta {id: 'sync', version, packed, synced_at})    bumped whenever a sync changes something
    (:KgEvidence {id: <hypothesis>, h, rows})   the hypothesis's evidence rows as one JSON list
                                        (`pack_evidence`), so a reader gets ~17k rows at 100k
                                        claims in one property; valid while `packed` = `version`
    (:KgSummary {id: <evidence method>, version, doc})  the overview's numbers for that version,
                                        kept by the first reader (kg.neo4j_store); never synced

How it stays idempotent and convergent:
- Every node carries `h`, a hash of what it asserts (its properties and its outgoing edges).
  A sync reads the ids and hashes already there, writes only what differs, and deletes what
  is gone, so a second sync writes nothing and reports no changes.
- A node and its outgoing edges are written in the same transaction, hash last. An interrupted
  sync leaves whole batches or nothing; nodes it created only as link targets have no hash yet,
  so the next sync writes them. Rerunning converges to the same graph as a clean sync.
- Position (`ord`, file, line) is kept apart from the hash: moving a claim within the YAML is
  reported as `moved` and rewrites three properties, not the claim and its edges.

Safety: every value travels as a query parameter. Labels and relationship types are constants
in this file; nothing from the data is ever formatted into Cypher.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, fields
from functools import partial
from typing import TYPE_CHECKING, Any

import networkx as nx

from kg.evidence import EvidenceRow, new_evidence_row
from kg.graph import Edge, Kind, split_key
from kg.loading import Corpus
from kg.store import GraphStore
from kg.util import batched, gc_paused

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction, Record, Session

BATCH = 2000
WORKERS = 2  # write transactions in flight at once
META_ID = "sync"

# --- schema -------------------------------------------------------------------------------

SCHEMA = (
    "CREATE CONSTRAINT kg_source_id IF NOT EXISTS FOR (n:Source) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT kg_hypothesis_id IF NOT EXISTS FOR (n:Hypothesis) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT kg_claim_id IF NOT EXISTS FOR (n:Claim) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT kg_run_id IF NOT EXISTS FOR (n:Run) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT kg_node_key IF NOT EXISTS FOR (n:KgNode) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT kg_meta_id IF NOT EXISTS FOR (n:KgMeta) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT kg_summary_id IF NOT EXISTS FOR (n:KgSummary) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT kg_evidence_id IF NOT EXISTS FOR (n:KgEvidence) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX kg_claim_source IF NOT EXISTS FOR (n:Claim) ON (n.source)",
    "CREATE INDEX kg_cites_k IF NOT EXISTS FOR ()-[r:CITES]-() ON (r.k)",
    "CREATE INDEX kg_tests_k IF NOT EXISTS FOR ()-[r:TESTS]-() ON (r.k)",
)

# --- node upserts: one UNWIND per batch, the node and its outgoing edges together -------------

UPSERT_SOURCES = """
UNWIND $rows AS row
MERGE (n:Source {id: row.id})
SET n:KgNode, n += row.props
"""

UPSERT_HYPOTHESES = """
UNWIND $rows AS row
MERGE (n:Hypothesis {id: row.id})
SET n:KgNode, n += row.props
WITH n, row
CALL (n) { MATCH (n)-[r:REFINES]->() DELETE r }
CALL (n, row) {
  UNWIND row.parents AS pid
  MERGE (p:Hypothesis {id: pid})
    ON CREATE SET p:KgNode, p.key = 'hypothesis:' + pid, p.kind = 'hypothesis'
  CREATE (n)-[:REFINES]->(p)
}
SET n.h = row.h
"""

UPSERT_CLAIMS = """
UNWIND $rows AS row
MERGE (n:Claim {id: row.id})
SET n:KgNode, n += row.props
WITH n, row
CALL (n) { MATCH (n)-[r:FROM|EVIDENCE|LINK]->() DELETE r }
CALL (n, row) {
  UNWIND row.sources AS sid
  MATCH (s:Source {id: sid})
  CREATE (n)-[:FROM]->(s)
}
CALL (n, row) {
  UNWIND row.evidence AS e
  MATCH (h:Hypothesis {id: e.hypothesis})
  CREATE (n)-[:EVIDENCE {relation: e.relation, strength: e.strength, rationale: e.rationale, direct: e.direct, ord: e.ord}]->(h)
}
CALL (n, row) {
  UNWIND row.links AS l
  MERGE (o:Claim {id: l.claim})
    ON CREATE SET o:KgNode, o.key = 'claim:' + l.claim, o.kind = 'claim'
  CREATE (n)-[:LINK {relation: l.relation, note: l.note, ord: l.ord}]->(o)
}
SET n.h = row.h
"""

UPSERT_EVIDENCE = """
UNWIND $rows AS row
MERGE (n:KgEvidence {id: row.id})
SET n.rows = row.rows, n.h = row.h
"""

UPSERT_RUNS = """
UNWIND $rows AS row
MERGE (n:Run {id: row.id})
SET n:KgNode, n += row.props
"""

# An edge's key `k` names its two ends, so the old edge is found from the ends just matched
# (an expand): looked up by `k` alone, the planner may scan the whole relationship index when
# it cannot tell how many rows come (tests/neo4j/test_query_plans.py). Deletes by `k` alone
# carry an index hint for the same reason.
UPSERT_TESTS = """
UNWIND $rows AS row
MATCH (r:Run {id: row.run_id})
MATCH (c:Claim {id: row.claim})
OPTIONAL MATCH (r)-[old:TESTS {k: row.k}]->(c)
CALL (old) { WITH old WHERE old IS NOT NULL DELETE old }
CREATE (r)-[t:TESTS]->(c)
SET t = row.props
"""

UPSERT_CITES = """
UNWIND $rows AS row
MATCH (a:Source {id: row.citing})
MATCH (b:Source {id: row.cited})
OPTIONAL MATCH (a)-[old:CITES {k: row.k}]->(b)
CALL (old) { WITH old WHERE old IS NOT NULL DELETE old }
CREATE (a)-[t:CITES]->(b)
SET t = row.props
"""

MOVE = {
    "sources": "UNWIND $rows AS row MATCH (n:Source {id: row.id}) SET n += row.pos",
    "hypotheses": "UNWIND $rows AS row MATCH (n:Hypothesis {id: row.id}) SET n += row.pos",
    "claims": "UNWIND $rows AS row MATCH (n:Claim {id: row.id}) SET n += row.pos",
    "runs": "UNWIND $rows AS row MATCH (n:Run {id: row.id}) SET n += row.pos",
}

DELETE_NODES = {
    "sources": "UNWIND $ids AS id MATCH (n:Source {id: id}) DETACH DELETE n",
    "hypotheses": "UNWIND $ids AS id MATCH (n:Hypothesis {id: id}) DETACH DELETE n",
    "claims": "UNWIND $ids AS id MATCH (n:Claim {id: id}) DETACH DELETE n",
    "runs": "UNWIND $ids AS id MATCH (n:Run {id: id}) DETACH DELETE n",
    "evidence packs": "UNWIND $ids AS id MATCH (n:KgEvidence {id: id}) DELETE n",
}
DELETE_EDGES = {
    "tests": "UNWIND $ids AS k MATCH ()-[r:TESTS {k: k}]->() USING INDEX r:TESTS(k) DELETE r",
    "citations": "UNWIND $ids AS k MATCH ()-[r:CITES {k: k}]->() USING INDEX r:CITES(k) DELETE r",
}
EXISTING = {
    "sources": "MATCH (n:Source) RETURN n.id AS id, n.h AS h, n.ord AS ord, n.file AS file, n.line AS line",
    "hypotheses": "MATCH (n:Hypothesis) RETURN n.id AS id, n.h AS h, n.ord AS ord, n.file AS file, n.line AS line",
    "claims": "MATCH (n:Claim) RETURN n.id AS id, n.h AS h, n.ord AS ord, n.file AS file, n.line AS line",
    "runs": "MATCH (n:Run) RETURN n.id AS id, n.h AS h, n.ord AS ord, null AS file, null AS line",
    "tests": "MATCH ()-[r:TESTS]->() RETURN r.k AS id, r.h AS h, r.ord AS ord, null AS file, null AS line",
    "citations": "MATCH ()-[r:CITES]->() RETURN r.k AS id, r.h AS h, r.ord AS ord, null AS file, null AS line",
    "evidence packs": "MATCH (n:KgEvidence) RETURN n.id AS id, n.h AS h, null AS ord, null AS file, null AS line",
}
UPSERT = {
    "sources": UPSERT_SOURCES,
    "hypotheses": UPSERT_HYPOTHESES,
    "claims": UPSERT_CLAIMS,
    "runs": UPSERT_RUNS,
    "tests": UPSERT_TESTS,
    "citations": UPSERT_CITES,
    "evidence packs": UPSERT_EVIDENCE,
}
# The version lets readers (kg.neo4j_store) drop caches; `dirty` marks a sync in progress or
# interrupted, so the next sync bumps the version even if it finds nothing left to change.
BEGIN_META = """
MERGE (m:KgMeta {id: $id})
SET m.version = coalesce(m.version, 0) + 1, m.dirty = true
"""
END_META = """
MERGE (m:KgMeta {id: $id})
WITH m, coalesce(m.version, 0) + 1 AS version
SET m.version = version, m.packed = version, m.dirty = false, m.synced_at = $now, m.summary = $summary
"""
READ_META = "MATCH (m:KgMeta {id: $id}) RETURN m.version AS version, m.dirty AS dirty"

# Upserts in dependency order (edges need their end nodes); deletions in reverse. The evidence
# packs go last: they are built while the server writes the last batches of the graph.
ORDER = ("sources", "hypotheses", "claims", "runs", "tests", "citations", "evidence packs")
NODE_SETS = ("sources", "hypotheses", "claims", "runs")


# --- rows: read off the graph kg.graph built, so Neo4j holds the same shape ---------------


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _hash(obj: Any) -> str:
    # ASCII JSON: the C encoder's fast path (ensure_ascii=False took 40% longer per claim)
    return _digest(json.dumps(obj, sort_keys=True, default=str))


@dataclass
class Row:
    id: str
    h: str
    pos: dict[str, Any]
    data: dict[str, Any]  # what the upsert query reads besides id/h/pos


Adjacency = dict[str, dict[str, dict[Any, dict[str, Any]]]]  # node -> {target: {edge key: attributes}}


@dataclass
class _Graph:
    """The graph's nodes by kind, and its raw adjacency (networkx's `adjacency()`: plain dicts,
    so reading every claim's edges does not build a view object per lookup)."""

    nodes: dict[str, list[tuple[str, dict[str, Any]]]]
    adjacency: Adjacency

    @classmethod
    def of(cls, g: nx.MultiDiGraph) -> _Graph:
        nodes: dict[str, list[tuple[str, dict[str, Any]]]] = {kind.value: [] for kind in Kind}
        for key, d in g.nodes(data=True):
            nodes[d["kind"]].append((key, d))
        return cls(nodes, dict(g.adjacency()))

    def out(self, key: str) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """A node's outgoing edges by type, as (target id, attributes), in networkx's edge order."""
        out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for v, edges in self.adjacency[key].items():
            target = split_key(v)[1]
            for d in edges.values():
                out.setdefault(d["type"], []).append((target, d))
        return out

    def edges(self, kind: Kind, edge: Edge) -> list[tuple[str, str, dict[str, Any]]]:
        """Every `edge` leaving a node of `kind` (where that edge type starts), in graph order."""
        return [(split_key(u)[1], target, d) for u, _ in self.nodes[kind] for target, d in self.out(u).get(edge, ())]


def _pos(corpus: Corpus, kind: str, entity_id: str, ord_: int) -> dict[str, Any]:
    origin = corpus.origin(kind, entity_id)
    return {"ord": ord_, "file": origin.file if origin else None, "line": origin.line if origin else None}


def source_rows(store: GraphStore, graph: _Graph) -> Iterator[Row]:
    for i, (key, d) in enumerate(graph.nodes[Kind.source]):
        props = {
            "key": key,
            "kind": d["kind"],
            "label": d["label"],
            "title": d["label"],
            "source_kind": d["source_kind"],
            "year": d["year"],
            "authors": d["authors"],
            "aliases": d["aliases"],
            "group": d["group"],
            "doc": store.corpus.sources[d["id"]].model_dump_json(),
        }
        h = _hash(props)
        yield Row(d["id"], h, _pos(store.corpus, "sources", d["id"], i), {"props": {**props, "h": h}})


def hypothesis_rows(store: GraphStore, graph: _Graph) -> Iterator[Row]:
    for i, (key, d) in enumerate(graph.nodes[Kind.hypothesis]):
        props = {
            "key": key,
            "kind": d["kind"],
            "label": d["label"],
            "title": d["label"],
            "statement": d["statement"],
            "doc": store.corpus.hypotheses[d["id"]].model_dump_json(),
        }
        parents = [pid for pid, _ in graph.out(key).get(Edge.REFINES, ())]
        h = _hash([props, parents])
        # `h` is set last, by the query, after the edges are in place
        yield Row(d["id"], h, _pos(store.corpus, "hypotheses", d["id"], i), {"props": props, "parents": parents})


def claim_rows(store: GraphStore, graph: _Graph) -> Iterator[Row]:
    for i, (key, d) in enumerate(graph.nodes[Kind.claim]):
        props = {
            "key": key,
            "kind": d["kind"],
            "label": d["label"],
            "statement": d["statement"],
            "source": d["source"],
            "setting": d["setting"],
            "claim_kind": d["claim_kind"],
            "controlled": d["controlled"],
            "runs": d["runs"],
            "group": d["group"],
            "replicated": d["replicated"],
            "doc": store.corpus.claims[d["id"]].model_dump_json(),
        }
        out = graph.out(key)
        sources = [sid for sid, _ in out.get(Edge.FROM, ())]
        evidence = [
            {"hypothesis": hid, "relation": e["relation"], "strength": e["strength"], "rationale": e["rationale"], "direct": e["direct"], "ord": e["ord"]} for hid, e in out.get(Edge.EVIDENCE, ())
        ]
        links = [{"claim": cid, "relation": e["relation"], "note": e["note"], "ord": e["ord"]} for cid, e in out.get(Edge.LINK, ())]
        h = _hash([props, sources, evidence, links])
        yield Row(d["id"], h, _pos(store.corpus, "claims", d["id"], i), {"props": props, "sources": sources, "evidence": evidence, "links": links})


def run_rows(graph: _Graph) -> Iterator[Row]:
    for i, (key, d) in enumerate(graph.nodes[Kind.run]):
        props = {"key": key, "kind": d["kind"], "label": d["label"], "outcome": d["outcome"], "job": d["job"]}
        h = _hash(props)
        yield Row(d["id"], h, {"ord": i, "file": None, "line": None}, {"props": {**props, "h": h}})


def _occurrence_keys(items: Iterable[tuple[Any, ...]]) -> list[str]:
    """A stable key per item; the n-th repeat of the same identity gets n in its key."""
    seen: dict[tuple[Any, ...], int] = {}
    keys = []
    for ident in items:
        n = seen.get(ident, 0)
        seen[ident] = n + 1
        keys.append(json.dumps([*ident, n], ensure_ascii=False))
    return keys


def tests_rows(graph: _Graph) -> list[Row]:
    kept = graph.edges(Kind.run, Edge.TESTS)
    keys = _occurrence_keys((run_id, claim, d["job"], d["preset"]) for run_id, claim, d in kept)
    rows = []
    for i, (k, (run_id, claim, d)) in enumerate(zip(keys, kept, strict=False)):
        props = {
            "k": k,
            "claim": claim,
            "job": d["job"],
            "preset": d["preset"],
            "expect": d["expect"],
            "outcome": d["outcome"],
            "run_id": run_id,
            "finished_at": d["finished_at"],
            "summary": d["summary"],
            "status": d["status"],
            "doc": d["verdict"].model_dump_json(),
            "ord": i,
        }
        h = _hash(props)
        rows.append(Row(k, h, {"ord": i}, {"run_id": run_id, "claim": claim, "k": k, "props": {**props, "h": h}}))
    return rows


def citation_rows(graph: _Graph) -> list[Row]:
    kept = graph.edges(Kind.source, Edge.CITES)
    keys = _occurrence_keys((citing, cited) for citing, cited, _ in kept)
    rows = []
    for i, (k, (citing, cited, d)) in enumerate(zip(keys, kept, strict=False)):
        props = {"k": k, "citing": citing, "cited": cited, "intents": d["intents"], "influential": d["influential"], "ord": i}
        h = _hash(props)
        rows.append(Row(k, h, {"ord": i}, {"citing": citing, "cited": cited, "k": k, "props": {**props, "h": h}}))
    return rows


EVIDENCE_FIELDS = tuple(f.name for f in fields(EvidenceRow))
_VERDICTS = EVIDENCE_FIELDS.index("verdicts")


def pack_evidence(rows: Iterable[EvidenceRow]) -> str:
    """A hypothesis's evidence rows as one JSON list of lists, in EvidenceRow's field order."""
    return json.dumps([[getattr(r, name) for name in EVIDENCE_FIELDS] for r in rows], ensure_ascii=False, separators=(",", ":"))


@gc_paused()  # ~17k rows at 100k claims, in a reader that may hold much more: see kg.util
def unpack_evidence(text: str) -> list[EvidenceRow]:
    rows = []
    for values in json.loads(text):
        values[_VERDICTS] = tuple(tuple(v) for v in values[_VERDICTS])  # JSON gave lists
        rows.append(new_evidence_row(*values))
    return rows


def evidence_rows(store: GraphStore, graph: _Graph) -> Iterator[Row]:
    """One pack per hypothesis (empty for one without evidence), from the store's own rows."""
    by_hypothesis = store.evidence_by_hypothesis()
    for _, d in graph.nodes[Kind.hypothesis]:
        pack = pack_evidence(by_hypothesis.get(d["id"], ()))
        yield Row(d["id"], _digest(pack), {}, {"rows": pack})  # the pack is already text: no JSON of it


def row_sets(store: GraphStore) -> dict[str, tuple[int, Iterable[Row]]]:
    """Each set's size and its rows in ORDER. Node rows are built lazily, as the sync reaches
    them, so a sync writes one batch while it builds the next."""
    graph = _Graph.of(store.graph)
    return {
        "sources": (len(graph.nodes[Kind.source]), source_rows(store, graph)),
        "hypotheses": (len(graph.nodes[Kind.hypothesis]), hypothesis_rows(store, graph)),
        "claims": (len(graph.nodes[Kind.claim]), claim_rows(store, graph)),
        "runs": (len(graph.nodes[Kind.run]), run_rows(graph)),
        "tests": (len(tests := tests_rows(graph)), tests),
        "citations": (len(citations := citation_rows(graph)), citations),
        "evidence packs": (len(graph.nodes[Kind.hypothesis]), evidence_rows(store, graph)),
    }


def wanted_rows(store: GraphStore) -> dict[str, list[Row]]:
    """Every row the corpus asks Neo4j to hold, by set (all at once: for tests and benches)."""
    with gc_paused():  # ~half a million rows
        return {name: list(rows) for name, (_, rows) in row_sets(store).items()}


# --- the sync ------------------------------------------------------------------------------


@dataclass
class Change:
    created: int = 0
    updated: int = 0
    moved: int = 0
    deleted: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.moved + self.deleted


@dataclass
class SyncReport:
    changes: dict[str, Change] = field(default_factory=lambda: {name: Change() for name in ORDER})
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)  # what the corpus holds, per set
    phases: dict[str, float] = field(default_factory=dict)  # seconds: graph (build), read (what Neo4j holds), write (rows built, compared, written)

    @property
    def changed(self) -> bool:
        return any(c.total for c in self.changes.values())

    def summary(self) -> str:
        if not self.changed:
            return f"no changes: Neo4j already matches the corpus ({self._counts()}; {self.seconds:.1f} s)"
        parts = []
        for name, c in self.changes.items():
            bits = [f"{n} {what}" for what, n in (("created", c.created), ("updated", c.updated), ("moved", c.moved), ("deleted", c.deleted)) if n]
            if bits:
                parts.append(f"{name}: {', '.join(bits)}")
        return "; ".join(parts) + f" ({self.seconds:.1f} s)"

    def _counts(self) -> str:
        return ", ".join(f"{n} {name}" for name, n in self.counts.items())

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "seconds": round(self.seconds, 3),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "counts": self.counts,
            "changes": {k: vars(v) for k, v in self.changes.items()},
        }


Progress = Callable[[str, int, int], None]  # (phase, done, total)


def _write(session: Session, query: str, **params: Any) -> None:
    def work(tx: ManagedTransaction) -> None:
        tx.run(query, params).consume()

    session.execute_write(work)


def _session(driver: Driver, database: str | None) -> Session:
    # Notifications off: "property key does not exist" on an empty graph is not news.
    return driver.session(database=database, notifications_min_severity="OFF")


def _read(session: Session, query: str, **params: Any) -> list[Record]:
    return session.execute_read(lambda tx: list(tx.run(query, params)))


class _Writer:
    """Writes the batches of one set on up to `workers` sessions at once, in its own threads.

    At most `workers` batches are in flight, so the next payload is built (and packed) while
    the server writes the last one, and memory holds a few batches, not the whole corpus.
    `step(phase, n)` runs on the calling thread after each batch commits; if it or a write
    raises, no new batch starts and the error propagates once the batches in flight end.
    """

    def __init__(self, driver: Driver, database: str | None, workers: int, step: Callable[[str, int], None]):
        self.driver, self.database, self.workers, self.step = driver, database, max(1, workers), step
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="kg-sync") if self.workers > 1 else None
        self._local = threading.local()
        self._sessions: list[Session] = []
        self._lock = threading.Lock()

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for session in self._sessions:
            session.close()

    def _session(self) -> Session:
        session: Session | None = getattr(self._local, "session", None)  # sessions are not thread-safe
        if session is None:
            session = self._local.session = _session(self.driver, self.database)
            with self._lock:
                self._sessions.append(session)
        return session

    def one(self, query: str, **params: Any) -> None:
        _write(self._session(), query, **params)

    def batches(self, phase: str, query: str, payloads: Iterable[dict[str, Any]]) -> None:
        if self._pool is None:
            for params in payloads:
                self.one(query, **params)
                self.step(phase, len(next(iter(params.values()))))
            return
        pending: dict[Future[None], int] = {}
        try:
            for params in payloads:
                if len(pending) >= self.workers:
                    self._settle(phase, pending, FIRST_COMPLETED)
                pending[self._pool.submit(self.one, query, **params)] = len(next(iter(params.values())))
            self._settle(phase, pending, ALL_COMPLETED)
        finally:
            for future in pending:
                future.cancel()

    def _settle(self, phase: str, pending: dict[Future[None], int], how: str) -> None:
        done, _ = wait(pending, return_when=how)
        for future in done:
            n = pending.pop(future)
            future.result()  # the write's own error, if any
            self.step(phase, n)


def ensure_schema(driver: Driver, database: str | None = None) -> None:
    with _session(driver, database) as session:
        for statement in SCHEMA:
            session.run(statement).consume()
        session.run("CALL db.awaitIndexes(300)").consume()


def sync(
    store: GraphStore,
    driver: Any,
    *,
    database: str | None = None,
    batch_size: int = BATCH,
    workers: int = WORKERS,
    progress: Progress | None = None,
    after_batch: Callable[[str, int], None] | None = None,
) -> SyncReport:
    """Make the Neo4j graph equal to the embedded store's graph; return what changed.

    One pass, pipelined: the ids and hashes already in Neo4j are read first; then each set's
    rows are built, compared and written batch by batch, so the server writes one batch while
    this process builds the next (at most `workers` write transactions in flight). The sets go
    one after another (edges need their end nodes); deletions come last. `progress(phase, done,
    total)` counts rows settled (written, or found unchanged) out of every row the corpus holds
    plus the deletions; `after_batch(phase, n)` is called after each committed write batch
    (interruption tests use it).
    """
    t0 = time.perf_counter()
    with gc_paused():  # the graph and the rows in flight: see kg.util.gc_paused
        store.graph  # noqa: B018 - built here, so the phases below time the sync, not the build
        report = SyncReport()
        report.phases["graph"] = time.perf_counter() - t0
        ensure_schema(driver, database)
        with _session(driver, database) as session:
            existing_sets = {name: {r["id"]: r for r in _read(session, EXISTING[name])} for name in ORDER}
            meta = _read(session, READ_META, id=META_ID)
        dirty = bool(meta and meta[0]["dirty"])
        report.phases["read"] = time.perf_counter() - t0 - report.phases["graph"]
        sets = row_sets(store)
        report.counts = {name: n for name, (n, _) in sets.items()}
        total, done, begun = sum(report.counts.values()), 0, False

        def settled(phase: str, n: int, written: bool) -> None:
            nonlocal done
            done += n
            if progress:
                progress(phase, done, total)
            if written and after_batch:
                after_batch(phase, n)

        if progress:
            progress("sync", 0, total)
        gone: dict[str, list[str]] = {}
        with _Writer(driver, database, workers, lambda phase, n: settled(phase, n, True)) as writer:

            def begin() -> None:  # the first write of a sync marks it in progress (KgMeta.dirty)
                nonlocal begun
                if not begun:
                    writer.one(BEGIN_META, id=META_ID)
                    begun = True

            for name in ORDER:
                existing, (_, rows) = existing_sets[name], sets[name]
                pos, moves, seen = name in NODE_SETS, list[Row](), set[str]()
                changed = _changed(rows, existing, report.changes[name], moves, seen, partial(settled, name, written=False), batch_size, before=begin)
                size = 1 if name == "evidence packs" else batch_size  # a pack holds a hypothesis's ~17k rows at 100k claims
                writer.batches(name, UPSERT[name], ({"rows": [_upsert_row(r, pos) for r in b]} for b in batched(changed, size)))
                if moves and name in MOVE:  # an edge's position is in its hash: edges never only move
                    begin()
                    writer.batches(name, MOVE[name], ({"rows": [{"id": r.id, "pos": r.pos} for r in b]} for b in batched(moves, batch_size)))
                gone[name] = [i for i in existing if i not in seen]
                report.changes[name].deleted = len(gone[name])
                total += len(gone[name])
            # Deletions last and in reverse order: edges first, then the nodes they hang from.
            for name in reversed(ORDER):
                if gone[name]:
                    begin()
                query = DELETE_NODES.get(name) or DELETE_EDGES[name]
                writer.batches(name, query, ({"ids": list(b)} for b in batched(gone[name], batch_size)))
            if begun or dirty:
                report.seconds = time.perf_counter() - t0
                writer.one(END_META, id=META_ID, now=time.time(), summary=report.summary())
    report.seconds = time.perf_counter() - t0
    report.phases["write"] = report.seconds - report.phases["graph"] - report.phases["read"]
    return report


def _changed(
    rows: Iterable[Row], existing: dict[str, Record], change: Change, moves: list[Row], seen: set[str], settle: Callable[[int], None], every: int, before: Callable[[], None]
) -> Iterator[Row]:
    """The rows to upsert (new, or with another hash than Neo4j's), as `rows` yields them.

    Counts into `change`, keeps rows that only moved in `moves` and every id in `seen`, and
    reports unchanged rows to `settle` every `every` rows (and at the end). `before()` runs
    before each row it yields (the sync's idempotent "a write is coming")."""
    unchanged = 0
    for row in rows:
        seen.add(row.id)
        old = existing.get(row.id)
        if old is None:
            change.created += 1
        elif old["h"] != row.h:
            change.updated += 1
        else:
            if any(old[k] != v for k, v in row.pos.items()):
                change.moved += 1
                moves.append(row)
            else:
                unchanged += 1
                if unchanged == every:
                    settle(unchanged)
                    unchanged = 0
            continue
        before()
        yield row
    settle(unchanged)


def _upsert_row(r: Row, with_position: bool) -> dict[str, Any]:
    row = {"id": r.id, "h": r.h, **r.data}
    if with_position:
        row["props"] = {**r.data["props"], **r.pos}
    return row


# --- errors, for one-line messages ------------------------------------------------------------


def describe_error(exc: BaseException, uri: str) -> str:
    """One line for a user, for the errors a sync meets."""
    from neo4j.exceptions import AuthError, ClientError, ConfigurationError, Neo4jError, ServiceUnavailable

    if isinstance(exc, AuthError):
        return f"Neo4j at {uri} rejected the credentials (check NEO4J_USER or NEO4J_USERNAME, and NEO4J_PASSWORD)"
    if isinstance(exc, ServiceUnavailable):
        return f"cannot reach Neo4j at {uri} (is it running? tools/neo4j/neo4j.sh start, or check NEO4J_URI)"
    if isinstance(exc, ConfigurationError | ValueError) and "URI" in str(exc).upper():
        return f"bad Neo4j URI {uri!r}: {exc}"
    if isinstance(exc, ClientError):
        return f"Neo4j refused the sync: {exc.message or exc}"
    if isinstance(exc, Neo4jError):
        return f"Neo4j error during sync: {exc.message or exc}"
    return f"{type(exc).__name__}: {exc}"


SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def check_uri(uri: str) -> None:
    """Bolt URIs only (the driver's HTTP transport is a preview feature we do not use)."""
    scheme = uri.partition("://")[0] if "://" in uri else ""
    if scheme not in SCHEMES:
        raise ValueError(f"bad Neo4j URI {uri!r}: use bolt://host:7687 or neo4j://host:7687 (or the +s / +ssc forms)")

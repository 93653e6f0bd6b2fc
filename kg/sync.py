"""`kg sync`: project the corpus (and run verdicts, and citations) into Neo4j, idempotently.

The Neo4j model mirrors `kg.graph` (same node keys, same edge types):

    (:Source|Hypothesis|Claim|Run :KgNode {id, key, kind, label, h, ord, file, line, ...})
    (c:Claim)-[:FROM]->(:Source)        (c)-[:EVIDENCE {relation, strength, rationale, ord}]->(:Hypothesis)
    (c)-[:LINK {relation, note}]->(:Claim)  (:Hypothesis)-[:REFINES]->(:Hypothesis)
    (:Source)-[:CITES {k, h, ord, intents, influential}]->(:Source)
    (:Run)-[:TESTS {k, h, ord, claim, job, preset, expect, outcome, run_id, finished_at, summary}]->(:Claim)
    (:KgMeta {id: 'sync', version, synced_at})    bumped whenever a sync changes something

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
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.graph import Citation, Verdict, label_of, node_key
from kg.loading import Corpus

BATCH = 2000
META_ID = "sync"

# --- schema -------------------------------------------------------------------------------

SCHEMA = (
    "CREATE CONSTRAINT kg_source_id IF NOT EXISTS FOR (n:Source) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT kg_hypothesis_id IF NOT EXISTS FOR (n:Hypothesis) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT kg_claim_id IF NOT EXISTS FOR (n:Claim) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT kg_run_id IF NOT EXISTS FOR (n:Run) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT kg_node_key IF NOT EXISTS FOR (n:KgNode) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT kg_meta_id IF NOT EXISTS FOR (n:KgMeta) REQUIRE n.id IS UNIQUE",
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
  CREATE (n)-[:EVIDENCE {relation: e.relation, strength: e.strength, rationale: e.rationale, ord: e.ord}]->(h)
}
CALL (n, row) {
  UNWIND row.links AS l
  MERGE (o:Claim {id: l.claim})
    ON CREATE SET o:KgNode, o.key = 'claim:' + l.claim, o.kind = 'claim'
  CREATE (n)-[:LINK {relation: l.relation, note: l.note, ord: l.ord}]->(o)
}
SET n.h = row.h
"""

UPSERT_RUNS = """
UNWIND $rows AS row
MERGE (n:Run {id: row.id})
SET n:KgNode, n += row.props
"""

UPSERT_TESTS = """
UNWIND $rows AS row
MATCH (r:Run {id: row.run_id})
MATCH (c:Claim {id: row.claim})
OPTIONAL MATCH ()-[old:TESTS {k: row.k}]->()
CALL (old) { WITH old WHERE old IS NOT NULL DELETE old }
CREATE (r)-[t:TESTS]->(c)
SET t = row.props
"""

UPSERT_CITES = """
UNWIND $rows AS row
MATCH (a:Source {id: row.citing})
MATCH (b:Source {id: row.cited})
OPTIONAL MATCH ()-[old:CITES {k: row.k}]->()
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
}
DELETE_EDGES = {
    "tests": "UNWIND $ids AS k MATCH ()-[r:TESTS {k: k}]->() DELETE r",
    "citations": "UNWIND $ids AS k MATCH ()-[r:CITES {k: k}]->() DELETE r",
}
EXISTING = {
    "sources": "MATCH (n:Source) RETURN n.id AS id, n.h AS h, n.ord AS ord, n.file AS file, n.line AS line",
    "hypotheses": "MATCH (n:Hypothesis) RETURN n.id AS id, n.h AS h, n.ord AS ord, n.file AS file, n.line AS line",
    "claims": "MATCH (n:Claim) RETURN n.id AS id, n.h AS h, n.ord AS ord, n.file AS file, n.line AS line",
    "runs": "MATCH (n:Run) RETURN n.id AS id, n.h AS h, n.ord AS ord, null AS file, null AS line",
    "tests": "MATCH ()-[r:TESTS]->() RETURN r.k AS id, r.h AS h, r.ord AS ord, null AS file, null AS line",
    "citations": "MATCH ()-[r:CITES]->() RETURN r.k AS id, r.h AS h, r.ord AS ord, null AS file, null AS line",
}
UPSERT = {
    "sources": UPSERT_SOURCES,
    "hypotheses": UPSERT_HYPOTHESES,
    "claims": UPSERT_CLAIMS,
    "runs": UPSERT_RUNS,
    "tests": UPSERT_TESTS,
    "citations": UPSERT_CITES,
}
# The version lets readers (kg.neo4j_store) drop caches; `dirty` marks a sync in progress or
# interrupted, so the next sync bumps the version even if it finds nothing left to change.
BEGIN_META = """
MERGE (m:KgMeta {id: $id})
SET m.version = coalesce(m.version, 0) + 1, m.dirty = true
"""
END_META = """
MERGE (m:KgMeta {id: $id})
SET m.version = coalesce(m.version, 0) + 1, m.dirty = false, m.synced_at = $now, m.summary = $summary
"""
READ_META = "MATCH (m:KgMeta {id: $id}) RETURN m.version AS version, m.dirty AS dirty"

# Upserts in dependency order (edges need their end nodes); deletions in reverse.
ORDER = ("sources", "hypotheses", "claims", "runs", "tests", "citations")
NODE_SETS = ("sources", "hypotheses", "claims", "runs")


# --- rows ----------------------------------------------------------------------------------


def _hash(obj: Any) -> str:
    return hashlib.blake2b(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode(), digest_size=12).hexdigest()


def _pos(corpus: Corpus, kind: str, entity_id: str, ord_: int) -> dict:
    origin = corpus.origin(kind, entity_id)
    return {"ord": ord_, "file": origin.file if origin else None, "line": origin.line if origin else None}


@dataclass
class Row:
    id: str
    h: str
    pos: dict
    data: dict  # what the upsert query reads besides id/h/pos


def source_rows(corpus: Corpus) -> list[Row]:
    rows = []
    for i, s in enumerate(corpus.sources.values()):
        props = {
            "key": node_key("source", s.id), "kind": "source", "label": s.title, "title": s.title,
            "source_kind": s.kind, "year": s.year, "authors": list(s.authors), "aliases": list(s.aliases),
            "doc": s.model_dump_json(),
        }
        h = _hash(props)
        rows.append(Row(s.id, h, _pos(corpus, "sources", s.id, i), {"props": {**props, "h": h}}))
    return rows


def hypothesis_rows(corpus: Corpus) -> list[Row]:
    rows = []
    for i, hyp in enumerate(corpus.hypotheses.values()):
        props = {
            "key": node_key("hypothesis", hyp.id), "kind": "hypothesis", "label": hyp.title, "title": hyp.title,
            "statement": hyp.statement, "doc": hyp.model_dump_json(),
        }
        parents = [hyp.parent] if hyp.parent and hyp.parent in corpus.hypotheses else []
        h = _hash([props, parents])
        # `h` is set last, by the query, after the edges are in place
        rows.append(Row(hyp.id, h, _pos(corpus, "hypotheses", hyp.id, i), {"props": props, "parents": parents}))
    return rows


def claim_rows(corpus: Corpus) -> list[Row]:
    rows = []
    for i, c in enumerate(corpus.claims.values()):
        props = {
            "key": node_key("claim", c.id), "kind": "claim", "label": label_of(c.statement), "statement": c.statement,
            "source": c.source, "setting": c.setting, "repeat": any(link.relation == "replicates" for link in c.links),
            "doc": c.model_dump_json(),
        }
        sources = [c.source] if c.source in corpus.sources else []
        evidence = [
            {"hypothesis": e.hypothesis, "relation": e.relation, "strength": e.strength, "rationale": e.rationale, "ord": j}
            for j, e in enumerate(c.evidence)
            if e.hypothesis in corpus.hypotheses
        ]
        links = [{"claim": link.claim, "relation": link.relation, "note": link.note, "ord": j} for j, link in enumerate(c.links) if link.claim in corpus.claims]
        h = _hash([props, sources, evidence, links])
        rows.append(Row(c.id, h, _pos(corpus, "claims", c.id, i), {"props": props, "sources": sources, "evidence": evidence, "links": links}))
    return rows


def run_rows(corpus: Corpus, verdicts: list[Verdict]) -> list[Row]:
    """One node per run id, labelled after the first verdict that names it (as kg.graph does)."""
    rows: dict[str, Row] = {}
    for v in verdicts:
        if v.claim not in corpus.claims or v.run_id in rows:
            continue
        props = {"key": node_key("run", v.run_id), "kind": "run", "label": f"{v.job}/{v.preset}: {v.outcome}", "outcome": v.outcome, "job": v.job}
        h = _hash(props)
        rows[v.run_id] = Row(v.run_id, h, {"ord": len(rows), "file": None, "line": None}, {"props": {**props, "h": h}})
    return list(rows.values())


def _occurrence_keys(items: Iterable[tuple]) -> list[str]:
    """A stable key per item; the n-th repeat of the same identity gets n in its key."""
    seen: dict[tuple, int] = {}
    keys = []
    for ident in items:
        n = seen.get(ident, 0)
        seen[ident] = n + 1
        keys.append(json.dumps([*ident, n], ensure_ascii=False))
    return keys


def tests_rows(corpus: Corpus, verdicts: list[Verdict]) -> list[Row]:
    kept = [v for v in verdicts if v.claim in corpus.claims]
    keys = _occurrence_keys((v.run_id, v.claim, v.job, v.preset) for v in kept)
    rows = []
    for i, (k, v) in enumerate(zip(keys, kept)):
        props = {
            "k": k, "claim": v.claim, "job": v.job, "preset": v.preset, "expect": v.expect, "outcome": v.outcome,
            "run_id": v.run_id, "finished_at": v.finished_at, "summary": v.summary, "ord": i,
        }
        h = _hash(props)
        rows.append(Row(k, h, {"ord": i}, {"run_id": v.run_id, "claim": v.claim, "k": k, "props": {**props, "h": h}}))
    return rows


def citation_rows(corpus: Corpus, citations: list[Citation]) -> list[Row]:
    kept = [c for c in citations if c.citing in corpus.sources and c.cited in corpus.sources]
    keys = _occurrence_keys((c.citing, c.cited) for c in kept)
    rows = []
    for i, (k, c) in enumerate(zip(keys, kept)):
        props = {"k": k, "citing": c.citing, "cited": c.cited, "intents": list(c.intents), "influential": c.influential, "ord": i}
        h = _hash(props)
        rows.append(Row(k, h, {"ord": i}, {"citing": c.citing, "cited": c.cited, "k": k, "props": {**props, "h": h}}))
    return rows


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
    phases: dict[str, float] = field(default_factory=dict)  # seconds: rows (build), plan (read + diff), write

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

    def to_dict(self) -> dict:
        return {"changed": self.changed, "seconds": round(self.seconds, 3), "phases": {k: round(v, 3) for k, v in self.phases.items()}, "counts": self.counts, "changes": {k: vars(v) for k, v in self.changes.items()}}


Progress = Callable[[str, int, int], None]  # (phase, done, total)


def _batches(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write(session, query: str, **params) -> None:
    def work(tx):
        tx.run(query, params).consume()

    session.execute_write(work)


def _session(driver, database: str | None):
    # Notifications off: "property key does not exist" on an empty graph is not news.
    return driver.session(database=database, notifications_min_severity="OFF")


def _read(session, query: str, **params) -> list:
    return session.execute_read(lambda tx: list(tx.run(query, params)))


def ensure_schema(driver, database: str | None = None) -> None:
    with _session(driver, database) as session:
        for statement in SCHEMA:
            session.run(statement).consume()
        session.run("CALL db.awaitIndexes(300)").consume()


def sync(
    corpus: Corpus,
    driver,
    verdicts: Iterable[Verdict] = (),
    citations: Iterable[Citation] = (),
    *,
    database: str | None = None,
    batch_size: int = BATCH,
    progress: Progress | None = None,
    after_batch: Callable[[str, int], None] | None = None,
) -> SyncReport:
    """Make the Neo4j graph equal to `corpus` + `verdicts` + `citations`; return what changed.

    `after_batch(phase, n)` is called after each committed write batch (progress reporting and
    interruption tests use it).
    """
    t0 = time.perf_counter()
    verdicts, citations = list(verdicts), list(citations)
    wanted: dict[str, list[Row]] = {
        "sources": source_rows(corpus),
        "hypotheses": hypothesis_rows(corpus),
        "claims": claim_rows(corpus),
        "runs": run_rows(corpus, verdicts),
        "tests": tests_rows(corpus, verdicts),
        "citations": citation_rows(corpus, citations),
    }
    report = SyncReport(counts={name: len(rows) for name, rows in wanted.items()})
    report.phases["rows"] = time.perf_counter() - t0
    ensure_schema(driver, database)

    plan: dict[str, tuple[list[Row], list[Row], list[str]]] = {}
    with _session(driver, database) as session:
        existing_sets = {name: {r["id"]: r for r in _read(session, EXISTING[name])} for name in ORDER}
        meta = _read(session, READ_META, id=META_ID)
    dirty = bool(meta and meta[0]["dirty"])
    for name in ORDER:
        existing = existing_sets[name]
        rows = wanted[name]
        ids = {r.id for r in rows}
        upserts, moves = [], []
        change = report.changes[name]
        for row in rows:
            old = existing.get(row.id)
            if old is None:
                change.created += 1
                upserts.append(row)
            elif old["h"] != row.h:
                change.updated += 1
                upserts.append(row)
            elif any(old[k] != v for k, v in row.pos.items()):
                change.moved += 1
                moves.append(row)
        gone = [i for i in existing if i not in ids]
        change.deleted = len(gone)
        plan[name] = (upserts, moves, gone)

    report.phases["plan"] = time.perf_counter() - t0 - report.phases["rows"]
    total = sum(len(u) + len(m) + len(g) for u, m, g in plan.values())
    done = 0
    if progress:
        progress("sync", 0, total)

    def step(phase: str, n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(phase, done, total)
        if after_batch:
            after_batch(phase, n)

    with _session(driver, database) as session:
        if total:
            _write(session, BEGIN_META, id=META_ID)
        for name in ORDER:
            upserts, moves, _ = plan[name]
            for batch in _batches(upserts, batch_size):
                payload = [{"id": r.id, "h": r.h, **r.data, "props": {**r.data["props"], **(r.pos if name in NODE_SETS else {})}} for r in batch]
                _write(session, UPSERT[name], rows=payload)
                step(name, len(batch))
            if name in MOVE:
                for batch in _batches(moves, batch_size):
                    _write(session, MOVE[name], rows=[{"id": r.id, "pos": r.pos} for r in batch])
                    step(name, len(batch))
        # Deletions last and in reverse order: edges first, then the nodes they hang from.
        for name in reversed(ORDER):
            gone = plan[name][2]
            query = DELETE_NODES.get(name) or DELETE_EDGES[name]
            for batch in _batches(gone, batch_size):
                _write(session, query, ids=batch)
                step(name, len(batch))
        if total or dirty:
            report.seconds = time.perf_counter() - t0
            _write(session, END_META, id=META_ID, now=time.time(), summary=report.summary())
    report.seconds = time.perf_counter() - t0
    report.phases["write"] = report.seconds - report.phases["rows"] - report.phases["plan"]
    return report


def sync_store(store, driver, **kwargs) -> SyncReport:
    """Sync an embedded `GraphStore` (its corpus, verdicts and citations)."""
    return sync(store.corpus, driver, store.all_verdicts(), store.all_citations(), **kwargs)


# --- the command ---------------------------------------------------------------------------


def describe_error(exc: BaseException, uri: str) -> str:
    """One line for a user, for the errors a sync meets."""
    from neo4j.exceptions import AuthError, ClientError, ConfigurationError, Neo4jError, ServiceUnavailable

    if isinstance(exc, AuthError):
        return f"Neo4j at {uri} rejected the credentials (check NEO4J_USER / NEO4J_PASSWORD)"
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


def sync_command(uri: str, user: str | None, password: str | None, path: Path | str | None, database: str | None = None) -> int:
    """`kg sync --neo4j URI`: load and validate the corpus, sync it, print a summary. Exit code."""
    from neo4j import GraphDatabase
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kg.store import CorpusError, load_graph_store

    err = Console(stderr=True)
    out = Console()
    try:
        store = load_graph_store(path)
    except CorpusError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        return 1
    except (OSError, ValueError) as exc:
        err.print(f"error: cannot load the corpus: {exc}", markup=False, soft_wrap=True)
        return 1

    try:
        check_uri(uri)
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        return 1
    driver = None
    try:
        auth = (user, password or "") if user else None
        driver = GraphDatabase.driver(uri, auth=auth, connection_timeout=10, max_transaction_retry_time=15)
        driver.verify_connectivity()
        with Progress(
            TextColumn("[bold]sync[/] {task.fields[phase]:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, transient=True,
        ) as bar:
            task = bar.add_task("sync", total=None, phase="planning")

            def progress(phase: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=max(total, 1), phase=phase)

            report = sync_store(store, driver, database=database, progress=progress)
    except Exception as exc:  # noqa: BLE001 - one line for the user, no traceback
        err.print(f"error: {describe_error(exc, uri)}", markup=False, soft_wrap=True)
        return 1
    finally:
        if driver is not None:
            driver.close()
    out.print(report.summary(), markup=False, soft_wrap=True)
    return 0

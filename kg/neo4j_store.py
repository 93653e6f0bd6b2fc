"""The Neo4j store: the same queries as `kg.store.GraphStore`, answered by a Neo4j server.

The server holds what `kg sync` wrote (see `kg.sync` for the model). Entities come back as the
same pydantic models (rebuilt from the JSON the sync stored), rows as the same dataclasses, in
the same order, so `tests/contract/` can assert equality with the embedded store.

Every query is a constant string with parameters; nothing from the data is formatted into Cypher.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar, overload

from kg.evidence import EvidenceRow
from kg.loading import Origin
from kg.records import CitationEdge, ClaimVerdict
from kg.schema import Claim, Hypothesis, Model, Source, model_in
from kg.search import Hit, SearchIndex
from kg.store import LinkRow, Subgraph, search_entries
from kg.summary import Summary, dumps, loads
from kg.sync import META_ID, READ_META, unpack_evidence

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction, Record

_KIND = {"claims": "claim", "sources": "source", "hypotheses": "hypothesis"}

Q_STATS = """
CALL () { MATCH (n:Source) RETURN count(n) AS sources }
CALL () { MATCH (n:Hypothesis) RETURN count(n) AS hypotheses }
CALL () { MATCH (n:Claim) RETURN count(n) AS claims }
CALL () { MATCH ()-[r:EVIDENCE]->() RETURN count(r) AS evidence }
CALL () { MATCH ()-[r:TESTS]->() RETURN count(r) AS runs }
CALL () { MATCH ()-[r:CITES]->() RETURN count(r) AS citations }
RETURN sources, hypotheses, claims, evidence, runs, citations
"""
Q_DOCS = {
    "source": "MATCH (n:Source) RETURN n.doc AS doc ORDER BY n.ord",
    "hypothesis": "MATCH (n:Hypothesis) RETURN n.doc AS doc ORDER BY n.ord",
}
Q_DOC = {
    "source": "MATCH (n:Source {id: $id}) RETURN n.doc AS doc",
    "hypothesis": "MATCH (n:Hypothesis {id: $id}) RETURN n.doc AS doc",
    "claim": "MATCH (n:Claim {id: $id}) RETURN n.doc AS doc",
}
Q_ORIGIN = {
    "source": "MATCH (n:Source {id: $id}) RETURN n.file AS file, n.line AS line",
    "hypothesis": "MATCH (n:Hypothesis {id: $id}) RETURN n.file AS file, n.line AS line",
    "claim": "MATCH (n:Claim {id: $id}) RETURN n.file AS file, n.line AS line",
}
# Evidence comes back collect-style: one record holding a list per hypothesis, not one record
# per row (hydrating 17k records costs the client far more than 17k lists in one record).
# The subquery is shared by the one-hypothesis query and the whole-overview query.
_EVIDENCE_OF_H = """
CALL (h) {
  MATCH (c:Claim)-[e:EVIDENCE]->(h)
  WITH c, e ORDER BY c.ord, e.ord
  RETURN collect([c.id, c.source, e.relation, e.strength, c.setting, e.rationale, c.claim_kind, c.controlled, c.runs, e.direct,
                  c.group, c.replicated,
                  [(:Run)-[t:TESTS]->(c) WHERE coalesce(t.status, 'local') <> 'stale' | [t.ord, t.outcome, t.expect]]]) AS rows
}
"""
Q_EVIDENCE = "MATCH (h:Hypothesis {id: $id})" + _EVIDENCE_OF_H + "RETURN rows"
Q_EVIDENCE_ALL = "MATCH (h:Hypothesis)" + _EVIDENCE_OF_H + "RETURN h.id AS id, rows"
# The same rows as the packs the sync wrote (kg.sync.pack_evidence): one property per
# hypothesis instead of ~17k rows' properties at 100k claims. Only when the last sync finished
# and wrote them (`packed` = `version`); otherwise (a sync writing, or a graph synced by older
# code) the queries above read the graph itself.
Q_EVIDENCE_PACK = """
MATCH (m:KgMeta {id: $meta})
WHERE m.packed = m.version AND NOT coalesce(m.dirty, false)
OPTIONAL MATCH (p:KgEvidence {id: $id})
RETURN p.rows AS rows
"""
Q_EVIDENCE_PACKS = """
MATCH (m:KgMeta {id: $meta})
WHERE m.packed = m.version AND NOT coalesce(m.dirty, false)
OPTIONAL MATCH (p:KgEvidence)
RETURN p.id AS id, p.rows AS rows
"""
# The overview's summaries (kg.summary), kept by the first reader after each sync: one small
# node per evidence method, valid for the sync version it names.
Q_SUMMARIES = """
MATCH (m:KgMeta {id: $id})
OPTIONAL MATCH (s:KgSummary {id: $method})
RETURN m.version AS version, m.dirty AS dirty, s.version AS kept_for, s.doc AS doc
"""
# Written only if no sync has started since the reader read `version` (then nothing is kept).
KEEP_SUMMARIES = """
MATCH (m:KgMeta {id: $id})
WHERE m.version = $version AND NOT coalesce(m.dirty, false)
MERGE (s:KgSummary {id: $method})
SET s.version = $version, s.doc = $doc
"""
Q_CLAIMS_OF_SOURCE = "MATCH (c:Claim)-[:FROM]->(:Source {id: $id}) RETURN c.doc AS doc ORDER BY c.id"
Q_CLAIM_LINKS = """
MATCH (c:Claim {id: $id})
CALL (c) {
  MATCH (c)-[l:LINK]->(o:Claim) RETURN o.id AS other, l.relation AS relation, 'out' AS direction
  UNION ALL
  MATCH (c)<-[l:LINK]-(o:Claim) RETURN o.id AS other, l.relation AS relation, 'in' AS direction
}
RETURN other, relation, direction
"""
Q_CITATIONS = """
MATCH (s:Source {id: $id})
CALL (s) {
  MATCH (s)-[r:CITES]->(:Source) RETURN r
  UNION
  MATCH (s)<-[r:CITES]-(:Source) RETURN r
}
RETURN r.citing AS citing, r.cited AS cited, r.intents AS intents, r.influential AS influential, r.ord AS ord
"""
Q_VERDICTS = """
MATCH (:Run)-[t:TESTS]->(:Claim {id: $id})
RETURN t.job AS job, t.preset AS preset, t.doc AS doc, t.ord AS ord
"""
Q_CLAIMS_OF = """
UNWIND $ids AS id
MATCH (n:Claim {id: id})
RETURN n.id AS id, n.doc AS doc
"""
READ_RETRY_S = 2.0  # how long the driver retries a read that failed for a transient reason

Q_VERDICTS_OF = """
UNWIND $ids AS id
MATCH (:Run)-[t:TESTS]->(c:Claim {id: id})
RETURN c.id AS claim, t.job AS job, t.preset AS preset, t.doc AS doc, t.ord AS ord
"""
Q_EXISTS = "MATCH (n:KgNode {key: $key}) RETURN count(n) AS n"
Q_NEIGHBOURS = """
UNWIND $keys AS k
MATCH (n:KgNode {key: k})--(m:KgNode)
USING INDEX n:KgNode(key)
RETURN DISTINCT m.key AS key
"""
Q_NODES = """
UNWIND $keys AS k
MATCH (n:KgNode {key: k})
RETURN n.key AS key, n.kind AS kind, n.id AS id, n.label AS label
"""
Q_EDGES_AMONG = """
UNWIND $keys AS k
MATCH (a:KgNode {key: k})-[r]->(b:KgNode)
WHERE b.key IN $keys
RETURN a.key AS source, b.key AS target, type(r) AS type, r.relation AS relation
"""
Q_PATH = """
MATCH (a:KgNode {key: $a}), (b:KgNode {key: $b})
MATCH p = shortestPath((a)-[*]-(b))
RETURN [n IN nodes(p) | n.key] AS keys
"""
Q_SEARCH_ENTRIES = {
    "source": "MATCH (n:Source) RETURN n.id AS id, n.title AS title, n.aliases AS aliases, n.authors AS authors ORDER BY n.ord",
    "hypothesis": "MATCH (n:Hypothesis) RETURN n.id AS id, n.title AS title, n.statement AS statement ORDER BY n.ord",
    "claim": "MATCH (n:Claim) RETURN n.id AS id, n.statement AS statement ORDER BY n.ord",
}


class StoreUnavailable(OSError):
    """The Neo4j server cannot be reached or refused us; the message is one line for a user."""


def rebuild(model: type[Model], data: Any) -> Any:
    """Rebuild a model from the JSON the sync stored, without re-validating (nested models too).

    The data was valid when it was synced; rebuilding without validation also keeps ids that
    the schema would reject today readable (they are data, not Cypher).
    """
    if not isinstance(data, dict):
        return data
    values = {}
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        values[name] = _rebuild_value(info.annotation, data[name])
    return model.model_construct(**values)


def _rebuild_value(annotation: Any, value: Any) -> Any:
    if value is None:
        return None
    inner = model_in(annotation)
    if inner is None:
        return value
    if isinstance(value, list):
        return [rebuild(inner, v) for v in value]
    return rebuild(inner, value)


_M = TypeVar("_M", bound=Model)


@overload
def _doc(model: type[_M], doc: str) -> _M: ...
@overload
def _doc(model: type[_M], doc: None) -> None: ...
def _doc(model: type[_M], doc: str | None) -> _M | None:
    rebuilt: _M | None = None if doc is None else rebuild(model, json.loads(doc))
    return rebuilt


def _evidence_rows(raw: list[list[Any]]) -> list[EvidenceRow]:
    """EvidenceRows from the lists `_EVIDENCE_OF_H` collects, field for field."""
    return [
        EvidenceRow(
            claim,
            source,
            relation,
            strength,
            setting,
            rationale,
            tuple((outcome, expect) for _, outcome, expect in sorted(verdicts)) if verdicts else (),
            kind,
            controlled,
            runs,
            bool(direct),
            group,
            bool(replicated),
        )
        for claim, source, relation, strength, setting, rationale, kind, controlled, runs, direct, group, replicated, verdicts in raw
    ]


class Neo4jStore:
    """`kg.store.Store` over a Neo4j server that `kg sync` filled."""

    def __init__(self, uri: str, user: str | None = None, password: str | None = None, database: str | None = None, *, driver: Driver | None = None):
        from neo4j import GraphDatabase

        self.uri = uri
        self.database = database
        self._own_driver = driver is None
        if driver is None:
            from kg.sync import check_uri

            try:
                check_uri(uri)
            except ValueError as exc:
                raise StoreUnavailable(str(exc)) from None
            auth = (user, password or "") if user else None
            # Reads are retried for READ_RETRY_S only: a reader whose server went away should be
            # told in seconds (the UI says so in one line and retries by itself), not after 10 s.
            driver = GraphDatabase.driver(uri, auth=auth, connection_timeout=10, max_transaction_retry_time=READ_RETRY_S)
            try:
                driver.verify_connectivity()
            except Exception as exc:
                driver.close()
                from kg.sync import describe_error

                raise StoreUnavailable(describe_error(exc, uri)) from exc
        self.driver = driver
        self._lock = threading.Lock()
        self._index: tuple[Any, SearchIndex] | None = None  # (sync version, index)
        self._evidence: tuple[Any, dict[str, list[EvidenceRow]]] = (None, {})  # (sync version, rows by hypothesis)
        self._evidence_complete = False  # the rows hold every hypothesis (evidence_by_hypothesis read them all)

    @classmethod
    def from_env(cls) -> Neo4jStore:
        """NEO4J_URI (required), NEO4J_USER (or Aura's NEO4J_USERNAME), NEO4J_PASSWORD, NEO4J_DATABASE."""
        from kg.util import neo4j_user

        uri = os.environ.get("NEO4J_URI")
        if not uri:
            raise StoreUnavailable("KG_STORE=neo4j needs NEO4J_URI (e.g. bolt://127.0.0.1:7687)")
        return cls(uri, neo4j_user(), os.environ.get("NEO4J_PASSWORD"), os.environ.get("NEO4J_DATABASE") or None)

    def close(self) -> None:
        if self._own_driver:
            self.driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, query: str, **params: Any) -> list[Record]:
        def work(tx: ManagedTransaction) -> list[Record]:
            return list(tx.run(query, params))

        # Notifications off: "property key does not exist" on an empty graph is not news.
        with self.driver.session(database=self.database, default_access_mode="READ", notifications_min_severity="OFF") as session:
            return session.execute_read(work)

    # entities
    def stats(self) -> dict[str, int]:
        rec = self._read(Q_STATS)[0]
        return {k: rec[k] for k in ("sources", "hypotheses", "claims", "evidence", "runs", "citations")}

    def hypotheses(self) -> list[Hypothesis]:
        return [_doc(Hypothesis, r["doc"]) for r in self._read(Q_DOCS["hypothesis"])]

    def hypothesis(self, hypothesis_id: str) -> Hypothesis | None:
        return self._one(Hypothesis, "hypothesis", hypothesis_id)

    def claim(self, claim_id: str) -> Claim | None:
        return self._one(Claim, "claim", claim_id)

    def source(self, source_id: str) -> Source | None:
        return self._one(Source, "source", source_id)

    def sources(self) -> list[Source]:
        return [_doc(Source, r["doc"]) for r in self._read(Q_DOCS["source"])]

    def _one(self, model: type[_M], kind: str, entity_id: str) -> _M | None:
        records = self._read(Q_DOC[kind], id=entity_id)
        doc: str | None = records[0]["doc"] if records else None
        return _doc(model, doc)

    def origin(self, kind: str, entity_id: str) -> Origin | None:
        kind = _KIND.get(kind, kind)
        if kind not in Q_ORIGIN:
            return None
        records = self._read(Q_ORIGIN[kind], id=entity_id)
        if not records or records[0]["file"] is None:
            return None
        return Origin(records[0]["file"], records[0]["line"])

    # relations
    def evidence(self, hypothesis_id: str) -> list[EvidenceRow]:
        cache = self._evidence_cache()
        if cache is not None and hypothesis_id in cache:
            return list(cache[hypothesis_id])
        packed = self._read(Q_EVIDENCE_PACK, meta=META_ID, id=hypothesis_id)
        if packed:
            rows = unpack_evidence(packed[0]["rows"]) if packed[0]["rows"] is not None else []
        else:
            rows = self.graph_evidence(hypothesis_id)
        if cache is not None and rows:
            cache[hypothesis_id] = rows
        return list(rows)

    def evidence_by_hypothesis(self) -> dict[str, list[EvidenceRow]]:
        cache = self._evidence_cache()
        if cache is not None and self._evidence_complete:
            return {h: list(rows) for h, rows in cache.items()}
        packed = self._read(Q_EVIDENCE_PACKS, meta=META_ID)
        if packed:
            found = {r["id"]: rows for r in packed if r["rows"] is not None and (rows := unpack_evidence(r["rows"]))}
        else:
            found = {r["id"]: _evidence_rows(r["rows"]) for r in self._read(Q_EVIDENCE_ALL) if r["rows"]}
        if cache is not None:
            cache.clear()
            cache.update(found)
            self._evidence_complete = True
        return {h: list(rows) for h, rows in found.items()}

    def graph_evidence(self, hypothesis_id: str) -> list[EvidenceRow]:
        """A hypothesis's evidence rows read off the graph's edges, never from the sync's packs
        (what `evidence` does without packs; tests hold the two equal)."""
        records = self._read(Q_EVIDENCE, id=hypothesis_id)
        return _evidence_rows(records[0]["rows"]) if records else []

    def _evidence_cache(self) -> dict[str, list[EvidenceRow]] | None:
        """Evidence rows read since the last sync that changed something (like the search index):
        a UI page asks for the same hypothesis's rows several times, the overview for all of
        them. None while a sync is writing or the graph was never synced: read afresh then."""
        version = self._version()
        with self._lock:
            if version is None or version[1]:
                return None
            if self._evidence[0] != version:
                self._evidence = (version, {})
                self._evidence_complete = False
            return self._evidence[1]

    def version(self) -> tuple[Any, Any] | None:
        """The version of the last sync, for callers that keep answers: None while a sync is
        writing or before the first one (answers may change under you then)."""
        version = self._version()
        return None if version is None or version[1] else version

    def _version(self) -> tuple[Any, Any] | None:
        """(version, dirty) of the last sync; every sync bumps the version when it starts and ends."""
        meta = self._read(READ_META, id=META_ID)
        return (meta[0]["version"], meta[0]["dirty"]) if meta else None

    def kept_summaries(self, method: str) -> tuple[Any, dict[str, Summary] | None]:
        """(the current sync version, the summaries kept for it under `method`, or None); the
        version is None while a sync writes or before the first (nothing is kept then)."""
        records = self._read(Q_SUMMARIES, id=META_ID, method=method)
        if not records or records[0]["dirty"]:
            return None, None
        r = records[0]
        version = (r["version"], r["dirty"])  # the same shape as `version()`
        if r["kept_for"] != r["version"] or r["doc"] is None:
            return version, None
        return version, loads(r["doc"])

    def keep_summaries(self, method: str, version: Any, summaries: dict[str, Summary]) -> bool:
        """Keep `summaries` for the sync `version` (from `kept_summaries`) so later readers, on
        any server process, read them in one query. Best effort: False when a sync started
        since, or the server refuses the write (a read-only user); the reader computes then."""
        from neo4j.exceptions import DriverError, Neo4jError

        def work(tx: ManagedTransaction) -> int:
            summary = tx.run(KEEP_SUMMARIES, id=META_ID, method=method, version=version[0], doc=dumps(summaries)).consume()
            return int(summary.counters.properties_set)

        try:
            with self.driver.session(database=self.database, notifications_min_severity="OFF") as session:
                return session.execute_write(work) > 0
        except (Neo4jError, DriverError):
            return False

    def claims_of_source(self, source_id: str) -> list[Claim]:
        return [_doc(Claim, r["doc"]) for r in self._read(Q_CLAIMS_OF_SOURCE, id=source_id)]

    def claim_links(self, claim_id: str) -> list[LinkRow]:
        rows = [LinkRow(claim_id, r["other"], r["relation"], r["direction"]) for r in self._read(Q_CLAIM_LINKS, id=claim_id)]
        return sorted(rows, key=lambda r: (r.direction, r.relation, r.other))

    def citations(self, source_id: str) -> list[CitationEdge]:
        records = sorted(self._read(Q_CITATIONS, id=source_id), key=lambda r: (r["citing"], r["cited"], r["ord"]))
        return [CitationEdge(citing=r["citing"], cited=r["cited"], intents=tuple(r["intents"] or ()), influential=bool(r["influential"])) for r in records]

    def verdicts(self, claim_id: str) -> list[ClaimVerdict]:
        records = sorted(self._read(Q_VERDICTS, id=claim_id), key=lambda r: (r["job"], r["preset"], r["ord"]))
        return [ClaimVerdict.model_validate_json(r["doc"]) for r in records]

    def claims_of(self, claim_ids: Iterable[str]) -> dict[str, Claim]:
        """Many claims in one round trip (a page of claim cards)."""
        return {r["id"]: _doc(Claim, r["doc"]) for r in self._read(Q_CLAIMS_OF, ids=sorted(set(claim_ids)))}

    def verdicts_of(self, claim_ids: Iterable[str]) -> dict[str, list[ClaimVerdict]]:
        """The verdicts of many claims in one round trip (a hypothesis page asks for 17k at 100k claims)."""
        found: dict[str, list[ClaimVerdict]] = {}
        records = sorted(self._read(Q_VERDICTS_OF, ids=sorted(set(claim_ids))), key=lambda r: (r["claim"], r["job"], r["preset"], r["ord"]))
        for r in records:
            found.setdefault(r["claim"], []).append(ClaimVerdict.model_validate_json(r["doc"]))
        return found

    # graph walks
    def neighbourhood(self, key: str, depth: int = 1) -> Subgraph:
        """Every node within `depth` hops (either direction) and the edges among them, sorted."""
        if not self._read(Q_EXISTS, key=key)[0]["n"]:
            return Subgraph()
        seen, frontier = {key}, [key]
        for _ in range(depth):
            if not frontier:
                break
            found = {r["key"] for r in self._read(Q_NEIGHBOURS, keys=frontier)}
            frontier = sorted(found - seen)
            seen |= found
        keys = sorted(seen)
        nodes = sorted(({"key": r["key"], "kind": r["kind"], "id": r["id"], "label": r["label"]} for r in self._read(Q_NODES, keys=keys)), key=lambda n: n["key"])
        edges = [{"source": r["source"], "target": r["target"], "type": r["type"], "relation": r["relation"]} for r in self._read(Q_EDGES_AMONG, keys=keys)]
        edges.sort(key=lambda e: (e["source"], e["target"], e["type"], e["relation"] or ""))
        return Subgraph(nodes, edges)

    def path(self, key_a: str, key_b: str) -> list[str] | None:
        """A shortest path ignoring edge direction, or None."""
        exists = [self._read(Q_EXISTS, key=k)[0]["n"] for k in (key_a, key_b)]
        if not all(exists):
            return None
        if key_a == key_b:
            return [key_a]
        records = self._read(Q_PATH, a=key_a, b=key_b)
        return list(records[0]["keys"]) if records else None

    def search(self, text: str, limit: int = 20, kinds: set[str] | None = None) -> list[Hit]:
        return self._search_index().search(text, limit, kinds)

    def _search_index(self) -> SearchIndex:
        """Built from the same entries as the embedded store's, rebuilt after each sync that changed something."""
        version = self._version()
        with self._lock:
            if self._index is not None and self._index[0] == version and not (version and version[1]):
                return self._index[1]
            sources = [SimpleNamespace(id=r["id"], title=r["title"], aliases=r["aliases"] or [], authors=r["authors"] or []) for r in self._read(Q_SEARCH_ENTRIES["source"])]
            hypotheses = [SimpleNamespace(id=r["id"], title=r["title"], statement=r["statement"]) for r in self._read(Q_SEARCH_ENTRIES["hypothesis"])]
            claims = [SimpleNamespace(id=r["id"], statement=r["statement"]) for r in self._read(Q_SEARCH_ENTRIES["claim"])]
            index = SearchIndex(search_entries(sources, hypotheses, claims))
            self._index = (version, index)
            return index

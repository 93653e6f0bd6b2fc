"""`kg sync` against the real server: idempotent, removes what disappeared, converges after a crash."""

from __future__ import annotations

import ast
import copy
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from claimgraph import load_graph_store
from kg.neo4j_store import Neo4jStore
from kg.records import CitationEdge, ClaimVerdict, Verdict
from kg.store import GraphStore
from kg.sync import sync
from kg.util import default_corpus


def claim_verdict(claim, job, preset, expect, outcome, run_id, finished_at="", reason=""):
    """A ClaimVerdict as a run would give it (positional, for compact test data)."""
    return ClaimVerdict(claim=claim, job=job, preset=preset, expect=expect, verdict=Verdict(outcome=outcome, reason=reason), run_id=run_id, finished_at=finished_at)


def citation(citing, cited, intents=(), influential=False):
    return CitationEdge(citing=citing, cited=cited, intents=intents, influential=influential)


pytestmark = pytest.mark.neo4j

REPO = Path(__file__).resolve().parents[2]
DB = "neo4j"


def dump(driver) -> tuple[list, list]:
    """The whole graph, canonically: every node's labels and properties, every edge's."""
    nodes = driver.execute_query("MATCH (n) WHERE NOT n:KgMeta RETURN labels(n) AS labels, properties(n) AS props", database_=DB).records
    edges = driver.execute_query("MATCH (a)-[r]->(b) RETURN a.key AS a, type(r) AS type, properties(r) AS props, b.key AS b", database_=DB).records
    canon = lambda x: repr(sorted((k, v) for k, v in x.items()))
    return (
        sorted((sorted(r["labels"]), canon(r["props"])) for r in nodes),
        sorted((r["a"], r["type"], canon(r["props"]), r["b"]) for r in edges),
    )


def meta_version(driver):
    records = driver.execute_query("MATCH (m:KgMeta) RETURN m.version AS v, m.dirty AS dirty", database_=DB).records
    return (records[0]["v"], records[0]["dirty"]) if records else None


def assert_same_answers(graph_store: GraphStore, driver) -> None:
    n = Neo4jStore("bolt://unused", driver=driver, database=DB)
    assert n.stats() == graph_store.stats()
    assert n.hypotheses() == graph_store.hypotheses()
    assert n.sources() == graph_store.sources()
    for h in graph_store.corpus.hypotheses:
        assert n.evidence(h) == graph_store.evidence(h), h  # from the sync's evidence pack
        assert n.graph_evidence(h) == graph_store.evidence(h), h  # off the graph's edges
    for c in graph_store.corpus.claims:
        assert n.claim(c) == graph_store.claim(c), c
        assert n.claim_links(c) == graph_store.claim_links(c), c
        assert n.verdicts(c) == graph_store.verdicts(c), c
        assert n.origin("claim", c) == graph_store.origin("claim", c), c
    for s in graph_store.corpus.sources:
        assert n.claims_of_source(s) == graph_store.claims_of_source(s), s
        assert n.citations(s) == graph_store.citations(s), s


@pytest.fixture(scope="module")
def bundled() -> GraphStore:
    return load_graph_store(default_corpus(), runs=False)


def test_first_sync_creates_everything_second_changes_nothing(neo4j_db, bundled):
    first = sync(bundled, neo4j_db, database=DB)
    c = bundled.corpus
    assert first.changed
    assert (first.changes["sources"].created, first.changes["hypotheses"].created, first.changes["claims"].created) == (
        len(c.sources),
        len(c.hypotheses),
        len(c.claims),
    )
    before, version = dump(neo4j_db), meta_version(neo4j_db)
    assert version == (2, False)

    second = sync(bundled, neo4j_db, database=DB)
    assert not second.changed
    assert all(ch.total == 0 for ch in second.changes.values())
    assert second.summary().startswith("no changes")
    assert dump(neo4j_db) == before
    assert meta_version(neo4j_db) == version  # nothing written, not even the version
    assert_same_answers(bundled, neo4j_db)


def test_constraints_and_indexes_exist(neo4j_db, bundled):
    sync(bundled, neo4j_db, database=DB)
    constraints = {r["name"] for r in neo4j_db.execute_query("SHOW CONSTRAINTS YIELD name", database_=DB).records}
    assert {"kg_claim_id", "kg_source_id", "kg_hypothesis_id", "kg_run_id", "kg_node_key"} <= constraints
    indexes = {r["name"] for r in neo4j_db.execute_query("SHOW INDEXES YIELD name, state WHERE state = 'ONLINE'", database_=DB).records}
    assert {"kg_cites_k", "kg_tests_k", "kg_claim_source"} <= indexes
    with pytest.raises(Exception, match="already exists"):
        claim_id = next(iter(bundled.corpus.claims))
        neo4j_db.execute_query("CREATE (:Claim {id: $id})", id=claim_id, database_=DB)


def edited(store: GraphStore) -> GraphStore:
    """The bundled corpus after an edit: one claim reworded, one removed, one added, two swapped,
    one source removed with its claims, a hypothesis parent changed; runs and citations too."""
    corpus = copy.deepcopy(store.corpus)
    claims = list(corpus.claims.values())
    linked = {link.claim for c in claims for link in c.links}
    reworded, added_from = claims[0], claims[2]
    removed = next(c for c in claims[1:] if c.id not in linked and c.source != reworded.source)
    corpus.claims[reworded.id] = reworded.model_copy(update={"statement": reworded.statement + " (reworded)"})
    del corpus.claims[removed.id]
    # a source with claims nobody links to, removed together with them
    by_source: dict[str, list[str]] = {}
    for c in corpus.claims.values():
        by_source.setdefault(c.source, []).append(c.id)
    gone_source = next(s for s, ids in by_source.items() if not set(ids) & linked and reworded.id not in ids and added_from.id not in ids)
    for cid in by_source[gone_source]:
        del corpus.claims[cid]
    del corpus.sources[gone_source]
    new = added_from.model_copy(update={"id": "a-new-claim-added-by-the-test"})
    corpus.claims[new.id] = new
    corpus.origins[("claims", new.id)] = corpus.origins[("claims", added_from.id)]
    # swap the order of two claims (same content): reported as moved
    items = list(corpus.claims.items())
    items[3], items[4] = items[4], items[3]
    corpus.claims = dict(items)
    hyps = list(corpus.hypotheses.values())
    corpus.hypotheses[hyps[-1].id] = hyps[-1].model_copy(update={"parent": hyps[0].id})
    ids = list(corpus.claims)
    verdicts = [
        claim_verdict(ids[0], "grokking", "smoke", "reproduced", "reproduced", "run-a"),
        claim_verdict(ids[5], "grokking", "smoke", "reproduced", "inconclusive", "run-b"),
    ]
    sources = list(corpus.sources)
    citations = [citation(sources[0], sources[1], ("result",), True)]
    return GraphStore(corpus, verdicts, citations)


def test_edits_are_applied_and_reported(neo4j_db, bundled):
    old = GraphStore(bundled.corpus, [claim_verdict(next(iter(bundled.corpus.claims)), "grokking", "smoke", "reproduced", "not-reproduced", "run-old")], [])
    sync(old, neo4j_db, database=DB)
    new = edited(bundled)
    report = sync(new, neo4j_db, database=DB)
    ch = report.changes
    removed_claims = len(set(bundled.corpus.claims) - set(new.corpus.claims))
    assert ch["claims"].created == 1
    assert ch["claims"].deleted == removed_claims >= 2
    assert ch["claims"].updated == 1
    assert ch["claims"].moved >= 2
    assert ch["sources"].deleted == 1
    assert ch["hypotheses"].updated == 1
    assert (ch["runs"].created, ch["runs"].deleted, ch["tests"].created, ch["tests"].deleted) == (2, 1, 2, 1)
    assert ch["citations"].created == 1
    assert ch["evidence packs"].updated >= 1 and ch["evidence packs"].deleted == 0
    assert_same_answers(new, neo4j_db)
    # nothing dangling: every claim has its source, no run without a test
    assert neo4j_db.execute_query("MATCH (c:Claim) WHERE NOT (c)-[:FROM]->() RETURN count(c) AS n", database_=DB).records[0]["n"] == 0
    assert neo4j_db.execute_query("MATCH (r:Run) WHERE NOT (r)-[:TESTS]->() RETURN count(r) AS n", database_=DB).records[0]["n"] == 0
    assert not sync(new, neo4j_db, database=DB).changed
    # and back again
    back = sync(old, neo4j_db, database=DB)
    assert back.changed
    assert_same_answers(old, neo4j_db)


def test_a_long_lived_store_answers_from_each_new_sync(neo4j_db, bundled):
    """The store keeps evidence rows per sync version (as it keeps the search index): the same
    store object, asked before and after a sync that changed something, answers from each."""
    sync(bundled, neo4j_db, database=DB)
    store = Neo4jStore("bolt://unused", driver=neo4j_db, database=DB)
    before = store.evidence_by_hypothesis()
    assert before == bundled.evidence_by_hypothesis()
    new = edited(bundled)
    sync(new, neo4j_db, database=DB)
    after = store.evidence_by_hypothesis()
    assert after == new.evidence_by_hypothesis() != before
    for h in new.corpus.hypotheses:
        assert store.evidence(h) == new.evidence(h), h


def test_evidence_comes_from_the_packs_only_while_the_last_sync_that_wrote_them_stands(neo4j_db, bundled):
    sync(bundled, neo4j_db, database=DB)
    h = max(bundled.corpus.hypotheses, key=lambda h: len(bundled.evidence(h)))
    assert any(r.verdicts for rows in bundled.evidence_by_hypothesis().values() for r in rows)  # packs carry verdicts too
    fresh = lambda: Neo4jStore("bolt://unused", driver=neo4j_db, database=DB)  # a new store: no kept rows
    # Spoil the pack: a reader that uses it now answers wrongly, which shows it is read ...
    neo4j_db.execute_query("MATCH (p:KgEvidence {id: $id}) SET p.rows = '[]', p.h = 'spoilt'", id=h, database_=DB)
    assert fresh().evidence(h) == []
    # ... but not while a sync is writing, nor after a sync that did not write packs (older code)
    neo4j_db.execute_query("MATCH (m:KgMeta) SET m.dirty = true", database_=DB)
    assert fresh().evidence(h) == bundled.evidence(h)
    neo4j_db.execute_query("MATCH (m:KgMeta) SET m.dirty = false, m.version = m.version + 1", database_=DB)
    assert fresh().evidence(h) == bundled.evidence(h)
    assert fresh().evidence_by_hypothesis() == bundled.evidence_by_hypothesis()
    # the next sync rewrites the spoilt pack (its hash differs) and the packs count again
    report = sync(bundled, neo4j_db, database=DB)
    assert report.changes["evidence packs"].updated == 1
    assert_same_answers(bundled, neo4j_db)


def test_sync_to_an_empty_corpus_removes_everything(neo4j_db, bundled):
    from kg.loading import Corpus

    sync(bundled, neo4j_db, database=DB)
    report = sync(GraphStore(Corpus()), neo4j_db, database=DB)
    assert report.changes["claims"].deleted == len(bundled.corpus.claims)
    assert neo4j_db.execute_query("MATCH (n:KgNode) RETURN count(n) AS n", database_=DB).records[0]["n"] == 0


CRASHING_SYNC = textwrap.dedent(
    """
    import os, signal, sys
    from neo4j import GraphDatabase
    from claimgraph import load_graph_store
    from kg.sync import sync

    store = load_graph_store(sys.argv[2], runs=False)
    driver = GraphDatabase.driver(sys.argv[1], auth=None)
    batches = 0

    def crash(phase, n):
        global batches
        batches += 1
        if batches == int(sys.argv[3]):
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no rollback handler, like a power cut

    sync(store, driver, database="neo4j", batch_size=200, after_batch=crash)
    print("finished without crashing")
    """
)


@pytest.mark.parametrize("crash_after", [3, 9])
def test_interrupted_sync_converges(neo4j_db, tmp_path, crash_after):
    sys.path.insert(0, str(REPO / "bench"))
    from synth import generate

    corpus_dir = tmp_path / "corpus"
    generate(2000, corpus_dir)
    store = load_graph_store(corpus_dir, runs=False)

    # the reference: a clean sync into an empty database
    sync(store, neo4j_db, database=DB)
    clean = dump(neo4j_db)
    from neo4j_server import clear

    clear(neo4j_db, schema=False)

    script = tmp_path / "crash.py"
    script.write_text(CRASHING_SYNC)
    uri = os.environ.get("NEO4J_URI") or "bolt://127.0.0.1:7687"
    proc = subprocess.run([sys.executable, str(script), uri, str(corpus_dir), str(crash_after)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    partial = dump(neo4j_db)
    assert partial != clean and len(partial[0]) > 0  # it did stop halfway
    assert meta_version(neo4j_db)[1] is True  # marked dirty

    report = sync(store, neo4j_db, database=DB)
    assert report.changed
    assert dump(neo4j_db) == clean
    assert meta_version(neo4j_db)[1] is False
    assert not sync(store, neo4j_db, database=DB).changed


def test_sync_command_summary_and_rerun(neo4j_db):
    from typer.testing import CliRunner

    from cli.app import app

    uri = os.environ.get("NEO4J_URI") or "bolt://127.0.0.1:7687"
    first = CliRunner().invoke(app, ["sync", "--neo4j", uri])
    assert first.exit_code == 0, first.output
    assert "claims:" in first.stdout and "created" in first.stdout
    second = CliRunner().invoke(app, ["sync", "--neo4j", uri])
    assert second.exit_code == 0 and second.stdout.startswith("no changes")


def _run_sync_command(uri: str, user: str | None = None, password: str | None = None) -> subprocess.CompletedProcess:
    """`kg sync --neo4j URI` as a user runs it; credentials travel in the environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("NEO4J_USER", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_URI")}
    env.update({"NEO4J_USER": user, "NEO4J_PASSWORD": password or ""} if user else {})
    return subprocess.run([sys.executable, "-m", "cli.app", "sync", "--neo4j", uri], cwd=REPO, capture_output=True, text=True, timeout=120, env=env)


def test_kg_sync_cli_twice_second_says_no_changes(neo4j_db):
    uri = os.environ.get("NEO4J_URI") or "bolt://127.0.0.1:7687"
    first = _run_sync_command(uri)
    assert first.returncode == 0, first.stderr
    assert "claims:" in first.stdout and "created" in first.stdout
    second = _run_sync_command(uri)
    assert second.returncode == 0 and second.stdout.startswith("no changes"), second.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_down_server_is_one_line_exit_1():
    proc = _run_sync_command(f"bolt://127.0.0.1:{_free_port()}")
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach Neo4j"), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", "127.0.0.1:7687", "bolt://[not-a-host"])
def test_bad_uri_is_one_line_exit_1(uri):
    proc = _run_sync_command(uri)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr


@pytest.fixture(scope="module")
def server_with_auth():
    """A second real server, with auth on, on a free port."""
    port = _free_port()
    env = dict(os.environ, NEO4J_PORT=str(port), NEO4J_AUTH="on", NEO4J_HEAP="512m", NEO4J_PAGECACHE="32m")
    script = REPO / "tools" / "neo4j" / "neo4j.sh"
    start = subprocess.run(["bash", str(script), "start"], env=env, capture_output=True, text=True, timeout=300)
    if start.returncode != 0:
        pytest.fail(f"could not start a Neo4j with auth on: {start.stdout}{start.stderr}", pytrace=False)
    try:
        yield f"bolt://127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(script), "stop"], env=env, capture_output=True, text=True, timeout=120)


def test_wrong_credentials_are_one_line_exit_1(server_with_auth):
    proc = _run_sync_command(server_with_auth, "neo4j", "not-the-password")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "rejected the credentials" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    proc = _run_sync_command(server_with_auth)  # no credentials at all
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr


def test_store_from_env_errors_are_one_line(monkeypatch):
    from kg.neo4j_store import StoreUnavailable

    monkeypatch.delenv("NEO4J_URI", raising=False)
    with pytest.raises(StoreUnavailable, match="needs NEO4J_URI"):
        Neo4jStore.from_env()
    monkeypatch.setenv("NEO4J_URI", f"bolt://127.0.0.1:{_free_port()}")
    with pytest.raises(StoreUnavailable, match="cannot reach Neo4j"):
        Neo4jStore.from_env()


def test_open_store_reads_kg_store_neo4j(neo4j_db, bundled, monkeypatch):
    from claimgraph import open_store

    sync(bundled, neo4j_db, database=DB)
    monkeypatch.setenv("KG_STORE", "neo4j")
    monkeypatch.setenv("NEO4J_URI", os.environ.get("NEO4J_URI") or "bolt://127.0.0.1:7687")
    store = open_store()
    try:
        assert isinstance(store, Neo4jStore)
        assert store.stats() == bundled.stats()
    finally:
        store.close()


def _constant_query(node: ast.AST) -> bool:
    """A name, a literal, CONSTANTS[key], CONSTANTS.get(key), or `a or b` of those."""
    if isinstance(node, ast.Name | ast.Constant):
        return True
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Name) and node.value.id.isupper()
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return isinstance(node.func.value, ast.Name) and node.func.value.id.isupper()
    if isinstance(node, ast.BoolOp):
        return all(_constant_query(v) for v in node.values)
    return False


def test_queries_are_constants_never_built_from_data():
    """Every Cypher the Neo4j code runs is a constant (or picked from a dict of constants), never
    an f-string, a concatenation or a .format() of anything; and every constant is plain text."""
    seen = 0
    for path in (REPO / "kg" / "sync.py", REPO / "kg" / "neo4j_store.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                parent_src = ast.get_source_segment(path.read_text(), node) or ""
                assert not any(w in parent_src for w in ("MATCH", "MERGE", "CREATE", "RETURN")), f"{path.name}:{node.lineno}: f-string with Cypher"
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name in ("run", "execute_query"):
                index = 0
            elif name == "_read":
                index = 0 if isinstance(func, ast.Attribute) else 1  # self._read(q) / _read(session, q)
            elif name == "_write":
                index = 1
            else:
                continue
            if len(node.args) <= index:
                continue
            seen += 1
            assert _constant_query(node.args[index]), f"{path.name}:{node.lineno}: query is {ast.dump(node.args[index])[:100]}"
    assert seen >= 10

"""`kg ingest` end to end over the replay server: summary, idempotence, offline, refresh, faults,
a process killed mid-run and mid-write (the cache stays valid and a rerun completes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.cache import Cache
from ingest.edges import citation_edges, suggestions
from ingest.metadata import cached_metadata
from kg.util import atomic_write_json

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def kg(server, cache_dir, monkeypatch):
    from cli.app import app

    monkeypatch.setenv("S2_BACKOFF_BASE", "0.02")
    monkeypatch.delenv("S2_API_KEY", raising=False)

    def run(*args: str, online: bool = True):
        extra = ["--api-url", server.url, "--rate", "100", "--timeout", "2"] if online and args[0] == "ingest" else []
        return runner.invoke(app, [*args, *extra])

    return run


def _summary(result) -> dict:
    return json.loads(result.stdout)


def test_ingest_corpus_then_rerun_is_idempotent(kg, server, cache, corpus):
    r = kg("ingest", "--format", "json")
    assert r.exit_code == 0, r.output
    s = _summary(r)
    papers = [x for x in corpus.sources.values() if x.kind in ("paper", "book")]
    assert len(s["resolved"]) == 28 and not s["failed"]
    assert set(s["not_found"]) == {"lindsey2025-introspective-awareness", "yudkowsky2013-ai-foom-debate"}
    assert "weak title match rejected" in s["not_found"]["yudkowsky2013-ai-foom-debate"]
    assert all(k in s["skipped"] for k in corpus.sources if corpus.sources[k].kind in ("post", "comment"))
    assert len(s["fetched"]) == len(papers)
    # one batch for all id-based sources, one title match per id-less paper/book, edge pages
    batch = server.requests("/paper/batch")
    assert len(batch) == 1 and len(json.loads(batch[0].body)["ids"]) == 26
    assert len(server.requests("/search/match")) == 4
    assert s["edge_lists_fetched"] == 2 * 28
    assert s["requests"] == len(server.requests())

    server.reset_log()
    s2 = _summary(kg("ingest", "--format", "json"))
    assert server.requests() == []  # nothing fresh is fetched again
    assert sorted(s2["from_cache"]) == sorted(s["fetched"]) and s2["edge_lists_cached"] == 56
    assert sorted(s2["resolved"]) == sorted(s["resolved"])

    # what the graph reads
    edges = citation_edges(corpus, cache)
    pairs = {(e.citing, e.cited) for e in edges}
    assert ("wang2024-grokked-transformers", "nanda2023-progress-measures") in pairs
    assert ("schoen2025-anti-scheming", "guan2024-deliberative-alignment") in pairs
    assert len(edges) == 16
    e = next(e for e in edges if e.citing == "macdiarmid2025-natural-emergent-misalignment" and e.cited == "betley2025-emergent-misalignment")
    assert e.intents == ("background", "result") and e.influential
    from claimgraph import load_citations  # the graph's own entry point, default cache = $KG_S2_CACHE

    assert len(load_citations(corpus)) == 16
    meta = cached_metadata(corpus)
    assert meta["nanda2023-progress-measures"]["tldr"].startswith("[synthetic]")
    assert meta["schmidhuber2002-speed-prior"]["abstract"] is None  # withheld, like Springer's
    assert "bushnaq2025-slt-to-ait" not in meta  # posts keep their YAML metadata
    titles = {x.title for x in suggestions(corpus, cache)}
    assert titles == {
        "Attention Is All You Need",
        "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
        "Llama 2: Open Foundation and Fine-Tuned Chat Models",
        "Sleeper Agents: Training Deceptive LLMs that Persist Through Safety Training",
    }
    r = kg("suggest")
    assert r.exit_code == 0 and "Sleeper Agents" in r.stdout and "Only One Corpus Source" not in r.stdout


def test_offline_names_what_is_missing(kg, server, corpus):
    r = kg("ingest", "--only", "nanda2023-progress-measures")
    assert r.exit_code == 0, r.output
    server.reset_log()
    r = kg("ingest", "--offline", online=False)
    assert r.exit_code == 1
    assert "missing from the cache (offline): wang2024-grokked-transformers" in r.stdout
    assert "nanda2023-progress-measures" not in r.stdout.split("missing from the cache")[1].split(",")[0]
    assert "Traceback" not in r.output and server.requests() == []
    r = kg("ingest", "--offline", "--only", "nanda2023-progress-measures", online=False)
    assert r.exit_code == 0 and "from cache 1" in r.stdout


def test_refresh_and_staleness(kg, server, cache):
    kg("ingest", "--only", "gade2023-badllama")
    server.reset_log()
    kg("ingest", "--only", "gade2023-badllama", "--refresh")
    assert len(server.requests()) == 3  # batch + references + citations
    # an entry older than the refresh policy is fetched again
    p = cache.path("papers", "gade2023-badllama")
    entry = json.loads(p.read_text())
    entry["fetched_at"] = "2000-01-01T00:00:00Z"
    p.write_text(json.dumps(entry))
    server.reset_log()
    s = _summary(kg("ingest", "--only", "gade2023-badllama", "--format", "json"))
    assert s["fetched"] == ["gade2023-badllama"] and s["edge_lists_cached"] == 2


def test_unknown_only_id_is_one_line(kg):
    r = kg("ingest", "--only", "no-such-source")
    assert r.exit_code == 1 and r.output.strip().startswith("error: unknown source id") and "Traceback" not in r.output


def test_failures_are_reported_and_a_rerun_completes(kg, server, cache):
    server.fault("500", times=10_000, path="/paper/batch")
    r = kg("ingest", "--no-edges")
    assert r.exit_code == 1
    assert "failed: nanda2023-progress-measures: batch of 26 papers: 500 server error (gave up after" in r.stdout
    assert r.output.strip().splitlines()[-1].startswith("error: 26 item(s) failed")
    assert "Traceback" not in r.output
    assert cache.corrupt_files() == []
    server.faults.clear()
    r = kg("ingest", "--format", "json")
    s = _summary(r)
    assert r.exit_code == 0 and len(s["resolved"]) == 28
    assert len(s["from_cache"]) == 4  # the title matches had succeeded the first time


def test_mixed_faults_during_a_full_ingest(kg, server, cache):
    for kind in ("429", "429", "429", "500"):  # four in a row on the batch; the fifth attempt gets through
        server.fault(kind, times=1, path="/paper/batch")
    server.fault("truncated", times=1, path="/search/match")
    server.fault("error200", times=1, path="/search/match")
    server.fault("502", times=1, path="/references")
    server.fault("timeout", times=1, path="/citations", delay=2.5)
    r = kg("ingest", "--format", "json")
    assert r.exit_code == 0, r.output
    assert len(_summary(r)["resolved"]) == 28
    assert sum(1 for q in server.requests() if q.status in (429, 500, 502)) == 5
    assert cache.corrupt_files() == []


def _kg_subprocess(server, cache_dir, *args):
    env = {**os.environ, "KG_S2_CACHE": str(cache_dir), "S2_BACKOFF_BASE": "0.02"}
    env.pop("S2_API_KEY", None)
    code = "from cli.app import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, "ingest", "--api-url", server.url, "--rate", "100", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killed_mid_run_then_rerun_completes(server, cache_dir, cache):
    server.delay = 0.05
    proc = _kg_subprocess(server, cache_dir)
    deadline = time.monotonic() + 30
    while len(list((cache_dir / "references").glob("*.json"))) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert cache.corrupt_files() == []
    done_before = len(list((cache_dir / "references").glob("*.json")))
    assert 5 <= done_before < 28
    server.delay = 0.0
    server.reset_log()
    proc = _kg_subprocess(server, cache_dir, "--format", "json")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    s = json.loads(out)
    assert len(s["resolved"]) == 28 and s["edge_lists_fetched"] + s["edge_lists_cached"] == 56
    assert s["edge_lists_cached"] >= 2 * done_before - 1
    assert server.requests("/paper/batch") == []  # metadata was all cached before the kill
    assert cache.corrupt_files() == [] and not list(cache_dir.rglob("*.tmp"))


WRITER = """
import sys, itertools
from pathlib import Path
from kg.util import atomic_write_json
target = Path(sys.argv[1])
for i in itertools.count():
    atomic_write_json(target, {"version": i, "fetched_at": "x", "status": "not_found", "blob": ["y" * 1000] * 3000})
"""


def test_killed_mid_write_never_corrupts(tmp_path):
    """SIGKILL a process that rewrites a 3 MB cache file in a loop, at several moments."""
    target = tmp_path / "papers" / "big.json"
    atomic_write_json(target, {"version": -1, "fetched_at": "x", "status": "not_found"})  # the shape of a papers entry
    seen = set()
    for delay in (0.15, 0.3, 0.45, 0.6, 0.8):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = json.loads(target.read_text())  # always a complete document
        seen.add(data["version"])
    assert any(v >= 0 for v in seen)
    leftovers = list(target.parent.glob(".*.tmp"))
    cache = Cache(tmp_path)
    assert cache.read("papers", "big") is not None
    assert cache.sweep_tmp() == len(leftovers) and not list(target.parent.glob(".*.tmp"))


def test_a_corrupt_cache_file_is_skipped(cache, corpus):
    p = cache.path("papers", "nanda2023-progress-measures")
    p.parent.mkdir(parents=True)
    p.write_text('{"fetched_at": "2026-')
    assert cache.read("papers", "nanda2023-progress-measures") is None
    assert cache.corrupt_files() == [p]
    assert cached_metadata(corpus, cache) == {} and citation_edges(corpus, cache) == []

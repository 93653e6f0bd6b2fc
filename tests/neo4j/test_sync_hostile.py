"""`kg sync` never touches Neo4j when the corpus does not load cleanly (issue 16).

A NUL byte once made the fast YAML parser drop every claim after it; `kg validate --strict`
passed and the following `kg sync` deleted those claims from Neo4j. Now any load or
validation error stops `kg sync` before it connects, so a broken load cannot delete data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.neo4j

REPO = Path(__file__).resolve().parents[2]


def kg_sync(corpus: Path, uri: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "cli.app", "sync", "--neo4j", uri, "--corpus", str(corpus)], cwd=REPO, capture_output=True, text=True, timeout=180, env=env)


def claim_ids(driver) -> set[str]:
    return {r["id"] for r in driver.execute_query("MATCH (c:Claim) WHERE c.h IS NOT NULL RETURN c.id AS id", database_="neo4j").records}


BREAKAGES = {
    "nul-in-comment": lambda text: text.replace("- id: parity-hidden-progress", "# a comment with a \x00 byte\n- id: parity-hidden-progress"),
    "yaml-1.1": lambda text: "%YAML 1.1\n---\n" + text,
    "ansi-in-rationale": lambda text: text.replace("rationale: Progress", "rationale: \x1b[2JProgress"),
}


def test_sync_refuses_a_corpus_with_errors_and_deletes_nothing(neo4j_db, tmp_path):
    uri = os.environ.get("NEO4J_URI") or "bolt://127.0.0.1:7687"
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "tests" / "kg" / "base", corpus)
    first = kg_sync(corpus, uri)
    assert first.returncode == 0, first.stderr
    before = claim_ids(neo4j_db)
    assert before == {"grokking-fourier", "parity-hidden-progress"}

    claims = corpus / "claims.yaml"
    good = claims.read_text()
    for name, break_it in BREAKAGES.items():
        claims.write_text(break_it(good), newline="")
        proc = kg_sync(corpus, uri)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, (name, proc.stderr)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith(f"error: the corpus has 1 error(s), the first at {claims}:"), (name, proc.stderr)
        assert claim_ids(neo4j_db) == before, name  # nothing deleted

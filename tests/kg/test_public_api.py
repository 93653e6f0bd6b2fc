"""The documented surface of `kg`, pinned: a name added or dropped is a decision, not an accident."""

from __future__ import annotations

import subprocess
import sys

import kg

PUBLIC = {
    "Balance",
    "Claim",
    "ClaimLink",
    "ClaimVerdict",
    "CitationEdge",
    "Corpus",
    "CorpusError",
    "EvidenceLink",
    "EvidenceRow",
    "GraphStore",
    "Hypothesis",
    "JobCatalog",
    "Kind",
    "Locator",
    "Origin",
    "Problem",
    "Report",
    "ReproductionRef",
    "Source",
    "Store",
    "Summary",
    "Verdict",
    "Weights",
    "__version__",
    "aggregate",
    "balance",
    "build_graph",
    "by_relation",
    "load_corpus",
    "node_key",
    "overview",
    "resolve_key",
    "summaries",
    "validate",
    "validate_text",
}


def test_all_is_the_documented_surface_and_every_name_resolves():
    assert set(kg.__all__) == PUBLIC
    for name in kg.__all__:
        assert getattr(kg, name) is not None, name


def test_the_public_api_answers_the_readme_example(repo_root):
    report = kg.validate(repo_root / "claims")
    assert report.ok
    store = kg.GraphStore(report.corpus)
    rows = kg.overview(store)
    assert [h.id for h, _ in rows] == list(report.corpus.hypotheses)
    assert all(-1 <= b.score <= 1 for _, b in rows)


def test_importing_kg_is_cheap_and_pulls_in_no_plugin():
    """`import kg` loads names on first use: no networkx, pydantic models, torch or our plugins."""
    code = "import sys, kg; print(sorted(m for m in sys.modules if m.split('.')[0] in {'networkx', 'torch', 'repro', 'ingest', 'ui', 'claimgraph', 'cli', 'streamlit'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_core_imports_nothing_of_ours_even_when_used():
    code = (
        "import sys, kg\n"
        "store = kg.GraphStore(kg.validate(sys.argv[1]).corpus); kg.overview(store); store.neighbourhood('hypothesis:general-algorithms')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'repro', 'ingest', 'ui', 'claimgraph', 'cli', 'torch', 'streamlit', 'neo4j'}))"
    )
    from pathlib import Path

    out = subprocess.run([sys.executable, "-c", code, str(Path(kg.__file__).parent.parent / "claims")], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

"""The web UI on a Neo4j store (KG_STORE=neo4j): same pages, no code path of their own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from claimgraph import load_graph_store
from kg.store import overview
from kg.sync import sync
from kg.util import default_corpus

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "ui"))
from uihelpers import all_text, page_links  # noqa: E402

from ui.widgets import md  # noqa: E402

pytestmark = pytest.mark.neo4j


@pytest.fixture
def ui_on_neo4j(neo4j_db, monkeypatch, tmp_path):
    from neo4j_server import uri

    graph = load_graph_store(default_corpus(), runs=False)
    sync(graph, neo4j_db)
    monkeypatch.setenv("KG_STORE", "neo4j")
    monkeypatch.setenv("NEO4J_URI", uri())
    monkeypatch.setenv("KG_RUNS_DIR", str(tmp_path / "runs"))
    for name in ("NEO4J_USER", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    return graph


def run_page(page: str, **query):
    from streamlit.testing.v1 import AppTest

    from ui.widgets import PAGES

    at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(PAGES[page])
    at.run()
    assert not at.exception, at.exception
    return at


def test_overview_and_hypothesis_pages_answer_from_neo4j(ui_on_neo4j):
    at = run_page("overview")
    assert "Store: Neo4j at" in all_text(at)  # the sidebar names the store
    linked = {q for p, _, q in page_links(at) if p == "hypothesis"}
    assert linked == {f"id={h.id}" for h, _ in overview(ui_on_neo4j)}
    h, b = max(overview(ui_on_neo4j), key=lambda hb: sum(hb[1].counts.values()))
    text = all_text(run_page("hypothesis", id=h.id))
    assert md(h.statement) in text  # contributor text is shown escaped (widgets.md)
    assert f"{b.score:+.2f}" in text  # the same balance the embedded store computes


def test_claim_and_source_pages_answer_from_neo4j(ui_on_neo4j):
    claim = next(iter(ui_on_neo4j.corpus.claims.values()))
    assert md(claim.statement) in all_text(run_page("claim", id=claim.id))
    source = ui_on_neo4j.source(claim.source)
    assert md(source.title) in all_text(run_page("source", id=source.id))

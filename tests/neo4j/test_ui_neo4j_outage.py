"""Faults while serving: the Neo4j server stops while the UI is open in a browser. The page
shows one line saying so (no traceback), and comes back by itself, with no click or reload,
once the server is back. A real server of its own (tools/neo4j/neo4j.sh on a port of its own,
with a data folder kept across the restart), the real Streamlit server, Debian's Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "ui"))
from browserkit import CHROMIUM_FLAGS, ERROR_BOXES, Server, chromium, settle  # noqa: E402

pytestmark = [pytest.mark.neo4j, pytest.mark.browser, pytest.mark.slow]
PORT = int(os.environ.get("KG_OUTAGE_NEO4J_PORT") or 7712)  # not the session server's port: this one is stopped
FIXTURE = ROOT / "tests" / "ui" / "fixtures" / "corpus"
DOWN = "The claims store is not answering"


def neo4j(action: str, data: Path) -> None:
    env = {**os.environ, "NEO4J_PORT": str(PORT), "NEO4J_DATA": str(data), "NEO4J_HEAP": "512m", "NEO4J_STOP_TIMEOUT": "10"}
    done = subprocess.run(["bash", str(ROOT / "tools" / "neo4j" / "neo4j.sh"), action], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        if os.environ.get("KG_SKIP_NEO4J") == "1":
            pytest.skip(f"KG_SKIP_NEO4J=1: neo4j.sh {action} failed")
        raise AssertionError(f"neo4j.sh {action} on port {PORT} failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture
def own_neo4j(tmp_path):
    from neo4j import GraphDatabase

    from claimgraph import load_graph_store
    from kg.sync import sync

    data = tmp_path / "neo4j-data"
    neo4j("start", data)
    try:
        driver = GraphDatabase.driver(f"bolt://127.0.0.1:{PORT}", auth=None)
        try:
            sync(load_graph_store(FIXTURE, runs=False), driver)
        finally:
            driver.close()
        yield data
    finally:
        neo4j("stop", data)


def test_neo4j_stopped_under_an_open_page_gives_one_line_and_recovers_by_itself(own_neo4j, tmp_path):
    from playwright.sync_api import sync_playwright

    env = {"KG_STORE": "neo4j", "NEO4J_URI": f"bolt://127.0.0.1:{PORT}", "NEO4J_USER": "", "NEO4J_PASSWORD": "", "NEO4J_DATABASE": ""}
    server = Server(FIXTURE, tmp_path / "runs", **env)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.goto(server.url + "/hypothesis?id=shallow-safety")
            settle(page)
            assert page.locator(ERROR_BOXES).count() == 0
            title = page.locator('[data-testid="stMain"] h1').first.inner_text()

            neo4j("stop", own_neo4j)
            page.goto(server.url + "/")  # the reader moves on while the server is down
            page.get_by_text(DOWN).wait_for(timeout=90_000)
            errors = page.locator(ERROR_BOXES)
            assert errors.count() == 1, [errors.nth(i).inner_text() for i in range(errors.count())]
            message = errors.first.locator('[data-testid="stMarkdownContainer"]').inner_text()  # the text, not the icon
            assert "\n" not in message.strip() and "Traceback" not in message, message
            assert page.locator('[data-testid="stException"]').count() == 0

            neo4j("start", own_neo4j)  # same data folder: the synced graph is still there
            # no click, no reload: the page's own retry brings it back
            page.get_by_text(DOWN).wait_for(state="detached", timeout=90_000)
            page.locator('[data-testid="stMain"] h1', has_text="Hypotheses").wait_for(timeout=60_000)
            settle(page)
            assert page.locator(ERROR_BOXES).count() == 0
            page.goto(server.url + "/hypothesis?id=shallow-safety")
            settle(page)
            assert page.locator('[data-testid="stMain"] h1').first.inner_text() == title
            assert page.locator(ERROR_BOXES).count() == 0
            browser.close()
    finally:
        server.stop()

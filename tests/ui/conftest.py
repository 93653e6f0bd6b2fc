"""Fixtures for the UI tests: a small corpus (with a hostile claim), an empty run store, and a
helper that runs the app on a page with query parameters."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "ui" / "app.py"
FIXTURE = Path(__file__).parent / "fixtures" / "corpus"
sys.path.insert(0, str(Path(__file__).parent))  # for `from uihelpers import ...`


@pytest.fixture
def corpus(tmp_path, monkeypatch) -> Path:
    """A private copy of the fixture corpus (tests may edit it), wired in through KG_CORPUS."""
    path = tmp_path / "corpus"
    shutil.copytree(FIXTURE, path)
    monkeypatch.setenv("KG_CORPUS", str(path))
    monkeypatch.setenv("KG_RUNS_DIR", str(tmp_path / "runs"))
    return path


@pytest.fixture
def app(corpus):
    """`app(page, **query)` -> an AppTest that has run once; `page` is a key of widgets.PAGES."""
    from streamlit.testing.v1 import AppTest

    from ui.widgets import PAGES

    def make(page: str | None = None, **query):
        at = AppTest.from_file(str(APP), default_timeout=60)
        for k, v in query.items():
            at.query_params[k] = v
        if page:
            at.switch_page(PAGES[page])
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return make

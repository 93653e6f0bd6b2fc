"""Shared fixtures. Runs go to a temporary store so tests never touch the repository's runs/."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("KG_RUNS_DIR", tempfile.mkdtemp(prefix="kg-test-runs-"))
os.environ.setdefault("RAY_AUTH_MODE", "disabled")


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def scripted_repo(tmp_path_factory):
    """A git repository with a scripted history of the base corpus (tests/scripted_repo.py).
    Shared by the session: copy it (shutil.copytree) before editing its work tree."""
    sys.path.insert(0, str(ROOT / "tests"))
    from scripted_repo import build

    return build(tmp_path_factory.mktemp("scripted") / "repo")


@pytest.fixture
def base_corpus(tmp_path: Path) -> Path:
    """A small valid corpus (tests/kg/base) copied to a temporary folder, safe to edit."""
    target = tmp_path / "corpus"
    shutil.copytree(ROOT / "tests" / "kg" / "base", target)
    return target


@pytest.fixture(scope="session")
def neo4j_driver():
    """A driver to the real Neo4j server (tests/neo4j/neo4j_server.py starts one if none answers),
    shared by tests/neo4j and tests/contract; stopped at the end if this session started it."""
    sys.path.insert(0, str(ROOT / "tests" / "neo4j"))
    import neo4j_server

    driver = neo4j_server.acquire()
    try:
        yield driver
    finally:
        neo4j_server.release()

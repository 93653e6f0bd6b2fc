"""Fixtures for tests that need the real Neo4j server (marked ``@pytest.mark.neo4j``).

``neo4j_driver`` (session): a driver to the server at $NEO4J_URI (default bolt://127.0.0.1:7687);
if nothing answers there, ``tools/neo4j/neo4j.sh start`` starts one on that port for the session
and it is stopped at the end. Unreachable or unstartable -> the tests fail with the reason, unless
KG_SKIP_NEO4J=1. ``neo4j_db`` (function): the same driver on an empty database (data, constraints
and indexes cleared before each test).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import neo4j_server


@pytest.fixture
def neo4j_db(neo4j_driver):
    neo4j_server.clear(neo4j_driver)
    return neo4j_driver

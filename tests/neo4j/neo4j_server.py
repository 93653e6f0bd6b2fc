"""The real Neo4j server for the test session (no mocks).

Used by tests/neo4j/conftest.py and tests/contract/conftest.py. If nothing answers at
$NEO4J_URI (default bolt://127.0.0.1:7687), the server is started with
``tools/neo4j/neo4j.sh start`` on that port and stopped again at the end of the session.
If it cannot be reached or started, tests that need it FAIL with the reason; they are skipped
only when KG_SKIP_NEO4J=1 is set explicitly.

Note: there is deliberately no ``__init__.py`` in tests/neo4j (a package named ``neo4j`` on
sys.path would shadow the driver).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "neo4j" / "neo4j.sh"
DEFAULT_URI = "bolt://127.0.0.1:7687"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

_lock = threading.Lock()
_state: dict = {"driver": None, "started_port": None, "users": 0, "error": None}


def uri() -> str:
    return os.environ.get("NEO4J_URI") or DEFAULT_URI


def auth() -> tuple[str, str] | None:
    from kg.util import neo4j_user

    user = neo4j_user()
    if not user:
        return None
    return (user, os.environ.get("NEO4J_PASSWORD", ""))


def _host_port(u: str) -> tuple[str, int]:
    p = urlparse(u)
    return (p.hostname or "127.0.0.1", p.port or 7687)


def _answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _start(port: int) -> None:
    env = dict(os.environ, NEO4J_PORT=str(port))
    proc = subprocess.run(
        ["bash", str(SCRIPT), "start"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"`tools/neo4j/neo4j.sh start` (port {port}) failed with exit {proc.returncode}:\n{proc.stdout}\n{proc.stderr}".strip())


def _stop(port: int) -> None:
    env = dict(os.environ, NEO4J_PORT=str(port))
    subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True, text=True, timeout=120)


def _unavailable(reason: str):
    if os.environ.get("KG_SKIP_NEO4J") == "1":
        pytest.skip(f"KG_SKIP_NEO4J=1: {reason}")
    pytest.fail(
        f"Neo4j is needed but not available: {reason}\nRun `tools/neo4j/neo4j.sh fetch` (Java 17 + Maven), or point NEO4J_URI at a server, or set KG_SKIP_NEO4J=1 to skip these tests on purpose.",
        pytrace=False,
    )


def acquire():
    """Return a connected driver, starting the local server first if needed."""
    from neo4j import GraphDatabase  # the driver, not this folder

    with _lock:
        if _state["error"]:
            _unavailable(_state["error"])
        if _state["driver"] is not None:
            _state["users"] += 1
            return _state["driver"]
        u = uri()
        host, port = _host_port(u)
        try:
            if not _answers(host, port):
                if host not in LOCAL_HOSTS:
                    raise RuntimeError(f"nothing answers at {u}, and a remote server cannot be started from here")
                _start(port)
                _state["started_port"] = port
            driver = GraphDatabase.driver(u, auth=auth())
            driver.verify_connectivity()
        except Exception as exc:  # noqa: BLE001 - reported, not swallowed
            _state["error"] = f"{type(exc).__name__}: {exc}"
            if _state["started_port"] is not None:
                _stop(_state["started_port"])
                _state["started_port"] = None
            _unavailable(_state["error"])
        _state["driver"] = driver
        _state["users"] = 1
        return driver


def release() -> None:
    with _lock:
        _state["users"] -= 1
        if _state["users"] > 0 or _state["driver"] is None:
            return
        _state["driver"].close()
        _state["driver"] = None
        if _state["started_port"] is not None:
            _stop(_state["started_port"])
            _state["started_port"] = None


_SAFE_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def clear(driver, *, schema: bool = True) -> None:
    """Delete all nodes and relationships (and, by default, constraints and indexes)."""
    with driver.session(database="neo4j") as session:  # IN TRANSACTIONS needs an auto-commit query
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    if not schema:
        return
    for kind, show in (("CONSTRAINT", "SHOW CONSTRAINTS YIELD name"), ("INDEX", "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'")):
        records = driver.execute_query(show, database_="neo4j").records
        for rec in records:
            name = rec["name"]
            # Schema names come from the server, not from test data; DROP takes no parameters,
            # so only plain names are accepted here.
            if not _SAFE_NAME.match(name):
                raise RuntimeError(f"refusing to drop {kind.lower()} with unexpected name {name!r}")
            driver.execute_query(f"DROP {kind} {name} IF EXISTS", database_="neo4j")

"""A long-running server reloads the corpus again and again (the UI does on every edit): memory
must stay flat. Library code never freezes objects or retunes the garbage collector to get
there; the one thing it may do is pause the collector around a bulk build (kg.util.gc_paused),
which always turns it back on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RELOAD_50_TIMES = """
import gc, sys
from claimgraph import load_graph_store
from kg.store import overview

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

def reload():
    store = load_graph_store(sys.argv[1])
    overview(store)
    store.search("grokking")
    store.neighbourhood("hypothesis:general-algorithms", 2)

for _ in range(3):  # warm up: imports, caches, the allocator's first arenas
    reload()
gc.collect()
before = rss_mb()
for _ in range(50):
    reload()
gc.collect()
print(f"{rss_mb() - before:.1f} {len(gc.get_objects())} {gc.get_freeze_count()} {int(gc.isenabled())}")
"""


def test_reloading_the_corpus_50_times_keeps_memory_flat(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", RELOAD_50_TIMES, str(ROOT / "claims")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env={"KG_RUNS_DIR": str(tmp_path / "runs"), "KG_S2_CACHE": str(tmp_path / "s2"), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    growth_mb, _objects, frozen, enabled = proc.stdout.split()
    assert float(growth_mb) < 30, f"RSS grew {growth_mb} MB over 50 reloads"
    assert int(frozen) == 0, "library code froze objects (gc.freeze): they are never collected"
    assert enabled == "1", "library code left the garbage collector off"


def test_library_code_never_freezes_or_retunes_the_garbage_collector():
    """Frozen objects are never collected, so a server that reloads would grow for ever (issue 9).
    The only switch allowed is kg.util.gc_paused, a pause that always ends (tests/kg/test_util.py)."""
    offenders = []
    for package in ("kg", "ingest", "repro", "claimgraph", "cli", "ui"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            calls = ("gc.freeze(", "gc.set_threshold(") + (() if path == ROOT / "kg" / "util.py" else ("gc.disable(",))
            if any(call in text for call in calls):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []

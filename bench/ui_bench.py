"""Render time of each UI view on a synthetic corpus (default 10,000 claims), with AppTest.

    python bench/ui_bench.py                    # generates /tmp/kg-ui-bench-10000 if missing
    python bench/ui_bench.py --claims 10000 --repeat 5 --corpus DIR

For each view: a fresh AppTest runs the page once (the first view pays for loading the corpus
into the process-wide cache: that is the "cold" number), then re-runs it `--repeat` times; the
"warm" number is the median of those re-runs: what a user waits for after an interaction.
Target: every view under 1 s warm on 2 cores (run it under `taskset -c 0,1` to check).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "ui" / "app.py"


def ensure_corpus(n_claims: int, path: Path | None) -> Path:
    path = path or Path(tempfile.gettempdir()) / f"kg-ui-bench-{n_claims}"
    if not (path / "sources.yaml").exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "synth.py"), "--claims", str(n_claims), "--out", str(path)], check=True)
    return path


def subjects(corpus: Path) -> dict[str, str]:
    from claimgraph import open_store
    from kg.store import by_relation

    store = open_store(corpus, runs=False)
    hyp = store.hypotheses()[0].id
    groups = by_relation(store, hyp)
    top = (groups["supports"] or groups["contradicts"] or groups["qualifies"])[0].row
    return {"hypothesis": hyp, "claim": top.claim, "source": top.source}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    corpus = ensure_corpus(args.claims, args.corpus)
    os.environ["KG_CORPUS"] = str(corpus)
    os.environ.setdefault("KG_RUNS_DIR", tempfile.mkdtemp(prefix="kg-ui-bench-runs-"))
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    ids = subjects(corpus)
    views = {
        "overview": ("views/overview.py", {}),
        "hypothesis": ("views/hypothesis.py", {"id": ids["hypothesis"]}),
        "claim": ("views/claim.py", {"id": ids["claim"]}),
        "source": ("views/source.py", {"id": ids["source"]}),
        "graph": ("views/graph.py", {}),
        "search": ("views/search.py", {"q": "grokking circuit"}),
        "runs": ("views/runs.py", {}),
        "contribute": ("views/contribute.py", {}),
    }
    print(f"corpus: {corpus} ({args.claims} claims), {os.cpu_count()} CPUs visible, affinity {len(os.sched_getaffinity(0))} cores")
    print(f"{'view':<12} {'first (s)':>10} {'warm median (s)':>16} {'warm max (s)':>13}")
    rows = []
    for name, (page, query) in views.items():
        at = AppTest.from_file(str(APP), default_timeout=300)
        for k, v in query.items():
            at.query_params[k] = v
        at.switch_page(page)
        t0 = time.perf_counter()
        at.run()
        first = time.perf_counter() - t0
        if at.exception:
            raise SystemExit(f"{name}: {at.exception[0].message}")
        warm = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t0)
        rows.append((name, first, statistics.median(warm), max(warm)))
        print(f"{name:<12} {first:>10.3f} {statistics.median(warm):>16.3f} {max(warm):>13.3f}", flush=True)
    slow = [r[0] for r in rows if r[2] >= 1.0]
    print("all views under 1 s warm" if not slow else f"over 1 s warm: {', '.join(slow)}")


if __name__ == "__main__":
    main()

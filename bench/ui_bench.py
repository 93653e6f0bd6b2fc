"""Render time of each UI view on a synthetic corpus (default 10,000 claims), with AppTest.

    python bench/ui_bench.py                    # generates /tmp/kg-ui-bench-10000 if missing
    python bench/ui_bench.py --claims 10000 --repeat 5 --corpus DIR
    python bench/ui_bench.py --claims 100000 --store neo4j --uri bolt://127.0.0.1:7701   # syncs first
    python bench/ui_bench.py --claims 100000 --code /tmp/old     # another checkout's app and kg

For each view: a fresh AppTest runs the page once (the first view pays for loading the corpus
into the process-wide cache: that is the "cold" number), then re-runs it `--repeat` times; the
"warm" number is the median of those re-runs: what a user waits for after an interaction.
Target: every view under 1 s warm on 2 cores (run it under `taskset -c 0,1` to check), search
under 300 ms. With `--store neo4j` the app reads from the Neo4j server at `--uri` (or
$NEO4J_URI), which the bench first syncs with the corpus (`--no-sync` to skip: the server must
already hold it). One store per run: the app caches its store per process. Each line carries
the load average when it was measured (the machine is shared).
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
if "--code" in sys.argv:  # another checkout's app and kg, imported before anything else
    ROOT = Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
APP = ROOT / "ui" / "app.py"


def ensure_corpus(n_claims: int, path: Path | None) -> Path:
    path = path or Path(tempfile.gettempdir()) / f"kg-ui-bench-{n_claims}"
    if not (path / "sources.yaml").exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "synth.py"), "--claims", str(n_claims), "--out", str(path)], check=True)
    return path


def sync_to(uri: str, corpus: Path) -> None:
    from neo4j import GraphDatabase

    from claimgraph import load_graph_store
    from kg.neo4j_store import Neo4jStore
    from kg.sync import sync

    with GraphDatabase.driver(uri, auth=None) as driver:
        store = Neo4jStore(uri, driver=driver)
        if store.stats()["claims"]:  # the server may hold another corpus: start empty
            with driver.session() as s:
                s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        t0 = time.perf_counter()
        report = sync(load_graph_store(corpus, runs=False), driver)
        print(f"synced {corpus} into {uri} in {time.perf_counter() - t0:.1f} s ({report.summary()[:80]})", flush=True)


def subjects(corpus: Path) -> dict[str, str]:
    from claimgraph import load_graph_store
    from kg.store import by_relation

    store = load_graph_store(corpus, runs=False)
    hyp = store.hypotheses()[0].id
    groups = by_relation(store, hyp)
    top = (groups["supports"] or groups["contradicts"] or groups["qualifies"])[0].row
    return {"hypothesis": hyp, "claim": top.claim, "source": top.source}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", choices=["graph", "neo4j"], default="graph")
    parser.add_argument("--uri", default=os.environ.get("NEO4J_URI"), help="the Neo4j server for --store neo4j (it is EMPTIED and synced)")
    parser.add_argument("--no-sync", action="store_true", help="with --store neo4j: the server already holds the corpus")
    parser.add_argument("--code", type=Path, help="run another checkout's app and kg (side-by-side measurements)")
    parser.add_argument("--views", nargs="+", help="only these views (default: all)")
    args = parser.parse_args()

    corpus = ensure_corpus(args.claims, args.corpus)
    os.environ["KG_CORPUS"] = str(corpus)
    os.environ.setdefault("KG_RUNS_DIR", tempfile.mkdtemp(prefix="kg-ui-bench-runs-"))
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    ids = subjects(corpus)
    if args.store == "neo4j":
        if not args.uri:
            raise SystemExit("--store neo4j needs --uri or NEO4J_URI")
        if not args.no_sync:
            sync_to(args.uri, corpus)
        os.environ.update(KG_STORE="neo4j", NEO4J_URI=args.uri)
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
    print(f"corpus: {corpus} ({args.claims} claims), store {args.store}, code {ROOT}, {os.cpu_count()} CPUs visible, affinity {len(os.sched_getaffinity(0))} cores")
    print(f"{'view':<12} {'first (s)':>10} {'warm median (s)':>16} {'warm max (s)':>13} {'load':>6}")
    rows = []
    for name, (page, query) in views.items():
        if args.views and name not in args.views:
            continue
        at = AppTest.from_file(str(APP), default_timeout=1800)
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
        print(f"{name:<12} {first:>10.3f} {statistics.median(warm):>16.3f} {max(warm):>13.3f} {os.getloadavg()[0]:>6.1f}", flush=True)
    slow = [r[0] for r in rows if r[2] >= 1.0]
    print("all views under 1 s warm" if not slow else f"over 1 s warm: {', '.join(slow)}")


if __name__ == "__main__":
    main()

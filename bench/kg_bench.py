"""Benchmark validate + build + aggregate on synthetic corpora of 1k, 10k and 100k claims.

    .venv/bin/python bench/kg_bench.py [--sizes 1000 10000 100000] [--repeat 3]

Each size runs in a fresh subprocess so its peak memory (ru_maxrss) is its own. Prints a
Markdown table for bench/README.md. Phases:
  validate   parse YAML, check the schema, references and near-duplicates (`kg validate`)
  build      the networkx graph and the store
  aggregate  the balance of every hypothesis, with every claim's contribution
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(corpus: Path) -> dict:
    from kg.store import GraphStore, overview
    from kg.validation import validate

    t0 = time.perf_counter()
    report = validate(corpus)
    t1 = time.perf_counter()
    store = GraphStore(report.corpus)
    t2 = time.perf_counter()
    balances = overview(store)
    t3 = time.perf_counter()
    assert report.ok, report.errors[:3]
    return {
        "claims": len(report.corpus.claims),
        "sources": len(report.corpus.sources),
        "validate_s": t1 - t0,
        "build_s": t2 - t1,
        "aggregate_s": t3 - t2,
        "total_s": t3 - t0,
        "nodes": store.graph.number_of_nodes(),
        "edges": store.graph.number_of_edges(),
        "hypotheses": len(balances),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the fastest total is reported")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # child mode: measure one corpus
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return

    from bench.synth import generate

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            corpus = Path(tmp) / f"c{n}"
            generate(n, corpus)
            runs = [json.loads(subprocess.check_output([sys.executable, __file__, "--one", str(corpus)], cwd=ROOT)) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["total_s"])
            best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
            rows.append(best)
            print(json.dumps(best), file=sys.stderr)
    print("| claims | sources | validate (s) | build (s) | aggregate (s) | total (s) | µs per claim | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['claims']:,} | {r['sources']:,} | {r['validate_s']:.2f} | {r['build_s']:.2f} | {r['aggregate_s']:.2f} "
            f"| {r['total_s']:.2f} | {r['total_s'] / r['claims'] * 1e6:.0f} | {r['peak_rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()

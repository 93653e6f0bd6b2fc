"""Benchmark validate + build + aggregate on synthetic corpora of 1k, 10k and 100k claims.

    .venv/bin/python bench/kg_bench.py [--sizes 1000 10000 100000] [--repeat 3]

Each size runs in a fresh subprocess so its peak memory (ru_maxrss) is its own. Prints a
Markdown table for bench/README.md. Phases:
  validate   parse YAML, check the schema, references and near-duplicates (`kg validate`)
  build      the networkx graph and the store
  aggregate  every hypothesis's balance, certainty (GRADE) and leave-one-source-out sensitivity
  sensitivity (reported apart) the slowest single hypothesis's leave-one-source-out, alone

The collector runs as it does in the product: the library pauses it (never freezes it) while it
loads, builds and weighs (kg.util.gc_paused). `--gc paused` turns it off for the whole child, as
this bench did before the library paused it itself, to compare with older rows.
"""

from __future__ import annotations

import argparse
import gc
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
    from kg.evidence import aggregate, leave_one_source_out
    from kg.store import GraphStore, overview
    from kg.validation import validate

    t0 = time.perf_counter()
    report = validate(corpus)
    t1 = time.perf_counter()
    store = GraphStore(report.corpus)
    _ = store.graph  # built lazily: force it
    t2 = time.perf_counter()
    balances = [(h, b.to_dict()) for h, b in overview(store)]  # score, certainty, sensitivity, groups
    t3 = time.perf_counter()
    assert report.ok, report.errors[:3]
    slowest = 0.0
    for h in report.corpus.hypotheses:
        b = aggregate(h, store.evidence(h))
        s0 = time.perf_counter()
        leave_one_source_out(b)
        slowest = max(slowest, time.perf_counter() - s0)
    return {
        "claims": len(report.corpus.claims),
        "sources": len(report.corpus.sources),
        "validate_s": t1 - t0,
        "build_s": t2 - t1,
        "aggregate_s": t3 - t2,
        "total_s": t3 - t0,
        "sensitivity_one_s": slowest,
        "nodes": store.graph.number_of_nodes(),
        "edges": store.graph.number_of_edges(),
        "hypotheses": len(balances),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the fastest total is reported")
    parser.add_argument("--gc", choices=("paused", "default"), default="default", help="`paused`: the cyclic GC off for the whole child (older rows)")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # child mode: measure one corpus
    args = parser.parse_args()
    if args.one:
        if args.gc == "paused":  # nothing built here is garbage; a full collection would rescan it all
            gc.disable()
        print(json.dumps(measure(args.one)))
        return

    from bench.synth import generate

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            corpus = Path(tmp) / f"c{n}"
            generate(n, corpus)
            runs = [json.loads(subprocess.check_output([sys.executable, __file__, "--one", str(corpus), "--gc", args.gc], cwd=ROOT)) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["total_s"])
            best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
            rows.append(best)
            print(json.dumps(best), file=sys.stderr)
    print(f"GC {args.gc}")
    print("| claims | sources | validate (s) | build (s) | aggregate + certainty + sensitivity (s) | total (s) | µs per claim | one hypothesis's sensitivity (ms) | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['claims']:,} | {r['sources']:,} | {r['validate_s']:.2f} | {r['build_s']:.2f} | {r['aggregate_s']:.2f} "
            f"| {r['total_s']:.2f} | {r['total_s'] / r['claims'] * 1e6:.0f} | {r['sensitivity_one_s'] * 1000:.0f} | {r['peak_rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()

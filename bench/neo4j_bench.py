"""Neo4j benchmarks: `kg sync` of synthetic corpora, against a naive one-row-per-transaction MERGE,
and the latency of every store query on both stores.

    .venv/bin/python bench/neo4j_bench.py [--sizes 10000 100000] [--naive-sample 3000]
    .venv/bin/python bench/neo4j_bench.py --sizes 100000 --naive-sample 0 --code /tmp/old  # another checkout's kg

Starts its own server with tools/neo4j/neo4j.sh on NEO4J_BENCH_PORT (default 7690) and stops it
at the end; with --uri it uses that server instead and EMPTIES IT. Prints Markdown for the
`## Neo4j` section of bench/README.md, and JSON lines on stderr.

- sync: batched `UNWIND $rows ... MERGE` (kg.sync) into an empty database, then a second sync
  (nothing to change), both timed end to end (row building, diff, writes).
- naive: every node and every edge MERGEd in its own transaction (what a loop of
  `session.execute_write` over rows does). Too slow to run on 100k: it runs on the first
  `--naive-sample` claims (with their sources, hypotheses and edges) and the per-row time is
  extrapolated to the whole corpus; the table says so.
- queries: each Store query on ~20 different arguments after one warm-up call ("warm" rows: after
  one call per argument, so each argument's cache is filled), median and p95;
  `overview` is every hypothesis's balance (what the overview page computes) and "uncached"
  rows run on a new store object each call, so neither store's evidence cache helps them.
- `--code DIR` imports kg and claimgraph from another checkout (e.g. `git archive` of an older
  commit), so old and new code can be measured side by side on the same server and corpus;
  queries the older code lacks are left out.

Each result line carries the load average (`os.getloadavg`) when it was measured, and the
sync's client CPU seconds, because on a shared 2-core machine wall time follows the load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "--code" in sys.argv:  # before anything imports kg
    sys.path.insert(0, str(Path(sys.argv[sys.argv.index("--code") + 1]).resolve()))

DB = "neo4j"

NAIVE_NODE = {
    "Source": "MERGE (n:Source {id: $id}) SET n += $props",
    "Hypothesis": "MERGE (n:Hypothesis {id: $id}) SET n += $props",
    "Claim": "MERGE (n:Claim {id: $id}) SET n += $props",
}
NAIVE_FROM = "MATCH (c:Claim {id: $a}) MATCH (s:Source {id: $b}) MERGE (c)-[:FROM]->(s)"
NAIVE_EVIDENCE = "MATCH (c:Claim {id: $a}) MATCH (h:Hypothesis {id: $b}) MERGE (c)-[r:EVIDENCE]->(h) SET r += $props"
NAIVE_LINK = "MATCH (c:Claim {id: $a}) MERGE (o:Claim {id: $b}) MERGE (c)-[r:LINK {relation: $props.relation}]->(o)"


def wipe(driver) -> None:
    with driver.session(database=DB) as s:
        s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def naive_rows(store, n_claims: int) -> list[tuple[str, dict]]:
    from kg.sync import wanted_rows

    wanted = wanted_rows(store)
    claims = wanted["claims"][:n_claims]
    need_sources = {c.data["props"]["source"] for c in claims}
    rows: list[tuple[str, dict]] = []
    for r in wanted["sources"]:
        if r.id in need_sources:
            rows.append((NAIVE_NODE["Source"], {"id": r.id, "props": r.data["props"]}))
    for r in wanted["hypotheses"]:
        rows.append((NAIVE_NODE["Hypothesis"], {"id": r.id, "props": r.data["props"]}))
    for r in claims:
        rows.append((NAIVE_NODE["Claim"], {"id": r.id, "props": r.data["props"]}))
    for r in claims:
        for sid in r.data["sources"]:
            rows.append((NAIVE_FROM, {"a": r.id, "b": sid}))
        for e in r.data["evidence"]:
            rows.append((NAIVE_EVIDENCE, {"a": r.id, "b": e["hypothesis"], "props": e}))
        for link in r.data["links"]:
            rows.append((NAIVE_LINK, {"a": r.id, "b": link["claim"], "props": link}))
    return rows


def total_rows(store) -> int:
    corpus = store.corpus
    edges = sum(1 + len(c.evidence) + len(c.links) for c in corpus.claims.values())
    return len(corpus.sources) + len(corpus.hypotheses) + len(corpus.claims) + edges


def bench_naive(driver, store, sample: int) -> dict:
    from kg.sync import ensure_schema

    wipe(driver)
    ensure_schema(driver, DB)  # the naive loop gets the same constraints (else it would be far slower still)
    rows = naive_rows(store, sample)
    t0 = time.perf_counter()
    with driver.session(database=DB, notifications_min_severity="OFF") as session:
        for query, params in rows:
            session.execute_write(lambda tx, q=query, p=params: tx.run(q, p).consume())
    seconds = time.perf_counter() - t0
    per_row = seconds / len(rows)
    full = total_rows(store)
    return {"sample_claims": sample, "sample_rows": len(rows), "sample_s": seconds, "per_row_ms": per_row * 1e3, "full_rows": full, "extrapolated_s": per_row * full}


def timed(fn, args_list: list, warm_all: bool = False) -> dict:
    for a in args_list if warm_all else args_list[:1]:  # warm-up (plans cached, lazy indexes built; with warm_all every argument's cache)
        fn(a)
    times = []
    for a in args_list:
        t0 = time.perf_counter()
        fn(a)
        times.append(time.perf_counter() - t0)
    times.sort()
    return {"median_ms": statistics.median(times) * 1e3, "p95_ms": times[min(len(times) - 1, int(len(times) * 0.95))] * 1e3}


def bench_queries(store, ref, fresh) -> dict[str, dict]:
    from kg.store import balance, overview, summaries

    corpus = ref.corpus
    pick = lambda ids, n=20: [ids[int(i * len(ids) / n)] for i in range(n)]
    claims, sources, hyps = pick(list(corpus.claims)), pick(list(corpus.sources)), list(corpus.hypotheses)
    keys = [f"claim:{c}" for c in claims]
    words = [
        "grokking circuit",
        "weight decay",
        "sparse parity",
        "refusal jailbreak",
        "superposition feature",
        "in-context belief",
        "reward hacking",
        "phase transition",
        "fourier embedding",
        "steering vector",
    ]
    found = {
        "overview (every hypothesis's balance)": timed(lambda _: overview(fresh()), [0] * 3),
        "summaries (the overview page; Neo4j: kept by the first reader)": timed(lambda _: summaries(fresh()), [0] * 5),
        "evidence_by_hypothesis (all at once)": timed(lambda _: fresh().evidence_by_hypothesis(), [0] * 3) if hasattr(store, "evidence_by_hypothesis") else None,
        "stats": timed(lambda _: store.stats(), [0] * 10),
        "hypotheses": timed(lambda _: store.hypotheses(), [0] * 10),
        "claim": timed(store.claim, claims),
        "source": timed(store.source, sources),
        "evidence (one hypothesis, uncached)": timed(lambda h: fresh().evidence(h), hyps * 2),
        "evidence off the graph (one hypothesis, without the sync's packs)": timed(lambda h: fresh().graph_evidence(h), hyps * 2) if hasattr(store, "graph_evidence") else None,
        "evidence (one hypothesis, warm)": timed(store.evidence, hyps, warm_all=True),
        "balance (one hypothesis, warm evidence)": timed(lambda h: balance(store, h), hyps, warm_all=True),
        "claims_of_source": timed(store.claims_of_source, sources),
        "claim_links": timed(store.claim_links, claims),
        "verdicts": timed(store.verdicts, claims),
        "citations": timed(store.citations, sources),
        "origin": timed(lambda c: store.origin("claim", c), claims),
        "neighbourhood (claim, depth 1)": timed(lambda k: store.neighbourhood(k, 1), keys),
        "path (claim to claim)": timed(lambda ab: store.path(*ab), list(zip(keys, reversed(keys), strict=False))[:10]),
        "search": timed(store.search, words),
    }
    return {k: v for k, v in found.items() if v is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--naive-sample", type=int, default=3000, help="claims the naive loop runs on (then extrapolated)")
    parser.add_argument("--uri", help="use this server (it will be EMPTIED) instead of starting one")
    parser.add_argument("--no-queries", action="store_true")
    parser.add_argument("--code", type=Path, help="import kg and claimgraph from this checkout instead (see above)")
    parser.add_argument("--workers", type=int, help="kg.sync's write transactions in flight (default: kg.sync's)")
    args = parser.parse_args()

    from neo4j import GraphDatabase

    from bench.synth import generate
    from claimgraph import load_graph_store
    from kg.neo4j_store import Neo4jStore
    from kg.store import GraphStore
    from kg.sync import sync

    script = ROOT / "tools" / "neo4j" / "neo4j.sh"
    env = dict(os.environ, NEO4J_PORT=os.environ.get("NEO4J_BENCH_PORT", "7690"))
    uri = args.uri
    started = False
    if not uri:
        subprocess.run(["bash", str(script), "start"], env=env, check=True)
        uri, started = f"bolt://127.0.0.1:{env['NEO4J_PORT']}", True
    driver = GraphDatabase.driver(uri, auth=None)
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in args.sizes:
                path = Path(tmp) / f"c{n}"
                generate(n, path)
                t0 = time.perf_counter()
                ref = load_graph_store(path, runs=False)
                load_s = time.perf_counter() - t0
                r: dict = {"claims": n, "load_s": load_s, "rows": total_rows(ref)}

                if n == max(args.sizes) and args.naive_sample:
                    r["naive"] = bench_naive(driver, ref, args.naive_sample)
                    print(json.dumps({"claims": n, "naive": r["naive"]}), file=sys.stderr, flush=True)
                wipe(driver)
                options = {"workers": args.workers} if args.workers else {}
                r["load_before_sync"] = os.getloadavg()[0]
                cpu0 = time.process_time()
                first = sync(ref, driver, database=DB, **options)
                r["sync_cpu_s"] = time.process_time() - cpu0
                second = sync(ref, driver, database=DB, **options)
                assert first.changed and not second.changed
                r["sync_s"], r["resync_s"], r["sync_phases"] = first.seconds, second.seconds, first.phases
                r["load_after_sync"] = os.getloadavg()[0]
                print(json.dumps({k: v for k, v in r.items() if k != "queries"}), file=sys.stderr, flush=True)
                if not args.no_queries:
                    neo = Neo4jStore(uri, driver=driver, database=DB)
                    graph_fresh = partial(GraphStore, ref.corpus, ref._verdicts, ref._citations)  # no cached evidence
                    neo_fresh = partial(Neo4jStore, uri, driver=driver, database=DB)
                    r["queries"] = {"graph": bench_queries(ref, ref, graph_fresh), "neo4j": bench_queries(neo, ref, neo_fresh)}
                    r["load_after_queries"] = os.getloadavg()[0]
                    print(json.dumps({"claims": n, "queries": r["queries"]}), file=sys.stderr, flush=True)
                results.append(r)
                del ref
    finally:
        driver.close()
        if started:
            subprocess.run(["bash", str(script), "stop"], env=env)
    report(results)


def report(results: list[dict]) -> None:
    print("| claims | rows (nodes + edges) | load + validate (s) | `kg sync`, empty db (s) | re-sync, no changes (s) | naive, per row (ms) | naive, whole corpus (s) | naive / batched |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        nv = r.get("naive")
        naive = (f"{nv['per_row_ms']:.2f} | {nv['extrapolated_s']:.0f} (extrapolated from {nv['sample_rows']:,} rows) | {nv['extrapolated_s'] / r['sync_s']:.0f}x") if nv else "– | – | –"
        print(f"| {r['claims']:,} | {r['rows']:,} | {r['load_s']:.1f} | {r['sync_s']:.1f} (client CPU {r['sync_cpu_s']:.1f}; load {r['load_before_sync']:.1f}) | {r['resync_s']:.1f} | {naive} |")
    with_q = [r for r in results if "queries" in r]
    if not with_q:
        return
    print()
    header = " | ".join(f"{r['claims'] // 1000}k graph | {r['claims'] // 1000}k Neo4j" for r in with_q)
    print(f"| query (median ms, p95 in brackets) | {header} |")
    print("|---|" + "---:|" * (2 * len(with_q)))
    for q in with_q[0]["queries"]["graph"]:
        cells = []
        for r in with_q:
            for kind in ("graph", "neo4j"):
                m = r["queries"][kind][q]
                cells.append(f"{m['median_ms']:.3g} ({m['p95_ms']:.3g})")
        print(f"| {q} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

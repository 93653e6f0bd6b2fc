"""Steps and wall time to the verdict for each job's smoke preset, over several seeds.

Runs go through the real API and local runner (one worker subprocess per run, one at a time),
into a temporary store, so the wall time includes what a user waits for: process start, torch
import, training, measures, verdict.

    .venv/bin/python bench/repro_smoke.py [--jobs grokking,sparse_parity] [--seeds 0,1,2]

Prints a markdown table and writes bench/out/repro_<preset>.json. bench/gpu_check.sh runs it
with --preset full.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from repro import api  # noqa: E402
from repro.registry import job_names  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", default=",".join(job_names()))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--preset", default="smoke")
    ap.add_argument("--store", default=None, help="run store (default: a new temporary folder)")
    ap.add_argument("--require-reproduced", action="store_true", help="exit 1 unless every run reproduced (make bench-repro)")
    args = ap.parse_args()
    store = args.store or tempfile.mkdtemp(prefix="repro-bench-")
    rows = []
    for job in args.jobs.split(","):
        for seed in [int(s) for s in args.seeds.split(",")]:
            t0 = time.perf_counter()
            run_id = api.submit(job, preset=args.preset, seed=seed, store=store, force=True)
            st = api.wait(run_id, store=store)
            r = api.result(run_id, store=store)
            res = r.result or {}
            row = {
                "job": job,
                "seed": seed,
                "run_id": run_id,
                "status": st.status,
                "outcome": r.verdict.outcome if r.verdict else None,
                "checks": r.verdict.checks if r.verdict else None,
                "steps": res.get("steps"),
                "job_s": st.wall_s,
                "end_to_end_s": round(time.perf_counter() - t0, 1),
                "numbers": r.verdict.numbers if r.verdict else None,
                "env": r.env,
            }
            rows.append(row)
            print(f"{job:16s} seed {seed}: {row['status']:9s} {row['outcome']!s:15s} steps {row['steps']!s:>6s} job {row['job_s']!s:>6s} s  end-to-end {row['end_to_end_s']} s", flush=True)
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    print("| job | seed | device | outcome | steps | job wall (s) | end to end (s) |")
    print("|---|---:|---|---|---:|---:|---:|")
    for r in rows:
        device = (r.env or {}).get("gpu") or (r.env or {}).get("device")
        print(f"| {r['job']} | {r['seed']} | {device} | {r['outcome']} | {r['steps']} | {r['job_s']} | {r['end_to_end_s']} |")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"repro_{args.preset}.json").write_text(json.dumps({"rows": rows, "loadavg": load}, indent=1, default=str))
    missed = [f"{r['job']} seed {r['seed']}: {r['outcome'] or r['status']}" for r in rows if r["outcome"] != "reproduced"]
    if args.require_reproduced and missed:
        sys.exit("not reproduced: " + "; ".join(missed))


if __name__ == "__main__":
    main()

"""Three seeds of a verdict of record, stacked in one process, against one seed alone.

    .venv/bin/python bench/seeds_bench.py                       # the jobs that stack their seeds
    .venv/bin/python bench/seeds_bench.py --jobs superposition --repeat 3

Each measurement is a fresh process running `repro.execute.execute_seeds` on the job's smoke
preset with one torch thread (as the worker does): seed 0 alone, then seeds 0, 1, 2 stacked,
alternating, so both see the same machine. Reported: wall and CPU seconds (user + system, from
os.wait4), the ratio three-stacked / one, and what three seeds cost as three separate runs one
after the other (3 x one seed: the way a verdict of record was made before). Target (issue 12):
three seeds in at most 1.5x the time of one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(job: str, seeds: list[int]) -> None:
    from repro.execute import execute_seeds
    from repro.registry import validate_params

    params = validate_params(job, "smoke").model_dump(mode="json")
    t0 = time.perf_counter()
    out = execute_seeds(job, params, seeds, [lambda _event: None] * len(seeds))
    print(json.dumps({"wall_s": time.perf_counter() - t0, "outcomes": [verdict["outcome"] for _, verdict in out]}))


def measure(job: str, seeds: list[int]) -> dict:
    env = {**os.environ, "KG_TORCH_THREADS": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, __file__, "--child", job, ",".join(map(str, seeds))], stdout=subprocess.PIPE, env=env, cwd=ROOT)
    stdout = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    if status:
        raise SystemExit(f"{job} seeds {seeds} failed (status {status})")
    got = json.loads(stdout.decode().strip().splitlines()[-1])
    return {**got, "cpu_s": usage.ru_utime + usage.ru_stime}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", nargs="+", default=None, help="default: every job that defines run_seeds")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], [int(s) for s in args.child[1].split(",")])
        return
    sys.path.insert(0, str(ROOT))
    from repro.registry import get_job, job_names

    jobs = args.jobs or [j for j in job_names() if hasattr(get_job(j), "run_seeds")]
    print(f"jobs {jobs}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for job in jobs:
        one, three = [], []
        for _ in range(args.repeat):
            one.append(measure(job, [0]))
            three.append(measure(job, [0, 1, 2]))
            print(
                f"{job}: one {one[-1]['wall_s']:.1f} s wall / {one[-1]['cpu_s']:.1f} s CPU; three stacked {three[-1]['wall_s']:.1f} / {three[-1]['cpu_s']:.1f}; outcomes {three[-1]['outcomes']}; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        med = lambda runs, key: statistics.median(r[key] for r in runs)
        rows.append((job, med(one, "wall_s"), med(one, "cpu_s"), med(three, "wall_s"), med(three, "cpu_s"), three[-1]["outcomes"]))
    print("\n| job | one seed: wall / CPU (s) | three stacked: wall / CPU (s) | ratio, wall / CPU | three separate runs, one after another (s) | outcomes |")
    print("|---|---:|---:|---:|---:|---|")
    for job, w1, c1, w3, c3, outcomes in rows:
        print(f"| {job} | {w1:.1f} / {c1:.1f} | {w3:.1f} / {c3:.1f} | {w3 / w1:.2f}x / {c3 / c1:.2f}x | {3 * w1:.1f} | {', '.join(outcomes)} |")


if __name__ == "__main__":
    main()

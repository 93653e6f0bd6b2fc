"""Many runs queued at once: every one ends terminal, none is lost or duplicated, and the run
list stays consistent while they run.

    python bench/many_runs.py                 # 50 local runs (2 slots), then 20 on a local Ray
    python bench/many_runs.py --local 50 --ray 0

Each run is a tiny sparse_parity (seconds of work; a distinct seed each, so no two are deduplicated).
All are submitted back to back through `repro.api.submit`, the same call `kg run --detach` and
the UI make. While they run, the run list (`api.list_runs`, what `kg runs` and the Runs page
show) is read every half second and checked: exactly the submitted ids, each once; never more
runs `running` than the local limit (KG_MAX_CONCURRENT); a run never goes back from a finished
state. tests/repro/test_many_runs.py runs a smaller version (10 local, 6 on Ray).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from repro import api  # noqa: E402
from repro.store import TERMINAL, RunStore  # noqa: E402

TINY = dict(n=10, k=2, width=64, max_steps=200, eval_every=50, test_size=256, sweep_ns=[])


@dataclass
class Outcome:
    backend: str
    submitted: list[str]
    statuses: dict[str, str] = field(default_factory=dict)  # run id -> final status
    reasons: dict[str, str] = field(default_factory=dict)  # run id -> reason, for the failed
    violations: list[str] = field(default_factory=list)
    listings: int = 0
    max_running: int = 0
    submit_s: float = 0.0
    wall_s: float = 0.0

    def summary(self) -> dict:
        counts: dict[str, int] = {}
        for st in self.statuses.values():
            counts[st] = counts.get(st, 0) + 1
        return {
            "backend": self.backend,
            "runs": len(self.submitted),
            "distinct": len(set(self.submitted)),
            "final": counts,
            "max_running_at_once": self.max_running,
            "listings_checked": self.listings,
            "violations": len(self.violations),
            "submit_s": round(self.submit_s, 1),
            "wall_s": round(self.wall_s, 1),
        }


def queue_and_watch(store: RunStore, n: int, backend: str = "local", max_concurrent: int = 2, address: str | None = None, timeout_s: float = 1800, params: dict | None = None) -> Outcome:
    """Submit n tiny runs at once, then watch the run list until every one is finished."""
    t0 = time.perf_counter()
    ids = [
        api.submit("sparse_parity", params=params or TINY, seed=seed, backend=backend, store=store, max_concurrent=max_concurrent if backend == "local" else None, address=address, timeout_s=600)
        for seed in range(n)
    ]
    out = Outcome(backend=backend, submitted=ids, submit_s=time.perf_counter() - t0)
    if len(set(ids)) != n:
        out.violations.append(f"{n} submits gave {len(set(ids))} distinct run ids")
    finished: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s
    while True:
        problems: list[str] = []
        rows = api.list_runs(store=store, problems=problems)
        out.listings += 1
        listed = [r.run_id for r in rows]
        if problems:
            out.violations += problems
        if len(listed) != len(set(listed)):
            out.violations.append(f"listing {out.listings}: a run is listed twice")
        if set(listed) != set(ids):
            out.violations.append(f"listing {out.listings}: missing {sorted(set(ids) - set(listed))[:3]}, unexpected {sorted(set(listed) - set(ids))[:3]}")
        running = sum(r.status == "running" for r in rows)
        out.max_running = max(out.max_running, running)
        if backend == "local" and running > max_concurrent:
            out.violations.append(f"listing {out.listings}: {running} runs running with {max_concurrent} slots")
        for r in rows:
            if r.run_id in finished and r.status != finished[r.run_id]:
                out.violations.append(f"{r.run_id} went from {finished[r.run_id]} to {r.status}")
            if r.status in TERMINAL:
                finished.setdefault(r.run_id, r.status)
                if r.status != "succeeded":
                    out.reasons[r.run_id] = r.reason
        if len(finished) == len(set(ids)) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    out.wall_s = time.perf_counter() - t0
    out.statuses = {run_id: finished.get(run_id) or api.status(run_id, store).status for run_id in ids}
    if len(finished) < len(set(ids)):
        out.violations.append(f"{len(set(ids)) - len(finished)} runs not finished after {timeout_s:.0f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--local", type=int, default=50)
    ap.add_argument("--ray", type=int, default=20)
    ap.add_argument("--slots", type=int, default=2, help="KG_MAX_CONCURRENT for the local runs")
    args = ap.parse_args()
    os.environ.setdefault("KG_TORCH_THREADS", "1")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    results = []
    print(f"load before: {os.getloadavg()[0]:.2f}", flush=True)
    if args.local:
        store = RunStore(Path(tempfile.mkdtemp(prefix="kg-many-local-")) / "runs")
        results.append(queue_and_watch(store, args.local, "local", max_concurrent=args.slots))
        print(json.dumps(results[-1].summary()), flush=True)
    if args.ray:
        import ray

        ctx = ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)
        try:
            store = RunStore(Path(tempfile.mkdtemp(prefix="kg-many-ray-")) / "runs")
            results.append(queue_and_watch(store, args.ray, "ray", address=ctx.address_info["gcs_address"]))
            print(json.dumps(results[-1].summary()), flush=True)
        finally:
            ray.shutdown()
    print(f"load after: {os.getloadavg()[0]:.2f}")
    bad = [r for r in results if r.violations or set(r.statuses.values()) != {"succeeded"}]
    for r in bad:
        for v in r.violations[:10]:
            print("VIOLATION", r.backend, v)
        for run_id, reason in list(r.reasons.items())[:5]:
            print("NOT SUCCEEDED", r.backend, run_id, reason)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

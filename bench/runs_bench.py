"""`kg runs` over a large run store: how long listing N runs takes, as a fresh process.

    python bench/runs_bench.py [--runs 10000] [--repeat 5] [--keep DIR]

Writes N finished runs (the files a real worker leaves: request, status, verdict, progress) into
a temporary store with the run store's own writers, then times `python -m cli.app runs` (piped,
so the plain TSV path) three ways: cold (no index file: the first listing scans and builds it),
warm (the index is current), and after 1% of the runs changed (their status files rewritten, so
those rows are re-read). Target: under 1 s warm for 10k runs (issue 15).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.util import atomic_write_json  # noqa: E402

JOBS = ("sparse_parity", "grokking", "superposition", "omnigrok")
OUTCOMES = ("reproduced", "not-reproduced", "inconclusive")


def write_runs(root: Path, n: int) -> list[str]:
    """N finished runs, 1 in 10 failed, with the files and fields a worker writes."""
    root.mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(n):
        job = JOBS[i % len(JOBS)]
        run_id = f"{job}-20261201-{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}-{i:06x}"
        d = root / run_id
        d.mkdir()
        created = f"2026-12-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}+00:00"
        request = {
            "job": job,
            "preset": "smoke",
            "params": {"max_steps": 100 + i % 7},
            "overrides": {},
            "seed": i % 5,
            "code_version": "src-bench",
            "key": f"{i:016x}",
            "backend": "local",
            "run_id": run_id,
            "created_at": created,
        }
        # plain writes (no fsync): this is setup, not what is measured
        (d / "request.json").write_text(json.dumps(request))
        (d / "progress.json").write_text(json.dumps({"done": 100, "total": 100, "note": ""}))
        if i % 10 == 9:
            status = {"status": "failed", "reason": "RuntimeError: bench", "pid": 1, "host": "bench", "finished_at": created, "updated_at": created}
        else:
            status = {"status": "succeeded", "reason": "", "pid": 1, "host": "bench", "started_at": created, "finished_at": created, "wall_s": 1.0, "updated_at": created}
            (d / "verdict.json").write_text(json.dumps({"outcome": OUTCOMES[i % 3], "reason": "bench", "numbers": {}, "checks": {}}))
        (d / "status.json").write_text(json.dumps(status))
        ids.append(run_id)
    return ids


def time_listing(root: Path) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KG_RUNS_DIR": str(root)}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "cli.app", "runs"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, len(out.stdout.splitlines()) - 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="build the store here and leave it")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="kg-runs-bench-")) / "runs"
    t0 = time.perf_counter()
    ids = write_runs(root, args.runs)
    print(f"wrote {len(ids)} runs in {time.perf_counter() - t0:.1f} s into {root}")
    print(f"load: {os.getloadavg()[0]:.2f}")
    cold = []
    for _ in range(max(1, args.repeat // 2)):
        for p in root.iterdir():
            if p.is_file() and p.name.startswith(".index"):
                p.unlink()
        wall, rows = time_listing(root)
        assert rows == len(ids), (rows, len(ids))
        cold.append(wall)
    warm = []
    for _ in range(args.repeat):
        wall, rows = time_listing(root)
        assert rows == len(ids), (rows, len(ids))
        warm.append(wall)
    changed = []
    for r in range(args.repeat):
        for run_id in ids[r::100]:  # 1% of the runs get a new status file
            atomic_write_json(root / run_id / "status.json", {"status": "failed", "reason": f"bench change {r}", "finished_at": "2026-12-02T00:00:00+00:00"})
        wall, rows = time_listing(root)
        assert rows == len(ids), (rows, len(ids))
        changed.append(wall)
    # In this process: the listing as it was before the index (read every run's files) and now.
    from repro import api
    from repro.store import RunStore

    store = RunStore(root)
    t0 = time.perf_counter()
    before = sorted((api._status(store, r, store.request(r) or {}) for r in store.run_ids()), key=lambda r: r.created_at or "", reverse=True)
    scan_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    now = api.list_runs(store=store)
    index_s = time.perf_counter() - t0
    assert {r.run_id for r in before} == {r.run_id for r in now}
    index_files = sorted(p.name for p in root.iterdir() if p.is_file() and p.name.startswith(".index"))
    print(f"index files: {index_files or 'none'}")
    print(f"kg runs, {len(ids)} runs, fresh process, median of {len(cold)}/{len(warm)}/{len(changed)}:")
    print(f"  cold (no index)         {statistics.median(cold):.2f} s   (all: {', '.join(f'{x:.2f}' for x in cold)})")
    print(f"  warm (index current)    {statistics.median(warm):.2f} s   (all: {', '.join(f'{x:.2f}' for x in warm)})")
    print(f"  1% of runs changed      {statistics.median(changed):.2f} s   (all: {', '.join(f'{x:.2f}' for x in changed)})")
    print(f"  in-process: directory scan (the listing before the index) {scan_s:.2f} s, indexed listing {index_s:.2f} s")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    if not args.keep:
        shutil.rmtree(root.parent)


if __name__ == "__main__":
    main()

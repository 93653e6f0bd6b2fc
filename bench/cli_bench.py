"""Whole-process timings of the `kg` CLI on the bundled corpus: what a user waits for.

    python bench/cli_bench.py                 # this checkout
    python bench/cli_bench.py --repo OLD      # the same commands in another checkout (e.g. a
                                              # `git worktree` of an older commit), side by side

Each command runs `--runs` times as a fresh process (`python -m <cli module> ...`); we report
the median wall time, the median CPU time (user + system) and the peak resident memory, all
read from the kernel's accounting of the child (os.wait4). Targets (issue 9): `kg --help`
under 0.3 s wall, `kg hypotheses` under 0.5 s wall and 150 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "kg --help": ["--help"],
    "kg hypotheses --format json": ["hypotheses", "--format", "json"],
    "kg validate": ["validate"],
    "kg show hypothesis general-algorithms": ["show", "hypothesis", "general-algorithms"],
}


def cli_module(repo: Path) -> str:
    return "cli.app" if (repo / "cli" / "app.py").exists() else "kg.cli"


def measure(repo: Path, args: list[str], runs: int) -> dict[str, float]:
    walls, cpus, peaks = [], [], []
    env = {**os.environ, "KG_RUNS_DIR": str(repo / "runs"), "PYTHONPATH": str(repo), "COLUMNS": "120"}
    # Python caches our modules' bytecode as usual (some machines switch that off globally; the
    # libraries' bytecode is compiled at install by `make setup`). One warm-up run, not counted.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", cli_module(repo), *args], cwd=repo, env=env, capture_output=True)
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", cli_module(repo), *args], cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - t0)
        cpus.append(usage.ru_utime + usage.ru_stime)
        peaks.append(usage.ru_maxrss / 1024)  # KiB -> MiB on Linux
        if os.waitstatus_to_exitcode(status) not in (0,):
            raise SystemExit(f"{' '.join(args)} exited {os.waitstatus_to_exitcode(status)} in {repo}")
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus), "peak_mb": max(peaks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, action="append", help="checkouts to measure (default: this one)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    repos = args.repo or [ROOT]
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} cores; median of {args.runs} runs")
    print(f"{'command':<42} {'checkout':<28} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}")
    for name, cmd in COMMANDS.items():
        for repo in repos:
            m = measure(repo.resolve(), cmd, args.runs)
            print(f"{name:<42} {str(repo)[-28:]:<28} {m['wall_s']:7.2f} {m['cpu_s']:7.2f} {m['peak_mb']:8.0f}")


if __name__ == "__main__":
    main()

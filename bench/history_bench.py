"""`kg history` over a generated 200-commit history: what a reader of a real repository waits for.

    python bench/history_bench.py                     # the bundled corpus, 200 commits
    python bench/history_bench.py --synth 2000        # a synthetic corpus of 2,000 claims instead

The history is scripted in a temporary git repository: commit 1 is the corpus; each later commit
does what pull requests do, chosen by a seeded RNG: change the strength of an evidence link (45%),
add a claim (35%), remove a claim an earlier commit added (15%), rename a claims file (5%).
Then `kg history HYPOTHESIS` runs as a fresh process, cold (empty cache: every commit's corpus
is read from git and weighed) and warm (the per-tree cache filled by the cold run), `--runs`
times each; we report the median wall time and CPU time (user + system, from os.wait4) and the
peak resident memory. Target (issue 14): under 10 s on 2 cores, cold and warm.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IDENT = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.org", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.org"}
STRENGTH = re.compile(r"strength: (weak|moderate|strong)")


def git(repo: Path, *args: str, day: int = 0) -> None:
    stamp = f"@{1767225600 + day * 3600} +0000"  # 2026-01-01, then one commit an hour
    env = {**os.environ, **IDENT, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def claim_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.glob("*.yaml") if not p.name.startswith(("sources", "hypotheses")))


def make_history(repo: Path, corpus: Path, commits: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    target = repo / "claims"
    shutil.copytree(corpus, target, ignore=shutil.ignore_patterns("schema"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "the corpus")
    added: list[tuple[Path, str]] = []  # (file, id) of the claims added so far
    counts = {"edit": 0, "add": 0, "remove": 0, "rename": 0}
    for n in range(1, commits):
        files = claim_files(target)
        roll = rng.random()
        if roll < 0.05:
            old = rng.choice(files)
            new = old.with_name(f"{old.stem}-r{n}.yaml")
            git(repo, "mv", str(old.relative_to(repo)), str(new.relative_to(repo)))
            added = [(new if f == old else f, t) for f, t in added]
            action = "rename"
        elif roll < 0.20 and added:
            path, claim = added.pop(rng.randrange(len(added)))
            text = path.read_text()
            start = text.index(f"- id: {claim}\n")
            end = text.find("\n- id: ", start)
            path.write_text(text[:start] + (text[end + 1 :] if end >= 0 else ""))
            action = "remove"
        elif roll < 0.55:
            path = rng.choice(files)
            text = path.read_text()
            blocks = [m.start() for m in re.finditer(r"^- id: ", text, re.M)]
            start = rng.choice(blocks)
            end = next((b for b in blocks if b > start), len(text))
            block = re.sub(r"^- id: (\S+)", rf"- id: \1-copy{n}", text[start:end], count=1, flags=re.M)
            block = re.sub(r"\n  links:\n(    - .*\n)+", "\n", block)  # a copy links nothing
            if not block.endswith("\n"):
                block += "\n"
            path.write_text(text + block)
            added.append((path, block.split("\n", 1)[0].removeprefix("- id: ")))
            action = "add"
        else:
            path = rng.choice(files)
            text = path.read_text()
            matches = list(STRENGTH.finditer(text))
            m = rng.choice(matches)
            other = rng.choice([s for s in ("weak", "moderate", "strong") if s != m.group(1)])
            path.write_text(text[: m.start()] + f"strength: {other}" + text[m.end() :])
            action = "edit"
        counts[action] += 1
        git(repo, "add", "-A", day=n)
        git(repo, "commit", "-qm", f"{action} {n}", day=n)
    return counts


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MB, exit status) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--synth", type=int, default=0, help="a synthetic corpus of this many claims instead of the bundled one")
    parser.add_argument("--hypothesis", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kg-history-bench-") as tmp:
        tmp_path = Path(tmp)
        corpus = ROOT / "claims"
        hypothesis = args.hypothesis or "general-algorithms"
        if args.synth:
            sys.path.insert(0, str(ROOT / "bench"))
            import synth

            synth.CLAIMS_PER_FILE = 250  # files of the size people edit, not 5,000-claim blocks
            corpus = tmp_path / "synth"
            synth.generate(args.synth, corpus)
            hypothesis = args.hypothesis or "hypothesis-000"
        repo = tmp_path / "repo"
        t0 = time.perf_counter()
        counts = make_history(repo, corpus, args.commits, args.seed)
        print(f"history: {args.commits} commits ({counts}) in {time.perf_counter() - t0:.0f} s", flush=True)

        cache = tmp_path / "cache"
        env = {**os.environ, "KG_HISTORY_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "cli.app", "history", hypothesis, "--corpus", str(repo / "claims"), "--format", "json"]
        results: dict[str, list[tuple[float, float, float, int]]] = {"cold": [], "warm": []}
        for _ in range(args.runs):
            shutil.rmtree(cache, ignore_errors=True)
            results["cold"].append(timed(cmd, env))
            results["warm"].append(timed(cmd, env))
        load = os.getloadavg()
        print(f"kg history {hypothesis}, {args.commits} commits, median of {args.runs}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        print("| cache | wall (s) | CPU (s) | peak RSS (MB) |")
        print("|---|---:|---:|---:|")
        for name, rows in results.items():
            assert all(r[3] == 0 for r in rows), f"kg history failed ({name})"
            print(f"| {name} | {statistics.median(r[0] for r in rows):.2f} | {statistics.median(r[1] for r in rows):.2f} | {statistics.median(r[2] for r in rows):.0f} |")


if __name__ == "__main__":
    main()

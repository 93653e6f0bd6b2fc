"""A temporary git repository with a scripted history of the base corpus (tests/kg/base under
claims/), for `kg diff`, `kg history`, the pull-request workflow step and the UI timeline.

    c1  the base corpus (grokking-fourier supports general-algorithms)
    c2  adds more.yaml: a claim that contradicts general-algorithms          (added)
    c3  grokking-fourier: strength strong -> moderate                        (edited)
    c4  renames more.yaml -> other.yaml                                      (no change)
    c5  grokking-fourier names the superposition reproduction, and its
        verdict of record is published: reproduced                           (edited: reproduction)
    c6  claims.yaml does not parse                                           (broken)
    c7  fixes claims.yaml and removes the contradicting claim                (removed)

Commits have fixed dates, one a day from 2026-01-01, so tests can pick one by date.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "tests" / "kg" / "base"
HYPOTHESIS = "general-algorithms"

CONTRADICTING = """- id: parity-needs-no-general-algorithm
  source: barak2022-hidden-progress
  statement: On sparse parity the network memorises the training set before any general solution appears.
  locator: {section: "5"}
  setting: toy
  evidence:
    - {hypothesis: general-algorithms, relation: contradicts, strength: moderate, rationale: A scripted counterweight for the history tests.}
"""


@dataclass
class ScriptedRepo:
    path: Path
    commits: dict[str, str] = field(default_factory=dict)  # c1.. -> sha

    @property
    def corpus(self) -> Path:
        return self.path / "claims"

    def git(self, *args: str, day: int = 1) -> str:
        stamp = f"2026-01-{day:02d}T12:00:00+00:00"
        env = {
            **os.environ,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "t@example.org",
        }
        done = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, text=True, env=env, check=True)
        return done.stdout.strip()

    def commit(self, name: str, message: str) -> str:
        day = len(self.commits) + 1
        self.git("add", "-A", day=day)
        self.git("commit", "-q", "-m", message, day=day)
        self.commits[name] = self.git("rev-parse", "HEAD")
        return self.commits[name]

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.corpus / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))


def build(path: Path) -> ScriptedRepo:
    from kg.records import Hardware, SeedVerdict, VerdictOfRecord
    from kg.verdicts import write_record
    from repro import api

    repo = ScriptedRepo(path)
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    shutil.copytree(BASE, repo.corpus)
    repo.commit("c1", "corpus: the base")

    (repo.corpus / "more.yaml").write_text(CONTRADICTING)
    repo.commit("c2", "a claim against general-algorithms")

    repo.edit("claims.yaml", "relation: supports, strength: strong", "relation: supports, strength: moderate")
    repo.commit("c3", "grokking-fourier is moderate evidence")

    repo.git("mv", "claims/more.yaml", "claims/other.yaml")
    repo.commit("c4", "rename more.yaml")

    repo.edit("claims.yaml", "  setting: toy\n", "  setting: toy\n  reproductions: [{job: superposition, preset: smoke}]\n")
    seeds = [SeedVerdict(seed=i, outcome="reproduced", reason="scripted", run_id=f"run-{i}") for i in range(3)]
    record = VerdictOfRecord.from_seeds("superposition", "smoke", api.catalog().resolve("superposition", "smoke"), "code-1", seeds, Hardware(device="cpu"), "2026-01-05T00:00:00+00:00")
    write_record(repo.corpus, record)
    repo.commit("c5", "verdict of record: superposition reproduced")

    good = (repo.corpus / "claims.yaml").read_text()
    (repo.corpus / "claims.yaml").write_text(good + "- id: [unclosed\n")
    repo.commit("c6", "a broken file")

    (repo.corpus / "claims.yaml").write_text(good)
    (repo.corpus / "other.yaml").unlink()
    repo.commit("c7", "fix it, and drop the counterweight")
    return repo

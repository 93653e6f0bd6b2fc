"""The pull-request step of .github/workflows/validate.yml that writes `kg diff` to the job
summary, run as GitHub runs it (bash -eo pipefail, the step's env) on a clone of a scripted
repository: a pull request that moves a balance, and one that moves none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "validate.yml"


def diff_step() -> dict:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["validate"]["steps"]
    return next(s for s in steps if s.get("id") == "diff")


def pull_request(scripted_repo, tmp_path: Path, edit) -> Path:
    """A clone (so origin/main exists, as after actions/checkout with fetch-depth 0) with one
    commit on a branch, and `.venv/bin/kg` running this checkout's CLI."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(scripted_repo.path), str(clone)], check=True)
    ident = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@e"}
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "-b", "pr"], check=True)
    edit(clone)
    subprocess.run(["git", "-C", str(clone), "commit", "-qam", "the pull request"], check=True, env={**os.environ, **ident})
    kg = clone / ".venv" / "bin" / "kg"
    kg.parent.mkdir(parents=True)
    kg.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m cli.app "$@"\n')
    kg.chmod(0o755)
    return clone


def run_step(clone: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, str]:
    step = diff_step()
    script, summary = tmp_path / "step.sh", tmp_path / "summary.md"
    script.write_text(step["run"])
    env = {**os.environ, "BASE": "main", "GITHUB_STEP_SUMMARY": str(summary), "PYTHONPATH": str(ROOT), "KG_HISTORY_CACHE": str(tmp_path / "cache")}
    env.pop("KG_CORPUS", None)
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=clone, env=env, capture_output=True, text=True)
    return proc, summary.read_text() if summary.exists() else ""


def test_the_step_summarises_a_pull_request_that_moves_a_balance(scripted_repo, tmp_path):
    assert diff_step()["env"] == {"BASE": "${{ github.base_ref }}"}

    def against(clone: Path) -> None:
        claims = clone / "claims" / "claims.yaml"
        claims.write_text(claims.read_text().replace("relation: supports, strength: moderate", "relation: contradicts, strength: moderate", 1))

    proc, summary = run_step(pull_request(scripted_repo, tmp_path, against), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert summary.startswith("<!-- kg diff -->\n### Evidence: what `origin/main` → `HEAD` changes")
    assert "| `general-algorithms`" in summary and "+1.00 → **-1.00**" in summary
    assert "`grokking-fourier` | edited |" in summary and "relation supports → contradicts" in summary


def test_the_step_says_so_in_one_line_when_no_hypothesis_moves(scripted_repo, tmp_path):
    def reword(clone: Path) -> None:  # prose only: no number moves
        claims = clone / "claims" / "claims.yaml"
        claims.write_text(claims.read_text().replace("The general algorithm wins over the lookup table.", "The general algorithm beats the lookup table."))

    proc, summary = run_step(pull_request(scripted_repo, tmp_path, reword), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert summary.splitlines()[-1] == "No hypothesis changes: every balance and certainty is as it was."


def test_a_diff_that_cannot_run_fails_the_step_and_says_why_in_the_summary(scripted_repo, tmp_path):
    def reword(clone: Path) -> None:
        claims = clone / "claims" / "claims.yaml"
        claims.write_text(claims.read_text().replace("lookup table.", "lookup table, again."))

    clone = pull_request(scripted_repo, tmp_path, reword)
    subprocess.run(["git", "-C", str(clone), "update-ref", "-d", "refs/remotes/origin/main"], check=True)  # a checkout without the base
    proc, summary = run_step(clone, tmp_path)
    assert proc.returncode == 1
    assert summary.startswith("<!-- kg diff -->\n### Evidence: kg diff could not compare origin/main with this change")
    assert "error: unknown revision 'origin/main'" in summary

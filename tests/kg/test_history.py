"""`kg diff` and `kg history` on a git repository the test scripts (tests/scripted_repo.py): claims
added, edited and removed, a file renamed, a verdict of record published, a file broken at one
revision. Run as real subprocesses (piped, so tables are TSV)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

HYP = "general-algorithms"


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "KG_HISTORY_CACHE": str(tmp_path / "cache")}


def kg(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "cli.app", *args], capture_output=True, text=True, env=env, cwd=cwd)


def diff_json(repo, a, b=None, env=None):
    proc = kg("diff", repo.commits[a], *([repo.commits[b]] if b else []), "--corpus", str(repo.corpus), "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_diff_json_has_exactly_the_promised_shape(scripted_repo, env):
    # [{"hypothesis": id, "before": {"score": float, "certainty": str|null}, "after": {...},
    #   "changes": [{"claim": id, "change": "added"|"removed"|"edited", "delta": float}]}]
    rows = diff_json(scripted_repo, "c1", "c2", env)
    assert isinstance(rows, list) and len(rows) == 1
    row = rows[0]
    assert list(row) == ["hypothesis", "before", "after", "changes"]
    assert row["hypothesis"] == HYP
    for side in ("before", "after"):
        assert list(row[side]) == ["score", "certainty"]
        assert isinstance(row[side]["score"], float)
        assert row[side]["certainty"] in ("very-low", "low", "moderate", "high")
    assert row["before"]["score"] == 1.0 and row["after"]["score"] < 0.5  # a counterweight arrived
    assert row["changes"] == [{"claim": "parity-needs-no-general-algorithm", "change": "added", "delta": pytest.approx(row["changes"][0]["delta"])}]
    assert [list(c) for c in row["changes"]] == [["claim", "change", "delta"]]
    assert isinstance(row["changes"][0]["delta"], float) and row["changes"][0]["delta"] < 0


def test_edited_and_removed_claims_and_a_rename_that_changes_nothing(scripted_repo, env):
    edited = diff_json(scripted_repo, "c2", "c3", env)
    assert [(c["claim"], c["change"]) for c in edited[0]["changes"]] == [("grokking-fourier", "edited")]
    assert edited[0]["changes"][0]["delta"] < 0 and edited[0]["after"]["score"] < edited[0]["before"]["score"]

    assert diff_json(scripted_repo, "c3", "c4", env) == []  # more.yaml -> other.yaml: same claims

    removed = diff_json(scripted_repo, "c5", "c7", env)
    assert [(c["claim"], c["change"]) for c in removed[0]["changes"]] == [("parity-needs-no-general-algorithm", "removed")]
    assert removed[0]["after"]["score"] == 1.0


def test_a_verdict_of_record_counts_like_any_change(scripted_repo, env):
    proc = kg("diff", scripted_repo.commits["c4"], scripted_repo.commits["c5"], "--corpus", str(scripted_repo.corpus), env=env)
    assert proc.returncode == 0, proc.stderr
    header, *rows = [line.split("\t") for line in proc.stdout.splitlines()]
    assert header[:2] == ["hypothesis", "balance before"] and header[-1] == "why"
    assert len(rows) == 1 and rows[0][0] == HYP and rows[0][6:8] == ["grokking-fourier", "edited"]
    assert "reproduction none → agrees" in rows[0][-1]
    assert float(rows[0][10]) > 0  # a reproduced claim weighs more


def test_a_file_that_does_not_parse_names_the_revision_and_the_file(scripted_repo, env):
    c6 = scripted_repo.commits["c6"]
    proc = kg("diff", "HEAD~1", "--corpus", str(scripted_repo.corpus), env=env)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith("error: at HEAD~1 (") and c6[:10] in lines[0]
    assert "claims/claims.yaml:" in lines[0]
    assert proc.stdout == ""


def test_markdown_says_so_in_one_line_when_nothing_changes(scripted_repo, env):
    proc = kg("diff", scripted_repo.commits["c3"], scripted_repo.commits["c4"], "--corpus", str(scripted_repo.corpus), "--format", "markdown", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "No hypothesis changes: every balance and certainty is as it was."
    moved = kg("diff", scripted_repo.commits["c1"], scripted_repo.commits["c2"], "--corpus", str(scripted_repo.corpus), "--format", "markdown", env=env)
    assert "| `general-algorithms`" in moved.stdout and "`parity-needs-no-general-algorithm` | added |" in moved.stdout


def test_the_work_tree_is_the_default_after_and_is_never_touched(scripted_repo, tmp_path, env):
    repo = tmp_path / "copy"
    shutil.copytree(scripted_repo.path, repo)
    claims = repo / "claims" / "claims.yaml"
    claims.write_text(claims.read_text().replace("relation: supports, strength: moderate", "relation: contradicts, strength: moderate", 1))
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True).stdout
    before = claims.read_text()

    proc = kg("diff", "HEAD", "--corpus", str(repo / "claims"), "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert [(c["claim"], c["change"]) for c in json.loads(proc.stdout)[0]["changes"]] == [("grokking-fourier", "edited")]
    # reading old revisions does not check them out
    assert kg("diff", "HEAD~6", "HEAD~5", "--corpus", str(repo / "claims"), env=env).returncode == 0
    assert claims.read_text() == before
    assert subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True).stdout == status


def test_history_lists_each_commit_that_moved_the_evidence(scripted_repo, env):
    proc = kg("history", HYP, "--corpus", str(scripted_repo.corpus), "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["hypothesis"] == HYP
    by_sha = {sha: name for name, sha in scripted_repo.commits.items()}
    points = [(by_sha[p["commit"]], p) for p in data["commits"]]
    assert [name for name, _ in points] == ["c1", "c2", "c3", "c5", "c6", "c7"]  # not c4, the rename
    named = dict(points)
    assert named["c1"]["changes"] == [{"claim": "grokking-fourier", "change": "added", "delta": 1.0}]
    assert named["c2"]["score"] < 0.5 and named["c7"]["score"] == 1.0
    assert named["c1"]["date"].startswith("2026-01-01") and named["c5"]["subject"].startswith("verdict of record")
    assert "claims/claims.yaml:" in named["c6"]["error"] and "score" not in named["c6"]
    # the broken commit is a one-line warning, not a failure
    assert [line for line in proc.stderr.splitlines() if line.startswith("warning: at ")] == [proc.stderr.strip()]

    other = json.loads(kg("history", "learnability-prior", "--corpus", str(scripted_repo.corpus), "--format", "json", env=env).stdout)
    assert [by_sha[p["commit"]] for p in other["commits"]] == ["c1", "c6"]  # born in c1; c6 did not load


def test_history_is_cached_by_tree_and_survives_a_bad_cache_file(scripted_repo, env, tmp_path):
    args = ("history", HYP, "--corpus", str(scripted_repo.corpus), "--format", "json")
    first = kg(*args, env=env)
    trees = sorted((tmp_path / "cache").rglob("trees/*.json"))
    states = sorted((tmp_path / "cache").rglob("states/*.json"))
    assert len(trees) == 7  # one per corpus tree: each of the seven commits changed it
    assert len(states) < 7 * 2  # each hypothesis's state stored once however many commits share it
    # half-written or damaged entries are recomputed, not trusted
    trees[0].write_text('{"hypoth')
    for state in states:
        state.write_text('{"title": 1}')
    again = kg(*args, env=env)
    assert again.returncode == 0 and again.stdout == first.stdout


def test_unknown_hypothesis_and_no_git_history_are_one_line_errors(scripted_repo, base_corpus, env):
    proc = kg("history", "general-algorithm", "--corpus", str(scripted_repo.corpus), env=env)
    assert proc.returncode == 1 and "did you mean 'general-algorithms'?" in proc.stderr and len(proc.stderr.splitlines()) == 1
    for args in (("history", HYP), ("diff", "HEAD")):
        proc = kg(*args, "--corpus", str(base_corpus), env=env)  # a plain folder: a tarball's corpus
        assert proc.returncode == 1 and "not in a git checkout" in proc.stderr and "Traceback" not in proc.stderr
    proc = kg("diff", "HEAD", "--corpus", str(base_corpus.parent / "nowhere"), env=env)
    assert proc.returncode == 1 and "nowhere: path does not exist" in proc.stderr and len(proc.stderr.splitlines()) == 1
    proc = kg("diff", "no-such-branch", "--corpus", str(scripted_repo.corpus), env=env)
    assert proc.returncode == 1 and proc.stderr.strip() == "error: unknown revision 'no-such-branch' (git knows no commit by that name here)"


def test_merges_count_once_on_the_first_parent_line(scripted_repo, tmp_path, env):
    repo = tmp_path / "merging"
    shutil.copytree(scripted_repo.path, repo)

    def git(*args):
        subprocess.run(
            ["git", "-C", str(repo), *args],
            check=True,
            capture_output=True,
            env={**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@e"},
        )

    git("checkout", "-q", "-b", "pr")
    for strength in ("weak", "strong"):  # two commits on the branch
        claims = repo / "claims" / "claims.yaml"
        claims.write_text(
            claims.read_text()
            .replace("relation: supports, strength: moderate", f"relation: supports, strength: {strength}", 1)
            .replace("relation: supports, strength: weak", f"relation: supports, strength: {strength}", 1)
        )
        git("commit", "-qam", f"strength {strength}")
    git("checkout", "-q", "main")
    git("merge", "-q", "--no-ff", "-m", "Merge pr", "pr")
    data = json.loads(kg("history", HYP, "--corpus", str(repo / "claims"), "--format", "json", env=env).stdout)
    assert data["commits"][-1]["subject"] == "Merge pr"
    assert not any(p["subject"].startswith("strength ") for p in data["commits"])

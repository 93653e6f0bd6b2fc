"""Bad local state degrades, never breaks: a corrupt or wrong-shaped file in the run store or the
Semantic Scholar cache is skipped with one warning naming it, and every command still works."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from clihelpers import kg, one_line_errors

from ingest.cache import Cache
from repro import api

TINY = {"n": 6, "k": 2, "width": 16, "max_steps": 60, "eval_every": 10, "test_size": 64, "sweep_ns": [], "sweep_seeds": 1}
CLAIM = "grokking-fourier"  # names the reproduction below in the corpus these tests use


@pytest.fixture
def corpus(base_corpus: Path) -> Path:
    claims = base_corpus / "claims.yaml"
    params = "{" + ", ".join(f"{k}: {v}" for k, v in TINY.items()) + "}"
    ref = f"  reproductions: [{{job: sparse_parity, preset: smoke, params: {params}}}]\n"
    claims.write_text(claims.read_text().replace("  setting: toy\n", "  setting: toy\n" + ref, 1))
    return base_corpus


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"KG_RUNS_DIR": str(tmp_path / "runs"), "KG_S2_CACHE": str(tmp_path / "s2"), "KG_STORE": ""}


def fake_run(root: Path, run_id: str, outcome: str, finished: str) -> Path:
    """A finished run as the worker leaves it, without running the job (the files are the point)."""
    d = root / run_id
    d.mkdir(parents=True)
    resolved = api.catalog().resolve("sparse_parity", "smoke", TINY)
    request = {"job": "sparse_parity", "preset": "smoke", "params": resolved, "seed": 0, "key": run_id, "backend": "local", "created_at": finished, "run_id": run_id}
    (d / "request.json").write_text(json.dumps(request))
    (d / "status.json").write_text(json.dumps({"status": "succeeded", "reason": "", "finished_at": finished}))
    (d / "verdict.json").write_text(json.dumps({"outcome": outcome, "reason": f"{run_id} decided", "numbers": {}, "checks": {}}))
    (d / "progress.json").write_text(json.dumps({"done": 1, "total": 1, "note": ""}))
    (d / "metrics.jsonl").write_text('{"step": 0, "loss": 1.0}\n{"step": 10, "loss": 0.5}\n')
    return d


# (file, bytes): each makes a run unusable in its own way
CORRUPTIONS = {
    "status-a-string": ("status.json", b'"succeeded"'),
    "status-half-written": ("status.json", b'{"status": "succ'),
    "status-unknown": ("status.json", b'{"status": "done"}'),
    "verdict-without-outcome": ("verdict.json", b'{"reason": "no outcome here"}'),
    "verdict-a-list": ("verdict.json", b"[]"),
    "verdict-bad-outcome": ("verdict.json", b'{"outcome": "maybe", "reason": "x"}'),
    "verdict-not-utf8": ("verdict.json", b'{"outcome": "reproduced", "reason": "\xff\xfe"}'),
    "request-not-utf8": ("request.json", b"\xff\xfe\x00{"),
    "request-wrong-types": ("request.json", b'{"job": 5, "preset": null, "params": [], "seed": "x"}'),
    "request-null": ("request.json", b"null"),
}


def test_corrupt_runs_are_skipped_with_a_warning_each_and_every_command_works(corpus, env, tmp_path):
    runs = tmp_path / "runs"
    fake_run(runs, "sparse_parity-0-good", "not-reproduced", "2026-01-01T00:00:00+00:00")
    for i, (case, (name, data)) in enumerate(sorted(CORRUPTIONS.items()), 1):
        bad = fake_run(runs, f"sparse_parity-{i}-{case}", "reproduced", f"2026-06-{i:02d}T00:00:00+00:00")  # newer: each would win
        (bad / name).write_bytes(data)
    named = {f"sparse_parity-{i}-{case}/{name}: " for i, (case, (name, _)) in enumerate(sorted(CORRUPTIONS.items()), 1)}

    shown = kg("show", "claim", CLAIM, "--corpus", str(corpus), env=env)
    assert shown.code == 0, shown.stderr
    one_line_errors(shown)
    # the good run's verdict is the claim's; each corrupt file is named in exactly one warning
    assert "sparse_parity/smoke run sparse_parity-0-good: not-reproduced" in shown.stdout
    assert "reproduced (seed 0)" not in shown.stdout.replace("not-reproduced", "")
    warnings = [line for line in shown.lines if line.startswith("warning: ")]
    assert len(warnings) == len(CORRUPTIONS) and all(sum(n in w for w in warnings) == 1 for n in named), shown.stderr

    for args in (["hypotheses"], ["export", "--format", "json"]):
        r = kg(*args, "--corpus", str(corpus), env=env)
        assert r.code == 0 and len(r.lines) == len(CORRUPTIONS), (args, r.stderr)
        one_line_errors(r)

    listing = kg("runs", env=env)
    assert listing.code == 0, listing.stderr
    one_line_errors(listing)
    listed = {line.split("\t")[0].split("-", 2)[-1]: line.split("\t")[5] for line in listing.stdout.splitlines()[1:]}
    assert listed["good"] == "succeeded" and listed["status-unknown"] == "failed" and listed["verdict-a-list"] == "succeeded"
    assert not any(case.startswith("request") for case in listed)  # no request, no run to list
    (unreadable,) = [p.name for p in runs.glob("*-request-wrong-types")]
    one = kg("runs", "show", unreadable, env=env)
    assert one.code == 1 and one.lines[-1].startswith(f"error: run {unreadable} in ") and "request.json is corrupt" in one.lines[-1]
    one_line_errors(one)


def test_half_written_and_hand_broken_metrics_keep_the_good_rows(env, tmp_path):
    runs = tmp_path / "runs"
    d = fake_run(runs, "sparse_parity-1-good", "reproduced", "2026-01-01T00:00:00+00:00")
    with open(d / "metrics.jsonl", "ab") as f:
        f.write(b'[1, 2]\n"text"\n\xff\xfe not utf-8\n{"step": "abc", "loss": 2}\n{"step": 20, "lo')  # last line half-written
    r = kg("runs", "show", "sparse_parity-1-good", env=env)
    assert r.code == 0, r.stderr
    one_line_errors(r)
    assert "line 3 is not a metric row (3 such line(s))" in r.stderr
    rows = api.result("sparse_parity-1-good", store=runs).metrics
    assert [row["step"] for row in rows] == [0, 10, "abc"]  # a row is a row; the plot skips what is not a number


def test_special_files_and_a_runs_folder_that_is_a_file(env, tmp_path):
    import os

    runs = tmp_path / "runs"
    d = fake_run(runs, "sparse_parity-1-good", "reproduced", "2026-01-01T00:00:00+00:00")
    (d / "progress.json").unlink()
    os.mkfifo(d / "progress.json")  # reading it would hang
    r = kg("runs", env=env)
    assert r.code == 0 and "sparse_parity-1-good" in r.stdout and "progress.json: not a regular file" in r.stderr
    plain = tmp_path / "a-file"
    plain.write_text("x")
    r = kg("runs", env={**env, "KG_RUNS_DIR": str(plain)})
    assert r.code == 0 and "the runs folder is not a folder" in r.stderr


# --- the Semantic Scholar cache ---------------------------------------------------------------

SOURCE, OTHER = "nanda2023-progress-measures", "barak2022-hidden-progress"
# (kind, source, bytes): two groups, as the base corpus has two sources with three files each
CACHE_CORRUPTIONS = [
    [
        ("papers", SOURCE, b'{"fetched_at": "2026-'),
        ("references", SOURCE, b'{"fetched_at": "2026-01-01T00:00:00+00:00", "paperId": "p", "items": {"a": 1}}'),
        ("citations", SOURCE, b'{"fetched_at": "2026-01-01T00:00:00+00:00", "paperId": "p", "items": [3]}'),
        ("papers", OTHER, b'{"fetched_at": "2026-01-01T00:00:00+00:00", "status": "found", "paper": "oops"}'),
        ("citations", OTHER, b'{"fetched_at": "2026-01-01T00:00:00+00:00", "paperId": "p", "items": [{"citingPaper": {"paperId": [1]}}]}'),
    ],
    [
        ("papers", SOURCE, b"\xff\xfe"),
        ("papers", OTHER, b'{"status": "found", "paper": {"paperId": "p"}}'),
        ("references", OTHER, b"[]"),
    ],
]


@pytest.mark.parametrize("group", [0, 1])
def test_corrupt_cache_entries_are_skipped_with_a_warning_each(group, corpus, env, tmp_path):
    cache = Cache(tmp_path / "s2")
    paths = []
    for kind, sid, data in CACHE_CORRUPTIONS[group]:
        path = cache.path(kind, sid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)

    for args in (["show", "source", SOURCE], ["suggest", "--min", "1"]):
        r = kg(*args, "--corpus", str(corpus), env=env)
        assert r.code == 0, (args, r.stderr)
        one_line_errors(r)
        assert all(sum(f"{p}: corrupt cache entry" in line for line in r.lines) == 1 for p in paths), (args, r.stderr)

    offline = kg("ingest", "--offline", "--corpus", str(corpus), "--format", "json", env=env)
    assert offline.code == 1 and "corrupt" in offline.lines[-1], offline.stderr
    one_line_errors(offline)
    summary = json.loads(offline.stdout)
    assert {SOURCE, OTHER} <= set(summary["corrupt"]) and not {SOURCE, OTHER} & set(summary["missing"]), summary


def test_a_wrong_shaped_cache_is_corrupt_not_missing(tmp_path):
    cache = Cache(tmp_path)
    p = cache.path("papers", SOURCE)
    p.parent.mkdir(parents=True)
    p.write_text('{"fetched_at": "2026-01-01T00:00:00+00:00", "status": "found", "paper": []}')
    assert cache.read("papers", SOURCE) is None
    assert cache.corrupt == {p: "wrong shape: paper: expected a JSON object, found list"}
    assert cache.corrupt_files() == [p]


# --- writes that fail -------------------------------------------------------------------------


def _disk_full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_exporting_leaves_the_old_file_and_no_temp_file(corpus, env, tmp_path, monkeypatch):
    target = tmp_path / "out" / "graph.csv"
    target.parent.mkdir()
    target.write_text("the old export\n")
    monkeypatch.setattr("kg.util.os.fsync", _disk_full)  # the write itself fails, after the temp file exists
    r = kg("export", "--format", "csv", "-o", str(target), "--corpus", str(corpus), env=env)
    assert r.code == 1 and r.lines == [f"error: cannot write {target}: No space left on device; nothing was written"]
    assert target.read_text() == "the old export\n" and [p.name for p in target.parent.iterdir()] == ["graph.csv"]


def test_a_full_disk_while_creating_a_run_leaves_no_temp_folder(tmp_path, monkeypatch):
    from repro.store import RunStore

    store = RunStore(tmp_path / "runs")
    monkeypatch.setattr("repro.store.atomic_write_json", _disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.create({"job": "sparse_parity", "preset": "smoke", "params": {}, "seed": 0})
    assert [p.name for p in store.root.iterdir()] == [] and store.run_ids() == []


def test_kg_run_on_a_full_disk_says_so_in_one_line(env, monkeypatch):
    monkeypatch.setattr("repro.api.submit_seeds", _disk_full)  # what RunStore.create raises, after cleaning up (kg run submits through submit_seeds)
    r = kg("run", "sparse_parity", "--detach", env=env)
    assert r.code == 1 and len(r.lines) == 1, r.stderr
    assert r.lines[0].startswith("error: cannot create the run in ") and r.lines[0].endswith("No space left on device; nothing was left behind")


@pytest.mark.neo4j
def test_sync_projects_the_good_verdicts_past_corrupt_runs(neo4j_driver, corpus, env, tmp_path):
    import os

    import neo4j_server  # tests/neo4j, on the path once neo4j_driver is used

    neo4j_server.clear(neo4j_driver)
    runs = tmp_path / "runs"
    fake_run(runs, "sparse_parity-0-good", "not-reproduced", "2026-01-01T00:00:00+00:00")
    for i, (case, (name, data)) in enumerate(sorted(CORRUPTIONS.items()), 1):
        (fake_run(runs, f"sparse_parity-{i}-{case}", "reproduced", f"2026-06-{i:02d}T00:00:00+00:00") / name).write_bytes(data)
    uri = os.environ.get("NEO4J_URI") or "bolt://127.0.0.1:7687"
    r = kg("sync", "--neo4j", uri, "--corpus", str(corpus), env=env)
    assert r.code == 0, r.stderr
    one_line_errors(r)
    assert len(r.lines) == len(CORRUPTIONS)  # a warning each, nothing else
    rows = neo4j_driver.execute_query("MATCH (r:Run)-[t:TESTS]->(:Claim) RETURN t.run_id AS run_id", database_="neo4j").records
    assert {row["run_id"] for row in rows} == {"sparse_parity-0-good"}

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


# (file, bytes): each makes the newer run unusable in its own way
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


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_corrupt_run_is_skipped_with_a_warning_and_every_command_works(case, corpus, env, tmp_path):
    runs = tmp_path / "runs"
    fake_run(runs, "sparse_parity-1-good", "not-reproduced", "2026-01-01T00:00:00+00:00")
    bad = fake_run(runs, "sparse_parity-2-bad", "reproduced", "2026-06-01T00:00:00+00:00")  # newer: it would win
    name, data = CORRUPTIONS[case]
    (bad / name).write_bytes(data)

    shown = kg("show", "claim", CLAIM, "--corpus", str(corpus), env=env)
    assert shown.code == 0, shown.stderr
    one_line_errors(shown)
    # the good run's verdict is the claim's; the corrupt one is named in one warning
    assert "sparse_parity/smoke run sparse_parity-1-good: not-reproduced" in shown.stdout
    assert "sparse_parity-2-bad" not in shown.stdout
    warnings = [line for line in shown.lines if line.startswith("warning: ")]
    assert len(warnings) == 1 and f"sparse_parity-2-bad/{name}: " in warnings[0], shown.stderr

    for args in (["hypotheses"], ["export", "--format", "json"], ["summary"]):
        r = kg(*args, "--corpus", str(corpus), env=env)
        assert r.code == 0, (args, r.stderr)
        one_line_errors(r)

    listing = kg("runs", env=env)
    assert listing.code == 0 and "sparse_parity-1-good" in listing.stdout, listing.stderr
    one_line_errors(listing)
    one = kg("runs", "show", "sparse_parity-2-bad", env=env)
    assert one.code in (0, 1) and "Traceback" not in one.stderr
    if name == "request.json":  # a run without a readable request cannot be shown: one line says why
        assert one.code == 1 and "request.json is corrupt" in one.stderr


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

CACHE_CORRUPTIONS = {
    "papers-not-json": ("papers", b'{"fetched_at": "2026-'),
    "papers-paper-a-string": ("papers", b'{"fetched_at": "2026-01-01T00:00:00+00:00", "status": "found", "paper": "oops"}'),
    "papers-not-utf8": ("papers", b"\xff\xfe"),
    "papers-no-fetched-at": ("papers", b'{"status": "found", "paper": {"paperId": "p"}}'),
    "references-items-a-dict": ("references", b'{"fetched_at": "2026-01-01T00:00:00+00:00", "paperId": "p", "items": {"a": 1}}'),
    "citations-item-a-number": ("citations", b'{"fetched_at": "2026-01-01T00:00:00+00:00", "paperId": "p", "items": [3]}'),
    "citations-paper-id-a-list": ("citations", b'{"fetched_at": "2026-01-01T00:00:00+00:00", "paperId": "p", "items": [{"citingPaper": {"paperId": [1]}}]}'),
}
SOURCE = "nanda2023-progress-measures"


@pytest.mark.parametrize("case", sorted(CACHE_CORRUPTIONS))
def test_a_corrupt_cache_entry_is_skipped_with_a_warning(case, corpus, env, tmp_path):
    from ingest.resolve import lookup_id
    from kg.loading import load_corpus

    sources = load_corpus(corpus)[0].sources
    cache = Cache(tmp_path / "s2")
    for sid in (SOURCE, "barak2022-hidden-progress"):
        cache.write("papers", sid, {"lookup": lookup_id(sources[sid]), "status": "found", "paper": {"paperId": sid, "title": sid, "year": 2023}})
    kind, data = CACHE_CORRUPTIONS[case]
    path = cache.path(kind, SOURCE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)

    for args in (["show", "source", SOURCE], ["hypotheses"], ["suggest", "--min", "1"], ["export", "--format", "graphml"]):
        r = kg(*args, "--corpus", str(corpus), env=env)
        assert r.code == 0, (args, r.stderr)
        one_line_errors(r)
        assert f"{path}: corrupt cache entry" in r.stderr, (args, r.stderr)

    offline = kg("ingest", "--offline", "--only", SOURCE, "--corpus", str(corpus), "--format", "json", env=env)
    assert offline.code == 1 and "corrupt" in offline.lines[-1], offline.stderr
    one_line_errors(offline)
    summary = json.loads(offline.stdout)
    item = SOURCE if kind == "papers" else f"{SOURCE} ({kind})"
    assert item in summary["corrupt"] and item not in summary["missing"], summary


def test_a_wrong_shaped_cache_is_corrupt_not_missing(tmp_path):
    cache = Cache(tmp_path)
    p = cache.path("papers", SOURCE)
    p.parent.mkdir(parents=True)
    p.write_text('{"fetched_at": "2026-01-01T00:00:00+00:00", "status": "found", "paper": []}')
    assert cache.read("papers", SOURCE) is None
    assert cache.corrupt == {p: "wrong shape: paper: Input should be a valid dictionary or instance of Paper"}
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


def test_a_full_disk_while_creating_a_run_leaves_no_temp_folder(env, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    monkeypatch.setattr("repro.store.atomic_write_json", _disk_full)
    r = kg("run", "sparse_parity", *[f"--set={k}={json.dumps(v)}" for k, v in TINY.items()], "--detach", env=env)
    assert r.code == 1, r.stderr
    assert len(r.lines) == 1 and "No space left on device; nothing was left behind" in r.lines[0]
    assert [p.name for p in runs.iterdir() if p.name != ".submit.lock"] == []

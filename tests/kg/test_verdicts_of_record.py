"""Verdicts of record: the agreement rule, files beside the claims checked by `kg validate`
with file:line, staleness (weighs as no verdict, in both stores' evidence rows), and a fresh
clone (no run store) that shows a shipped record. No runs here: tests/repro/test_publish.py
publishes from real ones."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from pydantic import ValidationError

from claimgraph import job_code_version, load_graph_store, validate
from kg import sync
from kg.graph import Edge
from kg.records import Hardware, SeedVerdict, VerdictOfRecord, agreement
from kg.store import balance
from kg.verdicts import load_records, record_path, render, write_record
from repro import api
from repro import store as run_store

JOB, PRESET = "superposition", "smoke"
CLAIM = "grokking-fourier"  # in tests/kg/base, supports general-algorithms


def kg(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cli.app", *args], capture_output=True, text=True, env=env)


def line_of(path, key: str) -> int:
    """The line of a top-level key as the file was written (one space of indent)."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(f' "{key}":'))


def seeds(*outcomes: str) -> list[SeedVerdict]:
    return [SeedVerdict(seed=i, outcome=o, reason=f"seed {i} said {o}", numbers={"rho": 0.9}, run_id=f"run-{i}") for i, o in enumerate(outcomes)]


def record(*outcomes: str, code_version: str | None = None, params: dict | None = None, job: str = JOB) -> VerdictOfRecord:
    resolved = params if params is not None else api.catalog().resolve(JOB, PRESET)
    version = code_version or job_code_version(JOB) or "job-unknown"
    return VerdictOfRecord.from_seeds(job, PRESET, resolved, version, seeds(*outcomes), Hardware(device="cpu", torch="2.x"), "2026-01-01T00:00:00+00:00")


@pytest.fixture
def corpus(base_corpus):
    """The base corpus with one claim naming the superposition smoke reproduction."""
    claims = base_corpus / "claims.yaml"
    text = claims.read_text()
    first = text.index("  setting: toy\n") + len("  setting: toy\n")
    claims.write_text(text[:first] + f"  reproductions: [{{job: {JOB}, preset: {PRESET}}}]\n" + text[first:])
    return base_corpus


@pytest.fixture
def no_runs(tmp_path, monkeypatch):
    runs = tmp_path / "empty-runs"
    monkeypatch.setenv("KG_RUNS_DIR", str(runs))
    return runs


# --- the rule --------------------------------------------------------------------------------


def test_three_agreeing_seeds_give_their_outcome():
    assert agreement(["reproduced"] * 3) == ("reproduced", "3 of 3 reproduced")
    assert agreement(["not-reproduced"] * 4) == ("not-reproduced", "4 of 4 not-reproduced")
    r = record("reproduced", "reproduced", "reproduced")
    assert (r.outcome, r.note, r.seed_numbers) == ("reproduced", "3 of 3 reproduced", (0, 1, 2))


def test_disagreeing_seeds_are_inconclusive_with_the_count():
    assert agreement(["reproduced", "not-reproduced", "reproduced"]) == ("inconclusive", "2 of 3 reproduced")
    assert agreement(["not-reproduced", "inconclusive", "not-reproduced"]) == ("inconclusive", "2 of 3 not-reproduced")
    r = record("reproduced", "reproduced", "not-reproduced")
    assert (r.outcome, r.note) == ("inconclusive", "2 of 3 reproduced")
    assert r.verdict().reason.startswith("2 of 3 reproduced on seeds 0, 1, 2")


def test_fewer_than_three_seeds_cannot_be_published():
    with pytest.raises(ValueError, match="at least 3 seeds, got 2"):
        agreement(["reproduced", "reproduced"])
    with pytest.raises(ValueError, match="at least 3 seeds"):
        record("reproduced", "reproduced")


def test_a_record_whose_outcome_does_not_follow_from_its_seeds_is_refused():
    data = record("reproduced", "reproduced", "not-reproduced").model_dump(mode="json")
    with pytest.raises(ValidationError, match="does not follow from the seeds"):
        VerdictOfRecord.model_validate({**data, "outcome": "reproduced", "note": "3 of 3 reproduced"})
    repeated = {**data, "seeds": [data["seeds"][0]] * 3, "outcome": "reproduced", "note": "3 of 3 reproduced"}
    with pytest.raises(ValidationError, match="seeds repeat"):
        VerdictOfRecord.model_validate(repeated)


def test_the_file_round_trips(tmp_path):
    r = record("reproduced", "reproduced", "reproduced")
    path = write_record(tmp_path, r)
    assert path == tmp_path / "verdicts" / f"{JOB}.{PRESET}.json"
    assert path.read_text() == render(r)
    found, problems = load_records(tmp_path)
    assert problems == [] and [f.record for f in found] == [r]
    assert found[0].line("code_version") == line_of(path, "code_version") > found[0].line("params") == 4


# --- kg validate -------------------------------------------------------------------------------


def _write_raw(corpus, data, name=f"{JOB}.{PRESET}.json"):
    path = record_path(corpus, JOB, PRESET).with_name(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def test_validate_accepts_a_current_record(corpus):
    write_record(corpus, record("reproduced", "reproduced", "reproduced"))
    report = validate(corpus)
    assert report.ok and not [p for p in report.problems if "verdict" in p.message], report.problems
    assert [f.record.job for f in report.records] == [JOB]


def test_validate_rejects_an_unknown_job_with_file_and_line(corpus):
    data = record("reproduced", "reproduced", "reproduced").model_dump(mode="json")
    _write_raw(corpus, {**data, "job": "grokkin"}, "grokkin.smoke.json")
    report = validate(corpus)
    [problem] = report.errors
    assert problem.file.endswith("verdicts/grokkin.smoke.json") and problem.line == 2
    assert "unknown job 'grokkin'" in problem.message and "grokking" in problem.hint
    # and on the command line, as every corpus problem: file:line: message (hint)
    proc = kg("validate", str(corpus))
    assert proc.returncode == 1
    assert "verdicts/grokkin.smoke.json:2: verdict of record for unknown job 'grokkin' (did you mean 'grokking'?)" in proc.stderr


def test_validate_rejects_bad_params_with_file_and_line(corpus):
    data = record("reproduced", "reproduced", "reproduced").model_dump(mode="json")
    _write_raw(corpus, {**data, "params": {**data["params"], "steps": "many", "nonsense": 1}})
    report = validate(corpus)
    messages = sorted(str(p) for p in report.errors)
    assert len(messages) == 2, messages
    assert all(":4: verdict of record superposition/smoke: " in m for m in messages)  # the params line
    assert any("parameter 'steps': expected integer" in m for m in messages)
    assert any("unknown parameter 'nonsense'" in m for m in messages)


def test_validate_rejects_malformed_files_with_file_and_line(corpus):
    data = record("reproduced", "reproduced", "not-reproduced").model_dump(mode="json")
    path = _write_raw(corpus, {**data, "outcome": "reproduced", "note": "3 of 3 reproduced"})
    [problem] = validate(corpus).errors
    assert problem.file.endswith(path.name) and problem.line == line_of(path, "outcome")
    assert "does not follow from the seeds" in problem.message
    path.write_text(render(record("reproduced", "reproduced", "reproduced")).replace('"seeds": [', '"seeds": [,', 1))
    [problem] = validate(corpus).errors
    assert problem.line == line_of(path, "seeds") and "not valid JSON" in problem.message
    path.write_text(json.dumps({**data, "colour": "red"}, indent=1))
    [problem] = validate(corpus).errors
    assert "unknown key 'colour'" in problem.message and problem.line == line_of(path, "colour")
    path.unlink()
    _write_raw(corpus, data, "sparse_parity.smoke.json")  # the file name must say what it holds
    [problem] = validate(corpus).errors
    assert "must be named superposition.smoke.json" in problem.message


# --- staleness ---------------------------------------------------------------------------------


def test_a_current_record_weighs_and_shows_as_the_record(corpus, no_runs):
    before = balance(load_graph_store(corpus), "general-algorithms")
    write_record(corpus, record("reproduced", "reproduced", "reproduced"))
    store = load_graph_store(corpus)
    [v] = store.verdicts(CLAIM)
    assert (v.status, v.outcome, v.seeds, v.run_id) == ("record", "reproduced", (0, 1, 2), f"record:{JOB}.{PRESET}")
    assert "verdict of record" in v.summary
    after = balance(store, "general-algorithms")
    assert after.support == pytest.approx(before.support * 1.5) and after.reproductions["agrees"] == 1


def test_changing_the_job_code_makes_the_record_stale_and_weightless(corpus, no_runs, monkeypatch):
    write_record(corpus, record("not-reproduced", "not-reproduced", "not-reproduced"))
    before = balance(load_graph_store(corpus), "general-algorithms")
    assert before.reproductions["disagrees"] == 1

    monkeypatch.setattr(api, "job_code_version", lambda _job: "job-changed0000")  # the job's code hash moved
    store = load_graph_store(corpus)
    [v] = store.verdicts(CLAIM)
    assert v.status == "stale" and not v.weighs and "stale" in v.summary
    [row] = [r for r in store.evidence("general-algorithms") if r.claim == CLAIM]
    assert row.verdicts == ()  # weighs as no verdict
    after = balance(store, "general-algorithms")
    assert after.support == pytest.approx(before.support / 0.5) and after.reproductions == {"agrees": 0, "disagrees": 0, "inconclusive": 0}
    # the Neo4j projection carries the status its evidence query filters on
    [edge] = [d for _, _, d in store.graph.edges(data=True) if d["type"] == Edge.TESTS]
    assert edge["status"] == "stale"
    assert [r.data["props"]["status"] for r in sync.wanted_rows(store)["tests"]] == ["stale"]
    # kg validate warns, at the code_version line, and says how to refresh it
    [warning] = [p for p in validate(corpus).warnings if "stale" in p.message]
    assert warning.line == line_of(record_path(corpus, JOB, PRESET), "code_version") and "kg runs publish superposition --preset smoke" in warning.hint


def test_the_job_code_version_follows_the_job_and_core_only(tmp_path, monkeypatch):
    copy = tmp_path / "repro"
    shutil.copytree(run_store.REPRO_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(run_store, "REPRO_DIR", copy)
    names = {p.relative_to(copy).as_posix() for p in run_store.job_sources(JOB)}
    assert {f"jobs/{JOB}.py", "core.py"} <= names and "runners.py" not in names
    first = run_store.job_code_version(JOB)
    (copy / "jobs" / "grokking.py").write_text("# another job changed\n")
    (copy / "runners.py").write_text("# a runner changed\n")
    assert run_store.job_code_version(JOB) == first
    (copy / "core.py").write_text((copy / "core.py").read_text() + "\n# the shared core changed\n")
    assert run_store.job_code_version(JOB) != first
    with pytest.raises(ValueError, match="unknown job"):
        run_store.job_code_version("no_such_job")


def test_a_record_for_other_params_does_not_apply(corpus, no_runs):
    params = api.catalog().resolve(JOB, PRESET, {"steps": 123})
    write_record(corpus, record("reproduced", "reproduced", "reproduced", params=params))
    assert load_graph_store(corpus).verdicts(CLAIM) == []


# --- a fresh clone -----------------------------------------------------------------------------


def test_a_fresh_clone_shows_the_shipped_record(corpus, tmp_path):
    write_record(corpus, record("reproduced", "reproduced", "reproduced"))
    env = {**os.environ, "KG_RUNS_DIR": str(tmp_path / "fresh-clone-runs")}  # no run store at all
    proc = kg("hypotheses", "--corpus", str(corpus), "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)}
    assert rows["general-algorithms"]["reproductions"] == {"agrees": 1, "disagrees": 0, "inconclusive": 0}
    proc = kg("show", "claim", CLAIM, "--corpus", str(corpus), env=env)
    assert proc.returncode == 0, proc.stderr
    assert f"{JOB}/{PRESET}: reproduced (verdict of record): 3 of 3 reproduced on seeds 0, 1, 2" in proc.stdout

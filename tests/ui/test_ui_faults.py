"""Faults while serving: a corrupt or half-written run record never breaks a page. The Runs
and claim pages leave it out with a one-line warning naming it; the other runs still show."""

from __future__ import annotations

import os
from pathlib import Path

from uihelpers import all_text

from repro import api
from repro.store import RunStore


def finished_run(store: RunStore, seed: int, verdict: object) -> str:
    """A succeeded sparse_parity/smoke run, as its worker leaves it (the fixture claim
    parity-hidden-progress names this reproduction)."""
    params = api.catalog().resolve("sparse_parity", "smoke", {})
    run_id = store.create({"job": "sparse_parity", "preset": "smoke", "params": params, "seed": seed, "backend": "local", "key": f"k{seed}"})
    store.write(run_id, "verdict.json", verdict)
    store.set_status(run_id, "succeeded", "")
    return run_id


def damaged_store() -> tuple[str, str, str]:
    store = RunStore(Path(os.environ["KG_RUNS_DIR"]))
    good = finished_run(store, 1, {"outcome": "reproduced", "reason": "the plateau broke", "numbers": {}, "checks": {}})
    half = finished_run(store, 2, {"outcome": "reproduced", "reason": "x", "numbers": {}, "checks": {}})
    (store.dir(half) / "request.json").write_text('{"job": "sparse_parity", "pre')  # cut off mid-write
    wrong = finished_run(store, 3, ["a", "list", "is", "no", "verdict"])  # valid JSON, wrong shape
    return good, half, wrong


def test_the_runs_page_lists_the_readable_runs_and_names_the_broken_one(app):
    good, half, wrong = damaged_store()
    at = app("runs")
    warnings = sorted(e.value.replace("\\", "") for e in at.warning)
    # the half-written request leaves its run out, named on the page; a verdict of the wrong
    # shape is skipped by the store (one logged warning) and its run lists without an outcome
    assert len(warnings) == 1 and half in warnings[0] and "request.json does not parse" in warnings[0], warnings
    table = at.dataframe[-1].value
    assert sorted(table["run"]) == sorted([f"./runs?run={good}", f"./runs?run={wrong}"])
    # opening the broken run is a deliberate error, not a traceback
    at = app("runs", run=half)
    assert "could not be read" in at.error[0].value


def test_the_claim_page_shows_the_good_verdict_and_warns_about_the_broken_run(app):
    good, half, _wrong = damaged_store()
    at = app("claim", id="parity-hidden-progress")
    text = all_text(at).replace("\\", "")
    assert "the plateau broke" in text  # the readable run's verdict (the wrong-shaped one is skipped)
    assert any(half in e.value.replace("\\", "") for e in at.warning), [e.value for e in at.warning]

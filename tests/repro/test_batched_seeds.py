"""The seeds of one request, batched: a job with `run_seeds` trains them stacked in one process,
each seed's result is what it gets alone, and the batch's runs live and die together."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from repro import api
from repro.core import Context
from repro.registry import get_job, validate_params

STACKED = ["superposition"]  # the jobs that define run_seeds


@pytest.mark.parametrize("job", STACKED)
def test_a_stacked_seed_gets_what_it_gets_alone(job, tiny):
    """Seed 1 trained beside seeds 0 and 2 ends with the numbers and verdict it reaches alone."""
    module = get_job(job)
    params = validate_params(job, "smoke", tiny[job])
    alone = module.run(params, Context(seed=1, device="cpu"))
    stacked = module.run_seeds(params, [Context(seed=s, device="cpu") for s in (0, 1, 2)])
    assert len(stacked) == 3
    a, b = alone.model_dump(exclude={"seconds"}), stacked[1].model_dump(exclude={"seconds"})
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) or _close(a, b)
    assert module.verdict(stacked[1]) == module.verdict(alone)
    # and the seeds really differ from each other (a stack that shared one model would not)
    assert stacked[0].model_dump(exclude={"seconds"}) != stacked[2].model_dump(exclude={"seconds"})


def _close(a, b, tol=1e-5) -> bool:
    """Equal up to float rounding (a batched matmul may sum in another order)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= tol * max(1.0, abs(a), abs(b))
    return a == b


def test_a_batch_is_one_process_with_one_run_per_seed(tiny, store):
    job = "superposition"
    ids = api.submit_seeds(job, params=tiny[job], seeds=[0, 1, 2], store=store)
    assert len(set(ids)) == 3
    done = [api.wait(run_id, timeout=300, store=store) for run_id in ids]
    assert [d.status for d in done] == ["succeeded"] * 3, [api.result(i, store=store).log_tail for i in ids]
    assert [d.seed for d in done] == [0, 1, 2]
    assert len({store.status(run_id)["pid"] for run_id in ids}) == 1  # one worker process
    env = store.read(ids[2], "env.json")
    assert env["batch"] == {"seeds": [0, 1, 2], "stacked": True}
    # each run holds its own seed's verdict, the one that seed reaches alone
    alone = get_job(job).verdict(get_job(job).run(validate_params(job, "smoke", tiny[job]), Context(seed=2, device="cpu")))
    assert api.result(ids[2], store=store).verdict == alone
    # a batch is three seeds of record
    record = api.verdict_of_record(job, params=tiny[job], store=store)
    assert record.seed_numbers == (0, 1, 2)
    # submitting again reuses every seed; a new seed alone gets a new run
    assert api.submit_seeds(job, params=tiny[job], seeds=[0, 1, 2], store=store) == ids
    more = api.submit_seeds(job, params=tiny[job], seeds=[1, 3], store=store)
    assert more[0] == ids[1] and more[1] not in ids
    assert api.wait(more[1], timeout=300, store=store).status == "succeeded"


def test_cancelling_one_seed_cancels_its_batch(store):
    """superposition with a million steps runs for minutes: cancel the middle seed while it runs."""
    ids = api.submit_seeds("superposition", params={"steps": 1_000_000, "eval_every": 100_000}, seeds=[0, 1, 2], store=store)
    _wait_running(ids[1], store)
    api.cancel(ids[1], store=store)
    states = [api.wait(run_id, timeout=60, store=store) for run_id in ids]
    assert [s.status for s in states] == ["cancelled"] * 3
    assert all("cancel" in s.reason for s in states)


def test_a_job_without_run_seeds_gets_one_worker_per_seed(tiny, store):
    job = "omnigrok"
    assert not hasattr(get_job(job), "run_seeds")
    ids = api.submit_seeds(job, params=tiny[job], seeds=[0, 1], store=store, max_concurrent=2)
    done = [api.wait(run_id, timeout=300, store=store) for run_id in ids]
    assert [d.status for d in done] == ["succeeded"] * 2
    assert len({store.status(run_id)["pid"] for run_id in ids}) == 2
    assert "batch" not in store.read(ids[0], "env.json")


def test_seeds_must_be_distinct(tiny, store):
    with pytest.raises(ValueError, match="distinct"):
        api.submit_seeds("superposition", params=tiny["superposition"], seeds=[1, 1], store=store)


def test_kg_run_seeds(tiny, store):
    """`kg run JOB --seeds 0,1,2` runs the batch and prints every seed's verdict; bad lists are usage errors."""
    sets = [arg for k, v in tiny["superposition"].items() for arg in ("--set", f"{k}={json.dumps(v)}")]
    env = {**os.environ, "KG_RUNS_DIR": str(store.root), "KG_TORCH_THREADS": "1"}
    kg = lambda *args: subprocess.run([sys.executable, "-m", "cli.app", *args], capture_output=True, text=True, env=env, timeout=600)
    proc = kg("run", "superposition", *sets, "--seeds", "0,1,2")
    assert proc.returncode == 0, proc.stderr
    assert {r.seed for r in api.list_runs(store=store)} == {0, 1, 2}
    assert proc.stdout.count("verdict") >= 3 or proc.stdout.count("reproduced") + proc.stdout.count("inconclusive") >= 3
    for bad in ("0,0", "a,b", ""):
        proc = kg("run", "superposition", "--seeds", bad)
        assert proc.returncode == 2 and "--seeds" in proc.stderr and "Traceback" not in proc.stderr


def _wait_running(run_id, store, timeout=120.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.status(run_id, store=store).status == "running":
            return
        time.sleep(0.1)
    raise AssertionError(f"{run_id} never started")

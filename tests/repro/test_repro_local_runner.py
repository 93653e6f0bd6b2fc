"""The run store and the local runner, with real worker subprocesses (no mocks)."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from kg.util import atomic_write_json
from repro import api
from repro.store import RunStore


def wait_until(pred, timeout=60.0, poll=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError("condition not reached in time")


def test_run_succeeds_and_records_everything(store, tiny, decide_in_process):
    run_id = api.submit("sparse_parity", params=tiny["sparse_parity"], seed=1, store=store)
    st = api.wait(run_id, timeout=120, store=store)
    assert st.status == "succeeded", api.result(run_id, store).log_tail
    r = api.result(run_id, store)
    assert r.params["n"] == 10 and r.request["seed"] == 1
    # The recorded verdict is what the job decides for these params and this seed in-process.
    assert r.verdict == decide_in_process("sparse_parity", tiny["sparse_parity"], seed=1)
    assert r.metrics and all("test_acc" in m for m in r.metrics)
    assert r.env["torch"] and r.env["device"] == "cpu" and r.env["code_version"].startswith("src-")
    assert "verdict" in r.log_tail
    files = {p.name for p in store.dir(run_id).iterdir()}
    assert {"request.json", "status.json", "metrics.jsonl", "log.txt", "env.json", "result.json", "verdict.json"} <= files
    assert not [f for f in files if f.endswith(".tmp")]

    # An identical request reuses the finished run; force runs again; another seed is another run.
    assert api.submit("sparse_parity", params=tiny["sparse_parity"], seed=1, store=store) == run_id
    forced = api.submit("sparse_parity", params=tiny["sparse_parity"], seed=1, store=store, force=True)
    other = api.submit("sparse_parity", params=tiny["sparse_parity"], seed=2, store=store)
    assert len({run_id, forced, other}) == 3
    for rid in (forced, other):
        assert api.wait(rid, timeout=120, store=store).status == "succeeded"
    # Same seed, same code: the same numbers.
    assert api.result(forced, store).metrics == r.metrics

    lv = api.latest_verdict("sparse_parity", "smoke", tiny["sparse_parity"], store=store)
    assert lv.run_id in (forced, other) and lv.finished_at and lv.verdict.outcome == r.verdict.outcome
    assert api.latest_verdict("sparse_parity", "smoke", {**tiny["sparse_parity"], "n": 11}, store=store) is None
    rows = api.list_runs(job="sparse_parity", store=store)
    assert {r.run_id for r in rows} == {run_id, forced, other}
    assert api.list_runs(job="grokking", store=store) == []
    assert len(api.list_runs(status="succeeded", store=store)) == 3


def test_cancel_a_running_run(store, long_params):
    run_id = api.submit("sparse_parity", params=long_params, store=store)
    wait_until(lambda: api.status(run_id, store).status == "running")
    wait_until(lambda: (api.status(run_id, store).progress or api.Progress()).done > 0)
    st = api.cancel(run_id, store)
    assert st.status == "cancelled", st
    assert "cancel" in st.reason
    # A cancelled request is not reused.
    again = api.submit("sparse_parity", params=long_params, store=store)
    assert again != run_id
    api.cancel(again, store)


def test_timeout_fails_the_run_with_the_reason(store, long_params):
    run_id = api.submit("sparse_parity", params=long_params, store=store, timeout_s=3)
    st = api.wait(run_id, timeout=120, store=store)
    assert st.status == "failed" and "timed out after 3 s" in st.reason


def test_killed_worker_is_marked_failed(store, long_params):
    run_id = api.submit("sparse_parity", params=long_params, store=store)
    wait_until(lambda: api.status(run_id, store).status == "running")
    pid = api.status(run_id, store).pid
    os.kill(pid, signal.SIGKILL)
    st = wait_until(lambda: (s := api.status(run_id, store)).status != "running" and s)
    assert st.status == "failed" and f"worker process {pid}" in st.reason and "gone" in st.reason
    assert "marked failed" in api.result(run_id, store).log_tail


def test_job_exception_fails_the_run(store, tiny, monkeypatch):
    # The worker inherits a device torch cannot parse: the job raises inside the worker.
    monkeypatch.setenv("KG_DEVICE", "no-such-device")
    run_id = api.submit("grokking", params=tiny["grokking"], store=store)
    st = api.wait(run_id, timeout=120, store=store)
    assert st.status == "failed" and "RuntimeError" in st.reason
    assert "Traceback" in api.result(run_id, store).log_tail


def test_concurrency_limit_queues_the_second_run(store, tiny, long_params):
    a = api.submit("sparse_parity", params=long_params, store=store, max_concurrent=1)
    wait_until(lambda: api.status(a, store).status == "running")
    b = api.submit("sparse_parity", params=tiny["sparse_parity"], store=store, max_concurrent=1)
    wait_until(lambda: api.status(b, store).pid)
    time.sleep(1.5)
    assert api.status(b, store).status == "queued"  # waiting for the slot
    api.cancel(a, store)
    assert api.wait(b, timeout=120, store=store).status == "succeeded"


def test_cancel_a_queued_run(store, long_params):
    a = api.submit("sparse_parity", params=long_params, store=store, max_concurrent=1)
    wait_until(lambda: api.status(a, store).status == "running")
    b = api.submit("sparse_parity", params={**long_params, "n": 61}, store=store, max_concurrent=1)
    assert api.cancel(b, store).status == "cancelled"
    assert api.status(a, store).status == "running"
    api.cancel(a, store)


def test_unknown_job_and_bad_params_do_not_create_runs(store):
    with pytest.raises(ValueError):
        api.submit("nope", store=store)
    with pytest.raises(ValueError):
        api.submit("grokking", params={"max_stepz": 3}, store=store)
    assert store.run_ids() == []
    with pytest.raises(KeyError):
        api.status("grokking-19990101-000000-abcdef", store)


def test_store_writes_are_atomic_and_partial_metric_lines_are_skipped(tmp_path):
    s = RunStore(tmp_path)
    run_id = s.create({"job": "grokking", "preset": "smoke", "params": {}, "seed": 0, "backend": "local"})
    atomic_write_json(s.dir(run_id) / "x.json", {"a": 1})
    assert json.loads((s.dir(run_id) / "x.json").read_text()) == {"a": 1}
    s.append_metric(run_id, {"step": 0})
    with open(s.dir(run_id) / "metrics.jsonl", "a") as f:
        f.write('{"step": 1, "half')  # a writer caught mid-line
    assert s.metrics(run_id) == [{"step": 0}]
    assert not list(tmp_path.glob(".new-*"))

"""Many runs queued at once, on real worker processes and a real local Ray cluster: every one
ends terminal (succeeded), none is lost or duplicated, the run list stays consistent while
they run, and the local slot limit holds. bench/many_runs.py runs the long version (50 local,
20 on Ray). Also: a Ray worker killed mid-run leaves the run failed with a reason."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from repro import api

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import many_runs  # noqa: E402

pytestmark = pytest.mark.slow


def check(outcome: many_runs.Outcome, n: int) -> None:
    assert not outcome.violations, outcome.violations[:10]
    assert len(outcome.submitted) == len(set(outcome.submitted)) == n
    assert set(outcome.statuses.values()) == {"succeeded"}, outcome.reasons
    assert outcome.listings >= 2  # the list was read while they ran, not only at the end


def test_six_local_runs_queued_at_once_share_two_slots(store):
    # three runs per slot: enough for runs to wait, start as slots free, and be listed meanwhile
    outcome = many_runs.queue_and_watch(store, 6, "local", max_concurrent=2, timeout_s=600)
    check(outcome, 6)
    assert 1 <= outcome.max_running <= 2


@pytest.mark.ray
def test_four_ray_runs_queued_at_once_all_finish(ray_cluster, store):
    outcome = many_runs.queue_and_watch(store, 4, "ray", address=ray_cluster, timeout_s=600)
    check(outcome, 4)


def ray_task_pids() -> list[int]:
    """The Ray worker processes now running a job task (Ray titles them `ray::job_task`)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "cmdline").read_bytes().startswith(b"ray::job_task"):
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


@pytest.mark.ray
def test_a_ray_worker_killed_mid_run_leaves_the_run_failed_with_a_reason(ray_cluster, store, long_params):
    run_id = api.submit("sparse_parity", params=long_params, backend="ray", address=ray_cluster, store=store)
    deadline = time.monotonic() + 180
    while not (api.status(run_id, store).progress or api.Progress()).done:
        assert time.monotonic() < deadline, api.result(run_id, store).log_tail
        assert api.status(run_id, store).status in ("queued", "running"), api.result(run_id, store).log_tail
        time.sleep(0.2)
    pids = ray_task_pids()
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGKILL)
    st = api.wait(run_id, timeout=120, store=store)
    assert st.status == "failed", st
    assert st.reason and "\n" not in st.reason
    assert any(word in st.reason for word in ("died", "crash", "Crash", "exited", "lost", "Lost")), st.reason
    assert api.list_runs(store=store)[0].status == "failed"

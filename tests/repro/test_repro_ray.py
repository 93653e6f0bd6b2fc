"""The Ray runner against a real local Ray cluster with one declared (fake) GPU."""

from __future__ import annotations

import time

import pytest

from repro import api

pytestmark = pytest.mark.ray


def test_ray_run_asks_for_the_presets_gpu_and_streams_metrics(ray_cluster, store, tiny, decide_in_process):
    import ray

    # preset `full` asks for num_gpus=1; tiny overrides keep it to seconds on the fake GPU.
    run_id = api.submit("sparse_parity", preset="full", params=tiny["sparse_parity"], backend="ray", address=ray_cluster, store=store)
    st = api.wait(run_id, timeout=240, store=store)
    r = api.result(run_id, store)
    assert st.status == "succeeded", r.log_tail
    assert r.request["num_gpus"] == 1 and r.request["backend"] == "ray"
    assert r.env["ray_gpu_ids"] == ["0"], "the task must have been granted the GPU"
    assert r.env["device"] == "cpu"  # a declared GPU without CUDA: torch falls back
    assert r.metrics and r.verdict == decide_in_process("sparse_parity", tiny["sparse_parity"], seed=0)
    assert "[ray] connected" in r.log_tail
    assert ray.available_resources().get("GPU") == 1.0


def test_ray_run_can_be_cancelled_and_frees_the_gpu(ray_cluster, store, long_params):
    import ray

    run_id = api.submit("sparse_parity", preset="full", params=long_params, backend="ray", address=ray_cluster, store=store)
    deadline = time.monotonic() + 180
    while not (api.status(run_id, store).progress or api.Progress()).done:
        assert time.monotonic() < deadline, api.result(run_id, store).log_tail
        assert api.status(run_id, store).status in ("queued", "running"), api.result(run_id, store).log_tail
        time.sleep(0.2)
    assert ray.available_resources().get("GPU", 0) == 0  # the run holds the GPU
    st = api.cancel(run_id, store)
    assert st.status == "cancelled"
    deadline = time.monotonic() + 60
    while ray.available_resources().get("GPU", 0) != 1.0:
        assert time.monotonic() < deadline, "the cancelled task still holds the GPU"
        time.sleep(0.5)

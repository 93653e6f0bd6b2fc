"""Fixtures for the repro tests: a temporary run store, tiny job parameters, a real local Ray."""

from __future__ import annotations

import os

import pytest

from repro.store import RunStore

# Parameters that make each job finish in a few seconds (not a faithful config: for runner tests).
TINY = {
    "sparse_parity": dict(n=10, k=2, width=64, max_steps=400, eval_every=50, test_size=256, sweep_ns=[]),
    "grokking": dict(p=13, max_steps=40, eval_every=20, fourier_every=20),
    "belief_geometry": dict(n_layers=1, d_model=16, d_mlp=16, max_steps=20, eval_every=10, n_eval_seqs=40),
    "superposition": dict(steps=200, eval_every=100, batch_size=64),
    "reversal_curse": dict(facts_per_group=8, part_vocab=6, d_model=16, n_heads=2, n_layers=1, steps=30, eval_every=10),
    "omnigrok": dict(n_train=50, width=16, steps=60, eval_every=20),
    "icl_task_diversity": dict(task_counts=[2, 16], d_model=16, n_heads=2, n_layers=1, steps=30, eval_every=10, n_eval=32),
    "simplicity_bias": dict(hidden=[8], samples=2000, chunk=1000, shift_samples=500, uniform_samples=200, min_functions=5),
    "llc": dict(networks=["3-2-3:1", "2-2-2:1"], control="2-2:1", n=200, chains=2, steps=60, batch_size=50, eval_every=20),
}
# A run that takes minutes unless stopped: for cancel, kill and timeout tests.
LONG = dict(n=60, k=4, width=64, max_steps=1_000_000, eval_every=100_000, test_size=64, sweep_ns=[])


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    # Workers inherit this: two test workers on two cores must not each spin two threads.
    monkeypatch.setenv("KG_TORCH_THREADS", "1")


def _decide_in_process(job: str, overrides: dict, seed: int):
    """The verdict a job reaches for these params and seed when run right here: what a runner
    must record (jobs are deterministic for a seed)."""
    import torch

    from repro.core import Context
    from repro.registry import get_job, validate_params

    torch.set_num_threads(1)
    module = get_job(job)
    return module.verdict(module.run(validate_params(job, "smoke", overrides), Context(seed=seed, device="cpu")))


@pytest.fixture
def decide_in_process():
    return _decide_in_process


@pytest.fixture
def tiny() -> dict:
    return {k: dict(v) for k, v in TINY.items()}


@pytest.fixture
def long_params() -> dict:
    return dict(LONG)


@pytest.fixture
def store(tmp_path) -> RunStore:
    return RunStore(tmp_path / "runs")


@pytest.fixture(scope="session")
def ray_cluster():
    """A real local Ray cluster with one declared (fake) GPU. Workers connect by address."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray = pytest.importorskip("ray")
    ctx = ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    address = ctx.address_info["gcs_address"]
    yield address
    ray.shutdown()

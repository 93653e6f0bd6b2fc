"""The jobs themselves: determinism for a seed, verdict rules on hand-made results, and (slow)
the smoke presets reproducing for real."""

from __future__ import annotations

import copy

import pytest
import torch

from repro.core import Context, Verdict
from repro.registry import get_job, job_names, validate_params


def run_inline(name: str, overrides: dict, seed: int = 0):
    job = get_job(name)
    ctx = Context(seed=seed, device="cpu")
    result = job.run(validate_params(name, "smoke", overrides), ctx)
    return result, ctx.metrics, job.verdict(result)


@pytest.mark.parametrize("name", job_names())
def test_tiny_run_is_deterministic_for_a_seed(name, tiny):
    torch.set_num_threads(1)
    r1, m1, v1 = run_inline(name, tiny[name], seed=3)
    r2, m2, v2 = run_inline(name, tiny[name], seed=3)
    assert m1 == m2 and len(m1) > 0
    assert v1 == v2 and isinstance(v1, Verdict)
    _, m3, _ = run_inline(name, tiny[name], seed=4)
    assert m3 != m1, "a different seed must give a different run"


# --- verdict rules on hand-made results -------------------------------------------------------

def grok_result(**arm_changes):
    arm = dict(weight_decay=1.0, steps=1200, seconds=1.0, memorised_at=100, generalised_at=800, test_acc_at_75pct=1.0,
               final_train_acc=1.0, final_test_acc=1.0, final_train_loss=1e-6, final_test_loss=1e-3,
               best_test_acc=1.0, fourier_top_share=0.9, neuron_top_freq_share=0.9, key_freqs=[1, 4, 17],
               excluded_loss=5.0, excluded_loss_per_freq=[1.0, 1.0, 1.0], restricted_loss=0.01)
    control = dict(arm, weight_decay=0.0, steps=2000, generalised_at=None, final_test_acc=0.45,
                   best_test_acc=0.46, final_test_loss=25.0, fourier_top_share=0.3)
    res = {"params": validate_params("grokking", "smoke", {}).model_dump(), "arms": {"wd": arm, "control": control}}
    for key, value in arm_changes.items():
        who, field = key.split("__")
        res["arms"][who][field] = value
    return res


def test_grokking_verdict_rule():
    g = get_job("grokking")
    assert g.verdict(grok_result()).outcome == "reproduced"
    v = g.verdict(grok_result(control__final_test_acc=0.99, control__best_test_acc=0.99))
    assert v.outcome == "not-reproduced" and v.checks["control_fails"] is False
    v = g.verdict(grok_result(wd__generalised_at=200))          # generalises at once: no delay
    assert v.outcome == "not-reproduced" and v.checks["delayed"] is False
    v = g.verdict(grok_result(wd__fourier_top_share=0.4))
    assert v.outcome == "not-reproduced" and v.checks["fourier"] is False
    assert g.verdict(grok_result(control__memorised_at=None)).outcome == "inconclusive"
    # Not grokked within the budget: still climbing is inconclusive, flat is not-reproduced.
    climbing = grok_result(wd__generalised_at=None, wd__final_test_acc=0.63, wd__test_acc_at_75pct=0.47)
    assert g.verdict(climbing).outcome == "inconclusive"
    flat = grok_result(wd__generalised_at=None, wd__final_test_acc=0.50, wd__test_acc_at_75pct=0.48)
    assert g.verdict(flat).outcome == "not-reproduced"


def test_superposition_verdict_rule():
    s = get_job("superposition")
    base = {"params": validate_params("superposition", "smoke", {}).model_dump(),
            "represented": [2, 2, 3, 4, 3, 4, 4, 4, 4, 4],
            "dims_per_feature": [1.0, 0.96, 0.68, 0.64, 0.62, 0.49, 0.49, 0.5, 0.47, 0.47]}
    assert s.verdict(base).outcome == "reproduced"
    flat = dict(base, represented=[2] * 10, dims_per_feature=[1.0] * 10)
    assert s.verdict(flat).outcome == "not-reproduced"
    backwards = dict(base, dims_per_feature=base["dims_per_feature"][::-1], represented=[2, 2] + [4] * 8)
    assert s.verdict(backwards).checks["trend"] is False
    assert s.verdict(dict(base, represented=[0] * 10)).outcome == "inconclusive"


def test_belief_verdict_needs_the_untrained_control():
    b = get_job("belief_geometry")
    probe = lambda w: {"plain_r2": 0.99, "within_r2": w, "unexplained": 1 - w}
    res = {"params": validate_params("belief_geometry", "smoke", {}).model_dump(), "optimal_ce": 0.80,
           "trained": {"ce": 0.803, "final": probe(0.95), "concat": probe(0.986), "token_only": probe(0.8)},
           "untrained": {"ce": 1.1, "final": probe(0.78), "concat": probe(0.91), "token_only": probe(0.8)}}
    assert b.verdict(res).outcome == "reproduced"
    # A probe as good on the untrained model is not evidence for the claim.
    same = copy.deepcopy(res)
    same["untrained"]["concat"] = probe(0.985)
    assert b.verdict(same).outcome == "not-reproduced"
    under = copy.deepcopy(res)
    under["trained"]["ce"] = 0.9
    assert b.verdict(under).outcome == "inconclusive"


# --- the smoke presets, for real (about 2.5 minutes on 2 cores, one thread) -------------------

@pytest.mark.slow
@pytest.mark.parametrize("name", ["grokking", "sparse_parity", "superposition", "belief_geometry"])
def test_smoke_preset_reproduces(name):
    torch.set_num_threads(1)          # as the worker runs it
    # sparse_parity's sweep is trimmed to two sizes here; bench/repro_smoke.py runs the full preset.
    overrides = {"sweep_ns": [20, 50], "sweep_seeds": 2} if name == "sparse_parity" else {}
    result, _, verdict = run_inline(name, overrides, seed=0)
    assert verdict.outcome == "reproduced", verdict

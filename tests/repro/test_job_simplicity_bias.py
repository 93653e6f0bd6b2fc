"""The simplicity_bias job: Lempel-Ziv complexity, the verdict rule on hand-made results, and
(slow) the smoke preset with its permuted-inputs control."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from repro.registry import get_job, validate_params
from tests.repro.test_repro_jobs import run_inline

sb = get_job("simplicity_bias")


# --- Lempel-Ziv complexity -----------------------------------------------------------------------


def test_lz76_phrase_count_by_hand():
    # Kaspar & Schuster 1987's example: 0 . 001 . 10 . 100 . 1000 . 101 -> 6 phrases
    s = np.array([[int(c) for c in "0001101001000101"]], np.uint8)
    assert sb.lz76_phrases(s[0].tobytes()) == 6
    assert sb.lz76_phrases_batch(s).tolist() == [6]
    assert sb.lz76_phrases_batch(np.array([[0, 1] * 8], np.uint8)).tolist() == [3]  # 0 . 1 . 010101...


def test_lz76_batch_matches_the_scalar_parse():
    rng = np.random.default_rng(0)
    for n in (5, 64, 128, 200):
        S = rng.integers(0, 2, (300, n)).astype(np.uint8)
        S[:50] = rng.random((50, n)) < 0.05  # sparse strings
        S[50:60] = np.tile(rng.integers(0, 2, (10, 4)), -(-n // 4))[:, :n]  # periodic strings
        assert sb.lz76_phrases_batch(S).tolist() == [sb.lz76_phrases(r.tobytes()) for r in S]


def test_complexity_is_valle_perez_c_lz():
    zeros, ones = np.zeros(128, np.uint8), np.ones(128, np.uint8)
    assert sb.lz_complexity(np.stack([zeros, ones])).tolist() == [7.0, 7.0]
    x = np.random.default_rng(1).integers(0, 2, 128).astype(np.uint8)
    expected = 7 * (sb.lz76_phrases(x.tobytes()) + sb.lz76_phrases(x[::-1].tobytes())) / 2
    assert sb.lz_complexity(x)[0] == expected


def test_all_inputs_in_lexicographic_order():
    X = sb.all_inputs(3, "cpu")
    assert X.tolist()[:3] == [[0, 0, 0], [0, 0, 1], [0, 1, 0]] and X.shape == (8, 3)


# --- verdict on hand-made results ----------------------------------------------------------------


def arm(**changes):
    base = dict(
        distinct_functions=150_000,
        functions_fitted=2600,
        mass_fitted=0.26,
        raw_rho=-0.55,
        within_rho=-0.12,
        within_groups=10,
        shift=15.5,
        shift_se=0.12,
        simple_mass=0.98,
        upper_slope=-0.08,
        top_functions=[],
    )
    return sb.ArmResult(**{**base, **changes})


def result(network=None, control=None):
    return sb.Result(
        params=validate_params("simplicity_bias", "smoke", {}),
        network=network or arm(),
        control=control or arm(within_rho=-0.01, shift=0.3, shift_se=0.05, simple_mass=0.75, upper_slope=-0.05),
        uniform_q01=133.0,
        uniform_mean=150.0,
        seconds=1.0,
    )


def test_simplicity_bias_verdict_reproduced():
    assert sb.verdict(result()).outcome == "reproduced"


def test_simplicity_bias_verdict_not_reproduced_names_the_check():
    cases = {
        "beyond_entropy": arm(shift=0.4, shift_se=0.1),  # no simpler than its own entropy implies
        "within_entropy": arm(within_rho=-0.02),
        "simple_mass": arm(simple_mass=0.2),
        "raw_bias": arm(raw_rho=0.05),
    }
    for name, network in cases.items():
        v = sb.verdict(result(network=network))
        assert v.outcome == "not-reproduced", name
        assert [k for k, ok in v.checks.items() if not ok] == [name]
    # A control with the same entropy-matched bias: the measure, not the network, made it.
    v = sb.verdict(result(control=arm(shift=5.0, shift_se=0.1)))
    assert v.outcome == "not-reproduced" and not v.checks["control_fails"]
    # The network's within-group correlation must beat the control's, not just a fixed bar.
    v = sb.verdict(result(control=arm(within_rho=-0.10, shift=0.3, shift_se=0.05)))
    assert v.outcome == "not-reproduced" and [k for k, ok in v.checks.items() if not ok] == ["within_entropy"]


def test_simplicity_bias_verdict_inconclusive():
    v = sb.verdict(result(network=arm(functions_fitted=120)))
    assert v.outcome == "inconclusive" and "120" in v.reason


# --- the smoke preset, for real ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.reproduction
def test_simplicity_bias_smoke_reproduces_and_the_control_fails():
    torch.set_num_threads(1)
    res, _, v = run_inline("simplicity_bias", {}, seed=0)
    assert v.outcome == "reproduced", v
    P, ctl = res.params, res.control
    # The control keeps P(f) and the 1s, so it keeps the raw (entropy) bias ...
    assert ctl.raw_rho == pytest.approx(res.network.raw_rho, abs=0.1) and ctl.raw_rho <= P.max_raw_rho
    # ... and loses the entropy-matched one: it fails beyond_entropy.
    assert not (ctl.shift > P.shift_z * ctl.shift_se and ctl.shift >= P.min_shift)
    assert res.network.shift > 10 * max(abs(ctl.shift), 0.1)
    assert math.isfinite(ctl.within_rho) and ctl.within_rho > res.network.within_rho


def test_simplicity_bias_result_round_trips_through_json():
    import json

    r = result()
    back = sb.Result.model_validate(json.loads(json.dumps(r.model_dump(mode="json"))))
    assert back == r and sb.verdict(back) == sb.verdict(r)

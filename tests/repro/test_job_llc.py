"""The llc job: Aoyagi's formula, the verdict rule on hand-made results, and (slow) the smoke preset."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from repro.registry import get_job, validate_params
from tests.repro.test_repro_jobs import run_inline

llc = get_job("llc")


# --- theory -----------------------------------------------------------------------------------


def reduced_rank_regression_lambda(M: int, H: int, N: int, r: int) -> float:
    """Aoyagi & Watanabe 2005 (Neural Networks 18, Main Theorem): the learning coefficient of
    x -> B A x with A [H x M], B [N x H], true rank r, written out case by case. An independent
    closed form for the two-matrix case of Aoyagi's general formula."""
    if M + H < N + r:
        return (H * M - H * r + N * r) / 2
    if N + H < M + r:
        return (H * N - H * r + M * r) / 2
    if M + N < H + r:
        return M * N / 2
    core = 2 * (H + r) * (M + N) - (M - N) ** 2 - (H + r) ** 2
    return (core + (M + H + N + r) % 2) / 8


def test_aoyagi_matches_reduced_rank_regression_closed_form():
    for M, H, N in itertools.product(range(1, 9), repeat=3):
        for r in range(min(M, H, N) + 1):
            assert llc.aoyagi_lambda([M, H, N], r) == pytest.approx(reduced_rank_regression_lambda(M, H, N, r)), (M, H, N, r)


def test_aoyagi_by_hand():
    # 6-4-6, r = 2: D = (4, 2, 4); the whole set, l = 2, sum 10, M = 5, a = 2:
    # (2*12 - 4)/2 + 0 - (2/4)*25 + (8 + 8 + 16)/2 = 10 - 12.5 + 16 = 13.5
    assert llc.aoyagi_lambda([6, 4, 6], 2) == 13.5
    # Full rank, equal widths: only the product matters, a rank-5 5x5 matrix: 25 parameters -> 12.5.
    assert llc.aoyagi_lambda([5, 5, 5], 5) == 12.5
    # The values the trials used (../shared/notes/repro-v2.md): 8-8-8-8:2 -> 26, 4-6-6-4:1 -> 8,
    # 5-5-5:1 -> 10.5, 5-5-5:0 -> 9.5. Hand check of 4-6-6-4:1: D = (3, 5, 5, 3), the whole set,
    # l = 3, sum 16, M = 6, a = 1: (8 - 1)/2 + 2/12 - (6/4)(16/3)^2 + (15+15+9+25+15+15)/2 = 8.
    assert llc.aoyagi_lambda([8, 8, 8, 8], 2) == 26.0
    assert llc.aoyagi_lambda([4, 6, 6, 4], 1) == pytest.approx(8.0)
    assert llc.aoyagi_lambda([5, 5, 5], 1) == 10.5
    assert llc.aoyagi_lambda([5, 5, 5], 0) == 9.5
    # Always at or below d/2.
    for widths in ([3, 7, 2, 5], [10, 2, 10], [4, 4, 4, 4, 4]):
        for r in range(min(widths) + 1):
            assert llc.aoyagi_lambda(widths, r) <= llc.n_params(widths) / 2 + 1e-9
    with pytest.raises(ValueError):
        llc.aoyagi_lambda([6, 6], 3)  # one layer: regular, not Aoyagi's


def test_network_specs_are_validated():
    assert llc.parse_net("6-4-6:2") == ([6, 4, 6], 2)
    for bad in ({"networks": ["6-6:2", "5-5-5:1"]}, {"control": "6-4-6:2"}, {"networks": ["6-4-6:5", "5-5-5:1"]}, {"networks": ["six:1", "5-5-5:1"]}):
        with pytest.raises(ValueError):
            validate_params("llc", "smoke", bad)


# --- verdict on hand-made results ----------------------------------------------------------------


def net(spec: str, estimate: float, regular: bool = False):
    widths, rank = llc.parse_net(spec)
    d = llc.n_params(widths)
    theory = d / 2 if regular else llc.aoyagi_lambda(widths, rank)
    return llc.NetResult(name=spec, widths=widths, rank=rank, d=d, half_d=d / 2, theory=theory, estimate=estimate, chain_estimates=[estimate] * 4, stderr=0.3, loss_at_wstar=0.0, seconds=1.0)


def result(estimates=(13.1, 24.0, 6.6, 9.8), control=18.1):
    P = validate_params("llc", "smoke", {})
    return llc.Result(params=P, nets=[net(s, e) for s, e in zip(P.networks, estimates, strict=False)], control=net(P.control, control, regular=True), seconds=1.0)


def test_llc_verdict_reproduced():
    v = llc.verdict(result())
    assert v.outcome == "reproduced", v
    assert v.numbers["control_below_regular"] is False and v.numbers["control_ratio_to_half_d"] == pytest.approx(1.006, abs=1e-3)


def test_llc_verdict_not_reproduced_names_the_check():
    # A DLN that reads like a regular model (near d/2 = 24 instead of 13.5)
    v = llc.verdict(result(estimates=(22.0, 24.0, 6.6, 9.8)))
    assert v.outcome == "not-reproduced" and v.checks["below_regular"] is False
    assert v.checks["near_theory"] is False  # 22 is 63% off 13.5
    # Every DLN below d/2 but far from theory (all 0.5x): near_theory alone fails
    v = llc.verdict(result(estimates=(6.8, 13.0, 4.0, 5.3)))
    assert v.outcome == "not-reproduced" and v.checks == {"below_regular": True, "near_theory": False, "tracks_theory": True}
    # Within tolerance of theory but in the wrong order: tracks_theory alone fails
    v = llc.verdict(result(estimates=(16.0, 18.0, 10.5, 7.5)))
    assert v.outcome == "not-reproduced" and v.checks == {"below_regular": True, "near_theory": True, "tracks_theory": False}


def test_llc_verdict_inconclusive():
    v = llc.verdict(result(control=12.0))  # the regular control reads 2/3 of d/2
    assert v.outcome == "inconclusive" and "control" in v.reason
    v = llc.verdict(result(estimates=(13.1, float("nan"), 6.6, 9.8)))
    assert v.outcome == "inconclusive" and "diverged" in v.reason


# --- the smoke preset, for real ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.reproduction
def test_llc_smoke_reproduces_and_the_regular_control_sits_at_half_d():
    torch.set_num_threads(1)
    res, metrics, v = run_inline("llc", {}, seed=0)
    assert v.outcome == "reproduced", v
    assert abs(res.control.estimate / res.control.half_d - 1) <= res.params.control_tol
    assert v.numbers["control_below_regular"] is False  # the control fails "far below d/2"
    assert all(math.isfinite(r["llc_control"]) for r in metrics if "llc_control" in r)


def test_llc_result_round_trips_through_json():
    import json

    r = result()
    back = llc.Result.model_validate(json.loads(json.dumps(r.model_dump(mode="json"))))
    assert back == r and llc.verdict(back) == llc.verdict(r)

"""omnigrok: the verdict rule on hand-made results, and (slow) the smoke preset for real."""

from __future__ import annotations

import pytest
import torch

from repro.core import Context
from repro.jobs import omnigrok as job
from repro.registry import validate_params


def arm(**values) -> job.ArmResult:
    base = dict(test_acc_at_memorisation=0.9, final_train_acc=1.0, final_test_acc=0.96, best_test_acc_after_memorisation=0.96, test_acc_at_75pct=0.96, norm_initial=10.0, norm_final=9.0)
    return job.ArmResult(**{**base, **values})


def result(standard=None, large=None, control=None) -> job.Result:
    """Shaped like the paper: the large arm memorises at 900 with test 0.22 and generalises at 5000."""
    standard = {**dict(name="alpha=1", alpha=1.0, weight_decay=0.1, memorised_at=100, generalised_at=100), **(standard or {})}
    large = {
        **dict(name="alpha=6", alpha=6.0, weight_decay=0.1, memorised_at=900, generalised_at=5000, test_acc_at_memorisation=0.22, final_test_acc=0.95, norm_initial=75.6, norm_final=19.0),
        **(large or {}),
    }
    control = {
        **dict(
            name="control",
            alpha=6.0,
            weight_decay=0.0,
            memorised_at=1000,
            generalised_at=None,
            test_acc_at_memorisation=0.17,
            final_test_acc=0.17,
            best_test_acc_after_memorisation=0.18,
            test_acc_at_75pct=0.17,
            norm_initial=75.6,
            norm_final=74.5,
        ),
        **(control or {}),
    }
    return job.Result(params=validate_params("omnigrok", "smoke", {}), reference_test_acc=0.965, arms=[arm(**standard), arm(**large), arm(**control)], steps=8000, seconds=40.0)


def test_reproduced():
    v = job.verdict(result())
    assert v.outcome == "reproduced", v
    assert v.numbers["delays"] == [1.0, 5000 / 900]


def test_no_delay_is_not_reproduced():
    v = job.verdict(result(large=dict(generalised_at=1500)))
    assert v.outcome == "not-reproduced"
    assert v.checks["delayed"] is False and v.checks["memorises_first"] is True


def test_generalising_at_memorisation_is_not_reproduced():
    v = job.verdict(result(large=dict(test_acc_at_memorisation=0.9)))
    assert v.outcome == "not-reproduced" and v.checks["memorises_first"] is False


def test_control_that_generalises_is_not_reproduced():
    v = job.verdict(result(control=dict(best_test_acc_after_memorisation=0.93, final_test_acc=0.93)))
    assert v.outcome == "not-reproduced" and v.checks["control_fails"] is False


def test_standard_init_with_delay_and_unshrunk_norm_fail_their_checks():
    v = job.verdict(result(standard=dict(generalised_at=500)))
    assert v.outcome == "not-reproduced" and v.checks["standard_prompt"] is False
    v = job.verdict(result(large=dict(norm_final=60.0)))
    assert v.outcome == "not-reproduced" and v.checks["norm_shrinks"] is False


def test_generalisation_must_not_come_earlier_with_a_larger_alpha():
    # Three weight-decay arms: alpha=3 generalising after alpha=6 breaks the ordering.
    r = result()
    middle = r.arms[1].model_copy(update=dict(name="alpha=3", alpha=3.0, generalised_at=6000))
    r.arms.insert(1, middle)
    v = job.verdict(r)
    assert v.outcome == "not-reproduced" and v.checks["later_with_alpha"] is False
    r.arms[1] = middle.model_copy(update=dict(generalised_at=2000))
    assert job.verdict(r).outcome == "reproduced"


def test_inconclusive_when_an_arm_never_memorises_or_is_still_climbing():
    assert job.verdict(result(control=dict(memorised_at=None))).outcome == "inconclusive"
    climbing = result(large=dict(generalised_at=None, final_test_acc=0.7, test_acc_at_75pct=0.5))
    assert job.verdict(climbing).outcome == "inconclusive"
    flat = result(large=dict(generalised_at=None, final_test_acc=0.5, test_acc_at_75pct=0.48))
    assert job.verdict(flat).outcome == "not-reproduced"


def test_result_round_trips_through_json():
    r = result()
    assert job.Result.model_validate_json(r.model_dump_json()) == r


@pytest.mark.slow
@pytest.mark.reproduction
def test_smoke_reproduces_and_control_never_generalises():
    torch.set_num_threads(1)
    res = job.run(validate_params("omnigrok", "smoke", {}), Context(seed=0, device="cpu"))
    v = job.verdict(res)
    assert v.outcome == "reproduced", v
    control = res.arms[-1]
    assert control.name == "control" and control.weight_decay == 0
    assert control.final_test_acc < res.reference_test_acc - 0.10

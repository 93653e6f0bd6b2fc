"""omnigrok: the verdict rule on hand-made results, and (slow) the smoke preset for real."""

from __future__ import annotations

import pytest
import torch

from repro.core import Context
from repro.jobs import omnigrok as job
from repro.registry import validate_params


def arm(name, alpha, wd, mem, gen, **kw) -> job.ArmResult:
    values = dict(name=name, alpha=alpha, weight_decay=wd, memorised_at=mem, generalised_at=gen,
                  test_acc_at_memorisation=0.9, final_train_acc=1.0, final_test_acc=0.96,
                  best_test_acc_after_memorisation=0.96, test_acc_at_75pct=0.96, norm_initial=10.0, norm_final=9.0)
    values.update(kw)
    return job.ArmResult(**values)


def result(standard=None, large=None, control=None) -> job.Result:
    arms = [arm("alpha=1", 1.0, 0.1, 100, 100, **(standard or {})),
            arm("alpha=8", 8.0, 0.1, 900, 5000, test_acc_at_memorisation=0.22, final_test_acc=0.95,
                norm_initial=75.6, norm_final=19.0, **(large or {})),
            arm("control", 8.0, 0.0, 1000, None, test_acc_at_memorisation=0.17, final_test_acc=0.17,
                best_test_acc_after_memorisation=0.18, test_acc_at_75pct=0.17, norm_initial=75.6, norm_final=74.5,
                **(control or {}))]
    return job.Result(params=validate_params("omnigrok", "smoke", {}), reference_test_acc=0.965, arms=arms,
                      steps=8000, seconds=40.0)


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
def test_smoke_reproduces_and_control_never_generalises():
    torch.set_num_threads(1)
    res = job.run(validate_params("omnigrok", "smoke", {}), Context(seed=0, device="cpu"))
    v = job.verdict(res)
    assert v.outcome == "reproduced", v
    control = res.arms[-1]
    assert control.name == "control" and control.weight_decay == 0
    assert control.final_test_acc < res.reference_test_acc - 0.10

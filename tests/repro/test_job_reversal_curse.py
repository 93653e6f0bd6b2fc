"""reversal_curse: the verdict rule on hand-made results, and (slow) the smoke preset for real."""

from __future__ import annotations

import pytest
import torch

from repro.core import Context
from repro.jobs import reversal_curse as job
from repro.registry import validate_params


def result(**changes) -> job.Result:
    """A clean reproduction; changes = {"group/direction": (em, rank)}."""
    cells = {
        "name_to_desc/same": (1.0, 1.0),
        "name_to_desc/reverse": (0.0, 0.49),
        "desc_to_name/same": (1.0, 1.0),
        "desc_to_name/reverse": (0.0, 0.52),
        "both/same": (1.0, 1.0),
        "both/reverse": (1.0, 1.0),
    }
    cells.update({k.replace("__", "/"): v for k, v in changes.items()})
    qs = [job.QuestionSet(group=k.split("/")[0], direction=k.split("/")[1], exact_match=em, rank_percentile=rank, n=100) for k, (em, rank) in cells.items()]
    return job.Result(params=validate_params("reversal_curse", "smoke", {}), questions=qs, final_train_loss=0.5, steps=1500, seconds=10.0)


def test_reproduced():
    v = job.verdict(result())
    assert v.outcome == "reproduced", v
    assert v.numbers["name_to_desc/reverse"]["rank"] == 0.49


def test_reverse_answered_is_not_reproduced():
    v = job.verdict(result(name_to_desc__reverse=(0.4, 0.9)))
    assert v.outcome == "not-reproduced"
    assert v.checks == {"curse_name_to_desc": False, "curse_desc_to_name": True, "control_no_curse": True}


def test_reverse_ranked_above_chance_without_exact_match_is_not_reproduced():
    # No exact match, but the right name is ranked well above chance: partial reversal, no curse.
    v = job.verdict(result(desc_to_name__reverse=(0.0, 0.75)))
    assert v.outcome == "not-reproduced" and v.checks["curse_desc_to_name"] is False


def test_control_must_answer_both_ways():
    v = job.verdict(result(both__reverse=(0.95, 0.80)))
    assert v.outcome == "not-reproduced"
    assert v.checks == {"curse_name_to_desc": True, "curse_desc_to_name": True, "control_no_curse": False}


def test_unlearnt_training_facts_are_inconclusive():
    v = job.verdict(result(name_to_desc__same=(0.5, 0.9)))
    assert v.outcome == "inconclusive" and "name_to_desc/same" in v.reason
    assert job.verdict(result(both__reverse=(0.3, 0.9))).outcome == "inconclusive"


def test_result_round_trips_through_json():
    r = result()
    assert job.Result.model_validate_json(r.model_dump_json()) == r


@pytest.mark.slow
@pytest.mark.reproduction
def test_smoke_reproduces_and_control_answers_both_ways():
    torch.set_num_threads(1)
    ctx = Context(seed=0, device="cpu")
    res = job.run(validate_params("reversal_curse", "smoke", {}), ctx)
    v = job.verdict(res)
    assert v.outcome == "reproduced", v
    control = res.get("both", "reverse")
    assert control.exact_match >= 0.9 and control.rank_percentile >= 0.95
    assert res.get("name_to_desc", "reverse").exact_match <= 0.03

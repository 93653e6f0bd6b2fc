"""The balance arithmetic, traced claim by claim."""

from __future__ import annotations

import json

import pytest

from kg.evidence import EvidenceRow, Weights, aggregate


def row(claim, relation, strength="strong", setting="frontier", verdicts=(), repeat=False):
    return EvidenceRow(claim, "src", relation, strength, setting, "", tuple(verdicts), repeat)


def test_balance_is_weighted_support_minus_against_over_total():
    b = aggregate("h", [row("a", "supports", "strong", "frontier"), row("b", "contradicts", "weak", "toy"), row("c", "qualifies", "moderate", "theory")])
    assert b.support == 3.0 and b.against == pytest.approx(0.6) and b.qualify == pytest.approx(1.0)
    assert b.score == pytest.approx((3.0 - 0.6) / (3.6 + 0.5 * 1.0))
    assert b.counts == {"supports": 1, "contradicts": 1, "qualifies": 1}
    assert not b.contested  # the contradiction is weak


def test_contested_needs_strong_claims_on_both_sides():
    b = aggregate("h", [row("a", "supports"), row("b", "contradicts")])
    assert b.contested and b.score == 0.0


def test_qualifications_pull_the_balance_toward_zero():
    only_support = aggregate("h", [row("a", "supports", "weak", "toy")])
    hedged = aggregate("h", [row("a", "supports", "weak", "toy"), row("b", "qualifies", "strong", "frontier")])
    assert only_support.score == 1.0
    assert hedged.score == pytest.approx(0.6 / (0.6 + 0.5 * 3.0))
    assert aggregate("h", [row("b", "qualifies")]).score == 0.0


def test_empty_hypothesis_has_zero_balance():
    b = aggregate("h", [])
    assert b.score == 0.0 and not b.contested and b.explain() == []


def test_reproduction_verdicts_scale_the_weight():
    agrees = aggregate("h", [row("a", "supports", verdicts=[("reproduced", "reproduced")])])
    disagrees = aggregate("h", [row("a", "supports", verdicts=[("not-reproduced", "reproduced")])])
    unclear = aggregate("h", [row("a", "supports", verdicts=[("inconclusive", "reproduced")])])
    assert agrees.support == 4.5 and disagrees.support == 1.5 and unclear.support == 3.0
    assert agrees.reproductions == {"agrees": 1, "disagrees": 0, "inconclusive": 0}
    # a claim that expects non-reproduction agrees with a not-reproduced run
    assert aggregate("h", [row("a", "supports", verdicts=[("not-reproduced", "not-reproduced")])]).support == 4.5


def test_repeats_count_less_than_independent_results():
    b = aggregate("h", [row("a", "supports"), row("b", "supports", repeat=True)])
    assert [e["weight"] for e in b.explain()] == [3.0, 1.5]


def test_explain_lists_factors_that_multiply_to_each_weight():
    b = aggregate("h", [row("a", "supports", "moderate", "toy"), row("b", "contradicts", "strong", "opinion")])
    for entry in b.explain():
        f = entry["factors"]
        assert entry["weight"] == pytest.approx(f["strength"] * f["setting"] * f["reproduction"] * f["independence"])
    assert sum(e["signed"] for e in b.explain()) == pytest.approx(b.support - b.against)


def test_weights_override_from_file_merges_key_by_key(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"setting": {"opinion": 0}, "repeat": 1}))
    w = Weights.load(path)
    assert w.setting["opinion"] == 0 and w.setting["toy"] == 0.6 and w.repeat == 1
    assert aggregate("h", [row("a", "supports", setting="opinion")], w).support == 0


def test_weights_file_with_unknown_key_is_refused(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"novelty": 2}))
    with pytest.raises(ValueError):
        Weights.load(path)

"""The evidence method, rule by rule on hand-made rows, and its invariants as property tests."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.evidence import EvidenceRow, Toggles, Weights, _side_sum, _sums_without_each_source, aggregate, grade, new_evidence_row


def row(claim, relation, strength="strong", setting="frontier", verdicts=(), *, source=None, kind=None, controlled=True, runs=None, direct=True, group="", replicated=False):
    kind = kind or {"frontier": "observation", "theory": "theory", "opinion": "opinion"}.get(setting, "experiment")
    return EvidenceRow(claim, source or f"src-{claim}", relation, strength, setting, "", tuple(verdicts), kind, controlled, runs, direct, group, replicated)


def test_new_evidence_row_makes_the_same_frozen_row():
    values = ("c", "s", "qualifies", "weak", "toy", "why", (("reproduced", "reproduced"),), "theory", False, 2, False, "lab", True)
    made, built = new_evidence_row(*values), EvidenceRow(*values)
    assert type(made) is EvidenceRow and made == built and hash(made) == hash(built) and repr(made) == repr(built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.claim = "other"  # type: ignore[misc]


# --- the balance ----------------------------------------------------------------------------------


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


def test_empty_hypothesis_has_zero_balance_and_is_untested():
    b = aggregate("h", [])
    assert b.score == 0.0 and not b.contested and b.explain() == [] and b.untested
    assert b.certainty[0] == "very-low"


def test_reproductions_scale_a_claim_and_the_worst_outcome_wins():
    agrees = aggregate("h", [row("a", "supports", verdicts=[("reproduced", "reproduced")])])
    disagrees = aggregate("h", [row("a", "supports", verdicts=[("reproduced", "reproduced"), ("not-reproduced", "reproduced")])])
    inconclusive = aggregate("h", [row("a", "supports", verdicts=[("inconclusive", "reproduced")])])
    assert agrees.support == 3.0 * 1.5 and disagrees.support == 3.0 * 0.5 and inconclusive.support == 3.0
    assert [c.reproduction for b in (agrees, disagrees, inconclusive) for c in b.contributions] == ["agrees", "disagrees", "inconclusive"]


# --- kinds of claim -------------------------------------------------------------------------------


def test_definitions_never_weigh_and_opinions_weigh_only_when_counted():
    rows = [row("d", "supports", kind="definition"), row("o", "supports", setting="opinion")]
    b = aggregate("h", rows)
    assert b.support == 0.0 and b.score == 0.0 and b.untested
    counted = aggregate("h", rows, toggles=Toggles(count_opinions=True))
    assert counted.support == pytest.approx(3.0 * 0.25) and "d" not in {c.row.claim for c in counted.contributions if c.weight}


# --- independence ---------------------------------------------------------------------------------


def test_claims_of_one_source_diminish_and_other_sources_count_fully():
    same = aggregate("h", [row(f"c{i}", "supports", source="one") for i in range(4)])
    independent = aggregate("h", [row(f"c{i}", "supports") for i in range(4)])
    assert same.support == pytest.approx(3.0 * (1 + 0.5 + 0.25 + 0.125))
    assert independent.support == pytest.approx(12.0)
    assert [c.factors["independence"] for c in same.contributions] == [1.0, 0.5, 0.25, 0.125]
    assert len(same.groups) == 1 and same.groups[0].sources == ("one",) and same.groups[0].claims == 4


def test_a_declared_origin_joins_sources_into_one_group():
    b = aggregate("h", [row("a", "supports", source="s1", group="lab"), row("b", "supports", source="s2", group="lab"), row("c", "supports", source="s3")])
    assert [g.name for g in b.groups] == ["lab", "s3"]
    assert b.support == pytest.approx(3.0 + 1.5 + 3.0)


def test_sides_diminish_separately():
    b = aggregate("h", [row("a", "supports", source="s"), row("b", "contradicts", source="s")])
    assert b.support == 3.0 and b.against == 3.0


# --- certainty ------------------------------------------------------------------------------------


def level(rows):
    return grade(aggregate("h", rows))


def test_replicated_controlled_experiments_from_three_groups_are_high():
    rows = [row(f"e{i}", "supports", "moderate", "toy", runs=3, replicated=i < 2) for i in range(3)]
    lvl, reasons = level(rows)
    assert lvl == "high" and reasons[0] == "starts high: controlled experiments (with a control or ablation)"
    unreplicated = level([row(f"e{i}", "supports", "moderate", "toy", runs=3) for i in range(3)])
    assert unreplicated[0] == "moderate" and "none of the direct evidence for its direction is replicated or reproduced" in unreplicated[1][-1]


def test_a_controlled_experiment_on_something_narrower_does_not_start_high():
    rows = [row("toy", "supports", "strong", "toy", direct=False), *[row(f"o{i}", "supports", kind="observation", controlled=False, replicated=True) for i in range(3)]]
    assert level(rows)[1][0].startswith("starts moderate")


def test_each_rating_down_is_named():
    # one source, uncontrolled, single run, indirect, and contested
    rows = [
        row("a", "supports", "strong", "toy", controlled=False, runs=1, direct=False, source="s"),
        row("b", "contradicts", "strong", "toy", controlled=False, runs=1, direct=False, source="s"),
        row("c", "contradicts", "weak", "toy", controlled=False, runs=1, source="s"),
    ]
    lvl, reasons = level(rows)
    assert lvl == "very-low"
    text = " ".join(reasons)
    for word in ("starts moderate", "indirectness", "inconsistency", "imprecision", "risk of bias"):
        assert word in text, reasons


def test_observational_reports_start_moderate_and_theory_low():
    obs = [row(f"o{i}", "supports", kind="observation", controlled=False, replicated=True) for i in range(2)] + [row("o2", "supports", kind="observation", controlled=False)]
    assert level(obs)[0] == "high"  # moderate, up for two independently replicated findings
    one_replicated = [obs[0], row("o1", "supports", kind="observation", controlled=False), obs[2]]
    assert level(one_replicated)[0] == "moderate"  # one replicated finding: no rating up, no risk of bias
    theory = [row(f"t{i}", "supports", setting="theory") for i in range(3)]
    assert level(theory) == ("very-low", ["starts low: theory only, no empirical evidence", "down for risk of bias: none of the direct evidence for its direction is replicated or reproduced"])


def test_independent_replication_and_agreeing_runs_rate_up():
    base = [row(f"o{i}", "supports", kind="observation", controlled=False) for i in range(3)]
    assert level(base)[0] == "low"  # moderate, down: nothing replicated or reproduced
    reproduced = [row("o0", "supports", kind="observation", controlled=False, verdicts=[("reproduced", "reproduced")]), *base[1:]]
    lvl, reasons = level(reproduced)
    assert lvl == "high" and reasons[-1] == "up: 1 reproduced finding(s) for its direction agree with their verdicts of record"
    replications_for_the_other_side = [*base, row("x", "contradicts", "weak", replicated=True), row("y", "contradicts", "weak", replicated=True)]
    assert not any("replicated by another group" in r for r in level(replications_for_the_other_side)[1])


def test_a_disagreeing_reproduction_is_a_risk_of_bias():
    rows = [row(f"e{i}", "supports", "moderate", "toy") for i in range(3)]
    rows[0] = row("e0", "supports", "moderate", "toy", verdicts=[("not-reproduced", "reproduced")])
    lvl, reasons = level(rows)
    assert lvl == "moderate" and any("reproduction run disagrees" in r for r in reasons)


def test_untested_means_nothing_bears_directly_for_or_against():
    assert not aggregate("h", [row("a", "supports", direct=False), row("b", "contradicts")]).untested
    assert aggregate("h", [row("a", "supports", direct=False)]).untested, "indirect evidence alone does not test it"
    only_qualifies = aggregate("h", [row("a", "qualifies")])
    assert only_qualifies.untested, "qualifications alone do not test a hypothesis for or against"


# --- sensitivity ----------------------------------------------------------------------------------


def test_leave_one_source_out_finds_the_source_a_balance_rests_on():
    b = aggregate("h", [row("big", "supports", "strong", source="big"), row("s1", "contradicts", "weak", source="s1"), row("s2", "contradicts", "weak", source="s2")])
    s = b.sensitivity
    assert b.score > 0 and s.rests_on == "big" and s.without["big"] < 0
    assert s.min == pytest.approx(s.without["big"]) and s.max == pytest.approx(s.without["s1"])
    assert s.to_dict() == {"min": round(s.min, 4), "max": round(s.max, 4), "rests_on": "big"}


def test_leave_one_out_matches_recomputing_without_the_source():
    rows = [row("a", "supports", source="s1", group="lab"), row("b", "supports", "weak", source="s2", group="lab"), row("c", "contradicts", "moderate"), row("d", "qualifies")]
    b = aggregate("h", rows)
    for source, value in b.sensitivity.without.items():
        assert value == pytest.approx(aggregate("h", rows, toggles=Toggles(exclude_sources=frozenset({source}))).score)


def test_named_toggles():
    rows = [
        row("rep", "supports", "moderate", "toy", verdicts=[("reproduced", "reproduced")]),
        row("obs", "contradicts", "strong", "frontier", kind="observation"),
        row("lab", "supports", "weak", "toy", group="lab"),
    ]
    assert [c.row.claim for c in aggregate("h", rows, toggles=Toggles(only_reproduced=True)).contributions] == ["rep"]
    assert "obs" not in {c.row.claim for c in aggregate("h", rows, toggles=Toggles(without_observational=True)).contributions}
    assert "lab" not in {c.row.claim for c in aggregate("h", rows, toggles=Toggles(exclude_groups=frozenset({"lab"}))).contributions}


# --- weights and traceability -----------------------------------------------------------------------


def test_weights_override_from_a_json_file(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"kind": {"opinion": 1}, "diminishing": 0.25}))
    w = Weights.load(path)
    assert w.kind["opinion"] == 1 and w.kind["experiment"] == 1 and w.diminishing == 0.25
    assert "independence" in w.describe() and "kind" in w.describe()


def test_explain_traces_every_weight_to_its_factors():
    b = aggregate("h", [row("a", "supports", source="s"), row("b", "supports", "weak", "toy", source="s")])
    for line in b.explain():
        f = line["factors"]
        assert line["weight"] == pytest.approx(f["strength"] * f["setting"] * f["kind"] * f["reproduction"] * f["independence"], abs=1e-4)
    d = b.to_dict()
    assert {"certainty", "certainty_reasons", "untested", "sensitivity", "groups"} <= set(d)


# --- invariants -----------------------------------------------------------------------------------

relations = st.sampled_from(["supports", "contradicts", "qualifies"])
strengths = st.sampled_from(["weak", "moderate", "strong"])
settings_ = st.sampled_from(["toy", "small-model", "frontier", "theory"])
rows_ = st.lists(
    st.builds(lambda i, r, s, t, src: row(f"c{i}", r, s, t, source=f"s{src}"), st.integers(0, 10**6), relations, strengths, settings_, st.integers(0, 4)), max_size=12, unique_by=lambda r: r.claim
)


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 8), strengths, settings_)
def test_near_copies_from_one_source_move_a_balance_less_than_independent_sources(n, strength, setting):
    against = [row("x", "contradicts", "strong", "frontier")]
    copies = aggregate("h", against + [row(f"c{i}", "supports", strength, setting, source="one") for i in range(n)])
    independent = aggregate("h", against + [row(f"c{i}", "supports", strength, setting) for i in range(n)])
    single = aggregate("h", against + [row("c0", "supports", strength, setting)])
    assert copies.support < independent.support
    assert copies.support - single.support < 0.5 * (independent.support - single.support) + 1e-9
    assert copies.support < 2 * single.support  # bounded by the strongest claim / (1 - diminishing)


@settings(max_examples=150, deadline=None)
@given(rows_, strengths)
def test_adding_an_opinion_does_not_move_a_default_balance(rows, strength):
    with_opinion = aggregate("h", [*rows, row("opinion", "supports", strength, "opinion")])
    assert with_opinion.score == pytest.approx(aggregate("h", rows).score)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(relations, strengths, st.sampled_from(["theory", "opinion"]), st.booleans()), max_size=10))
def test_theory_and_opinion_alone_never_reach_moderate(specs):
    rows = [row(f"c{i}", r, s, t, replicated=rep, verdicts=[("reproduced", "reproduced")] if rep else ()) for i, (r, s, t, rep) in enumerate(specs)]
    assert grade(aggregate("h", rows))[0] in ("low", "very-low")


@settings(max_examples=150, deadline=None)
@given(rows_)
def test_leave_one_out_ranges_contain_the_full_balance(rows):
    b = aggregate("h", rows)
    assert b.sensitivity.min <= b.score <= b.sensitivity.max
    assert -1 <= b.score <= 1


grouped_rows = st.lists(
    # a source's group is the same for all its claims, as the store builds it: even sources share labs
    st.builds(
        lambda i, r, s, t, src: row(f"c{i}", r, s, t, source=f"s{src}", group=f"lab{src % 3}" if src % 2 == 0 else ""), st.integers(0, 10**6), relations, strengths, settings_, st.integers(0, 7)
    ),
    max_size=16,
    unique_by=lambda r: r.claim,
)


@settings(max_examples=150, deadline=None)
@given(grouped_rows)
def test_leave_one_out_and_the_tallies_match_recomputing_from_scratch(rows):
    """The fast paths (one-claim and one-source groups, one pass for the tallies) agree with the
    definitions: the balance recomputed without each source, and counts taken claim by claim."""
    b = aggregate("h", rows)
    assert set(b.sensitivity.without) == {r.source for r in rows}
    for source, value in b.sensitivity.without.items():
        assert value == pytest.approx(aggregate("h", rows, toggles=Toggles(exclude_sources=frozenset({source}))).score, abs=1e-12)
    assert b.counts == {side: sum(1 for r in rows if r.relation == side) for side in ("supports", "contradicts", "qualifies")}
    assert b.sources == len({r.source for r in rows})
    assert b.untested == (not any(r.direct and r.kind not in ("opinion", "definition") and r.relation != "qualifies" for r in rows))
    assert b.contested == ({"supports", "contradicts"} <= {c.row.relation for c in b.contributions if c.row.strength == "strong" and c.weight > 0})
    by_group = {g.name: g for g in b.groups}
    for name, g in by_group.items():
        members = [c for c in b.contributions if c.row.independence_group == name]
        assert g.claims == len(members) and g.sources == tuple(sorted({c.row.source for c in members}))
        assert g.weights == pytest.approx({side: sum(c.weight for c in members if c.row.relation == side) for side in ("supports", "contradicts", "qualifies")})
    # counted without building the groups; opinions (weight 0) make groups that do not decide
    assert b.independent_groups == sum(1 for g in b.groups if g.weights["supports"] + g.weights["contradicts"] > 0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.floats(0, 1)), min_size=2, max_size=40), st.sampled_from([0.0, 0.3, 0.5, 0.9]))
def test_each_sources_sum_without_it_matches_re_summing_the_group(members, diminishing):
    """The running-sums path (and the re-summing of sources with many claims, which it picks
    when cheaper) agrees with summing the group again without the source."""
    ms = sorted(((f"s{s}", w) for s, w in members), key=lambda m: m[1], reverse=True)
    powers = [diminishing**rank for rank in range(len(ms))]
    sums = _sums_without_each_source(ms, powers)
    assert set(sums) == {s for s, _ in ms}
    for source, value in sums.items():
        assert value == pytest.approx(_side_sum((w for s, w in ms if s != source), powers), abs=1e-12)

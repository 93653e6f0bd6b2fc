"""Evidence aggregation: how strong the case is for and against a hypothesis, and how sure we can be.

Everything the UI and the CLI show about a balance comes from here, and `Weights.describe()`
prints the formula. Four parts:

1. Weight of one claim on one hypothesis

    weight = strength x setting x kind x reproduction x independence

   `kind`: experiments, observations and theory weigh 1; definitions never weigh; opinions
   weigh 0 unless counted (`Toggles.count_opinions`), so the discussion a hypothesis was drawn
   from is shown beside the evidence, not counted as evidence for it.
   `reproduction`: x`reproduced` when the latest run of the claim's reproduction came out as
   the claim expects, x`refuted` when it came out the other way, x1 otherwise.
   `independence`: claims are grouped by independence group (the source's declared `origin`:
   one lab, one dataset or evaluation, one line of follow-ups; else the source itself). Within
   a group and a side (supports, contradicts, qualifies) the strongest claim counts fully, the
   next `diminishing` as much, the next `diminishing`^2 ... so splitting one result into N
   claims cannot multiply its weight: a group's side is bounded by its strongest claim /
   (1 - diminishing). Claims from other groups are independent and count fully.

2. Balance

    balance = (support - against) / (support + against + dilution x qualify)   in [-1, 1]

   Qualifications pull the balance toward 0. `contested`: a strong claim on each side.

3. Certainty (GRADE, adapted to ML): `high | moderate | low | very-low`, with reasons.
   Start from the best kind of evidence that bears on it directly: a controlled experiment
   (with a control or ablation) high; an uncontrolled experiment or an observational report moderate; theory
   low; only opinions very-low. Rate down one level for each of
     indirectness    less than half the evidence weight tests the hypothesis directly;
     inconsistency   contested, or the weaker side holds a third or more of the decisive weight;
     imprecision     fewer than 3 independence groups decide it, or every empirical finding
                     rests on a single run;
     risk of bias    it all comes from one independence group; controlled experiments exist but
                     carry less than half the empirical weight; a reproduction run disagrees; or
                     none of the direct evidence for its direction is replicated by another group
                     or reproduced by a run.
   Rate up one level when two or more direct findings for its direction are replicated by
   another group, and one when reproduction runs agree with the direct findings for its
   direction (none disagreeing anywhere);
   only when there is empirical evidence, so theory and opinion alone stay at low or below.
   `untested`: no experiment, observation or theory bears directly on the hypothesis for or
   against; then the certainty is very-low and the balance should not be read as an answer.

4. Sensitivity: the range of the balance over leaving out any one source (the full balance
   included), and `rests_on`, the source whose removal flips the balance's sign (0 counts as
   flipped); plus named `Toggles` (only reproduced evidence, no observational frontier
   reports, leave out sources or groups, count opinions) that recompute the balance.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from functools import cached_property
from operator import attrgetter, itemgetter, mul
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

LEVELS = ("very-low", "low", "moderate", "high")
SIDES = ("supports", "contradicts", "qualifies")
EMPIRICAL = ("experiment", "observation")


# A weight is a finite, non-negative multiplier, small enough that a product of five cannot
# overflow; `true` is not 1 and "2" is not 2.
# (The cap is a validator, not `le=`: the UI reads `le` as a slider's upper end.)
MAX_WEIGHT = 1e6


def _not_huge(value: float) -> float:
    if value > MAX_WEIGHT:
        raise ValueError(f"Input should be at most {MAX_WEIGHT:g}")
    return value


Weight = Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False), AfterValidator(_not_huge)]
MAX_WEIGHTS_BYTES = 64 * 1024  # a weights file is a few lines; anything bigger is a mistake


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strength: dict[str, Weight] = Field(default_factory=lambda: {"weak": 1.0, "moderate": 2.0, "strong": 3.0})
    setting: dict[str, Weight] = Field(default_factory=lambda: {"frontier": 1.0, "small-model": 0.8, "toy": 0.6, "theory": 0.5, "opinion": 0.25})
    kind: dict[str, Weight] = Field(
        default_factory=lambda: {"experiment": 1.0, "observation": 1.0, "theory": 1.0, "definition": 0.0, "opinion": 0.0},
        description="opinions weigh 0 unless counted; definitions never weigh",
    )
    reproduced: Weight = Field(default=1.5, description="multiplier when the latest run agrees with the claim")
    refuted: Weight = Field(default=0.5, description="multiplier when the latest run disagrees with the claim")
    diminishing: Weight = Field(default=0.5, lt=1, description="each further claim of one group on one side counts this much of the one before")
    dilution: Weight = Field(default=0.5, description="how much qualifying weight pulls the balance toward 0")

    @field_validator("strength", "setting", "kind")
    @classmethod
    def _known_keys(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        """A misspelt key ("stong") would silently weigh nothing; refuse it instead."""
        known = cls.model_fields[str(info.field_name)].get_default(call_default_factory=True)
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r}; known: {', '.join(known)}")
        return value

    @classmethod
    def load(cls, path: Path | str | None) -> Weights:
        """Defaults, overridden key by key by a JSON file (e.g. {"kind": {"opinion": 1}}).
        Raises ValueError (or OSError) with a one-line message naming what is wrong."""
        if path is None:
            return cls()
        path = Path(path)
        if not path.is_file():  # a folder, a FIFO or a device would hang or flood the read
            raise ValueError("not a regular file" if path.exists() else "no such file")
        with open(path, "rb") as f:
            raw = f.read(MAX_WEIGHTS_BYTES + 1)
        if len(raw) > MAX_WEIGHTS_BYTES:
            raise ValueError(f"over {MAX_WEIGHTS_BYTES // 1024} KiB; a weights file is a small JSON object")
        try:
            overrides = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {exc.lineno}: not valid JSON: {exc.msg}") from None
        if not isinstance(overrides, dict):
            raise ValueError(f'expected a JSON object such as {{"kind": {{"opinion": 1}}}}, found a {type(overrides).__name__}')
        merged = cls().model_dump()
        for key, value in overrides.items():
            merged[key] = {**merged[key], **value} if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        try:
            return cls.model_validate(merged)
        except ValidationError as exc:
            raise ValueError(_one_line(exc)) from None

    def describe(self) -> str:
        def fmt(d: dict[str, float]) -> str:
            return ", ".join(f"{k} {v:g}" for k, v in d.items())

        return (
            "weight = strength x setting x kind x reproduction x independence\n"
            f"  strength: {fmt(self.strength)}\n"
            f"  setting: {fmt(self.setting)}\n"
            f"  kind: {fmt(self.kind)}\n"
            f"  reproduction: agrees {self.reproduced:g}, disagrees {self.refuted:g}, none or inconclusive 1\n"
            f"  independence: within one source or declared origin, on one side, the k-th strongest claim x {self.diminishing:g}^(k-1)\n"
            f"balance = (support - against) / (support + against + {self.dilution:g} x qualify)\n"
            "certainty: GRADE adapted (start from the best kind of evidence; down for indirectness, inconsistency,\n"
            "  imprecision, risk of bias; up for independent replications and agreeing reproductions)"
        )


def _one_line(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"])
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    message = f"unknown key; known: {', '.join(Weights.model_fields)}" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}{more}"


class Toggles(BaseModel):
    """Named what-ifs for the sensitivity view: each recomputes the balance from a subset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    only_reproduced: bool = Field(default=False, description="keep only claims whose reproduction run agrees with them")
    without_observational: bool = Field(default=False, description="leave out observational reports of frontier models")
    exclude_sources: frozenset[str] = Field(default=frozenset(), description="leave out these sources")
    exclude_groups: frozenset[str] = Field(default=frozenset(), description="leave out these independence groups (labs, origins)")
    count_opinions: bool = Field(default=False, description="let opinions weigh (as kind 1 x setting)")

    def keeps(self, row: EvidenceRow, reproduction: str) -> bool:
        if self.only_reproduced and reproduction != "agrees":
            return False
        if self.without_observational and row.kind == "observation" and row.setting == "frontier":
            return False
        return row.source not in self.exclude_sources and row.group not in self.exclude_groups

    def weights(self, weights: Weights) -> Weights:
        if not self.count_opinions:
            return weights
        return weights.model_copy(update={"kind": {**weights.kind, "opinion": 1.0}})


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One claim's link to one hypothesis, with what the weighting needs. Stores produce these."""

    claim: str
    source: str
    relation: str  # supports | contradicts | qualifies
    strength: str
    setting: str
    rationale: str = ""
    # (outcome of the latest run, what the claim expects) for each reproduction with a run
    verdicts: tuple[tuple[str, str], ...] = ()
    kind: str = "experiment"  # experiment | observation | theory | definition | opinion
    controlled: bool | None = None
    runs: int | None = None
    direct: bool = True
    group: str = ""  # independence group: the source's origin, else the source
    independent_replication: bool = False  # replicates, or is replicated by, a claim of another group

    @property
    def independence_group(self) -> str:
        return self.group or self.source


# EvidenceRow is frozen, so its generated __init__ sets each of its 13 fields through
# object.__setattr__: ~1.5 us a row, a fifth of the overview at 100k claims (200k rows).
# `new_evidence_row` sets the slots through their own descriptors, in half the time; the row is
# the same (frozen, equal to and hashing as EvidenceRow(...) with the same values).
_new = object.__new__
(_claim, _source, _relation, _strength, _setting, _rationale, _verdicts, _kind, _controlled, _runs, _direct, _group, _replication) = (EvidenceRow.__dict__[f.name].__set__ for f in fields(EvidenceRow))


def new_evidence_row(
    claim: str,
    source: str,
    relation: str,
    strength: str,
    setting: str,
    rationale: str,
    verdicts: tuple[tuple[str, str], ...],
    kind: str,
    controlled: bool | None,
    runs: int | None,
    direct: bool,
    group: str,
    independent_replication: bool,
) -> EvidenceRow:
    """EvidenceRow(...) with every field given, made faster (see above)."""
    row: EvidenceRow = _new(EvidenceRow)
    _claim(row, claim)
    _source(row, source)
    _relation(row, relation)
    _strength(row, strength)
    _setting(row, setting)
    _rationale(row, rationale)
    _verdicts(row, verdicts)
    _kind(row, kind)
    _controlled(row, controlled)
    _runs(row, runs)
    _direct(row, direct)
    _group(row, group)
    _replication(row, independent_replication)
    return row


@dataclass(slots=True)
class Contribution:
    row: EvidenceRow
    # strength, setting, kind and reproduction factors: one dict shared by every contribution of
    # the same combination (a handful per hypothesis, ~17k contributions), so never mutate it
    base: dict[str, float]
    weight: float
    reproduction: str  # agrees | disagrees | inconclusive | none
    raw: float = 0.0  # the weight before independence
    rank: int = 0  # 0 for the strongest claim of its group on its side
    independence: float = 1.0  # diminishing**rank

    @property
    def factors(self) -> dict[str, float]:
        """Every factor of the weight (what `explain` shows); a new dict each time."""
        return {**self.base, "independence": self.independence}

    @property
    def signed(self) -> float:
        return {"supports": self.weight, "contradicts": -self.weight}.get(self.row.relation, 0.0)

    @property
    def counts_as_evidence(self) -> bool:
        return self.row.kind not in ("opinion", "definition")


@dataclass(frozen=True)
class Group:
    """One independence group's combined weight on each side."""

    name: str
    sources: tuple[str, ...]
    weights: dict[str, float]
    claims: int


@dataclass(frozen=True)
class Sensitivity:
    min: float
    max: float
    rests_on: str | None  # the source whose removal flips the sign
    without: dict[str, float]  # source -> balance without it

    def to_dict(self) -> dict[str, Any]:
        return {"min": round(self.min, 4), "max": round(self.max, 4), "rests_on": self.rests_on}


@dataclass(frozen=True, slots=True)
class _Tally:
    """What one pass over a balance's contributions counts (see `Balance._tally`)."""

    counts: dict[str, int]
    reproductions: dict[str, int]
    sources: int
    contested: bool
    untested: bool


@dataclass
class Balance:
    hypothesis: str
    dilution: float = 0.5
    diminishing: float = 0.5
    support: float = 0.0
    against: float = 0.0
    qualify: float = 0.0
    contributions: list[Contribution] = field(default_factory=list)

    @property
    def score(self) -> float:
        return _score(self.support, self.against, self.qualify, self.dilution)

    # Derived from the contributions, which are final once `aggregate` returns; cached because a
    # page asks several times per hypothesis and a hypothesis has ~17k of them at 100k claims.
    # One pass (`_tally`) counts what the overview shows, instead of one pass per number.
    @property
    def contested(self) -> bool:
        return self._tally.contested

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._tally.counts)

    @property
    def sources(self) -> int:
        return self._tally.sources

    @property
    def reproductions(self) -> dict[str, int]:
        return dict(self._tally.reproductions)

    @property
    def untested(self) -> bool:
        return self._tally.untested

    @cached_property
    def _tally(self) -> _Tally:
        counts = dict.fromkeys(SIDES, 0)
        reproductions = {"agrees": 0, "disagrees": 0, "inconclusive": 0}
        sources: set[str] = set()
        strong: set[str] = set()
        tested = False
        for c in self.contributions:
            row = c.row
            counts[row.relation] += 1
            sources.add(row.source)
            if c.reproduction in reproductions:
                reproductions[c.reproduction] += 1
            if row.strength == "strong" and c.weight > 0:
                strong.add(row.relation)
            if not tested and row.direct and row.relation != "qualifies" and row.kind not in ("opinion", "definition"):
                tested = True
        return _Tally(counts, reproductions, len(sources), {"supports", "contradicts"} <= strong, not tested)

    @cached_property
    def _by_side(self) -> dict[tuple[str, str], list[Contribution]]:
        """The contributions by (independence group, side), each list in contribution order.
        `aggregate` groups them so already and stores its grouping here (a cached_property's
        value lives in the instance __dict__ under its name), so `groups` and the leave-one-out
        walk ~8k lists instead of regrouping ~17k contributions each."""
        by_side: dict[tuple[str, str], list[Contribution]] = {}
        for c in self.contributions:
            by_side.setdefault((c.row.group or c.row.source, c.row.relation), []).append(c)
        return by_side

    @cached_property
    def groups(self) -> list[Group]:
        """The independence groups, heaviest first."""
        # {group: (its claims' sources, its weight per side)}; each side sums in contribution order
        acc: dict[str, tuple[list[str], dict[str, float]]] = {}
        for (name, side), members in self._by_side.items():
            entry = acc.get(name)
            if entry is None:
                entry = acc[name] = ([], dict.fromkeys(SIDES, 0))
            sources, weights = entry
            for c in members:
                sources.append(c.row.source)
                weights[side] += c.weight
        groups = [Group(name, (sources[0],) if len(sources) == 1 else tuple(sorted(set(sources))), weights, len(sources)) for name, (sources, weights) in acc.items()]
        return sorted(groups, key=lambda g: (-sum(g.weights.values()), g.name))

    @cached_property
    def independent_groups(self) -> int:
        """Groups that carry weight for or against (what decides the direction)."""
        # No weight is negative, so a group's support + against is > 0 exactly when one of its
        # claims for or against weighs > 0: the overview counts them without building `groups`.
        deciding = (name for (name, side), members in self._by_side.items() if side in ("supports", "contradicts") and any(c.weight > 0 for c in members))
        return len(set(deciding))

    @cached_property
    def certainty(self) -> tuple[str, list[str]]:
        return grade(self)

    @cached_property
    def sensitivity(self) -> Sensitivity:
        return leave_one_source_out(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            **overview_numbers(self),
            "groups": [{"group": g.name, "sources": list(g.sources), "claims": g.claims, **{side: round(w, 4) for side, w in g.weights.items()}} for g in self.groups],
        }

    def explain(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Each claim's contribution (or the `limit` largest), largest first: the numbers behind the balance."""
        rows = sorted(self.contributions, key=lambda c: (-c.weight, c.row.claim))[:limit]
        return [
            {
                "claim": c.row.claim,
                "source": c.row.source,
                "group": c.row.independence_group,
                "relation": c.row.relation,
                "strength": c.row.strength,
                "setting": c.row.setting,
                "kind": c.row.kind,
                "direct": c.row.direct,
                "reproduction": c.reproduction,
                "factors": c.factors,
                "weight": round(c.weight, 4),
                "signed": round(c.signed, 4),
            }
            for c in rows
        ]


def overview_numbers(b: Any) -> dict[str, Any]:
    """The numbers a list of hypotheses shows, as JSON: of a Balance, or of the kg.summary.Summary
    taken from one (the same attribute names)."""
    level, reasons = b.certainty
    return {
        "hypothesis": b.hypothesis,
        "score": round(b.score, 4),
        "support": round(b.support, 4),
        "against": round(b.against, 4),
        "qualify": round(b.qualify, 4),
        "contested": b.contested,
        "counts": dict(b.counts),
        "sources": b.sources,
        "reproductions": dict(b.reproductions),
        "certainty": level,
        "certainty_reasons": list(reasons),
        "untested": b.untested,
        "sensitivity": b.sensitivity.to_dict(),
    }


def _score(support: float, against: float, qualify: float, dilution: float) -> float:
    total = support + against + dilution * qualify
    return 0.0 if total == 0 else (support - against) / total


def reproduction_of(row: EvidenceRow) -> str:
    if not row.verdicts:
        return "none"
    outcomes = [("agrees" if outcome == expect else "disagrees") if outcome in ("reproduced", "not-reproduced") else "inconclusive" for outcome, expect in row.verdicts]
    return "disagrees" if "disagrees" in outcomes else "agrees" if "agrees" in outcomes else "inconclusive" if outcomes else "none"


def base_factors(row: EvidenceRow, weights: Weights, reproduction: str) -> dict[str, float]:
    return {
        "strength": weights.strength.get(row.strength, 1.0),
        "setting": weights.setting.get(row.setting, 1.0),
        "kind": weights.kind.get(row.kind, 1.0),
        "reproduction": {"agrees": weights.reproduced, "disagrees": weights.refuted}.get(reproduction, 1.0),
    }


_claim_of = attrgetter("row.claim")
_weight_of = attrgetter("weight")


def aggregate(hypothesis: str, rows: list[EvidenceRow], weights: Weights | None = None, toggles: Toggles | None = None) -> Balance:
    weights = weights or Weights()
    if toggles is not None:
        weights = toggles.weights(weights)
    balance = Balance(hypothesis, weights.dilution, weights.diminishing)
    contributions = balance.contributions
    by_side: dict[tuple[str, str], list[Contribution]] = defaultdict(list)
    # A row's factors depend only on (strength, setting, kind, reproduction): a handful of
    # combinations for ~17k rows per hypothesis at 100k claims, so each is worked out once.
    known: dict[tuple[str, str, str, str], tuple[dict[str, float], float]] = {}
    for row in rows:
        reproduction = reproduction_of(row) if row.verdicts else "none"  # most claims have no run
        if toggles is not None and not toggles.keeps(row, reproduction):
            continue
        combination = (row.strength, row.setting, row.kind, reproduction)
        found = known.get(combination)
        if found is None:
            factors = base_factors(row, weights, reproduction)
            found = known[combination] = (factors, factors["strength"] * factors["setting"] * factors["kind"] * factors["reproduction"])
        raw = found[1]
        c = Contribution(row, found[0], raw, reproduction, raw)
        by_side[(row.group or row.source, row.relation)].append(c)
        contributions.append(c)
    # Independence: within a group and a side, the k-th strongest counts diminishing^(k-1).
    # A group's only claim on a side (most groups) keeps rank 0 and independence 1.
    for members in by_side.values():
        if len(members) == 1:
            continue
        # strongest first, ties by claim id: two stable C-keyed sorts, not a tuple key per member
        ranked = sorted(members, key=_claim_of)
        ranked.sort(key=_weight_of, reverse=True)
        for rank, c in enumerate(ranked):
            c.rank = rank
            c.independence = weights.diminishing**rank
            c.weight *= c.independence
    for c in contributions:
        relation = c.row.relation
        if relation == "supports":
            balance.support += c.weight
        elif relation == "contradicts":
            balance.against += c.weight
        else:
            balance.qualify += c.weight
    balance.__dict__["_by_side"] = dict(by_side)  # see Balance._by_side
    return balance


# --- certainty ----------------------------------------------------------------------------------


def grade(b: Balance) -> tuple[str, list[str]]:
    """The certainty level and the reasons for it, step by step (see the module docstring)."""
    evidence = [c for c in b.contributions if c.counts_as_evidence and c.weight > 0]
    if b.untested:
        return "very-low", ["untested: no experiment, observation or theory bears directly on it for or against"]
    # The start is the best kind among the evidence that tests the hypothesis directly: a
    # controlled experiment on something narrower than the hypothesis does not make it high.
    direct_evidence = [c for c in evidence if c.row.direct]
    kinds = {c.row.kind for c in direct_evidence}
    controlled = any(c.row.kind == "experiment" and c.row.controlled for c in direct_evidence)
    if controlled:
        level, reasons = 3, ["starts high: controlled experiments (with a control or ablation)"]
    elif kinds & set(EMPIRICAL):
        level, reasons = 2, ["starts moderate: experiments without a control, or observational reports"]
    else:
        level, reasons = 1, ["starts low: theory only, no empirical evidence"]
    total = sum(c.weight for c in evidence)

    direct = sum(c.weight for c in evidence if c.row.direct)
    if direct < 0.5 * total:
        level -= 1
        reasons.append(f"down for indirectness: only {direct / total:.0%} of the weight tests the hypothesis directly")

    for_, against = b.support, b.against
    minority = min(for_, against) / (for_ + against) if for_ + against else 0.0
    if b.contested or minority >= 1 / 3:
        level -= 1
        why = "strong claims on both sides" if b.contested else f"the weaker side holds {minority:.0%} of the decisive weight"
        reasons.append(f"down for inconsistency: {why}")

    groups = b.independent_groups
    empirical = [c for c in evidence if c.row.kind in EMPIRICAL]
    single_run = bool(empirical) and all(c.row.runs == 1 for c in empirical)
    if groups < 3 or single_run:
        why = f"{groups} independent source group(s) decide it" if groups < 3 else "every empirical finding rests on a single run"
        level -= 1
        reasons.append(f"down for imprecision: {why}")

    # The side the balance leans to, and its direct evidence: what a replication must back.
    winning = {"supports"} if b.score > 0 else {"contradicts"} if b.score < 0 else {"supports", "contradicts"}
    backing = [c for c in direct_evidence if c.row.relation in winning]
    replicated = [c for c in backing if c.row.kind in EMPIRICAL and c.row.independent_replication]
    bias = []
    if len({c.row.independence_group for c in evidence}) == 1:
        bias.append("all from one source or lab")
    empirical_weight = sum(c.weight for c in empirical)
    if controlled and sum(c.weight for c in empirical if c.row.controlled) < 0.5 * empirical_weight:
        bias.append("most empirical weight has no control")  # (without any control it already started lower)
    if any(c.reproduction == "disagrees" for c in evidence):
        bias.append("a reproduction run disagrees with a claim")
    if not any(c.row.independent_replication or c.reproduction == "agrees" for c in backing):
        bias.append("none of the direct evidence for its direction is replicated or reproduced")
    if bias:
        level -= 1
        reasons.append("down for risk of bias: " + "; ".join(bias))

    if empirical:
        if len(replicated) >= 2:
            level += 1
            reasons.append(f"up: {len(replicated)} direct findings for its direction replicated by another group")
        # Agreeing runs count when they back the direct evidence for the balance's direction (a
        # reproduced qualification says nothing about the direction); any disagreement forbids it.
        runs = [c.reproduction for c in backing if c.reproduction in ("agrees", "disagrees")]
        if runs and all(r == "agrees" for r in runs) and not any(c.reproduction == "disagrees" for c in evidence):
            level += 1
            reasons.append(f"up: {len(runs)} reproduced finding(s) for its direction agree with their verdicts of record")
    else:
        level = min(level, 1)
    level = max(0, min(3, level))
    return LEVELS[level], reasons


# --- sensitivity --------------------------------------------------------------------------------


def _side_sum(heaviest_first: Iterable[float], powers: list[float]) -> float:
    """A side's sum within a group: the k-th heaviest weight x diminishing**k (`powers[k]`)."""
    total: float = sum(map(mul, heaviest_first, powers))  # powers may be longer: map stops at the shorter
    return total


def _sums_without_each_source(ms: list[tuple[str, float]], powers: list[float]) -> dict[str, float]:
    """For each source of one group's side, that side's sum without its claims; `ms` is
    [(source, weight before independence)], heaviest first.

    Leaving out a source's claims moves each later claim up one rank per claim left out before
    it. So with `tails[t][j]` = the sum over the claims from rank j on, each moved up t ranks,
    a source's sum is one difference of tails per stretch between its claims: O(its claims)
    once the tails are built, instead of re-summing the group (O(k) per source, O(k^2) for a
    group of k sources). Tails cost O(k) per shift; a source with more claims than the shifts
    built is re-summed, and the number of shifts is chosen to make the whole cheapest."""
    k = len(ms)
    positions: dict[str, list[int]] = defaultdict(list)
    for rank, (source, _) in enumerate(ms):
        positions[source].append(rank)
    # shifts = T costs T + 1 tails plus one re-sum per source with more than T claims (each O(k));
    # T at or beyond the number of sources never beats re-summing them all (T = 0)
    claims_per_source = sorted(len(ranks) for ranks in positions.values())
    n = len(claims_per_source)
    shifts = min(range(min(claims_per_source[-1], n) + 1), key=lambda t: t + 1 + n - bisect_right(claims_per_source, t))
    tails = []
    for t in range(shifts + 1):
        tail = [0.0] * (k + 1)
        for j in range(k - 1, t - 1, -1):
            tail[j] = ms[j][1] * powers[j - t] + tail[j + 1]
        tails.append(tail)
    sums = {}
    for source, ranks in positions.items():
        if len(ranks) > shifts:
            sums[source] = _side_sum((w for s, w in ms if s != source), powers)
            continue
        total, start = 0.0, 0
        for t, rank in enumerate(ranks):  # the stretch before the t-th left-out claim moves up t ranks
            total += tails[t][start] - tails[t][rank]
            start = rank + 1
        sums[source] = total + tails[len(ranks)][start]
    return sums


def leave_one_source_out(b: Balance) -> Sensitivity:
    """The balance without each source in turn. A source belongs to one independence group, so
    leaving it out changes at most one (group, side) sum per side; within the group, every
    source's sum without it comes from shared running sums (`_sums_without_each_source`). A
    group of one source (the common case) just loses its whole sum."""
    powers = [b.diminishing**rank for rank in range(max(map(len, b._by_side.values()), default=0))]
    change: dict[str, dict[str, float]] = defaultdict(dict)  # source -> {side: its side's sum without it - with it}
    for (_, side), contributions in b._by_side.items():
        if len(contributions) == 1:  # one claim: without its source the sum is 0 (its weight x diminishing**0)
            change[contributions[0].row.source][side] = 0 - contributions[0].raw
            continue
        full = _side_sum(sorted((c.raw for c in contributions), reverse=True), powers)
        sources = dict.fromkeys(c.row.source for c in contributions)  # in contribution order
        if len(sources) == 1:
            change[next(iter(sources))][side] = 0 - full  # what _side_sum([]) - full gives
            continue
        # [(source, weight before independence)], heaviest first: sorted once, as leaving a
        # source out keeps the others in that order
        ms = sorted(((c.row.source, c.raw) for c in contributions), key=itemgetter(1), reverse=True)
        sums = _sums_without_each_source(ms, powers)
        for source in sources:
            change[source][side] = sums[source] - full
    full_score = b.score
    without: dict[str, float] = {}
    for source, sides in change.items():
        without[source] = _score(
            b.support + sides["supports"] if "supports" in sides else b.support,
            b.against + sides["contradicts"] if "contradicts" in sides else b.against,
            b.qualify + sides["qualifies"] if "qualifies" in sides else b.qualify,
            b.dilution,
        )
    values = [full_score, *without.values()]
    flips = [s for s, v in without.items() if (full_score > 0 and v <= 0) or (full_score < 0 and v >= 0)]
    rests_on = max(flips, key=lambda s: (abs(full_score - without[s]), s)) if flips else None
    return Sensitivity(min(values), max(values), rests_on, without)

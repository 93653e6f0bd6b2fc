"""Evidence aggregation: the balance of a hypothesis, and the contribution of every claim to it.

The formula, in one place (the UI and the CLI print it from `Weights.describe()`):

    weight(claim)  = strength x setting x reproduction x independence
    support        = sum of weights of claims that support the hypothesis
    against        = sum of weights of claims that contradict it
    qualify        = sum of weights of claims that qualify it
    balance        = (support - against) / (support + against + dilution x qualify)
                     in [-1, 1]; 0 when nothing bears on it. Qualifications pull the balance toward 0:
                     a hypothesis mostly hedged by its evidence should not read as settled.
    contested      = at least one strong claim on each side

`reproduction` is `reproduced` when the latest run of a claim's reproduction came out as the
claim expects, `refuted` when it came out the other way, 1 otherwise. `independence` is
`repeat` for a claim that replicates another claim (so ten repeats of one result do not
count as ten results), 1 otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strength: dict[str, float] = Field(default_factory=lambda: {"weak": 1.0, "moderate": 2.0, "strong": 3.0})
    setting: dict[str, float] = Field(
        default_factory=lambda: {"frontier": 1.0, "small-model": 0.8, "toy": 0.6, "theory": 0.5, "opinion": 0.25}
    )
    reproduced: float = Field(default=1.5, description="multiplier when the latest run agrees with the claim")
    refuted: float = Field(default=0.5, description="multiplier when the latest run disagrees with the claim")
    repeat: float = Field(default=0.5, description="multiplier for a claim that replicates another claim")
    dilution: float = Field(default=0.5, ge=0, description="how much qualifying weight pulls the balance toward 0")

    @classmethod
    def load(cls, path: Path | str | None) -> Weights:
        """Defaults, overridden key by key by a JSON file (e.g. {"setting": {"opinion": 0}})."""
        if path is None:
            return cls()
        overrides = json.loads(Path(path).read_text())
        merged = cls().model_dump()
        for key, value in overrides.items():
            merged[key] = {**merged[key], **value} if isinstance(value, dict) and key in merged else value
        return cls.model_validate(merged)

    def describe(self) -> str:
        def fmt(d: dict[str, float]) -> str:
            return ", ".join(f"{k} {v:g}" for k, v in d.items())

        return (
            "weight = strength x setting x reproduction x independence\n"
            f"  strength: {fmt(self.strength)}\n"
            f"  setting: {fmt(self.setting)}\n"
            f"  reproduction: agrees {self.reproduced:g}, disagrees {self.refuted:g}, none or inconclusive 1\n"
            f"  independence: replicates another claim {self.repeat:g}, otherwise 1\n"
            f"balance = (support - against) / (support + against + {self.dilution:g} x qualify)"
        )


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
    is_repeat: bool = False


@dataclass(slots=True)
class Contribution:
    row: EvidenceRow
    factors: dict[str, float]
    weight: float
    reproduction: str  # agrees | disagrees | inconclusive | none

    @property
    def signed(self) -> float:
        return {"supports": self.weight, "contradicts": -self.weight}.get(self.row.relation, 0.0)


@dataclass
class Balance:
    hypothesis: str
    dilution: float = 0.5
    support: float = 0.0
    against: float = 0.0
    qualify: float = 0.0
    contributions: list[Contribution] = field(default_factory=list)

    @property
    def score(self) -> float:
        total = self.support + self.against + self.dilution * self.qualify
        return 0.0 if total == 0 else (self.support - self.against) / total

    @property
    def contested(self) -> bool:
        sides = {c.row.relation for c in self.contributions if c.row.strength == "strong"}
        return {"supports", "contradicts"} <= sides

    @property
    def counts(self) -> dict[str, int]:
        counts = {"supports": 0, "contradicts": 0, "qualifies": 0}
        for c in self.contributions:
            counts[c.row.relation] += 1
        return counts

    @property
    def sources(self) -> int:
        return len({c.row.source for c in self.contributions})

    @property
    def reproductions(self) -> dict[str, int]:
        tally = {"agrees": 0, "disagrees": 0, "inconclusive": 0}
        for c in self.contributions:
            if c.reproduction in tally:
                tally[c.reproduction] += 1
        return tally

    def to_dict(self) -> dict[str, Any]:
        return {
            "hypothesis": self.hypothesis,
            "score": round(self.score, 4),
            "support": round(self.support, 4),
            "against": round(self.against, 4),
            "qualify": round(self.qualify, 4),
            "contested": self.contested,
            "counts": self.counts,
            "sources": self.sources,
            "reproductions": self.reproductions,
        }

    def explain(self) -> list[dict[str, Any]]:
        """Each claim's contribution, largest first: the numbers behind the balance."""
        rows = sorted(self.contributions, key=lambda c: (-c.weight, c.row.claim))
        return [
            {
                "claim": c.row.claim,
                "source": c.row.source,
                "relation": c.row.relation,
                "strength": c.row.strength,
                "setting": c.row.setting,
                "reproduction": c.reproduction,
                "factors": c.factors,
                "weight": round(c.weight, 4),
                "signed": round(c.signed, 4),
            }
            for c in rows
        ]


def contribution(row: EvidenceRow, weights: Weights) -> Contribution:
    outcomes = [("agrees" if outcome == expect else "disagrees") if outcome in ("reproduced", "not-reproduced") else "inconclusive" for outcome, expect in row.verdicts]
    reproduction = "disagrees" if "disagrees" in outcomes else "agrees" if "agrees" in outcomes else "inconclusive" if outcomes else "none"
    factors = {
        "strength": weights.strength.get(row.strength, 1.0),
        "setting": weights.setting.get(row.setting, 1.0),
        "reproduction": {"agrees": weights.reproduced, "disagrees": weights.refuted}.get(reproduction, 1.0),
        "independence": weights.repeat if row.is_repeat else 1.0,
    }
    weight = factors["strength"] * factors["setting"] * factors["reproduction"] * factors["independence"]
    return Contribution(row, factors, weight, reproduction)


def aggregate(hypothesis: str, rows: list[EvidenceRow], weights: Weights | None = None) -> Balance:
    weights = weights or Weights()
    balance = Balance(hypothesis, weights.dilution)
    _add(balance, rows, weights)
    return balance


def _add(balance: Balance, rows: list[EvidenceRow], weights: Weights) -> None:
    for row in rows:
        c = contribution(row, weights)
        balance.contributions.append(c)
        if row.relation == "supports":
            balance.support += c.weight
        elif row.relation == "contradicts":
            balance.against += c.weight
        else:
            balance.qualify += c.weight

"""What a change to the corpus does to the evidence: the numbers of one corpus per hypothesis
(a `Snapshot`), and the difference between two (`diff`).

A claim's `contribution` to a hypothesis is in balance units: how far the balance moves when
the claim's weight is taken out of its side (supports, contradicts, or qualifies, which pulls
toward 0), the other claims' weights held as they are. So "+0.31" reads as "this claim lifts the
balance by about 0.31", and a diff says how much each changed claim's share moved.

A claim counts as changed for a hypothesis when it is new there (`added`: a new claim, or a new
evidence link), gone (`removed`), or when anything the weighting reads of it changed (`edited`:
relation, strength, setting, kind, controls, runs, directness, its source's independence group,
an independent replication, or its reproduction verdict). A reworded rationale or statement, a
claim moved to another file, a renamed file: none changes a number, none is listed.

The core knows nothing of git: `claimgraph.history` builds snapshots of past revisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kg.evidence import Balance, EvidenceRow, Weights, aggregate, reproduction_of
from kg.store import Store

EPSILON = 5e-5  # numbers are compared as they are shown: to four decimals


@dataclass(frozen=True)
class ClaimState:
    contribution: float  # balance units (see the module docstring)
    row: dict[str, Any]  # what the weighting reads of the claim's link (see `row_facts`)


@dataclass(frozen=True)
class HypothesisState:
    title: str
    score: float
    certainty: str | None
    untested: bool
    claims: dict[str, ClaimState]

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "score": self.score,
            "certainty": self.certainty,
            "untested": self.untested,
            "claims": {c: [s.contribution, s.row] for c, s in self.claims.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HypothesisState:
        claims = {c: ClaimState(float(v[0]), dict(v[1])) for c, v in data["claims"].items()}
        return cls(str(data["title"]), float(data["score"]), data["certainty"], bool(data["untested"]), claims)


Snapshot = dict[str, HypothesisState]  # hypothesis id -> its numbers, in corpus order


def row_facts(row: EvidenceRow) -> dict[str, Any]:
    """What the weighting reads of one evidence link (the rationale is prose: it weighs nothing)."""
    return {
        "relation": row.relation,
        "strength": row.strength,
        "setting": row.setting,
        "kind": row.kind,
        "controlled": row.controlled,
        "runs": row.runs,
        "direct": row.direct,
        "group": row.independence_group,
        "replicated": row.independent_replication,
        "reproduction": reproduction_of(row),
    }


def contributions(b: Balance) -> dict[str, float]:
    """Each claim's contribution to the balance, in balance units (see the module docstring)."""
    sides = {"supports": b.support, "contradicts": b.against, "qualifies": b.qualify}
    out: dict[str, float] = {}
    for c in b.contributions:
        without = dict(sides)
        without[c.row.relation] -= c.weight
        total = without["supports"] + without["contradicts"] + b.dilution * without["qualifies"]
        rest = 0.0 if total <= 1e-12 else (without["supports"] - without["contradicts"]) / total
        out[c.row.claim] = out.get(c.row.claim, 0.0) + b.score - rest
    return out


def state_of(title: str, b: Balance) -> HypothesisState:
    shares = contributions(b)
    claims = {c.row.claim: ClaimState(shares[c.row.claim], row_facts(c.row)) for c in b.contributions}
    return HypothesisState(title, b.score, b.certainty[0], b.untested, claims)


def snapshot(store: Store, weights: Weights | None = None, memo: dict[Any, HypothesisState] | None = None) -> Snapshot:
    """Every hypothesis's balance, certainty and per-claim contributions. `memo` (a dict kept by
    the caller, for one set of weights) reuses the state of a hypothesis whose evidence rows are
    the same as in a snapshot before: over a history, most commits leave most hypotheses alone."""
    weights = weights or Weights()
    out: Snapshot = {}
    for h in store.hypotheses():
        rows = store.evidence(h.id)
        key = (h.id, h.title, tuple(rows))
        state = memo.get(key) if memo is not None else None
        if state is None:
            state = state_of(h.title, aggregate(h.id, rows, weights))
            if memo is not None:
                memo[key] = state
        out[h.id] = state
    return out


# --- the difference between two snapshots ------------------------------------------------------


@dataclass(frozen=True)
class ClaimChange:
    claim: str
    change: str  # added | removed | edited
    before: float | None  # its contribution before (None: it did not bear on the hypothesis)
    after: float | None
    why: str  # what changed, in words: "strength moderate → strong; reproduction none → agrees"

    @property
    def delta(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "change": self.change, "delta": round(self.delta, 4)}


@dataclass(frozen=True)
class HypothesisDiff:
    hypothesis: str
    title: str
    before: HypothesisState | None  # None: the hypothesis did not exist
    after: HypothesisState | None
    changes: list[ClaimChange]

    @property
    def score_before(self) -> float:
        return self.before.score if self.before else 0.0

    @property
    def score_after(self) -> float:
        return self.after.score if self.after else 0.0

    @property
    def moved(self) -> float:
        return self.score_after - self.score_before

    def to_dict(self) -> dict[str, Any]:
        """The shape `kg diff --format json` promises (tests/kg/test_history.py pins it)."""

        def side(s: HypothesisState | None) -> dict[str, Any]:
            return {"score": round(s.score, 4) if s else 0.0, "certainty": s.certainty if s else None}

        return {"hypothesis": self.hypothesis, "before": side(self.before), "after": side(self.after), "changes": [c.to_dict() for c in self.changes]}


def numbers_changed(before: HypothesisState | None, after: HypothesisState | None) -> bool:
    if before is None or after is None:
        return before is not after
    return abs(before.score - after.score) >= EPSILON or before.certainty != after.certainty or before.untested != after.untested


def claim_changes(before: HypothesisState | None, after: HypothesisState | None) -> list[ClaimChange]:
    """The claims whose evidence on one hypothesis changed, largest move first."""
    old = before.claims if before else {}
    new = after.claims if after else {}
    changes = []
    for claim in old.keys() | new.keys():
        a, b = old.get(claim), new.get(claim)
        if a is None and b is not None:
            changes.append(ClaimChange(claim, "added", None, b.contribution, _describe(b.row)))
        elif b is None and a is not None:
            changes.append(ClaimChange(claim, "removed", a.contribution, None, _describe(a.row)))
        elif a is not None and b is not None and a.row != b.row:
            moved = [f"{k} {_word(a.row.get(k))} → {_word(v)}" for k, v in b.row.items() if a.row.get(k) != v]
            changes.append(ClaimChange(claim, "edited", a.contribution, b.contribution, "; ".join(moved)))
    return sorted(changes, key=lambda c: (-abs(c.delta), c.claim))


def diff(before: Snapshot, after: Snapshot) -> list[HypothesisDiff]:
    """Every hypothesis whose balance or certainty differs, the largest move first, with the
    claims that changed under it. A hypothesis new on one side has score 0 and certainty None
    on the other."""
    out = []
    for hypothesis in [*after, *(h for h in before if h not in after)]:
        a, b = before.get(hypothesis), after.get(hypothesis)
        if numbers_changed(a, b):
            known = b or a
            title = known.title if known is not None else hypothesis
            out.append(HypothesisDiff(hypothesis, title, a, b, claim_changes(a, b)))
    return sorted(out, key=lambda d: (-abs(d.moved), d.hypothesis))


def _describe(row: dict[str, Any]) -> str:
    words = [str(row.get("relation")), str(row.get("strength")), str(row.get("setting"))]
    if row.get("reproduction") not in (None, "none"):
        words.append(f"reproduction {row['reproduction']}")
    return ", ".join(words)


def _word(value: Any) -> str:
    return {None: "unset", True: "yes", False: "no"}.get(value, str(value)) if isinstance(value, bool | None) else str(value)

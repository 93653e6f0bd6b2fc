"""The hypothesis page's answer in words: the verdict in one sentence, the strongest evidence on
each side, what qualifying does, what moved the balance most recently, and the comparison table.

Pure functions over kg's balance (`kg.evidence.aggregate`) and a store's entities, so they are
unit-tested without the app. Every number comes from kg; the only arithmetic here is asking kg
for the balance again with one thing left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import kg
from kg.evidence import EvidenceRow, Toggles

QUALIFYING_MEANS = (
    "Qualifying claims neither support nor contradict: they narrow where the hypothesis holds. "
    "They add weight to neither side and pull the balance toward 0 "
    "(balance = (support − against) / (support + against + {dilution} × qualify)), "
    "so even a heavy qualification moves it only a little."
)


def verdict_sentence(b: Any) -> str:
    """The answer in one sentence, in words a reader can repeat."""
    level = b.certainty[0]
    if b.untested:
        return "Untested: no experiment, observation or theory bears on it directly, so its balance is not an answer."
    if not b.contributions or (b.support == 0 and b.against == 0):
        return "No weighed evidence for or against it yet" + (": only qualifications." if b.qualify else ".")
    score = b.score
    if b.contested:
        lean = "slightly for" if score > 0.1 else "slightly against" if score < -0.1 else "evenly"
        head = f"Contested: strong evidence on both sides, balanced {lean}"
    elif score > 0.6:
        head = "Well supported"
    elif score > 0.33:
        head = "Leans supported"
    elif score < -0.6:
        head = "Mostly contradicted"
    elif score < -0.33:
        head = "Leans contradicted"
    elif score > 0.1:
        head = "Mixed, leaning supported"
    elif score < -0.1:
        head = "Mixed, leaning contradicted"
    else:
        head = "Evenly balanced"
    return f"{head} ({score:+.2f} on −1..+1), with {level} certainty, from {b.independent_groups} independent group(s)."


def strongest(b: Any, relation: str, n: int = 2) -> list:
    """The heaviest claims of one relation that count as evidence (weight > 0), heaviest first."""
    cs = [c for c in b.contributions if c.row.relation == relation and c.counts_as_evidence and c.weight > 0]
    return sorted(cs, key=lambda c: (-c.weight, c.row.claim))[:n]


@dataclass(frozen=True)
class Move:
    """One recent change and what it did to the balance."""

    what: str  # "verdict" | "source"
    when: str  # a date (verdicts) or a year (sources)
    claim: str  # the claim whose weight it changed ("" for a source)
    source: str
    before: float  # the balance without it
    after: float  # the balance with it
    weight_before: float | None = None  # the claim's weight without it (verdicts)
    weight_after: float | None = None
    detail: str = ""  # e.g. "grokking.smoke: reproduced (of record)"


def _without_verdicts(rows: list[EvidenceRow], claim: str) -> list[EvidenceRow]:
    return [replace(r, verdicts=()) if r.claim == claim else r for r in rows]


def _weight_of(b: Any, claim: str) -> float:
    return sum(c.weight for c in b.contributions if c.row.claim == claim)


def recent_moves(hypothesis: str, rows: list[EvidenceRow], b: Any, verdicts: dict[str, list], years: dict[str, int | None], weights: kg.Weights, toggles: Toggles | None = None) -> list[Move]:
    """What moved the balance most recently: the newest reproduction verdict among the claims
    (by its date), and the newest source (by year); each with the balance without it.

    `verdicts` maps claim id -> its kg.ClaimVerdicts, `years` source id -> year."""
    moves = []
    in_balance = {c.row.claim for c in b.contributions}
    dated = [(v.finished_at, v) for cid, vs in verdicts.items() if cid in in_balance for v in vs if v.finished_at and v.weighs]
    if dated:
        when, v = max(dated, key=lambda t: (t[0], t[1].claim))
        before = kg.aggregate(hypothesis, _without_verdicts(rows, v.claim), weights, toggles)
        status = {"record": "verdict of record", "stale": "stale verdict of record", "local": "local run, unpublished"}.get(v.status, v.status)
        moves.append(
            Move(
                "verdict",
                when[:10],
                v.claim,
                next((c.row.source for c in b.contributions if c.row.claim == v.claim), ""),
                before.score,
                b.score,
                _weight_of(before, v.claim),
                _weight_of(b, v.claim),
                f"{v.job}.{v.preset}: {v.outcome} ({status})",
            )
        )
    weighed = {c.row.source for c in b.contributions if c.weight > 0}
    with_year = [(y, s) for s, y in years.items() if y and s in weighed]
    if with_year:
        year, source = max(with_year)
        before_score = b.sensitivity.without.get(source, b.score)
        moves.append(Move("source", str(year), "", source, before_score, b.score))
    return moves


def move_text(m: Move, claim_text: str = "", source_title: str = "") -> str:
    """One line for a move (plain text; the page escapes it)."""
    if m.what == "verdict":
        weight = f"took its weight from {m.weight_before:.2f} to {m.weight_after:.2f}" if m.weight_before is not None and m.weight_after is not None else "changed its weight"
        return f"{m.when}: a reproduction ({m.detail}) of the claim “{claim_text or m.claim}” {weight}; the balance went from {m.before:+.2f} to {m.after:+.2f}."
    return f"Newest source ({m.when}): {source_title or m.source}. Without it the balance would be {m.before:+.2f}; with it, {m.after:+.2f}."


# --- the comparison table (ORKG style) ---------------------------------------------------------

COMPARISON_COLUMNS = ("claim", "statement", "relation", "setting", "model", "size", "training", "task", "year", "source", "strength", "weight", "verdict")


def comparison_rows(b: Any, store: Any, limit: int | None = None) -> list[dict[str, Any]]:
    """One row per claim that bears on the hypothesis (or the `limit` heaviest): its conditions
    side by side, by relation, the heaviest first."""
    chosen = b.contributions if limit is None else sorted(b.contributions, key=lambda c: (-c.weight, c.row.claim))[:limit]
    out = []
    for c in sorted(chosen, key=lambda c: (c.row.relation, -c.weight, c.row.claim)):
        claim = store.claim(c.row.claim)
        source = store.source(c.row.source)
        scope = claim.scope if claim and claim.scope else None
        verdicts = store.verdicts(c.row.claim)
        out.append(
            {
                "claim": c.row.claim,
                "statement": " ".join(claim.statement.split()) if claim else "",
                "relation": c.row.relation,
                "setting": c.row.setting,
                "model": (scope.model if scope else None) or "",
                "size": (scope.size if scope else None) or "",
                "training": (scope.training if scope else None) or "",
                "task": (scope.task if scope else None) or "",
                "year": source.year if source and source.year else None,
                "source": c.row.source,
                "strength": c.row.strength,
                "weight": round(c.weight, 3),
                "verdict": "; ".join(f"{v.outcome} ({'of record' if v.status == 'record' else v.status})" for v in verdicts),
            }
        )
    return out

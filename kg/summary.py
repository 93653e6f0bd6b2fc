"""A balance's overview numbers without its contributions: what a list of hypotheses shows.

At 100k claims a `kg.evidence.Balance` holds ~17k contributions and computing the overview's
numbers for 12 hypotheses costs seconds; the numbers themselves are a few hundred bytes per
hypothesis. `Summary` holds just those numbers, `summarise` takes them from a Balance, and
`dumps` / `loads` carry them as JSON, floats exactly, so a store can keep them
(kg.neo4j_store keeps them in Neo4j per sync version and `METHOD`).

`method()` names the evidence method that produced a summary: a hash of this module, of
kg/evidence.py and of the default weights. A summary kept under another method (older code,
other defaults) is never read back; summaries under custom weights are never kept.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kg import evidence
from kg.evidence import Balance, Sensitivity, Weights

FORMAT = 1  # bump when the JSON below changes shape


@dataclass(frozen=True)
class Summary:
    """The numbers of a `Balance` that the overview shows, under the same names.

    `sensitivity.without` holds only the source the balance rests on (if any); the whole
    leave-one-out table is the Balance's. `claims` is `len(balance.contributions)`."""

    hypothesis: str
    score: float
    support: float
    against: float
    qualify: float
    claims: int
    counts: dict[str, int]
    sources: int
    reproductions: dict[str, int]
    contested: bool
    untested: bool
    certainty: tuple[str, list[str]]
    sensitivity: Sensitivity
    independent_groups: int

    def to_dict(self) -> dict[str, Any]:
        """Balance.to_dict's keys but the groups (a list as long as the sources), plus `claims`."""
        return {**evidence.overview_numbers(self), "claims": self.claims, "independent_groups": self.independent_groups}


def summarise(b: Balance) -> Summary:
    s = b.sensitivity
    level, reasons = b.certainty
    return Summary(
        hypothesis=b.hypothesis,
        score=b.score,
        support=b.support,
        against=b.against,
        qualify=b.qualify,
        claims=len(b.contributions),
        counts=b.counts,
        sources=b.sources,
        reproductions=b.reproductions,
        contested=b.contested,
        untested=b.untested,
        certainty=(level, list(reasons)),
        sensitivity=Sensitivity(s.min, s.max, s.rests_on, {s.rests_on: s.without[s.rests_on]} if s.rests_on else {}),
        independent_groups=b.independent_groups,
    )


def dumps(summaries: dict[str, Summary]) -> str:
    """JSON of {hypothesis id: summary}; floats as Python writes them, so they read back equal."""
    return json.dumps({"format": FORMAT, "summaries": {h: _plain(s) for h, s in summaries.items()}}, ensure_ascii=False, allow_nan=False)


def loads(text: str) -> dict[str, Summary] | None:
    """What `dumps` wrote; None for another format or anything unreadable (then recompute)."""
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            return None
        return {h: _summary(d) for h, d in data["summaries"].items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _plain(s: Summary) -> dict[str, Any]:
    sens = s.sensitivity
    return {
        "hypothesis": s.hypothesis,
        "score": s.score,
        "support": s.support,
        "against": s.against,
        "qualify": s.qualify,
        "claims": s.claims,
        "counts": s.counts,
        "sources": s.sources,
        "reproductions": s.reproductions,
        "contested": s.contested,
        "untested": s.untested,
        "certainty": [s.certainty[0], s.certainty[1]],
        "sensitivity": {"min": sens.min, "max": sens.max, "rests_on": sens.rests_on, "without": sens.without},
        "independent_groups": s.independent_groups,
    }


def _summary(d: dict[str, Any]) -> Summary:
    sens = d["sensitivity"]
    level, reasons = d["certainty"]
    return Summary(
        hypothesis=str(d["hypothesis"]),
        score=float(d["score"]),
        support=float(d["support"]),
        against=float(d["against"]),
        qualify=float(d["qualify"]),
        claims=int(d["claims"]),
        counts={str(k): int(v) for k, v in d["counts"].items()},
        sources=int(d["sources"]),
        reproductions={str(k): int(v) for k, v in d["reproductions"].items()},
        contested=bool(d["contested"]),
        untested=bool(d["untested"]),
        certainty=(str(level), [str(r) for r in reasons]),
        sensitivity=Sensitivity(float(sens["min"]), float(sens["max"]), sens["rests_on"], {str(k): float(v) for k, v in sens["without"].items()}),
        independent_groups=int(d["independent_groups"]),
    )


@cache
def method() -> str:
    """A name for the evidence method under the default weights (see the module docstring)."""
    h = hashlib.blake2b(digest_size=12)
    for path in (Path(evidence.__file__), Path(__file__)):
        h.update(path.read_bytes())
    h.update(Weights().model_dump_json().encode())
    h.update(str(FORMAT).encode())
    return h.hexdigest()

"""The typed records that enter the core from its plugins.

Reproduction verdicts come from `repro` and citation edges from `ingest`, but the core never
imports either: the composition layer (`claimgraph`) reads them and hands them to
`kg.GraphStore` as these models. `Verdict` is the one verdict type of the project: a job
returns it, the run store keeps it, the graph weighs it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal["reproduced", "not-reproduced", "inconclusive"]
OUTCOMES: tuple[str, ...] = ("reproduced", "not-reproduced", "inconclusive")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Verdict(Record):
    """A job's decision on whether the paper's qualitative result came out, and why."""

    outcome: Outcome
    reason: str = Field(description="one or two sentences naming the check that decided")
    numbers: dict[str, Any] = Field(default_factory=dict, description="the deciding numbers")
    checks: dict[str, bool] = Field(default_factory=dict, description="each named check, pass/fail")


class ClaimVerdict(Record):
    """The verdict of one reproduction a claim names: the latest finished run of that request."""

    claim: str
    job: str
    preset: str
    expect: Literal["reproduced", "not-reproduced"] = "reproduced"
    verdict: Verdict
    run_id: str
    seed: int | None = None
    finished_at: str = ""
    code_version: str | None = None

    @property
    def outcome(self) -> str:
        return self.verdict.outcome

    @property
    def agrees(self) -> bool | None:
        """True when the run came out as the claim expects, False when the other way, None when inconclusive."""
        if self.verdict.outcome == "inconclusive":
            return None
        return self.verdict.outcome == self.expect

    @property
    def summary(self) -> str:
        seed = f" (seed {self.seed})" if self.seed is not None else ""
        return f"{self.verdict.outcome}{seed}: {self.verdict.reason}"


class CitationEdge(Record):
    """One corpus source citing another, as Semantic Scholar recorded it."""

    citing: str  # source id
    cited: str
    intents: tuple[str, ...] = ()
    influential: bool = False

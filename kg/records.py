"""The typed records that enter the core from its plugins.

Reproduction verdicts come from `repro` and citation edges from `ingest`, but the core never
imports either: the composition layer (`claimgraph`) reads them and hands them to
`kg.GraphStore` as these models. `Verdict` is the one verdict type of the project: a job
returns it, the run store keeps it, the graph weighs it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


MIN_SEEDS = 3  # a verdict of record needs at least this many seeds on the current job code


def agreement(outcomes: Iterable[str]) -> tuple[Outcome, str]:
    """The rule of a verdict of record: the seeds' outcomes -> (agreed outcome, note).

    At least MIN_SEEDS seeds that all agree give their outcome ("3 of 3 reproduced"); seeds that
    disagree give `inconclusive`, with the note naming the most common outcome ("2 of 3
    reproduced"). Raises ValueError for fewer than MIN_SEEDS seeds: they cannot be published."""
    seen = list(outcomes)
    if len(seen) < MIN_SEEDS:
        raise ValueError(f"a verdict of record needs at least {MIN_SEEDS} seeds, got {len(seen)}")
    counts = Counter(seen)
    top = max(OUTCOMES, key=lambda o: (counts[o], -OUTCOMES.index(o)))  # ties: reproduced first
    note = f"{counts[top]} of {len(seen)} {top}"
    agreed: Outcome = top if counts[top] == len(seen) else "inconclusive"  # type: ignore[assignment]  # top is one of OUTCOMES
    return agreed, note


class SeedVerdict(Record):
    """One seed's run in a verdict of record."""

    seed: int
    outcome: Outcome
    reason: str = ""
    numbers: dict[str, Any] = Field(default_factory=dict, description="the run's deciding numbers")
    run_id: str = Field(description="the run in the publisher's run store")
    finished_at: str = ""


class Hardware(Record):
    """Where the seeds ran (distinct values joined by ', ' when the seeds ran in several places)."""

    device: str = Field(description="cpu, cuda:0, ...")
    gpu: str | None = None
    torch: str | None = None


class VerdictOfRecord(Record):
    """A job and preset's published verdict: the agreement of at least three seeds on one job
    code version. Lives beside the claims as `verdicts/<job>.<preset>.json` (written by
    `kg runs publish`, checked by `kg validate`); stale once the job's code version changes."""

    job: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    preset: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    params: dict[str, Any] = Field(description="the resolved parameters every seed ran with")
    code_version: str = Field(min_length=1, description="the job code version the seeds ran on (repro.store.job_code_version)")
    seeds: tuple[SeedVerdict, ...]
    outcome: Outcome = Field(description="the agreed outcome: the seeds' outcome when all agree, else inconclusive")
    note: str = Field(description="how the seeds came out, e.g. '3 of 3 reproduced' or '2 of 3 reproduced'")
    hardware: Hardware
    date: str = Field(min_length=1, description="when it was published (UTC, ISO 8601)")

    @model_validator(mode="after")
    def _follows_the_rule(self) -> VerdictOfRecord:
        numbers = [s.seed for s in self.seeds]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"seeds repeat: {', '.join(str(n) for n in numbers)}; each seed counts once")
        outcome, note = agreement(s.outcome for s in self.seeds)
        if (self.outcome, self.note) != (outcome, note):
            raise ValueError(f"outcome '{self.outcome}' ({self.note}) does not follow from the seeds, which give '{outcome}' ({note})")
        return self

    @classmethod
    def from_seeds(cls, job: str, preset: str, params: dict[str, Any], code_version: str, seeds: Iterable[SeedVerdict], hardware: Hardware, date: str) -> VerdictOfRecord:
        """Apply the rule (`agreement`) to the seeds; ValueError when there are too few."""
        ordered = tuple(sorted(seeds, key=lambda s: s.seed))
        outcome, note = agreement(s.outcome for s in ordered)
        return cls(job=job, preset=preset, params=params, code_version=code_version, seeds=ordered, outcome=outcome, note=note, hardware=hardware, date=date)

    @property
    def seed_numbers(self) -> tuple[int, ...]:
        return tuple(s.seed for s in self.seeds)

    @property
    def run_id(self) -> str:
        """The id the graph gives this record's Run node (one node per job and preset)."""
        return f"record:{self.job}.{self.preset}"

    def verdict(self) -> Verdict:
        seeds = ", ".join(str(n) for n in self.seed_numbers)
        return Verdict(outcome=self.outcome, reason=f"{self.note} on seeds {seeds} (code {self.code_version})", numbers={f"seed {s.seed}": s.outcome for s in self.seeds})


VerdictStatus = Literal["record", "stale", "local"]


class ClaimVerdict(Record):
    """The verdict of one reproduction a claim names, and where it comes from (`status`):

    - `record`: the job's verdict of record, on the current job code: it weighs;
    - `stale`: a verdict of record whose job code has changed since: shown, weighs as no verdict;
    - `local`: the latest finished run in this machine's run store, not published: it weighs.
    """

    claim: str
    job: str
    preset: str
    expect: Literal["reproduced", "not-reproduced"] = "reproduced"
    verdict: Verdict
    run_id: str
    seed: int | None = None
    finished_at: str = ""
    code_version: str | None = None
    status: VerdictStatus = "local"
    seeds: tuple[int, ...] = ()  # a verdict of record's seeds

    @property
    def weighs(self) -> bool:
        """Does this verdict count in the balance? A stale verdict of record does not."""
        return self.status != "stale"

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
        if self.status == "record":
            return f"{self.verdict.outcome} (verdict of record): {self.verdict.reason}"
        if self.status == "stale":
            return f"stale verdict of record, weighs nothing until re-run (the job's code changed): was {self.verdict.outcome}: {self.verdict.reason}"
        seed = f"seed {self.seed}, " if self.seed is not None else ""
        return f"{self.verdict.outcome} ({seed}local run, unpublished): {self.verdict.reason}"


class CitationEdge(Record):
    """One corpus source citing another, as Semantic Scholar recorded it."""

    citing: str  # source id
    cited: str
    intents: tuple[str, ...] = ()
    influential: bool = False

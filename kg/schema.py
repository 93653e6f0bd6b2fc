"""The schema: pydantic models are the single definition of what a corpus file may hold.

JSON Schema (claims/schema/), the validator and the docs all come from these models.
Every model forbids unknown keys, so a typo in a contributor's file is an error, not a
silently ignored field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN, min_length=2, max_length=80),
    Field(description="Stable id: lowercase letters, digits and single hyphens, e.g. nanda2023-progress-measures"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


SourceKind = Literal["paper", "post", "comment", "book", "talk"]
Setting = Literal["toy", "small-model", "frontier", "theory", "opinion"]
Relation = Literal["supports", "contradicts", "qualifies"]
Strength = Literal["weak", "moderate", "strong"]
ClaimRelation = Literal["replicates", "fails-to-replicate", "disputes", "extends"]
Expectation = Literal["reproduced", "not-reproduced"]
ClaimKind = Literal["experiment", "observation", "theory", "definition", "opinion"]

# The same vocabularies as tuples, for code that lists the choices (UI menus, docs).
SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)
SETTINGS: tuple[str, ...] = get_args(Setting)
RELATIONS: tuple[str, ...] = get_args(Relation)
STRENGTHS: tuple[str, ...] = get_args(Strength)
CLAIM_RELATIONS: tuple[str, ...] = get_args(ClaimRelation)
CLAIM_KINDS: tuple[str, ...] = get_args(ClaimKind)
# When a claim does not say what it is, its setting is the best guess.
KIND_OF_SETTING: dict[str, str] = {"toy": "experiment", "small-model": "experiment", "frontier": "observation", "theory": "theory", "opinion": "opinion"}


class SourceIds(Model):
    """External identifiers; any one of them lets ingestion resolve the source exactly."""

    arxiv: Annotated[str, StringConstraints(pattern=r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})$")] | None = Field(
        default=None, description='arXiv id without version, e.g. "2301.05217" (quote it in YAML)'
    )
    doi: Annotated[str, StringConstraints(pattern=r"^10\.\d{4,9}/\S+$")] | None = Field(default=None, description="DOI, e.g. 10.48550/arXiv.2301.05217")
    s2: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}$")] | None = Field(default=None, description="Semantic Scholar paperId (40 hex characters)")
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = Field(default=None, description="Canonical web address (posts, comments)")


class Source(Model):
    """A paper, post, comment, book or talk that makes claims."""

    id: Slug
    kind: SourceKind
    title: Text
    authors: list[ShortText] = Field(default_factory=list)
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    venue: ShortText | None = None
    ids: SourceIds = Field(default_factory=SourceIds)
    aliases: list[ShortText] = Field(default_factory=list, description="Informal names people use for it, e.g. 'badllama'")
    origin: Slug | None = Field(
        None,
        description="A shared origin that makes sources not independent: the same lab or group, the same dataset or "
        "evaluation, or a follow-up by the same authors (e.g. 'evans-group'). Sources with one origin count as one body "
        "of evidence; without it a source is its own origin.",
    )
    note: Text | None = None


class SeedPassage(Model):
    """Where in the seed discussion a hypothesis comes from."""

    file: ShortText | None = Field(None, description="Seed file name, if several")
    paragraph: Annotated[int, Field(ge=1)] | None = Field(None, description="Paragraph (non-empty line) of the seed file, counted from 1")
    quote: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)] | None = Field(
        None, description="Deprecated: the corpus holds no copied sentences; point with `paragraph` instead"
    )


class Hypothesis(Model):
    """A position under debate; claims support, contradict or qualify it."""

    id: Slug
    title: ShortText = Field(description="A short name shown in tables")
    statement: Text
    parent: Slug | None = Field(None, description="A broader hypothesis this one refines")
    seed: SeedPassage | None = None


class Locator(Model):
    """Where in the source the claim is made. At least one field is required."""

    section: ShortText | None = None
    figure: ShortText | None = None
    table: ShortText | None = None
    page: ShortText | None = None
    paragraph: ShortText | None = Field(None, description="Paragraph(s) of a comment or post, e.g. '5' or '5-6'")
    quote: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] | None = Field(None, description="An optional short verbatim quote (at most 300 characters)")
    arxiv_version: Annotated[str, StringConstraints(pattern=r"^v\d+$")] | None = Field(None, description='e.g. "v2"')

    @model_validator(mode="after")
    def _not_empty(self) -> Locator:
        if not any((self.section, self.figure, self.table, self.page, self.paragraph, self.quote)):
            raise ValueError("a locator needs at least one of section, figure, table, page, paragraph or quote")
        return self

    def __str__(self) -> str:
        # "Sec. 4.2" and "Sec. B.1" for numbered sections; named ones ("Discussion") read better bare
        numbered = self.section and re.match(r"^(\d|[A-Z](\.|$))", self.section)
        parts = [
            (f"Sec. {self.section}" if numbered else self.section or ""),
            f"Fig. {self.figure}" if self.figure else "",
            f"Tab. {self.table}" if self.table else "",
            f"p. {self.page}" if self.page else "",
            f"para. {self.paragraph}" if self.paragraph else "",
        ]
        text = "; ".join(p for p in parts if p) or f'"{self.quote}"'
        return f"{text} ({self.arxiv_version})" if self.arxiv_version else text


class Scope(Model):
    """The conditions the claim holds under, so a balance can be read per scope."""

    model: ShortText | None = Field(None, description="Model family, e.g. 'Llama-2', '1-layer transformer'")
    size: ShortText | None = Field(None, description="Parameter count or range, e.g. '7B-70B'")
    training: ShortText | None = Field(None, description="Training regime, e.g. 'RLVR', 'AdamW full batch, wd=1'")
    task: ShortText | None = Field(None, description="Task or dataset, e.g. 'modular addition p=113'")


class EvidenceLink(Model):
    """How a claim bears on a hypothesis."""

    hypothesis: Slug
    relation: Relation
    strength: Strength
    rationale: Text
    direct: bool = Field(
        True,
        description="False when the claim bears on the hypothesis only indirectly: its setting or scope is narrower than "
        "the hypothesis's, or it does not test the comparison the hypothesis makes (certainty is rated down).",
    )


class ClaimLink(Model):
    """How a claim bears on another claim (lets the balance tell replications from independent evidence)."""

    claim: Slug
    relation: ClaimRelation
    note: Text | None = None


class ReproductionRef(Model):
    """A runnable job that tests the claim; its latest verdict becomes evidence."""

    job: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)] = Field(description="A job module in repro/jobs, e.g. grokking or sparse_parity")
    preset: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=60)] = "smoke"
    params: dict[str, Any] = Field(default_factory=dict, description="Overrides on top of the preset")
    expect: Expectation = "reproduced"


class Claim(Model):
    """One precise finding of one source, in our own words."""

    id: Slug
    source: Slug
    statement: Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=1500)]
    locator: Locator
    setting: Setting
    kind: ClaimKind | None = Field(
        None,
        description="What the claim is: an experiment (a controlled or comparative run), an observation (a report of "
        "behaviour, e.g. of a frontier model), a theory (a proof or derivation), a definition (never weighs) or an opinion "
        "(an argument; weighs 0 by default). Default: from the setting (toy/small-model: experiment, frontier: "
        "observation, theory: theory, opinion: opinion).",
    )
    controlled: bool | None = Field(None, description="True when the finding comes with a control arm or an ablation that rules out the obvious alternative")
    runs: Annotated[int, Field(ge=1)] | None = Field(None, description="Independent runs (seeds, models or samples) the finding rests on; 1 means a single run")
    scope: Scope | None = None
    evidence: list[EvidenceLink] = Field(default_factory=list)
    links: list[ClaimLink] = Field(default_factory=list)
    reproductions: list[ReproductionRef] = Field(default_factory=list)
    tags: list[Slug] = Field(default_factory=list)

    @property
    def effective_kind(self) -> str:
        """The kind the claim declares, else the one its setting implies."""
        return self.kind or KIND_OF_SETTING[self.setting]

    @field_validator("evidence")
    @classmethod
    def _one_link_per_hypothesis(cls, links: list[EvidenceLink]) -> list[EvidenceLink]:
        seen = set()
        for link in links:
            if link.hypothesis in seen:
                raise ValueError(f"two evidence links to hypothesis '{link.hypothesis}'; keep one")
            seen.add(link.hypothesis)
        return links


def model_in(annotation: Any) -> type[Model] | None:
    """The schema model inside a field's type (`Locator | None`, `list[EvidenceLink]`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = model_in(arg)
        if found is not None:
            return found
    return None


# What each kind of corpus file holds. The file name decides the kind (see kg.loading).
FILE_KINDS: dict[str, type[Model]] = {"sources": Source, "hypotheses": Hypothesis, "claims": Claim}

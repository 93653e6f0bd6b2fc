"""`kg validate`: load the corpus, then check what no single file can check on its own.

Reference checks (every id a claim names exists), hypothesis parents without cycles,
reproduction jobs and their parameters, and near-duplicate claims and sources
(rapidfuzz; warnings, errors under --strict).

Every check is linear or close to it in the size of the corpus, so a pull request cannot
hold CI hostage: near-duplicates are compared within blocks of bounded work (kg.neardup),
parent cycles are found in one walk, and "did you mean" suggestions, which scan every id,
are made for the first MAX_SUGGESTIONS dangling references only.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from rapidfuzz import fuzz, process, utils

from kg import neardup
from kg.loading import Corpus, Origin, file_kind, is_corpus_file, load_bytes, load_corpus, load_text, merge
from kg.problems import Problem
from kg.util import gc_paused
from kg.verdicts import VERDICTS_DIR, RecordFile, load_records, parse_record_bytes

NEAR_DUPLICATE_CLAIM = 90  # ratio (normalised Indel similarity) on statements of the same source
NEAR_DUPLICATE_SOURCE = 95  # ratio on normalised titles
MAX_SUGGESTIONS = 50  # "did you mean" scans every id: bounded, so 100k dangling references stay linear


class JobCatalog(Protocol):
    """What validation needs to know about reproduction jobs; `repro.catalog` provides it."""

    def job_names(self) -> list[str]: ...

    def check(self, job: str, preset: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Problems with one request of a known job, as (message, hint); empty when it is valid."""
        ...


@dataclass
class Report:
    corpus: Corpus
    problems: list[Problem] = field(default_factory=list)
    records: list[RecordFile] = field(default_factory=list)  # the well-formed verdicts of record

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(root: Path | str, strict: bool = False, check_duplicates: bool = True, jobs: JobCatalog | None = None, code_versions: Callable[[str], str | None] | None = None) -> Report:
    """Load and check a corpus and its verdicts of record (`verdicts/*.json`). `jobs` is the
    reproduction catalogue and `code_versions` gives a job's current code version; without them
    (the core knows no jobs) reproductions and verdicts of record are checked for shape only."""
    with gc_paused():  # millions of long-lived objects at 100k claims: see kg.util.gc_paused
        corpus, problems = load_corpus(root)
        records, record_problems = load_records(root) if Path(root).is_dir() else ([], [])
        return _checked(corpus, problems + record_problems, records, strict, check_duplicates, jobs, code_versions)


Parsed = MutableMapping[tuple[str, bytes], Any]  # (path, digest) -> a file's load (a corpus part, or a record)


@gc_paused()  # a corpus at each commit of a history: see kg.util.gc_paused
def validate_files(
    files: Mapping[str, bytes],
    prefix: str = "",
    strict: bool = False,
    check_duplicates: bool = True,
    jobs: JobCatalog | None = None,
    code_versions: Callable[[str], str | None] | None = None,
    parsed: Parsed | None = None,
) -> Report:
    """`validate` over a corpus held in memory, such as a corpus folder at a git revision.

    `files` maps each path inside the corpus folder (`goals.yaml`, `verdicts/grokking.smoke.json`)
    to its bytes; problems name the file as `prefix + path`. `parsed` (a dict the caller keeps)
    remembers each YAML file's load by path and content, so a history of commits that each
    change one file parses each version of a file once.
    """
    parts: list[tuple[Corpus, list[Problem]]] = []
    records: list[RecordFile] = []
    problems: list[Problem] = []
    for path in sorted(files):
        raw, relative, name = files[path], PurePosixPath(path), prefix + path
        digest = hashlib.blake2b(raw, digest_size=16).digest()
        if relative.parts[:-1] == (VERDICTS_DIR,) and not relative.name.startswith("."):
            read = parsed.get((f"record:{path}", digest)) if parsed is not None else None
            if read is None:
                read = parse_record_bytes(raw, name, relative.name)
                if parsed is not None:
                    parsed[(f"record:{path}", digest)] = read
            problems += read[1]
            records += [read[0]] if read[0] is not None else []
        if is_corpus_file(Path(path)):
            part: tuple[Corpus, list[Problem]] | None = parsed.get((path, digest)) if parsed is not None else None
            if part is None:
                into = Corpus(files=[name])
                part = (into, load_bytes(raw, name, file_kind(Path(path)), into))
                if parsed is not None:
                    parsed[(path, digest)] = part
            parts.append(part)
    corpus, load_problems = merge(parts)
    return _checked(corpus, load_problems + problems, records, strict, check_duplicates, jobs, code_versions)


def _checked(
    corpus: Corpus,
    problems: list[Problem],
    records: list[RecordFile],
    strict: bool,
    check_duplicates: bool,
    jobs: JobCatalog | None,
    code_versions: Callable[[str], str | None] | None,
) -> Report:
    problems += check_references(corpus)
    if jobs is not None:
        problems += check_reproductions(corpus, jobs)
        problems += check_records(records, jobs, code_versions)
    if check_duplicates:
        problems += near_duplicates(corpus)
    if strict:
        problems = [Problem(p.file, p.line, p.message, p.hint, "error") for p in problems]
    problems.sort(key=lambda p: (p.file, p.line))
    return Report(corpus, problems, records)


def validate_text(text: str, corpus: Corpus, name: str = "your claim", kind: str = "claims", jobs: JobCatalog | None = None) -> list[Problem]:
    """Check new YAML (a drafted claim, say) against a loaded corpus with the checks `kg validate`
    runs, and report what concerns the new text at its own line numbers. `corpus` is not changed.

    The new items load last, so every problem that involves them (a dangling reference, a
    duplicate id, a near-duplicate of an existing claim) is attributed to `name`.
    """
    scratch = Corpus(dict(corpus.sources), dict(corpus.hypotheses), dict(corpus.claims), dict(corpus.origins))
    problems = load_text(text, name, kind, scratch)
    problems += check_references(scratch) + near_duplicates(scratch)
    if jobs is not None:
        problems += check_reproductions(scratch, jobs)
    return sorted({p for p in problems if p.file == name}, key=lambda p: (p.line, p.message))


def _at(corpus: Corpus, kind: str, entity_id: str) -> Origin:
    return corpus.origin(kind, entity_id) or Origin("?", 1)


def _suggest(name: str, choices: Iterable[str]) -> str:
    match = process.extractOne(name, list(choices), scorer=fuzz.ratio, score_cutoff=70)
    return f"did you mean '{match[0]}'?" if match else ""


def check_references(corpus: Corpus) -> list[Problem]:
    problems = []
    budget = [MAX_SUGGESTIONS]

    def dangling(origin: Origin, what: str, ref: str, pool: Iterable[str], where: str) -> None:
        budget[0] -= 1
        hint = (_suggest(ref, pool) if budget[0] >= 0 else "") or (
            f"it may be in {', '.join(corpus.unreadable)}, which could not be read: fix that first" if corpus.unreadable else f"add it to {where} or fix the id"
        )
        problems.append(Problem(origin.file, origin.line, f"{what} '{ref}' does not exist", hint))

    for claim in corpus.claims.values():
        at = _at(corpus, "claims", claim.id)
        if claim.source not in corpus.sources:
            dangling(at, f"'{claim.id}': source", claim.source, corpus.sources, "claims/sources.yaml")
        for link in claim.evidence:
            if link.hypothesis not in corpus.hypotheses:
                dangling(at, f"'{claim.id}': hypothesis", link.hypothesis, corpus.hypotheses, "claims/hypotheses.yaml")
        for claim_link in claim.links:
            if claim_link.claim == claim.id:
                problems.append(Problem(at.file, at.line, f"'{claim.id}' links to itself", "link to another claim"))
            elif claim_link.claim not in corpus.claims:
                dangling(at, f"'{claim.id}': linked claim", claim_link.claim, corpus.claims, "a claims file")
        if not claim.evidence and not claim.links:
            problems.append(Problem(at.file, at.line, f"'{claim.id}' bears on no hypothesis and no claim", "add an evidence link", "warning"))

    for hyp in corpus.hypotheses.values():
        if hyp.parent and hyp.parent not in corpus.hypotheses:
            dangling(_at(corpus, "hypotheses", hyp.id), f"'{hyp.id}': parent", hyp.parent, corpus.hypotheses, "claims/hypotheses.yaml")
    for hyp_id in _parent_cycles(corpus):
        at = _at(corpus, "hypotheses", hyp_id)
        problems.append(Problem(at.file, at.line, f"'{hyp_id}': parent chain loops back to itself", "break the cycle"))
    return problems


def _parent_cycles(corpus: Corpus) -> list[str]:
    """Hypotheses on a parent cycle, in one walk: each has at most one parent, so every chain
    is followed once and a cycle is found when a chain meets its own walk."""
    looping: list[str] = []
    done: set[str] = set()
    for start in corpus.hypotheses:
        walk: dict[str, int] = {}  # this chain's hypotheses, in order
        current: str | None = start
        while current is not None and current in corpus.hypotheses and current not in done:
            if current in walk:
                looping += list(walk)[walk[current] :]
                break
            walk[current] = len(walk)
            current = corpus.hypotheses[current].parent
        done.update(walk)
    order = {h: i for i, h in enumerate(corpus.hypotheses)}
    return sorted(looping, key=order.__getitem__)


def check_reproductions(corpus: Corpus, jobs: JobCatalog) -> list[Problem]:
    """Every reproduction names a known job, a known preset, and parameters the job accepts."""
    problems, names = [], jobs.job_names()
    for claim in corpus.claims.values():
        for ref in claim.reproductions:
            at = _at(corpus, "claims", claim.id)
            if ref.job not in names:
                hint = _suggest(ref.job, names) or f"known jobs: {', '.join(names)}"
                problems.append(Problem(at.file, at.line, f"'{claim.id}': unknown reproduction job '{ref.job}'", hint))
                continue
            for message, hint in jobs.check(ref.job, ref.preset, ref.params):
                problems.append(Problem(at.file, at.line, f"'{claim.id}': reproduction {ref.job}/{ref.preset}: {message}", hint))
    return problems


def check_records(records: Iterable[RecordFile], jobs: JobCatalog, code_versions: Callable[[str], str | None] | None = None) -> list[Problem]:
    """Every verdict of record names a known job and preset and parameters the job accepts; one
    whose job code has changed since is stale (a warning: it weighs as no verdict)."""
    problems, names = [], jobs.job_names()
    for found in records:
        r = found.record
        if r.job not in names:
            hint = _suggest(r.job, names) or f"known jobs: {', '.join(names)}"
            problems.append(Problem(found.file, found.line("job"), f"verdict of record for unknown job '{r.job}'", hint))
            continue
        issues = jobs.check(r.job, r.preset, r.params)
        for message, hint in issues:
            key = "preset" if message.startswith("unknown preset") else "params"
            problems.append(Problem(found.file, found.line(key), f"verdict of record {r.job}/{r.preset}: {message}", hint))
        current = code_versions(r.job) if code_versions is not None and not issues else None
        if current is not None and current != r.code_version:
            seeds = ",".join(str(n) for n in r.seed_numbers)
            problems.append(
                Problem(
                    found.file,
                    found.line("code_version"),
                    f"stale verdict of record {r.job}/{r.preset}: its seeds ran on job code {r.code_version}, the job is now {current}; it weighs as no verdict",
                    f"re-run its seeds with `kg run {r.job} --preset {r.preset} --seeds {seeds}` (and its params), then `kg runs publish {r.job} --preset {r.preset}`",
                    "warning",
                )
            )
    return problems


def _normalise(text: str) -> str:
    return utils.default_process(text)


def near_duplicates(corpus: Corpus) -> list[Problem]:
    """Claims of one source that say nearly the same thing, and sources with nearly the same title.

    Claims are compared within their source and sources within their year, and a large group
    through blocks of bounded work (kg.neardup), which keeps the cost linear in corpus size.
    Each claim or source is reported once, against the first one it nearly duplicates.
    """
    problems = []
    by_source: dict[str, list[str]] = defaultdict(list)
    for claim in corpus.claims.values():
        by_source[claim.source].append(claim.id)
    for ids in by_source.values():
        if len(ids) > 1:
            texts = [_normalise(corpus.claims[i].statement) for i in ids]
            problems += _pairs(corpus, "claims", ids, texts, NEAR_DUPLICATE_CLAIM)
    by_year: dict[int | None, list[str]] = defaultdict(list)
    for source in corpus.sources.values():
        by_year[source.year].append(source.id)
    for ids in by_year.values():
        if len(ids) > 1:
            texts = [_normalise(corpus.sources[i].title) for i in ids]
            problems += _pairs(corpus, "sources", ids, texts, NEAR_DUPLICATE_SOURCE)
    return problems


def _pairs(corpus: Corpus, kind: str, ids: list[str], texts: list[str], cutoff: int) -> list[Problem]:
    problems = []
    noun = "claim" if kind == "claims" else "source"
    for i, j, score in neardup.first_matches(texts, fuzz.ratio, cutoff):
        at, other = _at(corpus, kind, ids[j]), _at(corpus, kind, ids[i])
        problems.append(Problem(at.file, at.line, f"{noun} '{ids[j]}' nearly duplicates '{ids[i]}' at {other} (similarity {score:.0f})", "merge them, or reword to say what differs", "warning"))
    return problems

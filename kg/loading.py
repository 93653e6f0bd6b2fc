"""Load corpus files into validated models, collecting every problem with its file:line.

A corpus is a folder of YAML files. The file name says what a file holds:
`sources*.yaml` hold sources, `hypotheses*.yaml` hold hypotheses, every other `*.yaml`
holds claims. Each file is a YAML list. `schema/` folders (the generated JSON Schema) and
`verdicts/` (read by kg.verdicts) are not read as corpus files; any other file that is not
read is a warning, and what is not a regular file inside the corpus is refused (kg.files).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails
from rapidfuzz import fuzz, process

from kg import hygiene, yamlsafe
from kg.files import Refused, list_corpus, read_capped
from kg.problems import Problem
from kg.schema import Claim, Hypothesis, Model, Source, model_in

MAX_FILE_BYTES = 8 * 1024 * 1024
VERDICTS_FOLDER = "verdicts"  # verdicts of record: JSON, read by kg.verdicts

Entity = Source | Hypothesis | Claim
_MODELS: dict[str, type[Source] | type[Hypothesis] | type[Claim]] = {"sources": Source, "hypotheses": Hypothesis, "claims": Claim}
_ADAPTERS: dict[str, TypeAdapter[list[Source]] | TypeAdapter[list[Hypothesis]] | TypeAdapter[list[Claim]]] = {
    "sources": TypeAdapter(list[Source]),
    "hypotheses": TypeAdapter(list[Hypothesis]),
    "claims": TypeAdapter(list[Claim]),
}


@dataclass(frozen=True)
class Origin:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Corpus:
    """Everything the YAML asserts, keyed by id, with where each entity was written."""

    sources: dict[str, Source] = field(default_factory=dict)
    hypotheses: dict[str, Hypothesis] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)  # (kind, id) -> where
    files: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # files that did not parse at all

    def origin(self, kind: str, entity_id: str) -> Origin | None:
        return self.origins.get((kind, entity_id))


def file_kind(path: Path) -> str:
    stem = path.stem.lower()
    if stem.startswith("sources"):
        return "sources"
    if stem.startswith("hypotheses"):
        return "hypotheses"
    return "claims"


def is_corpus_file(relative: Path) -> bool:
    """Is this path (relative to the corpus folder) a corpus YAML file? schema/ is skipped."""
    return relative.suffix in (".yaml", ".yml") and "schema" not in relative.parts


def corpus_files(root: Path) -> list[Path]:
    """The corpus files `load_corpus` reads under `root` (a folder, or one file)."""
    return [root] if root.is_file() else list_corpus(root, skip=(VERDICTS_FOLDER,)).files


def display_path(path: Path) -> str:
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))  # not resolve(): a symlink is named as itself
    except ValueError:
        return str(path)


def load_corpus(root: Path | str) -> tuple[Corpus, list[Problem]]:
    """Parse and validate every file under `root`. Cross-file checks live in kg.validation."""
    return _load_corpus(Path(root))


def _load_corpus(root: Path) -> tuple[Corpus, list[Problem]]:
    corpus, problems = Corpus(), []
    if not os.path.lexists(root):
        problems.append(Problem(str(root), 1, "path does not exist", "pass a corpus folder such as claims/"))
        return corpus, problems
    if not root.is_dir():  # one file, named on the command line: read whatever its name
        paths = [root]
    else:
        listing = list_corpus(root, skip=(VERDICTS_FOLDER,))
        paths = listing.files
        problems += [Problem(display_path(r.path), 1, r.message, r.hint, r.severity) for r in listing.refused]
        if not paths:
            problems.append(Problem(display_path(root), 1, "empty corpus: no .yaml files to read", "pass a corpus folder such as claims/"))
    for path in paths:
        name = display_path(path)
        corpus.files.append(name)
        problems.extend(_load_file(path, name, corpus, root if root.is_dir() else None))
    return corpus, problems


def _load_file(path: Path, name: str, corpus: Corpus, root: Path | None) -> list[Problem]:
    try:
        raw = read_capped(path, MAX_FILE_BYTES, root)
    except Refused as exc:
        corpus.unreadable.append(name)
        return [Problem(name, 1, exc.message, exc.hint)]
    return load_bytes(raw, name, file_kind(path), corpus)


def load_bytes(raw: bytes, name: str, kind: str, corpus: Corpus) -> list[Problem]:
    """One file's bytes (read capped from disk, or from git at a revision) into `corpus`."""
    if len(raw) > MAX_FILE_BYTES:
        corpus.unreadable.append(name)
        return [Problem(name, 1, f"file is {len(raw) / 1e6:.1f} MB, over the {MAX_FILE_BYTES // 2**20} MiB cap", "split it into several files")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        corpus.unreadable.append(name)
        line = raw.count(b"\n", 0, exc.start) + 1
        return [Problem(name, line, "not valid UTF-8", "save the file as UTF-8 (UTF-16 is not read)")]
    return _load_text(text, name, kind, corpus, hygiene.scan_bytes(raw))


def load_text(text: str, name: str, kind: str, corpus: Corpus) -> list[Problem]:
    """Parse and validate one file's text into `corpus`; `kind` is sources, hypotheses or claims."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return [Problem(name, 1, f"text is over the {MAX_FILE_BYTES // 2**20} MiB cap", "split it into several files")]
    return _load_text(text, name, kind, corpus, suspect=True)


def _load_text(text: str, name: str, kind: str, corpus: Corpus, suspect: bool) -> list[Problem]:
    """`suspect`: the text may hold hidden characters (kg.hygiene.scan_bytes), so look for them."""
    hidden = hygiene.hidden_in_text(text) if suspect else []
    if hidden:  # the parsers cannot be trusted past a NUL; nothing of this file is loaded
        corpus.unreadable.append(name)
        return [Problem(name, line, f"{what} at column {col}", hint) for line, col, char in hidden for what, hint in [hygiene.describe(char)]]
    try:
        parsed = yamlsafe.parse(text)
    except yamlsafe.YamlError as exc:
        corpus.unreadable.append(name)
        return [Problem(name, exc.line, exc.message, exc.hint)]
    data = parsed.data
    if data is None:
        return [Problem(name, 1, f"empty file; expected a list of {kind}", "add items or delete the file", severity="warning")]
    if not isinstance(data, list):
        return [Problem(name, 1, f"expected a YAML list of {kind} (items starting with '- '), found a {type(data).__name__}", "start each item with '- '")]
    if "\\" in text:  # only an escape in a double-quoted string makes a value hold what the text does not show
        escaped = list(itertools.islice(hygiene.hidden_in_values(data), hygiene.MAX_REPORTED))
        if escaped:
            corpus.unreadable.append(name)
            root = parsed.root or _node_tree(text)
            return [
                Problem(name, yamlsafe.line_of(root, loc), f"{_subject(data, loc)}: {_where(loc)}: {what} (written as an escape)", hint)
                for loc, char in escaped
                for what, hint in [hygiene.describe(char)]
            ]

    try:
        items: Sequence[Entity] = _ADAPTERS[kind].validate_python(data)
        errors: list[ErrorDetails] = []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        items = []

    problems: list[Problem] = []
    root = parsed.root
    kept: range | list[int] = range(len(data))
    if errors:
        root = root or _node_tree(text)
        bad_items = {err["loc"][0] for err in errors}
        problems = [Problem(name, yamlsafe.line_of(root, err["loc"]), _describe(err, data), _hint(err, kind)) for err in errors]
        # Keep the valid items so one typo does not hide every reference check downstream.
        kept = [i for i in range(len(data)) if i not in bad_items]
        items = [_MODELS[kind].model_validate(data[i]) for i in kept]
    # The regex found the item starts unless the file is unusual; then the node tree knows them.
    item_lines = parsed.item_lines or yamlsafe.item_lines_from_node(root or _node_tree(text))

    store = getattr(corpus, kind)
    for index, item in zip(kept, items, strict=False):
        line = item_lines[index] if item_lines else 1
        key = (kind, item.id)
        if key in corpus.origins:
            first = corpus.origins[key]
            problems.append(Problem(name, line, f"duplicate {kind[:-1] if kind != 'hypotheses' else 'hypothesis'} id '{item.id}' (first defined at {first})", "ids must be unique; rename one"))
            continue
        store[item.id] = item
        corpus.origins[key] = Origin(name, line)
    return problems


def merge(parts: Iterable[tuple[Corpus, list[Problem]]]) -> tuple[Corpus, list[Problem]]:
    """One corpus from files loaded each into its own (so an unchanged file need not be parsed
    again): what loading them all into one would give, duplicate ids included."""
    corpus, problems = Corpus(), []
    for part, part_problems in parts:
        corpus.files += part.files
        corpus.unreadable += part.unreadable
        problems += part_problems
        for (kind, entity_id), origin in part.origins.items():
            first = corpus.origins.get((kind, entity_id))
            if first is not None:
                noun = "hypothesis" if kind == "hypotheses" else kind[:-1]
                problems.append(Problem(origin.file, origin.line, f"duplicate {noun} id '{entity_id}' (first defined at {first})", "ids must be unique; rename one"))
                continue
            getattr(corpus, kind)[entity_id] = getattr(part, kind)[entity_id]
            corpus.origins[(kind, entity_id)] = origin
    return corpus, problems


def _node_tree(text: str) -> yaml.Node | None:
    """The node tree for line numbers, or None where PyYAML refuses what yaml_rs accepted
    (the two parsers disagree on a few corner cases): errors then point at line 1."""
    try:
        return yamlsafe.compose(text)
    except yamlsafe.YamlError:
        return None


def _subject(data: list[Any], loc: tuple[Any, ...]) -> str:
    item_id = data[loc[0]].get("id") if isinstance(data[loc[0]], dict) else None
    return f"'{item_id}'" if isinstance(item_id, str) and hygiene.HIDDEN.search(item_id) is None else f"item {loc[0] + 1}"


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc[1:]) or "the item"


def _describe(err: Mapping[str, Any], data: list[Any]) -> str:
    loc = err["loc"]
    where = ".".join(str(p) for p in loc[1:])
    subject = _subject(data, loc)
    if err["type"] == "extra_forbidden":
        return f"{subject}: unknown key '{loc[-1]}'"
    if err["type"] == "missing":
        return f"{subject}: missing required key '{where}'"
    msg = err["msg"]
    if err["type"] in ("enum", "literal_error"):
        msg = f"'{err['input']}' is not one of {err['ctx']['expected'].replace(' or ', ', ')}"
    if err["type"] == "string_pattern_mismatch":
        what = _PATTERN_NAMES.get(loc[-1], "a valid id" if loc[-1] in _ID_FIELDS else "in the expected format")
        msg = f"'{err['input']}' is not {what}"
    if err["type"] == "value_error":
        msg = msg.removeprefix("Value error, ")
    if err["type"] == "int_parsing" and loc[-1] == "year":
        msg = f"'{err['input']}' is not a year"
    return f"{subject}: {where}: {msg}" if where else f"{subject}: {msg}"


_ID_FIELDS = ("id", "source", "hypothesis", "claim", "parent", "job", "preset")
_PATTERN_NAMES = {"arxiv": "a bare arXiv id", "doi": "a DOI", "s2": "a Semantic Scholar paperId", "url": "an http(s) address", "arxiv_version": "an arXiv version"}
_PATTERN_HINTS = {
    "arxiv": 'write the bare id in quotes, e.g. "2301.05217" (no "arXiv:" prefix, no version)',
    "doi": "write it without https://doi.org/, e.g. 10.48550/arXiv.2301.05217",
    "s2": "the 40 hex characters of the paper's Semantic Scholar page address",
    "url": "a full address starting with https://",
    "arxiv_version": 'write it as "v2"',
    "job": "job names are module names in repro/jobs, e.g. grokking or sparse_parity",
}


def _hint(err: Mapping[str, Any], kind: str) -> str:
    loc, etype = err["loc"], err["type"]
    if etype == "string_pattern_mismatch" and loc[-1] in _PATTERN_HINTS:
        return _PATTERN_HINTS[loc[-1]]
    if etype == "int_parsing" and loc[-1] == "year":
        return "write just the year, e.g. 2023"
    if etype == "extra_forbidden":
        allowed = _allowed_keys(_MODELS[kind], loc[1:-1])
        return f"allowed keys here: {', '.join(allowed)}" if allowed else "remove it"
    if etype == "string_pattern_mismatch" and loc[-1] in _ID_FIELDS:
        return "use lowercase letters, digits and single hyphens, e.g. nanda2023-progress-measures"
    if etype in ("enum", "literal_error"):
        choices = [c.strip(" '") for c in err["ctx"]["expected"].replace(" or ", ", ").split(",")]
        match = process.extractOne(str(err["input"]), choices, scorer=fuzz.ratio, score_cutoff=60)
        return f"did you mean '{match[0]}'?" if match else "pick one of the values listed"
    if etype == "string_type" and isinstance(err.get("input"), bool):
        return "YAML read this as true/false; put the value in quotes"
    if etype == "value_error" and loc[-1] == "locator":
        return 'e.g. locator: {section: "4", figure: "2"}'
    if etype == "string_too_short":
        return "write a full sentence" if loc[-1] == "statement" else "fill it in or remove the key"
    if etype == "missing":
        return f"add '{loc[-1]}:' to this item"
    return "see claims/schema/ or CONTRIBUTING.md for the expected shape"


def _allowed_keys(model: type[Model], path: tuple[Any, ...]) -> list[str]:
    """Walk model fields along a location path to list the keys a mapping there accepts."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        field_info = getattr(current, "model_fields", {}).get(part)
        if field_info is None:
            return []
        current = model_in(field_info.annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))

"""Verdicts of record as files beside the claims: `<corpus>/verdicts/<job>.<preset>.json`.

One small JSON file per job and preset (`kg.records.VerdictOfRecord`), written by
`kg runs publish` and reviewed like any corpus change. JSON, not YAML, so the claims loader
(which reads every *.yaml under the corpus) never takes it for claims. This module reads and
checks their shape, with `file:line` problems; what the core cannot know (is the job known, are
the params valid, is the code version current) is checked by `kg.validation.check_records`
with the catalogue and code versions the composition layer passes in.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from kg import hygiene, yamlsafe
from kg.files import Refused, read_capped
from kg.loading import display_path
from kg.problems import Problem
from kg.records import VerdictOfRecord
from kg.util import atomic_write_text

VERDICTS_DIR = "verdicts"
MAX_RECORD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class RecordFile:
    """A verdict of record and the file it came from."""

    file: str  # as problems name it
    record: VerdictOfRecord
    lines: dict[str, int] = field(default_factory=dict)  # top-level key -> its line

    def line(self, key: str) -> int:
        return self.lines.get(key, 1)


def verdicts_dir(corpus_root: Path | str) -> Path:
    return Path(corpus_root) / VERDICTS_DIR


def record_path(corpus_root: Path | str, job: str, preset: str) -> Path:
    return verdicts_dir(corpus_root) / f"{job}.{preset}.json"


def render(record: VerdictOfRecord) -> str:
    """The file's text: keys in the model's order, one space of indent, a final newline."""
    return json.dumps(record.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n"


def write_record(corpus_root: Path | str, record: VerdictOfRecord) -> Path:
    """Write (atomically) the record's file; returns its path."""
    return atomic_write_text(record_path(corpus_root, record.job, record.preset), render(record))


def load_records(corpus_root: Path | str) -> tuple[list[RecordFile], list[Problem]]:
    """Every verdict of record under the corpus, and the problems of the files that are not one.
    A corpus given as a single file has none."""
    folder = verdicts_dir(corpus_root)
    if not folder.is_dir():
        return [], []
    records: list[RecordFile] = []
    problems: list[Problem] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        name = display_path(path)
        if path.is_dir() and not path.is_symlink():
            problems.append(Problem(name, 1, "is a folder; verdicts/ holds only files", "verdicts/ holds only files written by `kg runs publish`", "warning"))
            continue
        if path.suffix != ".json":
            problems.append(Problem(name, 1, "not a verdict of record (expected <job>.<preset>.json)", "verdicts/ holds only files written by `kg runs publish`", "warning"))
            continue
        found, file_problems = read_record(path, name)
        problems += file_problems
        if found is not None:
            records.append(found)
    return records, problems


def read_record(path: Path, name: str | None = None) -> tuple[RecordFile | None, list[Problem]]:
    """One verdict file: a regular file inside its corpus, read capped (kg.files.read_capped)."""
    name = name or display_path(path)
    try:
        raw = read_capped(path, MAX_RECORD_BYTES, path.parent.parent)
    except Refused as exc:
        return None, [Problem(name, 1, exc.message, exc.hint)]
    return parse_record_bytes(raw, name, path.name)


def parse_record_bytes(raw: bytes, name: str, filename: str) -> tuple[RecordFile | None, list[Problem]]:
    """One file's bytes (from disk, or from git at a revision), checked as `load_records` does."""
    if not filename.endswith(".json"):
        return None, [Problem(name, 1, "not a verdict of record (expected <job>.<preset>.json)", "verdicts/ holds only files written by `kg runs publish`", "warning")]
    if len(raw) > MAX_RECORD_BYTES:
        return None, [Problem(name, 1, f"file is {len(raw) / 1e6:.1f} MB, over the {MAX_RECORD_BYTES // 2**20} MiB cap of a verdict file", "publish it again with `kg runs publish`")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(name, 1, "not valid UTF-8", "publish it again with `kg runs publish`")]
    return parse_record(text, name, filename)


def parse_record(text: str, name: str, filename: str | None = None) -> tuple[RecordFile | None, list[Problem]]:
    """Parse one file's text; the problems name `name` and the line of what is wrong."""
    hidden = hygiene.hidden_in_text(text)
    if hidden:
        return None, [Problem(name, line, f"{what} at column {col}", hint) for line, col, char in hidden for what, hint in [hygiene.describe(char)]]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [Problem(name, exc.lineno, f"not valid JSON: {exc.msg}", "check commas, quotes and brackets; or publish it again")]
    if not isinstance(data, dict):
        return None, [Problem(name, 1, f"expected a JSON object (a verdict of record), found a {type(data).__name__}", "publish it again with `kg runs publish`")]
    root = _node_tree(text)
    escaped = list(itertools.islice(hygiene.hidden_in_values(data), hygiene.MAX_REPORTED))
    if escaped:
        return None, [Problem(name, yamlsafe.line_of(root, loc), f"{'.'.join(map(str, loc))}: {what} (written as an escape)", hint) for loc, char in escaped for what, hint in [hygiene.describe(char)]]
    try:
        record = VerdictOfRecord.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            where = ".".join(str(p) for p in loc)
            if err["type"] == "extra_forbidden":
                message, hint = f"unknown key '{where}'", f"allowed keys: {', '.join(VerdictOfRecord.model_fields)}" if len(loc) == 1 else "remove it"
            elif err["type"] == "missing":
                message, hint = f"missing required key '{where}'", "publish it again with `kg runs publish`"
            else:
                msg = err["msg"].removeprefix("Value error, ")
                message, hint = (f"{where}: {msg}" if where else msg), "a verdict of record is written by `kg runs publish`; do not edit its outcome by hand"
            if not loc:  # the rule itself (kg.records.agreement): point at what breaks it
                loc = ("outcome",) if message.startswith("outcome") else ("seeds",)
            problems.append(Problem(name, yamlsafe.line_of(root, loc), message, hint))
        return None, problems
    expected = f"{record.job}.{record.preset}.json"
    if filename is not None and filename != expected:
        return None, [Problem(name, 1, f"the file of {record.job}/{record.preset} must be named {expected}", f"rename it to {expected}")]
    return RecordFile(name, record, {key: yamlsafe.line_of(root, (key,)) for key in data}), []


def _node_tree(text: str) -> yaml.Node | None:
    """JSON is YAML: PyYAML's node tree knows the line of every key (None when it refuses)."""
    try:
        return yamlsafe.compose(text)
    except yamlsafe.YamlError:
        return None

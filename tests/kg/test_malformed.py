"""Every malformed file gets a precise problem at the right file:line, and nothing else breaks.

Each file in malformed/ is dropped into a copy of the valid base corpus; the test asserts
the exact (line, message) pairs `kg validate` reports for that file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from claimgraph import validate  # the core checks plus the reproduction catalogue, as `kg validate`

HERE = Path(__file__).resolve().parent
MALFORMED = HERE / "malformed"

EXPECTED: dict[str, list[tuple[int, str]]] = {
    "alias-bomb.yaml": [
        (6, "document expands to more than 500,000 nodes (alias bomb?)"),
    ],
    "bad-enum-relation.yaml": [
        (7, "'bad-relation': evidence.0.relation: 'refutes' is not one of 'supports', 'contradicts', 'qualifies'"),
    ],
    "bad-enum-setting.yaml": [
        (5, "'bad-setting': setting: 'toys' is not one of 'toy', 'small-model', 'frontier', 'theory', 'opinion'"),
    ],
    "bad-enum-strength.yaml": [
        (7, "'bad-strength': evidence.0.strength: '0.8' is not one of 'weak', 'moderate', 'strong'"),
    ],
    "bool-statement.yaml": [
        (3, "'bool-statement': statement: Input should be a valid string"),
    ],
    "control-character.yaml": [
        (3, "NUL byte (U+0000) at column 26"),
    ],
    "dangling-claim-link.yaml": [
        (1, "'dangling-link': linked claim 'grokking-fourier-v2' does not exist"),
    ],
    "dangling-hypothesis.yaml": [
        (8, "'dangling-hypothesis': hypothesis 'speed-prior' does not exist"),
    ],
    "dangling-source.yaml": [
        (1, "'dangling-source': source 'nanda2023-progres-measures' does not exist"),
    ],
    "duplicate-id-across-files.yaml": [
        (1, "duplicate claim id 'grokking-fourier' (first defined at claims.yaml:2)"),
    ],
    "duplicate-id-same-file.yaml": [
        (8, "duplicate claim id 'twice' (first defined at duplicate-id-same-file.yaml:1)"),
    ],
    "duplicate-key.yaml": [
        (6, "duplicate key 'setting'"),
    ],
    "empty-locator.yaml": [
        (4, "'empty-locator': locator: a locator needs at least one of section, figure, table, page, paragraph or quote"),
    ],
    "empty-statement.yaml": [
        (3, "'empty-statement': statement: String should have at least 20 characters"),
    ],
    "hostile-bidi.yaml": [
        (3, "invisible character U+202E (right-to-left override) at column 25"),
    ],
    "hostile-id.yaml": [
        (1, "'x') MATCH (n) DETACH DELETE n //': id: 'x') MATCH (n) DETACH DELETE n //' is not a valid id"),
    ],
    "hypotheses-parent-cycle.yaml": [
        (1, "'cycle-a': parent chain loops back to itself"),
        (5, "'cycle-b': parent chain loops back to itself"),
    ],
    "malformed-id.yaml": [
        (1, "'Grokking_Fourier': id: 'Grokking_Fourier' is not a valid id"),
    ],
    "missing-locator.yaml": [
        (1, "'no-locator': missing required key 'locator'"),
    ],
    "not-a-list.yaml": [
        (1, "expected a YAML list of claims (items starting with '- '), found a dict"),
    ],
    "not-utf8.yaml": [
        (3, "not valid UTF-8"),
    ],
    "python-tag.yaml": [
        (3, "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    ],
    "self-link.yaml": [
        (1, "'self-link' links to itself"),
    ],
    "sources-bad-arxiv.yaml": [
        (4, "'bad-arxiv': ids.arxiv: 'arXiv:2301.05217v2' is not a bare arXiv id"),
    ],
    "sources-yaml11-date.yaml": [
        (4, "'date-as-year': year: '2023-01-02' is not a year"),
    ],
    "syntax-tab-indent.yaml": [
        (3, "YAML syntax error: while scanning a plain scalar found a tab character that violates indentation"),
    ],
    "syntax-unclosed-bracket.yaml": [
        (5, "YAML syntax error: while parsing a flow mapping did not find expected ',' or '}'"),
    ],
    "two-documents.yaml": [
        (7, "more than one YAML document ('---') in one file"),
    ],
    "two-links-same-hypothesis.yaml": [
        (6, "'two-links': evidence: two evidence links to hypothesis 'general-algorithms'; keep one"),
    ],
    "unknown-key-locator.yaml": [
        (4, "'typo-in-locator': unknown key 'paragrph'"),
    ],
    "unknown-key-nested.yaml": [
        (11, "'typo-in-evidence': unknown key 'confidence'"),
    ],
    "unknown-key.yaml": [
        (1, "'typo-in-key': missing required key 'statement'"),
        (3, "'typo-in-key': unknown key 'statment'"),
    ],
}


def test_every_malformed_file_has_an_expectation():
    assert sorted(p.name for p in MALFORMED.glob("*.yaml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_file_reports_exact_line_and_message(name, base_corpus, monkeypatch):
    shutil.copy(MALFORMED / name, base_corpus / name)
    monkeypatch.chdir(base_corpus)  # problems name files relative to the working directory
    report = validate(".")
    got = [(p.line, p.message) for p in report.problems if p.file == name]
    assert got == EXPECTED[name]
    assert not report.ok
    # the rest of the corpus still loads: one bad file hides nothing else
    assert {"grokking-fourier", "parity-hidden-progress"} <= set(report.corpus.claims)


def test_python_tag_never_executes(base_corpus, tmp_path):
    marker = Path("/tmp/claimgraph-pwned")
    marker.unlink(missing_ok=True)
    shutil.copy(MALFORMED / "python-tag.yaml", base_corpus)
    validate(base_corpus)
    assert not marker.exists()


def test_huge_file_is_refused_without_parsing(base_corpus):
    huge = base_corpus / "huge.yaml"
    line = "- {id: filler, source: x, statement: " + "y" * 200 + "}\n"
    huge.write_text(line * (9 * 1024 * 1024 // len(line) + 1))
    report = validate(base_corpus)
    problems = [p for p in report.problems if p.file.endswith("huge.yaml")]
    assert len(problems) == 1 and problems[0].line == 1
    assert "over the 8 MiB cap" in problems[0].message


def test_cli_prints_file_line_and_exits_1_without_traceback(base_corpus):
    shutil.copy(MALFORMED / "bad-enum-setting.yaml", base_corpus)
    shutil.copy(MALFORMED / "alias-bomb.yaml", base_corpus)
    proc = subprocess.run([sys.executable, "-m", "cli.app", "validate", "."], cwd=base_corpus, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "bad-enum-setting.yaml:5: 'bad-setting': setting: 'toys' is not one of" in proc.stderr
    assert "(did you mean 'toy'?)" in proc.stderr
    assert "alias-bomb.yaml:6: document expands to more than 500,000 nodes" in proc.stderr


def test_cli_json_format_lists_every_problem(base_corpus):
    for name in ("dangling-source.yaml", "unknown-key.yaml"):
        shutil.copy(MALFORMED / name, base_corpus)
    proc = subprocess.run([sys.executable, "-m", "cli.app", "validate", ".", "--format", "json"], cwd=base_corpus, capture_output=True, text=True)
    data = json.loads(proc.stdout)
    assert proc.returncode == 1 and data["ok"] is False and data["errors"] == 3
    assert {(p["file"], p["line"]) for p in data["problems"]} == {("dangling-source.yaml", 1), ("unknown-key.yaml", 1), ("unknown-key.yaml", 3)}

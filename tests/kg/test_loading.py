"""Loading: YAML 1.2 scalars on both parsers, line numbers, origins, warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg import yamlsafe
from kg.loading import file_kind, load_corpus
from kg.validation import validate

TRAPS = "- a: no\n  b: yes\n  c: on\n  d: 2024-01-02\n  e: true\n  f: 1.5\n  g: '007'\n  h: 12\n  i: ~\n"


def test_yaml_1_1_traps_stay_strings_on_the_fast_path():
    parsed = yamlsafe.parse(TRAPS)
    assert parsed.root is None  # the fast path ran
    assert parsed.data == [{"a": "no", "b": "yes", "c": "on", "d": "2024-01-02", "e": True, "f": 1.5, "g": "007", "h": 12, "i": None}]


def test_careful_path_reads_scalars_exactly_like_the_fast_path():
    # an alias forces the careful path; everything else must read the same
    careful = yamlsafe.parse(TRAPS + "  j: &x [1]\n  k: *x\n")
    assert careful.root is not None
    assert {k: v for k, v in careful.data[0].items() if k not in "jk"} == yamlsafe.parse(TRAPS).data[0]


def test_item_lines_are_exact_with_comments_and_blank_lines():
    text = "# header\n\n- id: a\n  x: 1\n\n# note\n- id: b\n-   id: c\n"
    assert yamlsafe.parse(text).item_lines == [3, 7, 8]


def test_line_of_walks_keys_and_list_items():
    root = yamlsafe.compose("- id: a\n- id: b\n  evidence:\n    - {x: 1}\n    - y: 2\n      z: 3\n")
    assert yamlsafe.line_of(root, (1, "evidence", 1, "z")) == 6
    assert yamlsafe.line_of(root, (1, "evidence", 0)) == 4
    assert yamlsafe.line_of(root, (1, "missing")) == 2


def test_file_kind_comes_from_the_name():
    assert file_kind(Path("sources.yaml")) == "sources"
    assert file_kind(Path("sources-2024.yaml")) == "sources"
    assert file_kind(Path("hypotheses.yaml")) == "hypotheses"
    assert file_kind(Path("grokking.yaml")) == "claims"


def test_base_corpus_loads_with_origins(base_corpus, monkeypatch):
    monkeypatch.chdir(base_corpus)
    corpus, problems = load_corpus(".")
    assert problems == []
    assert set(corpus.claims) == {"grokking-fourier", "parity-hidden-progress"}
    assert str(corpus.origin("claims", "parity-hidden-progress")) == "claims.yaml:9"
    assert str(corpus.origin("sources", "barak2022-hidden-progress")) == "sources.yaml:9"
    # 'no' in a flow list is the string "no", not False (YAML 1.2)
    assert corpus.sources["nanda2023-progress-measures"].aliases[-1] == "no"


def test_empty_file_is_a_warning_not_an_error(base_corpus):
    (base_corpus / "empty.yaml").write_text("# nothing yet\n")
    report = validate(base_corpus)
    assert report.ok
    assert [p.message for p in report.warnings] == ["empty file; expected a list of claims"]


def test_missing_path_is_a_problem_not_a_crash(tmp_path):
    report = validate(tmp_path / "nope")
    assert not report.ok and report.errors[0].message == "path does not exist"


@pytest.mark.parametrize("statement", ["<script>alert(1)</script> is stored as text, never run.", "[click](javascript:alert(1)) is stored as text too."])
def test_hostile_but_valid_text_is_kept_verbatim(base_corpus, statement):
    (base_corpus / "hostile.yaml").write_text(
        f"- id: hostile\n  source: nanda2023-progress-measures\n  statement: {statement!r}\n  locator: {{section: '1'}}\n  setting: toy\n"
        "  evidence: [{hypothesis: general-algorithms, relation: supports, strength: weak, rationale: r}]\n"
    )
    report = validate(base_corpus)
    assert report.ok
    assert report.corpus.claims["hostile"].statement == statement


def test_fast_parser_survives_short_lived_threads(repo_root):
    """yaml_rs 0.1.6 segfaults on a thread started after another thread that used it exited
    (every Streamlit script run is such a thread); kg.yamlsafe routes around it."""
    script = f"""
from streamlit.testing.v1 import AppTest
SCRIPT = '''
from kg import yamlsafe
text = open({str(repo_root / "claims" / "hypotheses.yaml")!r}).read()
for _ in range(3):
    assert yamlsafe.parse(text).root is None  # the fast path ran
'''
for _ in range(6):
    at = AppTest.from_string(SCRIPT).run(timeout=30)
    assert not at.exception, at.exception
print("survived")
"""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=repo_root, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "survived" in proc.stdout

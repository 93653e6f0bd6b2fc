"""The `kg` command line, run as a real subprocess (piped, so output is plain)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest


def kg(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cli.app", *args], capture_output=True, text=True, cwd=cwd)


def test_help_lists_the_commands():
    proc = kg("--help")
    assert proc.returncode == 0
    for command in ("validate", "hypotheses", "show", "search", "export", "schema"):
        assert command in proc.stdout


def test_hypotheses_json_is_machine_readable(base_corpus):
    proc = kg("hypotheses", "--corpus", str(base_corpus), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["id"] for r in rows] == ["general-algorithms", "learnability-prior"]
    assert rows[0]["score"] == 1.0 and rows[0]["counts"]["supports"] == 1


def test_hypotheses_table_is_plain_tab_separated_when_piped(base_corpus):
    proc = kg("hypotheses", "--corpus", str(base_corpus))
    lines = proc.stdout.splitlines()
    assert lines[0].split("\t")[:3] == ["id", "hypothesis", "balance"]
    assert lines[1].startswith("general-algorithms\t")
    assert "\x1b[" not in proc.stdout  # no colour codes in a pipe


def test_show_hypothesis_explains_the_balance(base_corpus):
    proc = kg("show", "hypothesis", "general-algorithms", "--corpus", str(base_corpus))
    assert proc.returncode == 0, proc.stderr
    assert "balance: +1.00" in proc.stdout
    assert "grokking-fourier" in proc.stdout
    assert "weight = strength x setting x kind x reproduction x independence" in proc.stdout
    assert "certainty: " in proc.stdout and "leave one source out:" in proc.stdout


def test_sensitivity_lists_what_ifs_and_each_source_left_out(base_corpus):
    import json

    proc = kg("sensitivity", "general-algorithms", "--corpus", str(base_corpus), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data["without"]) == {"nanda2023-progress-measures", "barak2022-hidden-progress"} or data["without"]
    assert {"everything", "only reproduced evidence", "without observational frontier reports", "counting opinions"} <= set(data["what_if"])
    assert data["sensitivity"]["min"] <= data["score"] <= data["sensitivity"]["max"]
    unknown = kg("sensitivity", "no-such-hypothesis", "--corpus", str(base_corpus))
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: no hypothesis")


def test_show_claim_and_source(base_corpus):
    claim = kg("show", "claim", "parity-hidden-progress", "--corpus", str(base_corpus))
    assert "locator: Sec. 4" in claim.stdout and "-> extends grokking-fourier" in claim.stdout
    source = kg("show", "source", "nanda2023-progress-measures", "--corpus", str(base_corpus))
    assert "arxiv: 2301.05217" in source.stdout and "grokking-fourier" in source.stdout


def test_show_unknown_id_suggests_and_exits_1(base_corpus):
    proc = kg("show", "claim", "grokking-fourrier", "--corpus", str(base_corpus))
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: no claim 'grokking-fourrier'; did you mean grokking-fourier?"


def test_commands_refuse_an_invalid_corpus_in_one_line(base_corpus):
    (base_corpus / "broken.yaml").write_text("- id: x\n  source: [unclosed\n")
    proc = kg("hypotheses", "--corpus", str(base_corpus))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "run `kg validate`" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_search_finds_alias(base_corpus):
    proc = kg("search", "sparse parity", "--corpus", str(base_corpus), "--format", "json")
    assert json.loads(proc.stdout)[0]["id"] == "barak2022-hidden-progress"


def test_path_between_nodes(base_corpus):
    proc = kg("path", "parity-hidden-progress", "general-algorithms", "--corpus", str(base_corpus))
    # two hops either way: via the claim it extends, or via its hypothesis' parent
    steps = proc.stdout.split()
    assert steps[0] == "claim:parity-hidden-progress" and steps[-1] == "hypothesis:general-algorithms" and len(steps) == 3


@pytest.mark.parametrize("fmt", ["json", "graphml", "csv", "bibtex"])
def test_export_formats_parse(base_corpus, fmt):
    proc = kg("export", "--format", fmt, "--corpus", str(base_corpus))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    if fmt == "json":
        data = json.loads(text)
        assert len(data["claims"]) == 2 and data["hypotheses"][0]["balance"]["score"] == 1.0
    elif fmt == "graphml":
        root = ET.fromstring(text)
        assert len(root.findall(".//{http://graphml.graphdrawing.org/xmlns}node")) == 6
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {r["claim"] for r in rows} == {"grokking-fourier", "parity-hidden-progress"}
        assert rows[0]["weight"] == "1.800"
    else:
        assert text.count("@article{") == 2 and "eprint = {2301.05217}" in text


def test_export_unknown_format_exits_2(base_corpus):
    proc = kg("export", "--format", "pdf", "--corpus", str(base_corpus))
    assert proc.returncode == 2 and "unknown format 'pdf'" in proc.stderr


def test_weights_override_changes_the_balance(base_corpus, tmp_path):
    weights = tmp_path / "w.json"
    weights.write_text('{"setting": {"toy": 0}}')
    proc = kg("hypotheses", "--corpus", str(base_corpus), "--weights", str(weights), "--format", "json")
    assert json.loads(proc.stdout)[0]["support"] == 0


def test_schema_check_passes_on_the_committed_schema():
    proc = kg("schema", "--check")
    assert proc.returncode == 0 and "up to date" in proc.stdout

"""A pull request cannot hang, exhaust or fool the validator (issue 16, corpus files).

Each case is a copy of the valid base corpus with one hostile change; the test asserts the
exact problem at its file:line, that nothing of the rest is lost, and that the CLI answers in
one line without a traceback. The property tests at the end generate hostile files.
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml_rs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process, utils
from typer.testing import CliRunner

from claimgraph import load_graph_store, validate
from cli.app import app
from cli.output import printable
from kg import neardup, yamlsafe
from kg.export import to_bibtex, to_csv, to_graphml
from kg.loading import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[2]
CLAIM = """- id: {id}
  source: nanda2023-progress-measures
  statement: {statement}
  locator: {{section: "4"}}
  setting: toy
  evidence:
    - {{hypothesis: general-algorithms, relation: supports, strength: weak, rationale: {rationale}}}
"""


def problems_of(report, name: str) -> list[tuple[int, str, str]]:
    return [(p.line, p.severity, p.message) for p in report.problems if p.file == name]


def kg(*args: str, cwd: Path = ROOT, timeout: int = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.app", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def assert_one_line_no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


# --- 1. only regular files inside the corpus ----------------------------------------------------


@pytest.fixture
def corpus(base_corpus, monkeypatch):
    monkeypatch.chdir(base_corpus)  # problems name files relative to the working directory
    return base_corpus


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda c: (c / "zero.yaml").symlink_to("/dev/zero"), "is a symlink to /dev/zero, outside the corpus"),
        (lambda c: (c / "random.yaml").symlink_to("/dev/urandom"), "is a symlink to /dev/urandom, outside the corpus"),
        (lambda c: (c / "dangling.yaml").symlink_to(c / "nowhere.yaml"), "is a broken symlink (to {c}/nowhere.yaml)"),
        (lambda c: os.mkfifo(c / "fifo.yaml"), "is a FIFO, not a regular file"),
        (lambda c: (c / "folder.yaml").mkdir(), "is a folder, not a corpus file (its files are read as any folder's)"),
    ],
    ids=["dev-zero", "dev-urandom", "dangling", "fifo", "folder"],
)
def test_what_is_not_a_regular_file_is_refused_before_reading(corpus, make, message):
    make(corpus)
    report = validate(".")
    (name,) = {p.file for p in report.problems}
    assert problems_of(report, name) == [(1, "error", message.format(c=corpus))]
    assert {"grokking-fourier", "parity-hidden-progress"} <= set(report.corpus.claims)


def test_symlinks_that_leave_the_corpus_are_refused(corpus, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "claims.yaml").write_text(CLAIM.format(id="smuggled", statement="A claim from outside the corpus folder entirely.", rationale="r"))
    (corpus / "linked.yaml").symlink_to(outside / "claims.yaml")
    (corpus / "linked-folder").symlink_to(outside)
    report = validate(".")
    assert problems_of(report, "linked.yaml") == [(1, "error", f"is a symlink to {outside}/claims.yaml, outside the corpus")]
    assert problems_of(report, "linked-folder") == [(1, "error", f"is a symlink to {outside}, outside the corpus")]
    assert "smuggled" not in report.corpus.claims


def test_a_symlink_inside_the_corpus_is_read(corpus):
    (corpus / "more").mkdir()
    (corpus / "more" / "claims-b.yaml").write_text(CLAIM.format(id="inside-link", statement="A claim behind a link that stays inside the corpus.", rationale="r"))
    (corpus / "alias.yaml").symlink_to(corpus / "more" / "claims-b.yaml")
    report = validate(".")
    assert [m for _, _, m in problems_of(report, "more/claims-b.yaml")] == ["duplicate claim id 'inside-link' (first defined at alias.yaml:1)"]


def test_a_socket_is_refused(tmp_path):
    short = Path("/tmp") / f"kgsock-{os.getpid()}"
    short.mkdir(exist_ok=True)
    try:
        (short / "claims.yaml").write_text(CLAIM.format(id="a-claim", statement="A claim beside a socket in the corpus folder.", rationale="r"))
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(short / "sock.yaml"))
            report = validate(short)
        assert [(p.line, p.message) for p in report.problems if p.file.endswith("sock.yaml")] == [(1, "cannot be opened: No such device or address")]
    finally:
        for p in short.iterdir():
            p.unlink()
        short.rmdir()


def test_fifo_and_dev_zero_do_not_hang_the_cli(base_corpus):
    os.mkfifo(base_corpus / "fifo.yaml")
    (base_corpus / "zero.yaml").symlink_to("/dev/zero")
    proc = kg("validate", str(base_corpus), timeout=120)  # a hang would time out here, not pass
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "fifo.yaml:1: is a FIFO, not a regular file" in proc.stderr and "zero.yaml:1: is a symlink to /dev/zero, outside the corpus" in proc.stderr


def test_file_names_that_would_act_on_a_terminal_are_refused(corpus):
    (corpus / "\x1b[2Jclaims.yaml").write_text("- a\n")
    (corpus / os.fsdecode(b"not-utf8-\xff.yaml")).write_text("- a\n")
    report = validate(".")
    assert sorted((p.line, p.severity, p.message) for p in report.problems) == [(1, "error", "has a control, invisible or non-UTF-8 character in its name and is not read")] * 2
    result = CliRunner().invoke(app, ["validate", "."])
    assert result.exit_code == 1 and "\\x1b[2Jclaims.yaml:1:" in result.stderr and "\\udcff" in result.stderr


def test_verdict_files_are_read_the_same_way(corpus):
    (corpus / "verdicts").mkdir()
    (corpus / "verdicts" / "grokking.smoke.json").symlink_to("/dev/zero")
    os.mkfifo(corpus / "verdicts" / "sparse_parity.smoke.json")
    report = validate(".")
    assert problems_of(report, "verdicts/grokking.smoke.json") == [(1, "error", "is a symlink to /dev/zero, outside the corpus")]
    assert problems_of(report, "verdicts/sparse_parity.smoke.json") == [(1, "error", "is a FIFO, not a regular file")]


def test_a_file_at_the_cap_is_read_one_byte_over_is_not(corpus):
    padding = "# " + "x" * 78 + "\n"
    claim = CLAIM.format(id="at-the-cap", statement="A claim in a file exactly at the size cap.", rationale="r")
    (corpus / "at-cap.yaml").write_text(claim + padding * ((MAX_FILE_BYTES - len(claim)) // len(padding)) + "#" * ((MAX_FILE_BYTES - len(claim)) % len(padding)))
    (corpus / "over-cap.yaml").write_bytes((corpus / "at-cap.yaml").read_bytes() + b"#")
    assert (corpus / "at-cap.yaml").stat().st_size == MAX_FILE_BYTES
    report = validate(".")
    assert "at-the-cap" in report.corpus.claims
    assert problems_of(report, "over-cap.yaml") == [(1, "error", "is 8.4 MB, over the 8 MiB cap")]


# --- 3. text hygiene --------------------------------------------------------------------------


def test_a_nul_in_a_comment_is_an_error_and_hides_no_claim(corpus):
    text = (corpus / "claims.yaml").read_text()
    (corpus / "claims.yaml").write_text(text.replace("- id: parity-hidden-progress", "# a comment with a \x00 byte\n- id: parity-hidden-progress"))
    report = validate(".")
    assert problems_of(report, "claims.yaml") == [(9, "error", "NUL byte (U+0000) at column 20")]
    assert not report.ok  # and so no store loads it: `kg sync` refuses (tests/neo4j/test_sync_hostile.py)


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ("- id: x\n  title: y\n".encode("utf-16-be"), 1),  # UTF-16 without a byte-order mark: valid UTF-8 full of NULs
        (b"\x00" * 100_000, 1),
        (b"- a\n- b\n\x00", 3),
    ],
    ids=["utf16-no-bom", "all-nul", "trailing-nul"],
)
def test_files_full_of_nul_are_errors_not_empty(corpus, data, line):
    (corpus / "hidden.yaml").write_bytes(data)
    report = validate(".")
    got = problems_of(report, "hidden.yaml")
    assert got[0][:2] == (line, "error") and {m.split(" at ")[0] for _, _, m in got} == {"NUL byte (U+0000)"}


def test_utf16_with_bom_is_not_utf8(corpus):
    (corpus / "wide.yaml").write_bytes("- id: x\n".encode("utf-16"))
    assert problems_of(validate("."), "wide.yaml") == [(1, "error", "not valid UTF-8")]


HIDDEN = {"ansi": "\x1b[31m", "bell": "\x07", "c1": "\x9b", "rlo": "\u202e", "zwsp": "\u200b", "line-sep": "\u2028", "cr": "\r"}
FIELDS = {  # a claim field and how to write it: every field, not only statements and titles
    "statement": "  statement: A statement long enough to pass{}.\n",
    "rationale": "    - {{hypothesis: general-algorithms, relation: supports, strength: weak, rationale: r{}}}\n",
    "quote": '  locator: {{quote: "q{}"}}\n',
    "scope": "  scope: {{model: m{}}}\n",
}


def claim_with(field: str, value: str) -> str:
    lines = [
        "- id: hidden-char",
        "  source: nanda2023-progress-measures",
        "  statement: A statement long enough to pass validation.",
        '  locator: {section: "4"}',
        "  setting: toy",
        "  evidence:",
        "    - {hypothesis: general-algorithms, relation: supports, strength: weak, rationale: r}",
    ]
    at = {"statement": 2, "rationale": 6, "quote": 3, "scope": 5}[field]
    if field == "scope":
        lines.insert(5, FIELDS[field].format(value).rstrip("\n"))
    else:
        lines[at] = FIELDS[field].format(value).rstrip("\n")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("char", sorted(HIDDEN))
def test_hidden_characters_are_errors_in_every_field(corpus, field, char):
    (corpus / "hidden.yaml").write_text(claim_with(field, HIDDEN[char]), newline="")
    report = validate(".")
    (problem,) = [p for p in report.problems if p.file == "hidden.yaml"]
    assert problem.severity == "error" and problem.line == {"statement": 3, "rationale": 7, "quote": 4, "scope": 6}[field]
    code = ord(HIDDEN[char][0])
    assert f"U+{code:04X}" in problem.message and "hidden-char" not in report.corpus.claims


@pytest.mark.parametrize(("escape", "code"), [("\\e[31m", 0x1B), ("\\u202e", 0x202E), ("\\0", 0), ("\\x07", 7), ("\\N", 0x85), ("\\r", 0x0D)])
def test_hidden_characters_written_as_escapes_are_errors(corpus, escape, code):
    (corpus / "escaped.yaml").write_text(claim_with("quote", escape))
    report = validate(".")
    assert problems_of(report, "escaped.yaml") == [(4, "error", f"'hidden-char': locator.quote: {_describe(code)} (written as an escape)")]


def _describe(code: int) -> str:
    from kg.hygiene import describe

    return describe(chr(code))[0]


def test_crlf_line_ends_are_fine(corpus):
    (corpus / "claims.yaml").write_bytes((corpus / "claims.yaml").read_bytes().replace(b"\n", b"\r\n"))
    assert validate(".").ok


def test_both_parsers_agree_on_numbers(corpus):
    # `year: 0x7e8` was 2024 on the fast path and an error on the careful one (an anchor sends it there)
    plain = "- id: hex-year\n  kind: paper\n  title: A title\n  year: 0x7e8\n"
    careful = plain + "  note: &n anchored\n"
    assert yamlsafe.parse(plain).data[0]["year"] == yamlsafe.parse(careful).data[0]["year"] == 2024


@pytest.mark.parametrize(("directive", "ok"), [("%YAML 1.1", False), ("%YAML 1.2", True), ("%TAG ! tag:example.com,2000:", False)])
def test_yaml_directives_other_than_1_2_are_refused(corpus, directive, ok):
    (corpus / "directive.yaml").write_text(f"{directive}\n---\n" + CLAIM.format(id="directive", statement="A claim after a YAML directive line.", rationale="r"))
    got = problems_of(validate("."), "directive.yaml")
    assert got == ([] if ok else [(1, "error", f"YAML directive '{directive}' is not accepted: corpus files are YAML 1.2")])


# --- 4. nothing skipped silently ---------------------------------------------------------------


def test_unread_files_are_warnings_and_errors_under_strict(corpus):
    (corpus / "CLAIMS.YAML").write_text(CLAIM.format(id="upper-case", statement="A claim in a file with an upper-case extension.", rationale="r"))
    (corpus / "schema").mkdir()
    (corpus / "schema" / "claims.schema.json").write_text("{}")
    (corpus / "schema" / "extra.yaml").write_text(CLAIM.format(id="in-schema", statement="A claim hidden in the schema folder.", rationale="r"))
    (corpus / "notes.txt").write_text("notes")
    (corpus / "README.md").write_text("docs")
    report = validate(".")
    assert report.ok
    assert [(p.file, p.line, p.severity) for p in report.warnings] == [("CLAIMS.YAML", 1, "warning"), ("notes.txt", 1, "warning"), ("schema/extra.yaml", 1, "warning")]
    assert report.warnings[0].message == "has the extension '.YAML' and is not read: corpus files end in .yaml or .yml"
    assert len(validate(".", strict=True).errors) == 3


def test_an_empty_corpus_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    report = validate(tmp_path / "empty")
    assert [(p.line, p.message) for p in report.errors] == [(1, "empty corpus: no .yaml files to read")]
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "empty corpus" in result.stderr


# --- 2. linear checks ----------------------------------------------------------------------------


def test_near_duplicates_in_a_large_group_are_found_by_blocking():
    words = "grokking circuit fourier embedding attention superposition sparse parity prior curriculum plateau weight decay".split()
    rng = __import__("random").Random(7)
    texts = []
    for i in range(600):
        texts.append(f"claim {i} " + " ".join(rng.choices(words, k=16)))
        if i % 10 == 0:  # a reworded copy: one word changed
            copy = texts[-1].split()
            copy[5] = "lookup"
            texts.append(" ".join(copy))
    texts = [utils.default_process(t) for t in texts]
    assert len(texts) > neardup.SMALL_GROUP
    exact = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=90)
    expected = {j for i in range(len(texts)) for j in range(i + 1, len(texts)) if exact[i, j]}
    found = neardup.first_matches(texts, fuzz.ratio, 90)
    assert {j for _, j, _ in found} == expected
    assert all(i < j and exact[i, j] == s for i, j, s in found)


def test_one_source_with_many_identical_claims_is_reported_once_each(corpus):
    statement = "The same claim, made again and again by one source."
    (corpus / "many.yaml").write_text("".join(CLAIM.format(id=f"same-{i}", statement=statement, rationale="r") for i in range(3000)))
    report = validate(".")  # quadratic before: 3,000 such claims did not finish in 150 s
    dupes = [p for p in report.warnings if "nearly duplicates" in p.message]
    assert len(dupes) == 2999 and all(p.file == "many.yaml" for p in dupes)


def test_a_long_parent_chain_is_checked_in_one_walk(corpus):
    n = 5000
    chain = "".join(f"- id: h-{i}\n  title: t\n  statement: s\n" + (f"  parent: h-{i + 1}\n" if i < n - 1 else "  parent: h-0\n") for i in range(n))
    (corpus / "hypotheses-chain.yaml").write_text(chain)
    report = validate(".")
    cycle = [p for p in report.errors if p.message.endswith("parent chain loops back to itself")]
    assert len(cycle) == n


# --- 3. exports escape for their format, and parse back ------------------------------------------

HOSTILE_SOURCES = """- id: evil-source
  kind: paper
  title: "Braces } and @misc{injected, title={pwned}} and 100% & $x_1$ \\\\ ~^"
  authors: ["A. {Brace"]
  year: 2024
  ids: {doi: "10.1234/x},@misc{pwn,title={x", url: "https://example.org/}@misc{y,"}
"""


@pytest.fixture
def hostile_store(corpus):
    (corpus / "sources-evil.yaml").write_text(HOSTILE_SOURCES)
    (corpus / "claims-evil.yaml").write_text(
        '- id: formula-claim\n  source: evil-source\n  statement: "=HYPERLINK(\\"http://evil.example\\", \\"click\\") is how it starts"\n'
        '  locator: {section: "-1+2"}\n  setting: toy\n  evidence:\n    - {hypothesis: general-algorithms, relation: supports, strength: weak, rationale: "@SUM(A1:A9)"}\n'
    )
    store = load_graph_store(".", runs=False)
    store.graph.nodes["claim:formula-claim"]["label"] = "ANSI \x1b[31m red \x00 NUL \ud800 and \ufffe"  # what validation cannot reach: a summary, a cached title
    return store


def test_graphml_is_valid_xml_whatever_the_text(hostile_store):
    root = ET.fromstring(to_graphml(hostile_store))
    ns = "{http://graphml.graphdrawing.org/xmlns}"
    assert len(root.findall(f".//{ns}node")) == len(hostile_store.graph)
    values = [d.text for d in root.iter(f"{ns}data")]
    assert "ANSI \ufffd[31m red \ufffd NUL \ufffd and \ufffd" in values


def parse_bibtex(text: str) -> dict[str, dict[str, str]]:
    """A strict reading of BibTeX as BibTeX reads it: every brace counts, escaped or not."""
    entries: dict[str, dict[str, str]] = {}
    pos = 0
    while (at := text.find("@", pos)) != -1:
        head = re.compile(r"@(\w+)\{([^,\s]+),").match(text, at)
        assert head, text[at : at + 60]
        fields, pos = {}, head.end()
        while True:
            m = re.compile(r"\s*(\w+) = \{").match(text, pos)
            if not m:
                break
            depth, i = 1, m.end()
            while depth:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            fields[m.group(1)] = text[m.end() : i - 1]
            pos = i + 1 if text[i : i + 1] == "," else i
        assert re.compile(r"\s*\}").match(text, pos), text[pos : pos + 60]
        pos = text.index("}", pos) + 1
        entries[head.group(2)] = fields
    return entries


def test_bibtex_values_cannot_close_their_entry(hostile_store):
    entries = parse_bibtex(to_bibtex(hostile_store))
    assert sorted(entries) == sorted(s.id for s in hostile_store.sources())
    evil = entries["evil-source"]
    assert unquote(evil["doi"]) == "10.1234/x},@misc{pwn,title={x" and unquote(evil["url"]) == "https://example.org/}@misc{y,"
    assert evil["title"].count("{") == evil["title"].count("}")
    assert r"\textbraceright{}" in evil["title"] and r"100\% \& \$x\_1\$ \textbackslash{} \textasciitilde{}\textasciicircum{}" in evil["title"]


def test_csv_cells_cannot_start_a_formula(hostile_store):
    rows = list(csv.reader(io.StringIO(to_csv(hostile_store))))
    assert all(cell[:1] not in ("=", "+", "-", "@") for row in rows for cell in row if not re.fullmatch(r"-?\d+\.\d+", cell))
    row = next(r for r in rows if r[1] == "formula-claim")
    assert row[9].startswith("'=HYPERLINK(") and row[10] == "'@SUM(A1:A9)" and row[8] == "'-1+2"


# --- 3. terminal output escapes what it prints ----------------------------------------------------


def test_printable_escapes_what_acts_on_a_terminal():
    assert printable("red \x1b[31m\x07 \u202egnp.exe \u200b\x9b ok\té") == "red \\x1b[31m\\x07 \\u202egnp.exe \\u200b\\x9b ok\té"


def test_cli_prints_hostile_arguments_and_markup_literally(base_corpus):
    proc = kg("show", "claim", "\x1b]0;pwned\x07\u202e", "--corpus", str(base_corpus))
    assert proc.returncode == 1 and proc.stderr.strip() == "error: no claim '\\x1b]0;pwned\\x07\\u202e'"
    (base_corpus / "claims-markup.yaml").write_text(CLAIM.format(id="markup", statement="A statement with [/bold] and [link=http://x]rich markup[/link].", rationale="r"))
    shown = kg("show", "source", "nanda2023-progress-measures", "--corpus", str(base_corpus), env={"FORCE_COLOR": "1", "COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    assert "[/bold] and [link=http://x]rich markup[/link]" in re.sub(r"\x1b\[[0-9;]*m", "", shown.stdout)


# --- 8. property tests: hostile files never crash, hang or hide -----------------------------------

FRAGMENTS = [
    "\x00", "\x1b[2J", "\u202e", "\u200b", "\r", "\t", "\ufeff", "\x85", "%YAML 1.1\n---\n", "---\n", "...\n", "&a ", "*a", "!!python/object:os.system ",
    "- ", ": ", "? ", "{", "}", "[", "]", '"', "'", "|\n", ">-\n", "#", "\n", "    ", "0x7e8", ".inf", "1_0", "~", "null", "no", "\\e", '"\\u202e"', "é", "\U0001f600",
]  # fmt: skip
BASE_CLAIMS = (ROOT / "tests" / "kg" / "base" / "claims.yaml").read_text()
PROPERTY = settings(max_examples=60, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@st.composite
def hostile_files(draw) -> bytes:
    text = draw(st.sampled_from([BASE_CLAIMS, "", "- a\n"]))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(FRAGMENTS) | st.text(max_size=8)) + text[at:]
    data = text.encode("utf-8", "surrogatepass")
    return data.decode("utf-8", "replace").encode("utf-16-be") if draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()) else data


@PROPERTY
@given(data=hostile_files())
def test_hostile_files_give_file_line_problems_and_never_crash(base_corpus, data):
    (base_corpus / "claims.yaml").write_bytes(data)
    tracemalloc.start()
    try:
        report = validate(base_corpus)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # bounded memory per case: a small file never expands
    lines = data.count(b"\n") + 1
    for p in report.problems:
        assert p.file and 1 <= p.line <= max(lines, 1) + 1, p
        assert printable(p.message) == p.message or p.file.endswith("claims.yaml"), p
    if report.ok:  # nothing hides: every claim the file says it has is loaded
        assert len(report.corpus.claims) == data.count(b"\n- id: ") + data.startswith(b"- id: ")


@PROPERTY
@given(token=st.text(alphabet="0123456789+-._xobeEinfaINFNA~:", min_size=1, max_size=8))
def test_both_parsers_agree_on_every_plain_scalar(token):
    text = f"- {token}\n"
    try:
        fast = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # noqa: BLE001 - not YAML yaml_rs reads: the careful path decides alone
        return
    try:
        careful = yamlsafe._Converter().convert(yamlsafe.compose(text))
    except yamlsafe.YamlError:
        return
    assert repr(fast) == repr(careful)


@settings(PROPERTY, max_examples=15)  # each case runs the whole command in-process
@given(data=hostile_files())
def test_hostile_files_through_the_cli_exit_0_or_1_in_one_line_each(base_corpus, data):
    (base_corpus / "claims.yaml").write_bytes(data)
    result = CliRunner().invoke(app, ["validate", str(base_corpus), "--strict"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1)
    for line in result.stderr.splitlines():
        assert re.match(r"^\S+:\d+: ", line) and printable(line) == line, line

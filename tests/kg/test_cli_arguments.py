"""Every command checks its arguments and environment: bad input is one `error:` line on stderr
and exit 1 (bad input) or 2 (usage), never a traceback. Named cases first, then property tests
that generate hostile arguments and environment values (through `cli.app.main`, in-process)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from clihelpers import kg, one_line_errors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, str]:
    """A corpus and empty run store and cache, shared by the examples of a module (read only)."""
    root = tmp_path_factory.mktemp("cli-args")
    shutil.copytree(ROOT / "tests" / "kg" / "base", root / "corpus")
    return {"corpus": str(root / "corpus"), "KG_RUNS_DIR": str(root / "runs"), "KG_S2_CACHE": str(root / "s2"), "KG_STORE": ""}


def env_of(world: dict[str, str], **extra: str) -> dict[str, str]:
    return {k: v for k, v in world.items() if k != "corpus"} | extra


def refused(r, code: int, *words: str) -> None:
    assert r.code == code, (r.code, r.stderr)
    one_line_errors(r)
    assert len(r.lines) == 1, r.stderr
    for word in words:
        assert word in r.lines[0], r.stderr


# --- named cases ---------------------------------------------------------------------------------

WEIGHTS = {
    "nan": ('{"strength": {"weak": NaN}}', "strength.weak: Input should be a finite number"),
    "infinity": ('{"reproduced": Infinity}', "reproduced: Input should be a finite number"),
    "overflow": ('{"dilution": 1e999}', "dilution: Input should be a finite number"),
    "a-list": ("[1, 2]", "expected a JSON object"),
    "negative": ('{"refuted": -0.5}', "refuted: Input should be greater than or equal to 0"),
    "unknown-key": ('{"strenght": {"weak": 1}}', "strenght: unknown key; known: strength, setting"),
    "unknown-nested-key": ('{"kind": {"opnion": 1}}', "kind: unknown key 'opnion'; known: experiment"),
    "a-bool": ('{"reproduced": true}', "reproduced: Input should be a valid number"),
    "a-string": ('{"setting": {"toy": "0.5"}}', "setting.toy: Input should be a valid number"),
    "not-json": ('{"kind": ', "line 1: not valid JSON"),
    "huge-value": ('{"strength": {"strong": 1e300}}', "strength.strong: Input should be at most 1e+06"),
}


@pytest.mark.parametrize("case", sorted(WEIGHTS))
def test_a_bad_weights_file_is_one_line_naming_it(case, world, tmp_path):
    text, expected = WEIGHTS[case]
    path = tmp_path / "w.json"
    path.write_text(text)
    r = kg("hypotheses", "--corpus", world["corpus"], "--weights", str(path), env=env_of(world))
    refused(r, 1, f"error: {path}: ", expected)


def test_weights_that_are_not_a_small_regular_file(world, tmp_path):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # reading it would hang
    for path, expected in ((tmp_path, "not a regular file"), (fifo, "not a regular file"), (tmp_path / "absent.json", "no such file")):
        refused(kg("hypotheses", "--corpus", world["corpus"], "--weights", str(path), env=env_of(world)), 1, str(path), expected)
    big = tmp_path / "big.json"
    big.write_text('{"kind": {}}' + " " * 70_000)
    refused(kg("show", "hypothesis", "general-algorithms", "--corpus", world["corpus"], "--weights", str(big), env=env_of(world)), 1, "over 64 KiB")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{}")
    refused(kg("sensitivity", "general-algorithms", "--corpus", world["corpus"], "--weights", str(binary), env=env_of(world)), 1, "not UTF-8")


def test_the_cases_the_issue_names(world):
    e = env_of(world)
    refused(kg("export", "--format", "csv", "-o", "/nonexistent/x.csv", "--corpus", world["corpus"], env=e), 1, "cannot write /nonexistent/x.csv: no folder /nonexistent")
    for limit in ("-1", "0", "10000000000000000000"):
        refused(kg("search", "grokking", "--limit", limit, "--corpus", world["corpus"], env=e), 2, "--limit", "(see `kg search --help`)")
    refused(kg("run", "[/x]", env=e), 1, "unknown job '[/x]'")  # the markup is shown, not interpreted
    refused(kg("runs", "show", "[bold]x[/bold]", env=e), 1, "[bold]x[/bold]")
    refused(kg("ingest", "--offline", "--corpus", world["corpus"], env=env_of(world, KG_S2_MAX_AGE_DAYS="abc")), 2, "KG_S2_MAX_AGE_DAYS='abc' is not a number")
    refused(kg("runs", "--status", "done", env=e), 2, "--status: 'done' is not one of queued")
    refused(kg("suggest", "--min", "0", "--corpus", world["corpus"], env=e), 2, "--min")
    refused(kg("resolve", "x", "--limit", "-3", "--corpus", world["corpus"], env=e), 2, "--limit")
    refused(kg("run", "sparse_parity", "--seed", "-1", env=e), 2, "--seed")
    refused(kg("show", "claim", env=e), 2, "Missing argument 'id'")
    refused(kg("no-such-command", env=e), 2, "No such command")


@pytest.mark.parametrize(
    ("name", "value", "args"),
    [
        ("KG_S2_MAX_AGE_DAYS", "NaN", ["hypotheses"]),
        ("KG_S2_MAX_AGE_DAYS", "inf", ["suggest"]),
        ("KG_S2_MAX_AGE_DAYS", "-1", ["ingest", "--offline"]),
        ("KG_STORE", "postgres", ["hypotheses"]),
        ("S2_RATE", "fast", ["resolve", "badllama", "--online"]),  # refused before any request
        ("S2_BACKOFF_BASE", "1e999", ["resolve", "badllama", "--online"]),
    ],
)
def test_a_bad_environment_value_is_a_usage_error_naming_the_variable(name, value, args, world):
    r = kg(*args, "--corpus", world["corpus"], env=env_of(world, **{name: value}))
    refused(r, 2, f"error: {name}={value!r}")


# --- property tests ------------------------------------------------------------------------------

HOSTILE = st.sampled_from(["[/x]", "[bold]", "[link=file:///etc/passwd]x[/link]", "-1", "0", "NaN", "inf", "1e999", "", " ", "../../etc", "💥", "\x1b[31mred", "a\nb", "--", "-"])
KNOWN = st.sampled_from(["grokking", "general-algorithms", "grokking-fourier", "nanda2023-progress-measures", "claim"])  # reach past the lookups
TEXT = HOSTILE | KNOWN | st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=24)
NUMBER = st.integers(min_value=-(10**30), max_value=10**30).map(str) | st.floats().map(str) | HOSTILE

FAST = settings(max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def answered(r, *context: object) -> None:
    """Exit 0, 1 or 2; a failure is one `error:` line (warnings aside); never a traceback."""
    assert r.code in (0, 1, 2), (context, r.code, r.stderr)
    assert "Traceback" not in r.stderr, (context, r.stderr)
    if r.code:
        one_line_errors(r)


@st.composite
def hostile_command(draw) -> list[str]:
    """A command line with hostile text where a user types text. Left out: what writes files
    (`schema`, `-o`, `--png`), reaches a network (`sync`) or walks a path (`validate PATH`)."""
    t = lambda: draw(TEXT)  # a short name keeps the templates readable
    templates = [
        lambda: ["search", t()],
        lambda: ["show", draw(st.sampled_from(["claim", "source", "hypothesis"]) | TEXT), t()],
        lambda: ["path", t(), t()],
        lambda: ["sensitivity", t(), "--exclude-source", t(), "--exclude-group", t()],
        lambda: ["hypotheses", "--format", t()],
        lambda: ["export", "--format", t()],
        lambda: ["resolve", t()],
        lambda: ["suggest", "--format", t()],
        lambda: ["ingest", "--offline", "--only", t()],
        lambda: ["run", "x" + t(), "--set", t(), "--preset", t()],  # never a known job: nothing runs
        lambda: ["runs", "--job", t(), "--status", t()],
        lambda: ["runs", draw(st.sampled_from(["show", "cancel"])), t()],
        lambda: ["runs", "publish", "x" + t(), "--set", t()],
    ]
    args = draw(st.sampled_from(templates))()
    return args + ([] if args[0] in ("run", "runs") or args[-1] in ("--", "-") else ["--corpus", "CORPUS"])


@FAST
@given(args=hostile_command())
def test_hostile_text_arguments_get_an_answer_never_a_traceback(args, world):
    answered(kg(*[world["corpus"] if a == "CORPUS" else a for a in args], env=env_of(world)), args)


NUMERIC_OPTIONS = [
    ["search", "grokking", "--limit"],
    ["resolve", "badllama", "--limit"],
    ["suggest", "--min"],
    ["ingest", "--offline", "--rate"],
    ["ingest", "--offline", "--timeout"],
]


@pytest.mark.parametrize("option", NUMERIC_OPTIONS, ids=lambda o: " ".join(o))
@settings(FAST, max_examples=6)
@given(value=NUMBER)
def test_hostile_numbers_get_an_answer_never_a_traceback(option, value, world):
    answered(kg(*option, value, "--corpus", world["corpus"], env=env_of(world)), option, value)


VARIABLES = ["KG_S2_MAX_AGE_DAYS", "KG_STORE", "S2_RATE", "S2_BACKOFF_BASE", "KG_RUNS_DIR"]


@settings(FAST, max_examples=15)
@given(name=st.sampled_from(VARIABLES), value=NUMBER | TEXT, command=st.sampled_from([["hypotheses"], ["suggest"], ["ingest", "--offline"], ["runs"]]))
def test_hostile_environment_values_get_an_answer_never_a_traceback(name, value, command, world):
    if name == "KG_RUNS_DIR":
        value = os.path.join(world["KG_RUNS_DIR"], value)  # only read; kept inside the test's folder
    corpus = [] if command == ["runs"] else ["--corpus", world["corpus"]]
    answered(kg(*command, *corpus, env=env_of(world, **{name: value})), name, value, command)

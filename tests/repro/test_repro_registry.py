"""The job registry, params validation, and what job modules may import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

import repro
from repro.core import OUTCOMES
from repro.registry import get_job, job_names, preset_settings, validate_params

REPRO = Path(repro.__file__).parent
ALLOWED_IN_JOBS = {"torch", "numpy", "pydantic", "repro", "kg", "__future__"}  # kg: the Verdict record
# A job may need one library for its data or estimator; named here, installed by the [repro] extra.
EXTRA_FOR_JOB = {"omnigrok.py": {"sklearn"}, "llc.py": {"devinterp"}}


def test_the_nine_jobs_are_registered():
    assert job_names() == ["belief_geometry", "grokking", "icl_task_diversity", "llc", "omnigrok", "reversal_curse", "simplicity_bias", "sparse_parity", "superposition"]


@pytest.mark.parametrize("name", job_names())
def test_job_module_contract(name):
    job = get_job(name)
    assert {"smoke", "full"} <= set(job.PRESETS)
    assert job.Params.model_config.get("extra") == "forbid"
    assert "Verdict rule" in job.__doc__, "the module docstring must state the verdict rule"
    for outcome in OUTCOMES:
        assert outcome in job.__doc__
    assert callable(job.run) and callable(job.verdict)
    for preset in job.PRESETS:
        validate_params(name, preset, {})  # every preset is valid
    assert preset_settings(name, "full")["num_gpus"] == 1
    assert preset_settings(name, "smoke")["num_gpus"] == 0


def test_validate_params_merges_preset_and_overrides():
    p = validate_params("grokking", "full", {"max_steps": 7})
    assert (p.p, p.frac_train, p.max_steps) == (113, 0.3, 7)


@pytest.mark.parametrize(
    "job,preset,overrides,match",
    [
        ("grokking", "smoke", {"no_such_key": 1}, "no_such_key"),
        ("grokking", "smoke", {"max_steps": -1}, "max_steps"),
        ("grokking", "smoke", {"lr": "fast"}, "lr"),
        ("sparse_parity", "smoke", {"sweep_ns": "20"}, "sweep_ns"),
        ("grokking", "smoke", {"n_heads": 3}, "multiple of n_heads"),
    ],
)
def test_bad_params_are_rejected(job, preset, overrides, match):
    with pytest.raises(ValidationError, match=match):
        validate_params(job, preset, overrides)


def _unbounded(schema: dict, defs: dict, where: str) -> list[str]:
    """Paths of numbers without an upper bound, strings without a length or pattern, lists
    without a length cap, anywhere in one parameter's JSON schema."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    out = []
    for option in schema.get("anyOf", []):
        out += _unbounded(option, defs, where)
    kind = schema.get("type")
    if kind in ("integer", "number") and not {"maximum", "exclusiveMaximum"} & schema.keys():
        out.append(where)
    if kind == "string" and not {"maxLength", "pattern", "enum"} & schema.keys():
        out.append(where)
    if kind == "array":
        if "maxItems" not in schema:
            out.append(where)
        for i, item in enumerate(schema.get("prefixItems", [])):
            out += _unbounded(item, defs, f"{where}[{i}]")
        if "items" in schema:
            out += _unbounded(schema["items"], defs, f"{where}[]")
    return out


@pytest.mark.parametrize("name", job_names())
def test_every_parameter_is_bounded_so_no_claim_or_run_can_ask_for_a_runaway_job(name):
    from repro.catalog import Catalog

    params = Catalog.load().job(name).params
    unbounded = [p for field, schema in params["properties"].items() for p in _unbounded(schema, params.get("$defs", {}), field)]
    assert unbounded == [], f"{name}: give these an upper bound (le=, max_length=): {unbounded}"
    assert get_job(name).Params.model_config.get("allow_inf_nan") is False


@pytest.mark.parametrize(
    "job,overrides,problem",
    [
        ("grokking", {"max_steps": 10**12}, "parameter 'max_steps': must be <= "),
        ("grokking", {"p": 1000003}, "parameter 'p': must be <= "),
        ("grokking", {"lr": float("inf")}, "parameter 'lr': must be <= "),
        ("grokking", {"lr": float("nan")}, "parameter 'lr': must be "),
        ("grokking", {"betas": [0.9, 1e9]}, "parameter 'betas': item "),
        ("llc", {"networks": ["100000-100000:5", "6-6:1"]}, "parameter 'networks': item "),
        ("llc", {"networks": ["6-6:1"] * 17}, "parameter 'networks': at most 16 items"),
        ("simplicity_bias", {"hidden": [10**9]}, "parameter 'hidden': item "),
    ],
)
def test_runaway_parameters_are_refused_by_the_catalogue_and_the_job(job, overrides, problem):
    from repro.catalog import Catalog

    [(message, _hint)] = Catalog.load().check(job, "smoke", overrides)
    assert message.startswith(problem), message
    with pytest.raises(ValueError):
        validate_params(job, "smoke", overrides)


def test_unknown_job_and_preset_are_value_errors():
    with pytest.raises(ValueError, match="unknown job"):
        validate_params("nope", "smoke", {})
    with pytest.raises(ValueError, match="unknown preset"):
        validate_params("grokking", "huge", {})


def test_the_catalogue_is_current_and_agrees_with_the_jobs():
    """repro/jobs/catalog.json is what validation and verdict lookup read instead of importing
    the jobs: it must say exactly what the modules say (`python -m repro.registry` rewrites it)."""
    from repro import registry
    from repro.catalog import CATALOG_PATH, Catalog

    assert registry.render(registry.build()) == CATALOG_PATH.read_text(encoding="utf-8"), "run `python -m repro.registry`"
    cat = Catalog.load()
    for name in job_names():
        for preset in get_job(name).PRESETS:
            assert cat.resolve(name, preset, {}) == validate_params(name, preset, {}).model_dump(mode="json")


@pytest.mark.parametrize(
    "params,problem",
    [
        ({"max_steps": "many"}, "parameter 'max_steps': expected integer"),
        ({"max_stepz": 3}, "unknown parameter 'max_stepz'"),
        ({"p": 2}, "parameter 'p': must be >= 5"),
    ],
)
def test_the_catalogue_refuses_what_the_job_refuses(params, problem):
    from repro.catalog import Catalog

    [(message, hint)] = Catalog.load().check("grokking", "smoke", params)
    assert message.startswith(problem) and "grokking takes:" in hint
    with pytest.raises(ValueError):
        validate_params("grokking", "smoke", params)


def test_the_catalogue_accepts_what_the_job_accepts():
    from repro.catalog import Catalog

    ok = {"max_steps": 500, "lr": 1, "betas": [0.9, 0.98], "frac_train": 0.5}
    assert Catalog.load().check("grokking", "smoke", ok) == []
    validate_params("grokking", "smoke", ok)


def _imports(path: Path) -> set[str]:
    mods = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods.add(node.module.split(".")[0])
    return mods


@pytest.mark.parametrize("path", sorted((REPRO / "jobs").glob("*.py")) + [REPRO / "core.py"], ids=lambda p: p.name)
def test_jobs_import_only_torch_numpy_pydantic_stdlib(path):
    import sys

    third_party = {m for m in _imports(path) if m not in sys.stdlib_module_names}
    allowed = ALLOWED_IN_JOBS | EXTRA_FOR_JOB.get(path.name, set())
    assert third_party <= allowed, f"{path.name} imports {third_party - allowed}"


def test_repro_never_imports_ui_streamlit_ingest_or_the_wiring():
    for path in REPRO.rglob("*.py"):
        assert not _imports(path) & {"ui", "streamlit", "ingest", "claimgraph", "cli"}, path


def test_the_import_line_scan_agrees_with_parsing_on_every_repro_file():
    """A job's code version follows its repro imports; the fast line scan must find what `ast` finds."""
    from repro.store import REPRO_DIR, _repro_imports, _repro_imports_by_ast

    for path in sorted(REPRO_DIR.rglob("*.py")):
        stat = path.stat()
        assert set(_repro_imports(path, stat.st_mtime_ns, stat.st_size)) == _repro_imports_by_ast(path), path

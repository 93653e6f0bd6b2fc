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

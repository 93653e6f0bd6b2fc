"""The job registry, params validation, and what job modules may import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

import repro
from repro.core import OUTCOMES
from repro.registry import get_job, job_names, parse_set, preset_settings, validate_params

REPRO = Path(repro.__file__).parent
ALLOWED_IN_JOBS = {"torch", "numpy", "pydantic", "repro", "__future__"}


def test_the_four_jobs_are_registered():
    assert job_names() == ["belief_geometry", "grokking", "sparse_parity", "superposition"]


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
        validate_params(name, preset, {})               # every preset is valid
    assert preset_settings(name, "full")["num_gpus"] == 1
    assert preset_settings(name, "smoke")["num_gpus"] == 0


def test_validate_params_merges_preset_and_overrides():
    p = validate_params("grokking", "full", {"max_steps": 7})
    assert (p.p, p.frac_train, p.max_steps) == (113, 0.3, 7)


@pytest.mark.parametrize("job,preset,overrides,match", [
    ("grokking", "smoke", {"no_such_key": 1}, "no_such_key"),
    ("grokking", "smoke", {"max_steps": -1}, "max_steps"),
    ("grokking", "smoke", {"lr": "fast"}, "lr"),
    ("sparse_parity", "smoke", {"sweep_ns": "20"}, "sweep_ns"),
    ("grokking", "smoke", {"n_heads": 3}, "multiple of n_heads"),
])
def test_bad_params_are_rejected(job, preset, overrides, match):
    with pytest.raises(ValidationError, match=match):
        validate_params(job, preset, overrides)


def test_unknown_job_and_preset_are_value_errors():
    with pytest.raises(ValueError, match="unknown job"):
        validate_params("nope", "smoke", {})
    with pytest.raises(ValueError, match="unknown preset"):
        validate_params("grokking", "huge", {})


def test_parse_set_reads_json_values():
    assert parse_set(["a=1", "b=0.5", "c=[20,50]", "d=true", "e=text"]) == \
        {"a": 1, "b": 0.5, "c": [20, 50], "d": True, "e": "text"}
    with pytest.raises(ValueError):
        parse_set(["novalue"])


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
    assert third_party <= ALLOWED_IN_JOBS, f"{path.name} imports {third_party - ALLOWED_IN_JOBS}"


def test_repro_never_imports_kg_ui_or_streamlit():
    for path in REPRO.rglob("*.py"):
        assert not _imports(path) & {"kg", "ui", "streamlit", "ingest"}, path

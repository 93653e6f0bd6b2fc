"""The job registry: names, modules, presets, and parameter validation.

A job is a module in `repro/jobs/` with `Params` (pydantic, extra="forbid"), `PRESETS`
(at least `smoke` and `full`), `run(params, ctx)` and `verdict(result)`. A preset is a dict of
parameter values plus the run settings in RUN_KEYS.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any

from pydantic import BaseModel

import repro.jobs
from repro.catalog import DEFAULT_TIMEOUT_S, RUN_KEYS


def job_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(repro.jobs.__path__) if not m.name.startswith("_"))


def get_job(name: str) -> ModuleType:
    if name not in job_names():
        raise ValueError(f"unknown job {name!r}; known jobs: {', '.join(job_names())}")
    return importlib.import_module(f"repro.jobs.{name}")


def preset_names(job: str) -> list[str]:
    return list(get_job(job).PRESETS)


def preset_settings(job: str, preset: str) -> dict[str, Any]:
    """The run settings of a preset: num_gpus (default 0) and timeout_s."""
    p = _preset(get_job(job), job, preset)
    return {"num_gpus": p.get("num_gpus", 0), "timeout_s": p.get("timeout_s", DEFAULT_TIMEOUT_S)}


def validate_params(job: str, preset: str = "smoke", overrides: dict[str, Any] | None = None) -> BaseModel:
    """Preset values, then overrides, validated by the job's Params.

    Raises ValueError for an unknown job or preset, pydantic.ValidationError (a ValueError) for
    unknown keys or bad values."""
    module = get_job(job)
    values = {k: v for k, v in _preset(module, job, preset).items() if k not in RUN_KEYS}
    values.update(overrides or {})
    return module.Params(**values)


def _preset(module: ModuleType, job: str, preset: str) -> dict[str, Any]:
    if preset not in module.PRESETS:
        raise ValueError(f"unknown preset {preset!r} for job {job!r}; presets: {', '.join(module.PRESETS)}")
    return module.PRESETS[preset]

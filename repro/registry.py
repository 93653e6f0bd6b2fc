"""The job registry: names, modules, presets, and parameter validation.

A job is a module in `repro/jobs/` with `Params` (pydantic, extra="forbid"), `PRESETS`
(at least `smoke` and `full`), `run(params, ctx)` and `verdict(result)`. A preset is a dict of
parameter values plus the run settings in RUN_KEYS.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from types import ModuleType
from typing import Any

from pydantic import BaseModel

import repro.jobs
from kg.util import atomic_write_text
from repro.catalog import CATALOG_PATH, DEFAULT_TIMEOUT_S, RUN_KEYS


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


# --- the catalogue (repro/catalog.py reads it) is written from the modules -----------------------


def build() -> dict[str, Any]:
    out = {}
    for name in job_names():
        module = get_job(name)
        presets = {}
        for preset, values in module.PRESETS.items():
            model = module.Params(**{k: v for k, v in values.items() if k not in RUN_KEYS})
            presets[preset] = {
                "params": model.model_dump(mode="json"),
                "num_gpus": values.get("num_gpus", 0),
                "timeout_s": values.get("timeout_s", DEFAULT_TIMEOUT_S),
            }
        out[name] = {
            "summary": (module.__doc__ or name).strip().splitlines()[0],
            "params": module.Params.model_json_schema(),
            "presets": presets,
            "plot": getattr(module, "PLOT", []),
        }
    return out


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m repro.registry", description="Write (or --check) repro/jobs/catalog.json from the job modules.")
    parser.add_argument("--check", action="store_true", help="exit 1 when repro/jobs/catalog.json is stale")
    args = parser.parse_args(argv)
    text = render(build())
    current = CATALOG_PATH.read_text(encoding="utf-8") if CATALOG_PATH.exists() else ""
    if args.check:
        if text != current:
            print(f"error: {CATALOG_PATH.name} is stale; run `python -m repro.registry`", file=sys.stderr)
            return 1
        print("catalog is up to date")
        return 0
    if text != current:
        atomic_write_text(CATALOG_PATH, text)
        print(f"wrote {CATALOG_PATH}")
    else:
        print("catalog is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

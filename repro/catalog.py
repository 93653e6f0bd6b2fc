"""The job catalogue as data: every job's presets, parameters and plots, without importing it.

Importing a job imports torch (seconds and hundreds of megabytes). Validating a claim's
reproduction, listing jobs and presets, and finding the verdict of a request only need to know
what a job accepts, so the catalogue keeps that as JSON (`repro/jobs/catalog.json`), written
from the job modules by `python -m repro.registry` and held current by a test
(`python -m repro.registry --check`). The core install (no torch) validates with it.

    catalog = Catalog.load()
    catalog.check("grokking", "smoke", {"max_steps": "many"})   # [("parameter 'max_steps': ...", hint)]
    catalog.resolve("grokking", "smoke", {"max_steps": 500})     # the params a run would record
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).resolve().parent / "jobs" / "catalog.json"
RUN_KEYS = ("num_gpus", "timeout_s")  # preset keys that configure the run, not the job
DEFAULT_TIMEOUT_S = 3600


@dataclass(frozen=True)
class JobInfo:
    name: str
    summary: str  # the first line of the job's docstring
    params: dict[str, Any]  # the Params model's JSON Schema
    presets: dict[str, dict[str, Any]]  # preset -> {"params": resolved params, "num_gpus", "timeout_s"}
    plot: list[dict[str, Any]]

    @property
    def fields(self) -> list[str]:
        return list(self.params.get("properties", {}))


class Catalog:
    """What every job accepts. Implements kg.validation.JobCatalog."""

    def __init__(self, jobs: dict[str, JobInfo]):
        self.jobs = jobs

    @classmethod
    def load(cls, path: Path = CATALOG_PATH) -> Catalog:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls({name: JobInfo(name=name, **info) for name, info in raw.items()})

    def job_names(self) -> list[str]:
        return sorted(self.jobs)

    def job(self, name: str) -> JobInfo:
        if name not in self.jobs:
            raise ValueError(f"unknown job {name!r}; known jobs: {', '.join(self.job_names())}")
        return self.jobs[name]

    def preset_names(self, job: str) -> list[str]:
        return list(self.job(job).presets)

    def preset(self, job: str, preset: str) -> dict[str, Any]:
        info = self.job(job)
        if preset not in info.presets:
            raise ValueError(f"unknown preset {preset!r} for job {job!r}; presets: {', '.join(info.presets)}")
        return info.presets[preset]

    def check(self, job: str, preset: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Problems with this request, as (message, hint); empty when the job would accept it."""
        info = self.job(job)
        if preset not in info.presets:
            return [(f"unknown preset '{preset}'", f"{job} has presets: {', '.join(info.presets)}")]
        hint = f"{job} takes: {', '.join(info.fields)}"
        problems = []
        properties = info.params.get("properties", {})
        for name, value in params.items():
            if name not in properties:
                problems.append((f"unknown parameter '{name}'", hint))
                continue
            error = schema_error(value, properties[name], info.params.get("$defs", {}))
            if error:
                problems.append((f"parameter '{name}': {error}", hint))
        return problems

    def resolve(self, job: str, preset: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The parameters a run of this request records: the preset's, then the overrides,
        numbers coerced as the job's model would (an int given for a float field)."""
        info = self.job(job)
        resolved = dict(self.preset(job, preset)["params"])
        properties = info.params.get("properties", {})
        for name, value in (overrides or {}).items():
            kind = properties.get(name, {}).get("type")
            resolved[name] = float(value) if kind == "number" and isinstance(value, int) and not isinstance(value, bool) else value
        return resolved


# --- a small JSON Schema check, for the subset pydantic writes for job parameters ------------

_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "string": (str,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def schema_error(value: Any, schema: dict[str, Any], defs: dict[str, Any]) -> str | None:
    """Why `value` does not fit `schema` (type, bounds, enum, items), or None when it fits."""
    if "$ref" in schema:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "anyOf" in schema:
        errors = [schema_error(value, option, defs) for option in schema["anyOf"]]
        return None if any(e is None for e in errors) else next(e for e in errors if e)
    kind = schema.get("type")
    if kind:
        allowed = _TYPES.get(kind, (object,))
        if isinstance(value, bool) and kind in ("integer", "number") or not isinstance(value, allowed):
            return f"expected {kind}, got {json.dumps(value)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"expected one of {', '.join(map(str, schema['enum']))}, got {json.dumps(value)}"
    if "const" in schema and value != schema["const"]:
        return f"expected {schema['const']!r}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        for key, ok, word in (
            ("minimum", lambda b: value >= b, ">="),
            ("maximum", lambda b: value <= b, "<="),
            ("exclusiveMinimum", lambda b: value > b, ">"),
            ("exclusiveMaximum", lambda b: value < b, "<"),
        ):
            if key in schema and not ok(schema[key]):
                return f"must be {word} {schema[key]}, got {value}"
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"at most {schema['maxLength']} characters, got {len(value)}"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return f"must match {schema['pattern']}, got {json.dumps(value[:80])}"
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"at most {schema['maxItems']} items, got {len(value)}"
        if "minItems" in schema and len(value) < schema["minItems"]:
            return f"at least {schema['minItems']} items, got {len(value)}"
    if isinstance(value, list) and "prefixItems" in schema:
        for item, item_schema in zip(value, schema["prefixItems"], strict=False):
            error = schema_error(item, item_schema, defs)
            if error:
                return f"item {json.dumps(item)}: {error}"
    if isinstance(value, list) and "items" in schema:
        for item in value:
            error = schema_error(item, schema["items"], defs)
            if error:
                return f"item {json.dumps(item)}: {error}"
    return None

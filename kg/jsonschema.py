"""JSON Schema for corpus files, generated from the pydantic models (`kg schema`)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import TypeAdapter

from kg.schema import Claim, Hypothesis, Source

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "claims" / "schema"
FILES = {"sources": Source, "hypotheses": Hypothesis, "claims": Claim}
# One adapter per file kind (each file is a list of one model), spelled out so each list type is static.
_ADAPTERS: dict[str, TypeAdapter[list[Source]] | TypeAdapter[list[Hypothesis]] | TypeAdapter[list[Claim]]] = {
    "sources": TypeAdapter(list[Source]),
    "hypotheses": TypeAdapter(list[Hypothesis]),
    "claims": TypeAdapter(list[Claim]),
}


def schemas() -> dict[str, str]:
    """File name -> JSON text, one schema per file kind (each file is a list of one model)."""
    out = {}
    for kind in FILES:
        schema = _ADAPTERS[kind].json_schema()
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://claimgraph.dev/schema/{kind}.schema.json",
            "title": f"claimgraph {kind} file",
            "description": f"A YAML list of {kind}. Generated from kg/schema.py by `kg schema`; do not edit.",
            **schema,
        }
        out[f"{kind}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schemas().items():
        path = directory / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def stale(directory: Path = SCHEMA_DIR) -> list[str]:
    """Schema files that differ from what the models generate now."""
    return [name for name, text in schemas().items() if not (directory / name).exists() or (directory / name).read_text() != text]

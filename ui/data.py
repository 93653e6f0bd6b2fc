"""The one place the UI talks to `kg` and `repro`.

Views ask this module for a store, balances, jobs and runs; they never import `kg` or `repro`
themselves, parse YAML or hold evidence logic. The store is loaded once per process and shared
by every session (`st.cache_resource`), keyed on a fingerprint of the corpus files (paths,
sizes, mtimes) and of the run store's verdicts, so an edit under `claims/` or a finished run
reloads it on the next interaction.

Configuration (environment):
    KG_CORPUS     corpus folder (default: the bundled `claims/`)
    KG_STORE      `neo4j` to read from a Neo4j server instead (see kg.store.open_store)
    KG_RUNS_DIR   the run store root (default `<repo>/runs`), read by repro
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from kg import store as kg_store
from kg.evidence import Balance, Weights
from kg.problems import Problem
from kg.schema import CLAIM_RELATIONS, RELATIONS, SETTINGS, SOURCE_KINDS, STRENGTHS  # noqa: F401 (re-exported for views)

REPO = Path(__file__).resolve().parent.parent


# --- the corpus and the store -------------------------------------------------------------


def corpus_path() -> Path:
    return Path(os.environ.get("KG_CORPUS") or kg_store.DEFAULT_CORPUS).resolve()


def runs_root() -> Path:
    return Path(os.environ.get("KG_RUNS_DIR") or REPO / "runs").resolve()


def _stat_lines(root: Path, patterns: tuple[str, ...]) -> list[str]:
    lines = []
    if not root.exists():
        return ["missing"]
    for pattern in patterns:
        for p in root.rglob(pattern):
            try:
                st_ = p.stat()
            except OSError:  # removed while we looked
                continue
            lines.append(f"{p.relative_to(root)}\t{st_.st_size}\t{st_.st_mtime_ns}")
    return sorted(lines)


def fingerprint(path: Path | None = None) -> str:
    """Changes whenever a corpus file or a run verdict is added, removed or edited."""
    path = path or corpus_path()
    lines = _stat_lines(path, ("*.yaml", "*.yml")) if path.is_dir() else [str(path)]
    lines.append("--runs--")
    root = runs_root()
    if root.is_dir():  # one stat per run folder's verdict, not a walk of every metric file
        lines += sorted(f"{p.parent.name}\t{p.stat().st_mtime_ns}" for p in root.glob("*/verdict.json"))
    return hashlib.sha1("\n".join(lines).encode()).hexdigest()


@dataclass
class Loaded:
    """What loading produced: a store, or the problems that stopped it."""

    store: Any = None
    path: str = ""
    error: str = ""
    problems: list[Problem] = field(default_factory=list)


@st.cache_resource(max_entries=2, show_spinner="Loading the claims graph…")
def _load(path: str, fp: str) -> Loaded:  # noqa: ARG001 - fp is the cache key
    return _open(path)


def _open(path: str) -> Loaded:
    try:
        return Loaded(store=kg_store.open_store(path), path=path)
    except kg_store.CorpusError as exc:
        from kg.validate import validate

        report = validate(path, check_duplicates=False)
        return Loaded(path=path, error=str(exc), problems=report.errors[:50])
    except Exception as exc:  # noqa: BLE001 - shown to the user as a deliberate error state
        return Loaded(path=path, error=f"{type(exc).__name__}: {exc}")


def load() -> Loaded:
    path = corpus_path()
    return _load(str(path), fingerprint(path))


def reload() -> None:
    _load.clear()


# --- weights (shared by every page of one session) ----------------------------------------


def default_weights() -> Weights:
    return Weights()


def weights() -> Weights:
    raw = st.session_state.get("kg_weights")
    return Weights.model_validate(raw) if raw else Weights()


def set_weights(w: Weights | None) -> None:
    if w is None:
        st.session_state.pop("kg_weights", None)
    else:
        st.session_state["kg_weights"] = w.model_dump()


def describe_weights(w: Weights) -> str:
    return w.describe()


# --- queries (thin: the logic is kg's) -----------------------------------------------------


def overview(store, w: Weights | None = None) -> list[tuple[Any, Balance]]:
    return kg_store.overview(store, w or weights())


def balance(store, hypothesis_id: str, w: Weights | None = None) -> Balance:
    return kg_store.balance(store, hypothesis_id, w or weights())


def by_relation(store, hypothesis_id: str, w: Weights | None = None) -> dict[str, list]:
    return kg_store.by_relation(store, hypothesis_id, w or weights())


def resolve(store, ref: str) -> str | None:
    return kg_store.resolve_key(store, ref)


@st.cache_resource(max_entries=2, show_spinner=False)
def explorer_inputs(path: str, fp: str) -> dict:  # noqa: ARG001 - fp is the cache key
    """Everything the graph explorer filters over, gathered once per corpus version through
    the store interface (so it works the same on both stores)."""
    store = _load(path, fp).store
    hypotheses = {h.id: h.title for h in store.hypotheses()}
    parents = {h.id: h.parent for h in store.hypotheses() if h.parent}
    sources = {s.id: {"title": s.title, "year": s.year, "kind": s.kind} for s in store.sources()}
    from ui.graphview import Row

    rows = [Row(hid, r.claim, r.source, r.relation, r.strength, r.setting) for hid in hypotheses for r in store.evidence(hid)]
    claims = {}
    for r in rows:
        if r.claim not in claims:
            c = store.claim(r.claim)
            claims[r.claim] = {"statement": c.statement if c else r.claim, "source": r.source, "setting": r.setting}
    return {"hypotheses": hypotheses, "parents": parents, "sources": sources, "claims": claims, "rows": rows}


def explorer_data() -> dict:
    path = corpus_path()
    return explorer_inputs(str(path), fingerprint(path))


# --- contributing ---------------------------------------------------------------------------


def s2_metadata(source_id: str) -> dict | None:
    """What Semantic Scholar said about a source (abstract, TLDR, citations), from the ingest
    cache only; None when `kg ingest` has not fetched it (the page then shows the YAML alone)."""
    try:
        from ingest.metadata import cached_paper
    except ImportError:
        return None
    return cached_paper(source_id)


def validate_claim(claim: dict, corpus: Path | None = None) -> tuple[list[Problem], str]:
    """Validate one new claim with the checks `kg validate` runs (kg.validate.validate_text),
    against the loaded corpus. Returns the problems, located in the claim's own YAML, and the YAML."""
    from kg.loading import load_corpus
    from kg.validate import validate_text

    text = claim_yaml(claim)
    store = load().store if corpus is None else None
    loaded = store.corpus if hasattr(store, "corpus") else load_corpus(corpus or corpus_path())[0]
    return validate_text(text, loaded), text


def claim_yaml(claim: dict) -> str:
    """The claim as a one-item YAML list, keys in schema order, ready to paste."""
    import yaml  # writing YAML, never reading it

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper, value):
        style = ">-" if len(value) > 80 else None
        if style:
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=">")
        return dumper.represent_scalar("tag:yaml.org,2002:str", value)

    _Dumper.add_representer(str, _str)
    return yaml.dump([claim], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96, default_flow_style=False)


def claim_file_for(store, claim: dict) -> str:
    """Where a new claim belongs: beside the other claims of its source, else a file per topic."""
    path = corpus_path()
    for other in store.claims_of_source(claim.get("source", "")) if claim.get("source") else []:
        origin = store.origin("claim", other.id)
        if origin:
            return _relative(origin.file)
    return f"{_relative(str(path))}/<topic>.yaml"


def _relative(name: str) -> str:
    try:
        return str(Path(name).resolve().relative_to(REPO))
    except ValueError:
        return name


# --- reproduction runs ---------------------------------------------------------------------


@dataclass
class Repro:
    ok: bool
    reason: str = ""
    registry: Any = None
    api: Any = None


def repro() -> Repro:
    """The repro package, or why it is unavailable (the Runs view shows that as its empty state)."""
    try:
        from repro import api, registry
    except Exception as exc:  # noqa: BLE001 - any import failure means "no runner here"
        return Repro(False, f"{type(exc).__name__}: {exc}")
    return Repro(True, registry=registry, api=api)


def get(record: Any, name: str, default: Any = None) -> Any:
    """Read a field of a repro record whether it is a dict, a dataclass or a pydantic model."""
    if record is None:
        return default
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


def job_names() -> list[str]:
    rp = repro()
    return list(rp.registry.job_names()) if rp.ok else []


def presets(job: str) -> list[str]:
    rp = repro()
    if not rp.ok:
        return []
    return list(rp.registry.preset_names(job))


def backends() -> list[str]:
    return ["local", "ray"]  # repro.runners.get_runner


def parse_overrides(text: str) -> tuple[dict, list[str]]:
    """`name = value` lines -> {name: value}; values are JSON when they parse, else strings
    (the job's pydantic Params coerces and checks them)."""
    import json

    out, errors = {}, []
    for n, line in enumerate((text or "").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            errors.append(f"line {n}: expected `name = value`")
            continue
        value = value.strip()
        try:
            out[name.strip()] = json.loads(value)
        except ValueError:
            out[name.strip()] = value
    return out, errors


def check_params(job: str, preset: str, overrides: dict) -> tuple[Any, str]:
    """(validated Params, "") or (None, the job model's message)."""
    rp = repro()
    try:
        return rp.registry.validate_params(job, preset, overrides), ""
    except Exception as exc:  # noqa: BLE001 - pydantic's message names the field
        return None, " ".join(str(exc).split())[:600]


def params_table(job: str, params: Any):
    import pandas as pd

    values = params.model_dump() if hasattr(params, "model_dump") else dict(params or {})
    fields = getattr(type(params), "model_fields", {})
    return pd.DataFrame(
        [{"parameter": k, "value": str(v), "description": (fields[k].description or "") if k in fields else ""} for k, v in values.items()]
    )


def list_runs(job: str | None = None, status: str | None = None) -> list[dict]:
    """Past runs as table rows, newest first."""
    rp = repro()
    if not rp.ok:
        return []
    rows = []
    for r in rp.api.list_runs(job=job, status=status):
        rid = str(get(r, "run_id"))
        rows.append(
            {
                "run": f"./runs?run={rid}",
                "job": get(r, "job"),
                "preset": get(r, "preset"),
                "seed": get(r, "seed"),
                "status": get(r, "status"),
                "verdict": get(r, "outcome") or "",
                "created": str(get(r, "created_at") or ""),
                "finished": str(get(r, "finished_at") or ""),
                "reason": get(r, "reason") or "",
            }
        )
    return rows


def claims_tested_by(store, job: str, preset: str) -> list[tuple[Any, Any]]:
    """(claim, reproduction ref) for every claim whose reproductions name this job and preset.
    TODO(kg): a store query for this (see ui/NEEDS.md); this walks the sources' claims."""
    out = []
    for s in store.sources():
        for c in store.claims_of_source(s.id):
            for ref in c.reproductions:
                if ref.job == job and (not preset or ref.preset == preset):
                    out.append((c, ref))
    return out

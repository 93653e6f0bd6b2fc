"""The one place the UI talks to `kg`, `claimgraph`, `repro` and `ingest`.

Views ask this module for a store, balances, the graph, jobs and runs; beyond it they use only
the store's query methods and kg's public helpers (`kg.node_key`, `kg.Kind`, `kg.util.shorten`).
They never parse YAML or hold evidence logic. The store is opened through `claimgraph` once per process and shared by
every session (`st.cache_resource`), keyed on a fingerprint of the corpus files (paths, sizes,
mtimes) and of the run store's verdicts, so an edit under `claims/` or a finished run reloads
it on the next interaction.

Configuration (environment, read by kg.util and claimgraph):
    KG_CORPUS     corpus folder (default: the bundled `claims/`)
    KG_STORE      `neo4j` to read from a Neo4j server instead (see claimgraph.open_store)
    KG_RUNS_DIR   the run store root (default `<repo>/runs`)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import streamlit as st

import claimgraph
import kg
from ingest.metadata import cached_paper
from kg.evidence import LEVELS, SIDES, Toggles  # noqa: F401 (re-exported for views)
from kg.graph import Edge
from kg.problems import Problem
from kg.schema import CLAIM_RELATIONS, RELATIONS, SETTINGS, STRENGTHS  # noqa: F401 (re-exported for views)
from kg.util import default_corpus, default_runs_dir, shorten
from kg.util import parse_overrides as parse_override_lines
from repro import api
from ui import graphview

REPO = Path(__file__).resolve().parent.parent


# --- the corpus and the store -------------------------------------------------------------


def corpus_path() -> Path:
    return default_corpus().resolve()


def runs_root() -> Path:
    return default_runs_dir().resolve()


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

    store: kg.Store | None = None
    path: str = ""
    error: str = ""
    problems: list[Problem] = field(default_factory=list)
    unavailable: bool = False  # the store's server did not answer: worth trying again soon


@st.cache_resource(max_entries=2, show_spinner="Loading the claims graph…")
def _load(path: str, fp: str) -> Loaded:  # noqa: ARG001 - fp is the cache key
    # An OSError (a Neo4j server that does not answer, a corpus folder that is gone) is raised,
    # not returned: Streamlit does not cache an exception, so the next rerun tries again.
    try:
        return Loaded(store=claimgraph.open_store(path), path=path)
    except kg.CorpusError as exc:
        report = claimgraph.validate(path, check_duplicates=False)
        return Loaded(path=path, error=str(exc), problems=report.errors[:50])


def load() -> Loaded:
    path = corpus_path()
    try:
        return _load(str(path), fingerprint(path))
    except OSError as exc:  # StoreUnavailable is an OSError too
        return Loaded(path=str(path), error=one_line(exc), unavailable=isinstance(exc, store_errors()))


def store_errors() -> tuple[type[BaseException], ...]:
    """What the store raises when its server is down or stops answering (claimgraph.store_errors)."""
    return claimgraph.store_errors()


def store_answers() -> bool:
    """Whether the store can be opened and its server answers now (a quick check, no retries)."""
    loaded = load()
    return loaded.store is not None and claimgraph.store_answers(loaded.store)


def one_line(exc: BaseException, limit: int = 240) -> str:
    text = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- weights (shared by every page of one session) ----------------------------------------


def default_weights() -> kg.Weights:
    return kg.Weights()


def weights() -> kg.Weights:
    raw = st.session_state.get("kg_weights")
    return kg.Weights.model_validate(raw) if raw else kg.Weights()


def set_weights(w: kg.Weights | None) -> None:
    if w is None:
        st.session_state.pop("kg_weights", None)
    else:
        st.session_state["kg_weights"] = w.model_dump()


# --- queries (thin: the logic is kg's) -----------------------------------------------------


def state_key(store: kg.Store) -> Any:
    """Changes whenever the store's answers can: the embedded store is a new object for each
    state of the corpus and runs (see `load`); a Neo4j store names the version of its last sync,
    or None while a sync writes (nothing is remembered then)."""
    version = getattr(store, "version", None)
    # the fingerprint too: a later store could reuse a dropped one's id()
    return version() if callable(version) else ("embedded", id(store), fingerprint())


@st.cache_resource(max_entries=64, show_spinner=False)
def _memo(what: str, state: Any, args: str, _compute: Callable[[], Any]) -> Any:  # noqa: ARG001 - the cache key
    return _compute()


def remembered(what: str, store: kg.Store, args: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept for this store state and these arguments and shared by every session:
    at 100k claims a balance with its certainty and sensitivity (cached on the Balance) costs
    seconds, and a page rerun (a sort, a toggle) must not pay it again."""
    state = state_key(store)
    return compute() if state is None else _memo(what, state, args, compute)


def overview(store: kg.Store, w: kg.Weights | None = None) -> list[tuple[kg.Hypothesis, kg.Summary]]:
    """Every hypothesis with the numbers the overview shows (kg.summaries: on Neo4j, under the
    default weights, kept in the server by the first reader after each sync)."""
    w = w or weights()
    return list(remembered("overview", store, w.model_dump_json(), lambda: kg.summaries(store, w)))


def balance(store: kg.Store, hypothesis_id: str, w: kg.Weights | None = None, toggles: Toggles | None = None) -> kg.Balance:
    """kg's balance of a hypothesis under these weights and what-if toggles (kg.evidence.aggregate)."""
    w = w or weights()
    return remembered("balance", store, f"{hypothesis_id}\n{w.model_dump_json()}\n{toggles!r}", lambda: kg.aggregate(hypothesis_id, store.evidence(hypothesis_id), w, toggles))


def side_balances(store: kg.Store, hypothesis_id: str, w: kg.Weights | None = None, toggles: Toggles | None = None) -> dict[str, kg.Balance]:
    """Each side's evidence weighed and graded on its own (kg's aggregate and certainty over the
    claims of that side), for the summary of findings: how sure we can be of the evidence for,
    against, and qualifying. Qualifications are graded as a body of evidence of their own (as if
    they were one direction), since grading them as a hedge would always say 'untested'."""
    from dataclasses import replace

    w = w or weights()

    def compute() -> dict[str, kg.Balance]:
        rows = store.evidence(hypothesis_id)
        out = {}
        for side in SIDES:
            subset = [r if side != "qualifies" else replace(r, relation="supports") for r in rows if r.relation == side]
            out[side] = kg.aggregate(hypothesis_id, subset, w, toggles)
        return out

    return dict(remembered("sides", store, f"{hypothesis_id}\n{w.model_dump_json()}\n{toggles!r}", compute))


def by_relation(store: kg.Store, hypothesis_id: str, w: kg.Weights | None = None) -> dict[str, list]:
    return kg.by_relation(store, hypothesis_id, w or weights())


def whole_graph(store: kg.Store) -> nx.MultiDiGraph:
    """The graph the explorer selects from, in kg's shape (kg.build_graph).

    The embedded store's own graph; for a store without one (Neo4j) the explorer's skeleton:
    hypotheses, sources and every claim's evidence from three queries (one for all the
    evidence), kept until the next sync (`state_key`). Claims carry no statement there:
    `explorer_graph` fills in the few it draws."""
    if isinstance(store, kg.GraphStore):
        return store.graph  # built once per loaded store
    state = state_key(store)
    return skeleton_graph(store) if state is None else _skeleton(state, store)


@st.cache_resource(max_entries=2, show_spinner="Reading the graph…")
def _skeleton(state: Any, _store: kg.Store) -> nx.MultiDiGraph:  # noqa: ARG001 - the cache key
    return skeleton_graph(_store)


def skeleton_graph(store: kg.Store) -> nx.MultiDiGraph:
    """kg's graph minus claim statements, runs and claim links, from a store's queries."""
    g = nx.MultiDiGraph()
    for s in store.sources():
        g.add_node(kg.node_key(kg.Kind.source, s.id), kind=kg.Kind.source.value, id=s.id, label=s.title, year=s.year)
    hypotheses = store.hypotheses()
    for h in hypotheses:
        g.add_node(kg.node_key(kg.Kind.hypothesis, h.id), kind=kg.Kind.hypothesis.value, id=h.id, label=h.title, statement=h.statement)
    for h in hypotheses:
        if h.parent and kg.node_key(kg.Kind.hypothesis, h.parent) in g:
            g.add_edge(kg.node_key(kg.Kind.hypothesis, h.id), kg.node_key(kg.Kind.hypothesis, h.parent), type=Edge.REFINES.value)
    for hid, rows in store.evidence_by_hypothesis().items():
        hk = kg.node_key(kg.Kind.hypothesis, hid)
        for r in rows:
            ck = kg.node_key(kg.Kind.claim, r.claim)
            if ck not in g:
                g.add_node(ck, kind=kg.Kind.claim.value, id=r.claim, label=r.claim, setting=r.setting, source=r.source)
                sk = kg.node_key(kg.Kind.source, r.source)
                if sk in g:
                    g.add_edge(ck, sk, type=Edge.FROM.value)
            g.add_edge(ck, hk, type=Edge.EVIDENCE.value, relation=r.relation, strength=r.strength)
    return g


def explorer_graph(store: kg.Store, whole: nx.MultiDiGraph, *filters: Any, **options: Any) -> nx.MultiDiGraph:
    """What the explorer draws: graphview.select's strongest claims (capped there, so the browser
    never gets the whole graph), with the drawn claims' statements filled in when `whole` is a
    skeleton. `graph["matched"]` / `graph["omitted"]` say how many matched and were left out."""

    def compute() -> nx.MultiDiGraph:
        g = graphview.select(whole, *filters, **options)
        for _, a in g.nodes(data=True):
            if a["kind"] == kg.Kind.claim and "statement" not in a:
                claim = store.claim(a["id"])
                if claim is not None:
                    a.update(statement=claim.statement, label=shorten(claim.statement))
        return g

    # kept per store state and filters: selecting walks every evidence edge (200k at 100k claims)
    return nx.MultiDiGraph(remembered("explorer", store, repr((filters, sorted(options.items()))), compute))


def source_titles(store: kg.Store) -> dict[str, str]:
    """{source id: title} for every source (from sources_by_id's one kept read)."""
    return {sid: s.title for sid, s in sources_by_id(store).items()}


def sources_by_id(store: kg.Store) -> dict[str, kg.Source]:
    """{source id: Source} for every source, from one query kept per store state: pages that name
    thousands of sources (a hypothesis's forest plot at 100k claims) must not ask one by one."""
    if isinstance(store, kg.GraphStore):
        return store.corpus.sources
    return dict(remembered("sources by id", store, "", lambda: {s.id: s for s in store.sources()}))


# --- contributing ---------------------------------------------------------------------------


def s2_metadata(source_id: str) -> dict | None:
    """What Semantic Scholar said about a source (abstract, TLDR, citations), from the ingest
    cache only; None when `kg ingest` has not fetched it (the page then shows the YAML alone)."""
    return cached_paper(source_id)


def validate_claim(claim: dict, corpus: Path | None = None) -> tuple[list[Problem], str]:
    """Validate one new claim with the checks `kg validate` runs (claimgraph.validate_text),
    against the loaded corpus or the one at `corpus`. Returns the problems, located in the
    claim's own YAML, and the YAML."""
    text = claim_yaml(claim)
    store = load().store if corpus is None else None
    if isinstance(store, kg.GraphStore):
        loaded = store.corpus
    else:  # a corpus folder named by the caller, or the files behind a Neo4j store
        loaded, _ = kg.load_corpus(corpus or corpus_path())
    return claimgraph.validate_text(text, loaded), text


def claim_yaml(claim: dict) -> str:
    """The claim as a one-item YAML list, keys in schema order, ready to paste."""
    import yaml  # writing YAML, never reading it

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper, value):
        if len(value) > 80:
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=">")
        return dumper.represent_scalar("tag:yaml.org,2002:str", value)

    _Dumper.add_representer(str, _str)
    return yaml.dump([claim], Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96, default_flow_style=False)


def claim_file_for(store: kg.Store, claim: dict) -> str:
    """Where a new claim belongs: beside the other claims of its source, else a file per topic."""
    for other in store.claims_of_source(claim["source"]) if claim.get("source") else []:
        origin = store.origin("claim", other.id)
        if origin:
            return relative(origin.file)
    return f"{relative(str(corpus_path()))}/<topic>.yaml"


def relative(name: str) -> str:
    """A path relative to the repository when it is inside it, else as given."""
    try:
        return str(Path(name).resolve().relative_to(REPO))
    except ValueError:
        return name


# --- reproduction runs ---------------------------------------------------------------------
# Jobs, presets and parameters come from repro's catalogue (data): rendering the Runs form
# never imports a job, hence never torch. `api.submit` checks the parameters with the job's
# own model before it starts a run.


def job_names() -> list[str]:
    return api.catalog().job_names()


def presets(job: str) -> list[str]:
    return api.catalog().preset_names(job)


def parse_overrides(text: str) -> tuple[dict[str, Any], list[str]]:
    """`name = value` lines -> ({name: value}, per-line errors), with kg.util.parse_overrides
    reading each line (values are JSON when they parse, else strings; `#` lines are skipped)."""
    out: dict[str, Any] = {}
    errors = []
    for n, line in enumerate((text or "").splitlines(), 1):
        try:
            out.update(parse_override_lines([line]))
        except ValueError as exc:
            errors.append(f"line {n}: {exc}")
    return out, errors


def check_params(job: str, preset: str, overrides: dict[str, Any]) -> list[str]:
    """What the job's parameter schema says against these overrides; empty when it accepts them."""
    return [f"{message} ({hint})" if hint else message for message, hint in api.catalog().check(job, preset, overrides)]


def params_table(job: str, preset: str, overrides: dict[str, Any]) -> pd.DataFrame:
    """The parameters a run would record, each with its description from the job's schema."""
    catalog = api.catalog()
    schema = catalog.job(job).params.get("properties", {})
    resolved = catalog.resolve(job, preset, overrides)
    return pd.DataFrame([{"parameter": k, "value": str(v), "description": schema.get(k, {}).get("description", "")} for k, v in resolved.items()])


def submit_runs(
    job: str, preset: str, overrides: dict[str, Any], seeds: list[int], backend: str, force: bool, started_by: str | None = None, address: str | None = None, max_active: int | None = None
) -> list[str]:
    """Start one run per seed, recorded as started by `started_by` (None: the server's own user);
    returns their ids in seed order. Raises ValueError when the job's own model rejects the
    parameters, api.QueueFull (a ValueError) when `max_active` runs of that user would be
    exceeded (checked under the run store's submission lock)."""
    return api.submit_seeds(job, preset, overrides, seeds=seeds, backend=backend, force=force, started_by=started_by, address=address, max_active=max_active)


def local_user() -> str:
    """The user the server runs as: who starts runs in single-user local mode."""
    return api.local_user()


def default_ray_address() -> str | None:
    """Where a Ray run goes when no address is chosen: RAY_ADDRESS, else a local Ray (None)."""
    return os.environ.get("RAY_ADDRESS") or None


def active_runs_of(user: str) -> int:
    """How many of this user's runs are queued or running (the per-user queue limit)."""
    return sum(1 for r in api.list_runs() if r.started_by == user and not r.finished)


def run_result(run_id: str) -> api.RunResult:
    """Everything about one run; raises KeyError for an unknown id."""
    return api.result(run_id)


def cancel_run(run_id: str) -> None:
    api.cancel(run_id)


def list_runs(job: str | None = None, status: str | None = None, problems: list[str] | None = None) -> list[dict]:
    """Past runs as table rows, newest first. A run folder that cannot be read is left out and
    named in `problems` (one line each)."""
    return [
        {
            "run": f"./runs?run={r.run_id}",
            "job": r.job,
            "preset": r.preset,
            "seed": r.seed,
            "status": r.status,
            "verdict": r.outcome or "",
            "started by": r.started_by or "",
            "created": r.created_at or "",
            "finished": r.finished_at or "",
            "reason": r.reason,
        }
        for r in api.list_runs(job=job, status=status, problems=problems)
    ]


@st.cache_data(ttl=10, show_spinner=False)
def unreadable_runs(root: str) -> list[str]:  # noqa: ARG001 - root is the cache key
    """One line per run folder that cannot be read (a corrupt or half-written record), looked
    up at most every 10 s: pages that show run verdicts warn about the ones left out."""
    problems: list[str] = []
    api.list_runs(problems=problems)
    return problems


def unreadable_runs_of(jobs: set[str]) -> list[str]:
    """The unreadable run folders whose id names one of these jobs (ids are `<job>-<time>-<hex>`)."""
    return [p for p in unreadable_runs(str(runs_root())) if any(p.startswith(f"run {job}-") for job in jobs)]


def claims_tested_by(store: kg.Store, job: str, preset: str) -> list[tuple[kg.Claim, kg.ReproductionRef]]:
    """(claim, reproduction ref) for every claim whose reproductions name this job and preset.
    TODO(kg): a store query for this (see ui/NEEDS.md); this walks the sources' claims."""
    out = []
    for s in store.sources():
        for c in store.claims_of_source(s.id):
            for ref in c.reproductions:
                if ref.job == job and (not preset or ref.preset == preset):
                    out.append((c, ref))
    return out


def job_plots(job: str) -> list[dict]:
    """The plots a job names for its result (repro's catalogue: title, y series, grouping)."""
    try:
        return list(api.catalog().job(job).plot)
    except ValueError:
        return []


def plot_frame(metrics: list[dict], spec: dict) -> pd.DataFrame:
    """One job plot's curves as a long table (series, x, value), by repro.plot.series."""
    from repro.plot import series

    rows = [{"series": label, "x": x, "value": y} for label, pts in series(metrics, spec).items() for x, y in pts]
    return pd.DataFrame(rows, columns=["series", "x", "value"])


def override_placeholder(job: str, preset: str) -> str:
    """Two override lines this job accepts, from its preset's own values (valid as written)."""
    try:
        params = api.catalog().preset(job, preset)["params"]
    except ValueError:
        return ""
    picked = [(k, v) for k, v in params.items() if isinstance(v, int | float) and not isinstance(v, bool)][:2]
    return "\n".join(f"{k} = {v}" for k, v in picked)


def readable_error(exc: Exception | str) -> list[str]:
    """A validation error as short lines: no URLs, no pydantic boilerplate."""
    import re

    lines = []
    for line in str(exc).splitlines():
        line = re.sub(r"\s*\[type=[^\]]*\]", "", line)
        line = re.sub(r"For further information visit \S+", "", line).strip()
        if line and not re.match(r"^\d+ validation errors? for ", line):
            lines.append(line)
    return lines or [str(exc)]


def weight_change(claim: kg.Claim, expect: str, outcome: str, w: kg.Weights | None = None) -> list[tuple[str, float, float]]:
    """How a verdict moves the claim's weight on each hypothesis it bears on, before the
    independence discount: [(hypothesis, weight without a verdict, weight with this one)]."""
    w = w or kg.Weights()
    factor = 1.0 if outcome == "inconclusive" else w.reproduced if outcome == expect else w.refuted
    kind = w.kind.get(claim.effective_kind, 1.0)
    out = []
    for link in claim.evidence:
        base = w.strength.get(link.strength, 1.0) * w.setting.get(claim.setting, 1.0) * kind
        out.append((link.hypothesis, base, base * factor))
    return out

"""How the parts are put together: a corpus, checked against the job catalogue, with the
verdicts of its reproductions and the citations among its sources.

Nothing here swallows an ImportError: if a plugin is broken, opening a store fails loudly.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from ingest.edges import citation_edges
from kg import validation
from kg.loading import Corpus
from kg.problems import Problem
from kg.records import CitationEdge, ClaimVerdict, VerdictOfRecord
from kg.store import CorpusError, GraphStore, Store
from kg.util import EnvError, default_corpus, gc_paused
from repro import api
from repro.catalog import Catalog


def job_catalog() -> Catalog:
    return api.catalog()


def job_code_version(job: str) -> str | None:
    """The current code version of a job (what its verdicts of record must match), None if unknown."""
    return api.job_code_version(job) if job in job_catalog().jobs else None


def validate(path: Path | str | None = None, strict: bool = False, check_duplicates: bool = True) -> validation.Report:
    """`kg validate`: the core's checks plus the reproductions' jobs, presets and parameters, and
    the verdicts of record (`<corpus>/verdicts/*.json`): known job, valid params, current code."""
    return validation.validate(path or default_corpus(), strict=strict, check_duplicates=check_duplicates, jobs=job_catalog(), code_versions=job_code_version)


def validate_text(text: str, corpus: Corpus, name: str = "your claim", kind: str = "claims") -> list[Problem]:
    """Check drafted YAML against a loaded corpus (the UI's Contribute view)."""
    return validation.validate_text(text, corpus, name, kind, jobs=job_catalog())


def collect_verdicts(corpus: Corpus, runs: Path | str | None = None, records: Iterable[VerdictOfRecord] = (), local: bool = True, as_published: bool = False) -> list[ClaimVerdict]:
    """The verdict of every reproduction a claim names, with where it comes from (`status`):

    - the verdict of record of that job, preset and resolved params, when its job code is
      current (`record`);
    - else the latest succeeded local run of the request in the run store (`local`: any seed,
      unpublished), unless `local=False`;
    - a verdict of record whose job code has changed shows too (`stale`), and weighs nothing.

    `as_published=True` reads a past revision's records as they stood then (claimgraph.history):
    no check against today's job code, and a reproduction today's catalogue cannot resolve (a
    job renamed since) has no verdict instead of failing.
    """
    catalog = job_catalog()
    published = {_request_key(r.job, r.preset, r.params): r for r in records}
    versions: dict[str, str | None] = {}
    latest: dict[str, api.RunVerdict | None] = {}  # several claims often name the same request
    verdicts = []
    for claim in corpus.claims.values():
        for ref in claim.reproductions:
            common = {"claim": claim.id, "job": ref.job, "preset": ref.preset, "expect": ref.expect}
            try:
                key = _request_key(ref.job, ref.preset, catalog.resolve(ref.job, ref.preset, dict(ref.params)))
            except ValueError:
                if as_published:
                    continue
                raise
            record = published.get(key)
            if record is not None:
                if ref.job not in versions:
                    versions[ref.job] = None if as_published else job_code_version(ref.job)
                status = "record" if as_published or record.code_version == versions[ref.job] else "stale"
                verdicts.append(
                    ClaimVerdict(
                        **common,
                        verdict=record.verdict(),
                        run_id=record.run_id,
                        finished_at=record.date,
                        code_version=record.code_version,
                        status=status,
                        seeds=record.seed_numbers,
                    )
                )
                if status == "record":
                    continue
            if not local:
                continue
            if key not in latest:  # each lookup scans the run store
                latest[key] = api.latest_verdict(ref.job, ref.preset, dict(ref.params), store=runs)
            found = latest[key]
            if found is not None:
                verdicts.append(
                    ClaimVerdict(
                        **common,
                        verdict=found.verdict,
                        run_id=found.run_id,
                        seed=found.seed,
                        finished_at=found.finished_at,
                        code_version=found.code_version,
                        status="local",
                    )
                )
    return verdicts


def _request_key(job: str, preset: str, resolved: dict[str, object]) -> str:
    return json.dumps([job, preset, resolved], sort_keys=True, default=str)


def load_citations(corpus: Corpus) -> list[CitationEdge]:
    """CITES edges among corpus sources from the Semantic Scholar cache (none without a cache)."""
    return citation_edges(corpus)


@gc_paused()  # see kg.util.gc_paused
def load_graph_store(path: Path | str | None = None, runs: bool = True) -> GraphStore:
    """The embedded store over a corpus folder, with its verdicts of record and (unless
    runs=False) the latest local runs. Raises CorpusError when the corpus has errors."""
    report = validate(path, check_duplicates=False)
    if report.errors:
        first = report.errors[0]
        raise CorpusError(f"the corpus has {len(report.errors)} error(s), the first at {first}; run `kg validate` to see them all")
    # Verdicts of record are corpus data: they come with it even when the run store is not read.
    verdicts = collect_verdicts(report.corpus, records=[f.record for f in report.records], local=runs)
    return GraphStore(report.corpus, verdicts, load_citations(report.corpus))


def open_store(path: Path | str | None = None, runs: bool = True) -> Store:
    """The store the configuration asks for: `KG_STORE=neo4j` (with NEO4J_URI) or the embedded graph."""
    kind = os.environ.get("KG_STORE") or "graph"
    if kind not in ("graph", "neo4j"):
        raise EnvError(f"KG_STORE={kind[:40]!r} is not a store; use graph (the default) or neo4j")
    if kind == "neo4j":
        # NEO4J_URI (required), NEO4J_USER (or NEO4J_USERNAME), NEO4J_PASSWORD, NEO4J_DATABASE; the corpus path is not
        # used: the server holds what `kg sync` wrote. Unreachable server, bad URI or wrong
        # credentials raise kg.neo4j_store.StoreUnavailable (an OSError) with a one-line message.
        from kg.neo4j_store import Neo4jStore

        return Neo4jStore.from_env()
    return load_graph_store(path, runs=runs)


def store_errors() -> tuple[type[BaseException], ...]:
    """What a store raises when its server cannot be reached (StoreUnavailable, on open) or stops
    answering mid-session (the Neo4j driver's ServiceUnavailable and SessionExpired, on a query).
    The UI shows these as one line and tries again. Empty while no Neo4j store was tried: the
    embedded store has no server to lose, and the driver is not imported for nothing."""
    errors: list[type[BaseException]] = []
    if "kg.neo4j_store" in sys.modules:
        from kg.neo4j_store import StoreUnavailable

        errors.append(StoreUnavailable)
    driver_errors = sys.modules.get("neo4j.exceptions")
    if driver_errors is not None:
        errors += [driver_errors.ServiceUnavailable, driver_errors.SessionExpired]
    return tuple(errors)


def store_answers(store: Store) -> bool:
    """Whether the store's server answers right now (a quick connect, no query retries); the
    embedded store always does."""
    driver = getattr(store, "driver", None)
    if driver is None:
        return True
    try:
        driver.verify_connectivity()
    except Exception:  # noqa: BLE001 - any failure means "not yet"
        return False
    return True

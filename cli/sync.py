"""`kg sync --neo4j URI`: project the graph into Neo4j, with a progress bar."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.corpus import CorpusPath
from cli.output import err, fail, out


def sync(
    neo4j: Annotated[str, typer.Option("--neo4j", envvar="NEO4J_URI", help="Bolt URI, e.g. bolt://localhost:7687")],
    corpus: CorpusPath = None,
    user: Annotated[str | None, typer.Option(help="Default: $NEO4J_USER or $NEO4J_USERNAME (Aura)")] = None,
    password: Annotated[str | None, typer.Option(envvar="NEO4J_PASSWORD", help="Prefer the NEO4J_PASSWORD variable")] = None,
    database: Annotated[str | None, typer.Option(envvar="NEO4J_DATABASE")] = None,
) -> None:
    """Project the graph (claims, sources, hypotheses, verdicts, citations) into Neo4j.

    Idempotent: upserts what changed, removes what disappeared from the YAML; a second run
    changes nothing and says so."""
    from neo4j import GraphDatabase
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from claimgraph import load_graph_store
    from kg.store import CorpusError
    from kg.sync import check_uri, describe_error
    from kg.sync import sync as run_sync
    from kg.util import neo4j_user

    user = user or neo4j_user()
    try:
        store = load_graph_store(corpus)
    except CorpusError as exc:
        fail(str(exc))
    except (OSError, ValueError) as exc:
        fail(f"cannot load the corpus: {exc}")
    try:
        check_uri(neo4j)
    except ValueError as exc:
        fail(str(exc))
    driver = None
    try:
        auth = (user, password or "") if user else None
        driver = GraphDatabase.driver(neo4j, auth=auth, connection_timeout=10, max_transaction_retry_time=15)
        driver.verify_connectivity()
        columns = (TextColumn("[bold]sync[/] {task.fields[phase]:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("sync", total=None, phase="planning")

            def progress(phase: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=max(total, 1), phase=phase)

            report = run_sync(store, driver, database=database, progress=progress)
    except Exception as exc:  # noqa: BLE001 - one line for the user, no traceback
        fail(describe_error(exc, neo4j))
    finally:
        if driver is not None:
            driver.close()
    out.print(report.summary(), markup=False)

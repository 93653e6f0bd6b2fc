"""`kg`: the command line over the claims graph.

    kg validate [PATH] [--strict] [--format text|json]
    kg hypotheses [--format table|json]
    kg show hypothesis|claim|source ID
    kg search TEXT
    kg export --format json|graphml|csv|bibtex
    kg schema [--check]
    kg sync --neo4j URI
    kg run JOB / kg runs        (repro/cli.py)
    kg ingest / resolve / suggest   (ingest/cli.py)

Output is rich on a terminal and plain (tab-separated) when piped. Expected failures
(a bad corpus, an unknown id) print one line and exit non-zero, never a traceback.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table

from kg.evidence import Weights
from kg.store import DEFAULT_CORPUS, CorpusError, by_relation, open_store, overview, resolve_key

app = typer.Typer(
    help="claimgraph: a literature-grounded claims graph on how neural networks generalise, "
    "which priors training implies, and what goals trained models end up with.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

CorpusPath = Annotated[Optional[Path], typer.Option("--corpus", "-c", help="Corpus folder (default: the bundled claims/)")]
WeightsPath = Annotated[Optional[Path], typer.Option("--weights", help="JSON file overriding evidence weights (see kg/evidence.py)")]


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


class TableOrJson(str, Enum):
    table = "table"
    json = "json"


def fail(message: str, code: int = 1) -> None:
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def load(corpus: Path | None):
    try:
        return open_store(corpus)
    except CorpusError as exc:
        fail(str(exc))
    except (OSError, ValueError) as exc:
        fail(str(exc))


def load_weights(path: Path | None) -> Weights:
    try:
        return Weights.load(path)
    except (OSError, ValueError) as exc:
        fail(f"{path}: {' '.join(str(exc).split())[:300]}")


def table(title: str, columns: list[str], rows: list[list]) -> None:
    """A rich table on a terminal; tab-separated lines with a header when piped."""
    if out.is_terminal:
        prose = {"hypothesis", "statement", "text", "title", "locator"}
        widths = {i: max([len(col)] + [len(str(row[i])) for row in rows]) for i, col in enumerate(columns) if col not in prose}
        fixed = sum(w + 3 for w in widths.values())
        keep = [i for i, col in enumerate(columns) if col not in prose or out.width - fixed >= 20]  # drop prose that cannot fit
        t = Table(title=title, title_justify="left")
        for i in keep:  # prose columns wrap; ids, numbers and bars keep their width
            if i in widths:
                t.add_column(columns[i], no_wrap=True, min_width=widths[i])
            else:
                t.add_column(columns[i], overflow="fold", ratio=1, min_width=16)
        for row in rows:
            t.add_row(*(str(row[i]) for i in keep))
        out.print(t)
    else:  # plain TSV; written directly because rich expands tabs to spaces
        clean = lambda v: str(v).replace("\t", " ").replace("\n", " ")  # noqa: E731
        sys.stdout.write("\t".join(columns) + "\n")
        for row in rows:
            sys.stdout.write("\t".join(clean(v) for v in row) + "\n")
        sys.stdout.flush()


def bar(score: float, width: int = 20) -> str:
    """-1..1 as a centred bar: left of | is against, right is for."""
    half = width // 2
    filled = round(abs(score) * half)
    left = ("-" * filled).rjust(half) if score < 0 else " " * half
    right = ("+" * filled).ljust(half) if score > 0 else " " * half
    return f"[{left}|{right}]"


@app.command()
def validate(
    path: Annotated[Optional[Path], typer.Argument(help="A corpus folder or one YAML file")] = None,
    strict: Annotated[bool, typer.Option(help="Treat warnings (near-duplicates, claims with no links) as errors")] = False,
    format: Annotated[TextOrJson, typer.Option("--format", "-f")] = TextOrJson.text,
) -> None:
    """Check corpus files: schema, references, ids, reproductions, near-duplicates. Exit 1 on errors."""
    from kg.validate import validate as run_validate

    report = run_validate(path or DEFAULT_CORPUS, strict=strict)
    corpus = report.corpus
    if format == TextOrJson.json:
        out.print_json(json.dumps({"ok": report.ok, "errors": len(report.errors), "warnings": len(report.warnings), "problems": [p.to_dict() for p in report.problems]}))
    else:
        for p in report.problems:
            (err if p.severity == "error" else out).print(str(p), markup=False)
        summary = f"{len(corpus.files)} files, {len(corpus.sources)} sources, {len(corpus.hypotheses)} hypotheses, {len(corpus.claims)} claims"
        verdict = "ok" if report.ok else f"{len(report.errors)} error(s)"
        out.print(f"{summary}: {verdict}, {len(report.warnings)} warning(s)", markup=False)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def schema(check: Annotated[bool, typer.Option(help="Only check that claims/schema/ is up to date")] = False) -> None:
    """Write the JSON Schema of corpus files to claims/schema/ (editors use it for completion)."""
    from kg import jsonschema

    if check:
        stale = jsonschema.stale()
        if stale:
            fail(f"stale schema files: {', '.join(stale)}; run `kg schema`")
        out.print("schema is up to date")
        return
    written = jsonschema.write()
    out.print(f"wrote {len(written)} file(s) to {jsonschema.SCHEMA_DIR}" if written else "schema is up to date", markup=False)


@app.command()
def hypotheses(
    corpus: CorpusPath = None,
    weights: WeightsPath = None,
    format: Annotated[TableOrJson, typer.Option("--format", "-f")] = TableOrJson.table,
) -> None:
    """Every hypothesis with its evidence balance (-1 against .. +1 for)."""
    store, w = load(corpus), load_weights(weights)
    rows = overview(store, w)
    if format == TableOrJson.json:
        out.print_json(json.dumps([{"id": h.id, "title": h.title, **b.to_dict()} for h, b in rows]))
        return
    table(
        "Hypotheses (balance: -1 against .. +1 for)",
        ["id", "hypothesis", "balance", "", "for", "against", "qualify", "claims", "sources", "contested"],
        [
            [h.id, h.title, f"{b.score:+.2f}", bar(b.score), f"{b.support:.1f}", f"{b.against:.1f}", f"{b.qualify:.1f}", sum(b.counts.values()), b.sources, "CONTESTED" if b.contested else ""]
            for h, b in rows
        ],
    )


@app.command()
def summary(corpus: CorpusPath = None) -> None:
    """A short overview of the graph: counts and the balance of every hypothesis."""
    store = load(corpus)
    stats = store.stats()
    out.print(", ".join(f"{v} {k}" for k, v in stats.items()), markup=False)
    hypotheses(corpus=corpus, weights=None, format=TableOrJson.table)


class Kind(str, Enum):
    hypothesis = "hypothesis"
    claim = "claim"
    source = "source"


@app.command()
def show(
    kind: Annotated[Kind, typer.Argument(help="hypothesis | claim | source")],
    id: Annotated[str, typer.Argument(help="The id (see `kg search`)")],
    corpus: CorpusPath = None,
    weights: WeightsPath = None,
) -> None:
    """Show one hypothesis (with its evidence and the balance explained), claim or source."""
    store, w = load(corpus), load_weights(weights)
    getter = {"hypothesis": store.hypothesis, "claim": store.claim, "source": store.source}[kind.value]
    entity = getter(id)
    if entity is None:
        hits = store.search(id, limit=3, kinds={kind.value})
        hint = f"; did you mean {', '.join(h.id for h in hits)}?" if hits else ""
        fail(f"no {kind.value} '{id}'{hint}")
    {"hypothesis": _show_hypothesis, "claim": _show_claim, "source": _show_source}[kind.value](store, entity, w)


def _field(name: str, value) -> None:
    if value not in (None, "", [], ()):
        out.print(f"{name}: {value}", markup=False)


def _show_hypothesis(store, h, w: Weights) -> None:
    from kg.store import balance

    b = balance(store, h.id, w)
    _field("hypothesis", h.id)
    _field("title", h.title)
    _field("statement", h.statement)
    _field("parent", h.parent)
    if h.seed:
        _field("seed", f"paragraph {h.seed.paragraph}" if h.seed.paragraph else f'"{h.seed.quote}"')
    out.print(f"balance: {b.score:+.2f} {bar(b.score)}  for {b.support:.2f}, against {b.against:.2f}, qualify {b.qualify:.2f}" + ("  CONTESTED" if b.contested else ""), markup=False)
    for relation, group in by_relation(store, h.id, w).items():
        if not group:
            continue
        out.print(f"\n{relation} ({len(group)}):", markup=False)
        claims = [store.claim(c.row.claim) for c in group]
        if out.is_terminal:  # a block per claim reads better than a table squeezed to the terminal
            for c, claim in zip(group, claims):
                out.print(f"  [bold]{c.weight:5.2f}[/]  [cyan]{escape(claim.id)}[/]  ({c.row.setting}, {c.row.strength}, reproduction: {c.reproduction})")
                out.print(f"         {escape(claim.source)} · {escape(str(claim.locator))}", style="dim")
                out.print(Padding(claim.statement, (0, 0, 0, 9)), markup=False, soft_wrap=False)
        else:
            table(
                relation,
                ["weight", "claim", "source", "locator", "setting", "strength", "reproduction", "statement"],
                [[f"{c.weight:.2f}", c.row.claim, c.row.source, str(cl.locator), c.row.setting, c.row.strength, c.reproduction, cl.statement] for c, cl in zip(group, claims)],
            )
    out.print("\nhow the balance is computed:\n" + w.describe(), markup=False)


def _show_claim(store, c, w: Weights) -> None:
    src = store.source(c.source)
    _field("claim", c.id)
    _field("statement", c.statement)
    _field("source", f"{c.source}: {src.title} ({src.year})" if src else c.source)
    _field("locator", str(c.locator))
    if c.locator.quote:
        _field("quote", f'"{c.locator.quote}"')
    _field("setting", c.setting)
    if c.scope:
        _field("scope", ", ".join(f"{k}={v}" for k, v in c.scope.model_dump(exclude_none=True).items()))
    origin = store.origin("claim", c.id)
    _field("defined at", str(origin) if origin else None)
    for e in c.evidence:
        out.print(f"  {e.relation} {e.hypothesis} ({e.strength}): {e.rationale}", markup=False)
    for link in store.claim_links(c.id):
        arrow = "->" if link.direction == "out" else "<-"
        out.print(f"  {arrow} {link.relation} {link.other}", markup=False)
    for ref in c.reproductions:
        out.print(f"  reproduction {ref.job}/{ref.preset} expects {ref.expect}", markup=False)
    for v in store.verdicts(c.id):
        out.print(f"  latest run {v.run_id} ({v.job}/{v.preset}): {v.summary or v.outcome}", markup=False)


def _show_source(store, s, w: Weights) -> None:
    _field("source", s.id)
    _field("title", s.title)
    _field("kind", s.kind)
    _field("authors", ", ".join(s.authors))
    _field("year", s.year)
    _field("venue", s.venue)
    for k, v in s.ids.model_dump(exclude_none=True).items():
        _field(k, v)
    _field("aliases", ", ".join(s.aliases))
    claims = store.claims_of_source(s.id)
    table(f"claims of {s.id}", ["claim", "setting", "locator", "statement"], [[c.id, c.setting, str(c.locator), c.statement] for c in claims])


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Words, a title, an informal name ('badllama'); typos are fine")],
    limit: Annotated[int, typer.Option("--limit", "-n")] = 10,
    corpus: CorpusPath = None,
    format: Annotated[TableOrJson, typer.Option("--format", "-f")] = TableOrJson.table,
) -> None:
    """Fuzzy search across sources, hypotheses and claims."""
    store = load(corpus)
    hits = store.search(text, limit=limit)
    if format == TableOrJson.json:
        out.print_json(json.dumps([h.__dict__ for h in hits]))
        return
    if not hits:
        out.print(f"no match for '{text}'", markup=False)
        raise typer.Exit(1)
    table(f"search: {text}", ["score", "kind", "id", "text"], [[f"{h.score:.0f}", h.kind, h.id, h.label] for h in hits])


@app.command()
def path(
    a: Annotated[str, typer.Argument(help="An id or kind:id")],
    b: Annotated[str, typer.Argument(help="An id or kind:id")],
    corpus: CorpusPath = None,
) -> None:
    """The shortest chain of links between two nodes (claims, sources, hypotheses)."""
    store = load(corpus)
    ka, kb = resolve_key(store, a), resolve_key(store, b)
    for ref, key in ((a, ka), (b, kb)):
        if key is None:
            fail(f"no node '{ref}'")
    found = store.path(ka, kb)
    if not found:
        fail(f"no path between {ka} and {kb}")
    for key in found:
        out.print(key, markup=False)


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", "-f", help="json | graphml | csv | bibtex")] = "json",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here instead of stdout")] = None,
    corpus: CorpusPath = None,
    weights: WeightsPath = None,
) -> None:
    """Export the graph for other tools."""
    from kg.export import FORMATS
    from kg.export import export as run_export

    if format not in FORMATS:
        fail(f"unknown format '{format}'; use one of {', '.join(FORMATS)}", 2)
    store = load(corpus)
    if not hasattr(store, "corpus"):
        fail("export reads the embedded graph; unset KG_STORE to export")
    text = run_export(store, format, load_weights(weights))
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", markup=False)
    else:
        sys.stdout.write(text)


@app.command()
def sync(
    neo4j: Annotated[str, typer.Option("--neo4j", envvar="NEO4J_URI", help="Bolt URI, e.g. bolt://localhost:7687")],
    corpus: CorpusPath = None,
    user: Annotated[Optional[str], typer.Option(envvar="NEO4J_USER")] = None,
    password: Annotated[Optional[str], typer.Option(envvar="NEO4J_PASSWORD", help="Prefer the NEO4J_PASSWORD variable")] = None,
    database: Annotated[Optional[str], typer.Option(envvar="NEO4J_DATABASE")] = None,
) -> None:
    """Project the graph (claims, sources, hypotheses, verdicts, citations) into Neo4j.

    Idempotent: upserts what changed, removes what disappeared from the YAML; a second run
    changes nothing and says so."""
    from kg.sync import sync_command

    raise typer.Exit(sync_command(neo4j, user, password, corpus, database))


def _register_plugins() -> None:
    """Commands that live with their part (repro, ingest, Neo4j sync) register themselves here."""
    import importlib

    for module_name in ("repro.cli", "ingest.cli"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        register = getattr(module, "register", None)
        if register:
            register(app)


_register_plugins()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except BrokenPipeError:  # `kg export | head` closes the pipe early; that is not an error
        sys.stderr.close()
        sys.exit(0)


if __name__ == "__main__":
    main()

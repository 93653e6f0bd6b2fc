"""The corpus commands: validate, schema, hypotheses, summary, show, search, path, export.

Each is a thin layer over `claimgraph` and `kg`; heavy imports wait until a command runs, so
`kg --help` stays fast.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from cli.output import TableOrJson, TextOrJson, bar, err, fail, field, out, print_json, printable, say, table, usage_error

if TYPE_CHECKING:
    from kg.evidence import Weights
    from kg.store import Store

CorpusPath = Annotated[Path | None, typer.Option("--corpus", "-c", help="Corpus folder (default: the bundled claims/)")]
WeightsPath = Annotated[Path | None, typer.Option("--weights", help="JSON file overriding evidence weights (see kg/evidence.py)")]


def load(corpus: Path | None) -> Store:
    from claimgraph import open_store
    from kg.store import CorpusError
    from kg.util import EnvError

    try:
        return open_store(corpus)
    except EnvError as exc:
        usage_error(str(exc))
    except CorpusError as exc:
        fail(str(exc))
    except (OSError, ValueError) as exc:
        fail(str(exc))


def load_weights(path: Path | None) -> Weights:
    from kg.evidence import Weights

    try:
        return Weights.load(path)
    except (OSError, ValueError) as exc:
        fail(f"{path}: {' '.join(str(exc).split())[:300]}")


def validate(
    path: Annotated[Path | None, typer.Argument(help="A corpus folder or one YAML file")] = None,
    strict: Annotated[bool, typer.Option(help="Treat warnings (near-duplicates, claims with no links) as errors")] = False,
    format: Annotated[TextOrJson, typer.Option("--format", "-f")] = TextOrJson.text,
) -> None:
    """Check corpus files: schema, references, ids, reproductions, near-duplicates. Exit 1 on errors."""
    import claimgraph

    report = claimgraph.validate(path, strict=strict)
    corpus = report.corpus
    if format == TextOrJson.json:
        print_json({"ok": report.ok, "errors": len(report.errors), "warnings": len(report.warnings), "problems": [p.to_dict() for p in report.problems]})
    else:
        for p in report.problems:
            (err if p.severity == "error" else out).print(printable(p), markup=False)
        summary = f"{len(corpus.files)} files, {len(corpus.sources)} sources, {len(corpus.hypotheses)} hypotheses, {len(corpus.claims)} claims"
        verdict = "ok" if report.ok else f"{len(report.errors)} error(s)"
        out.print(f"{summary}: {verdict}, {len(report.warnings)} warning(s)", markup=False)
    raise typer.Exit(0 if report.ok else 1)


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


def hypotheses(
    corpus: CorpusPath = None,
    weights: WeightsPath = None,
    format: Annotated[TableOrJson, typer.Option("--format", "-f")] = TableOrJson.table,
) -> None:
    """Every hypothesis with its evidence balance (-1 against .. +1 for)."""
    from kg.store import overview

    store, w = load(corpus), load_weights(weights)
    rows = overview(store, w)
    if format == TableOrJson.json:
        print_json([{"id": h.id, "title": h.title, **b.to_dict()} for h, b in rows])
        return
    table(
        "Hypotheses (balance: -1 against .. +1 for; certainty: GRADE adapted, see `kg show hypothesis ID`)",
        ["id", "hypothesis", "balance", "", "certainty", "range", "for", "against", "qualify", "claims", "groups", "flags"],
        [
            [
                h.id,
                h.title,
                "untested" if b.untested else f"{b.score:+.2f}",
                bar(b.score),
                b.certainty[0],
                f"{b.sensitivity.min:+.2f}..{b.sensitivity.max:+.2f}",
                f"{b.support:.1f}",
                f"{b.against:.1f}",
                f"{b.qualify:.1f}",
                sum(b.counts.values()),
                b.independent_groups,
                _flags(b),
            ]
            for h, b in rows
        ],
    )


def _flags(b: Any) -> str:
    flags = ["CONTESTED"] if b.contested else []
    if b.sensitivity.rests_on:
        flags.append(f"rests on {b.sensitivity.rests_on}")
    return ", ".join(flags)


def summary(corpus: CorpusPath = None) -> None:
    """A short overview of the graph: counts and the balance of every hypothesis."""
    store = load(corpus)
    out.print(", ".join(f"{v} {k}" for k, v in store.stats().items()), markup=False)
    hypotheses(corpus=corpus, weights=None, format=TableOrJson.table)


class EntityKind(StrEnum):
    hypothesis = "hypothesis"
    claim = "claim"
    source = "source"


def show(
    kind: Annotated[EntityKind, typer.Argument(help="hypothesis | claim | source")],
    id: Annotated[str, typer.Argument(help="The id (see `kg search`)")],
    corpus: CorpusPath = None,
    weights: WeightsPath = None,
) -> None:
    """Show one hypothesis (with its evidence and the balance explained), claim or source."""
    store, w = load(corpus), load_weights(weights)
    entity = {"hypothesis": store.hypothesis, "claim": store.claim, "source": store.source}[kind.value](id)
    if entity is None:
        hits = store.search(id, limit=3, kinds={kind.value})
        hint = f"; did you mean {', '.join(h.id for h in hits)}?" if hits else ""
        fail(f"no {kind.value} '{id}'{hint}")
    if kind is EntityKind.hypothesis:
        _show_hypothesis(store, entity, w)
    elif kind is EntityKind.claim:
        _show_claim(store, entity)
    else:
        _show_source(store, entity)


def _show_hypothesis(store: Store, h: Any, w: Weights) -> None:
    from kg.store import balance, by_relation

    b = balance(store, h.id, w)
    field("hypothesis", h.id)
    field("title", h.title)
    field("statement", h.statement)
    field("parent", h.parent)
    if h.seed:
        field("seed", f"paragraph {h.seed.paragraph}" if h.seed.paragraph else h.seed.quote)
    out.print(f"balance: {b.score:+.2f} {bar(b.score)}  for {b.support:.2f}, against {b.against:.2f}, qualify {b.qualify:.2f}" + ("  CONTESTED" if b.contested else ""), markup=False)
    if b.untested:
        out.print("UNTESTED: nothing bears on it directly for or against; read the balance as no answer", markup=False)
    level, reasons = b.certainty
    out.print(f"certainty: {level}", markup=False)
    for reason in reasons:
        say(f"  - {reason}")
    s = b.sensitivity
    say(f"leave one source out: {s.min:+.2f} .. {s.max:+.2f}" + (f"; rests on {s.rests_on} (without it {s.without[s.rests_on]:+.2f})" if s.rests_on else ""))
    out.print(f"independent groups: {b.independent_groups} deciding, {len(b.groups)} in all (a group is a source, or the sources of one declared origin)", markup=False)
    for relation, group in by_relation(store, h.id, w).items():
        if not group:
            continue
        say(f"\n{relation} ({len(group)}):")
        claims = [store.claim(c.row.claim) for c in group]
        if out.is_terminal:  # a block per claim reads better than a table squeezed to the terminal
            for c, claim in zip(group, claims, strict=True):
                assert claim is not None
                out.print(
                    f"  [bold]{c.weight:5.2f}[/]  [cyan]{escape(printable(claim.id))}[/]  ({c.row.kind}, {c.row.setting}, {c.row.strength}{'' if c.row.direct else ', indirect'}, reproduction: {escape(printable(c.reproduction))})"
                )
                out.print(f"         {escape(printable(claim.source))} · {escape(printable(claim.locator))}", style="dim")
                out.print(Padding(Text(printable(claim.statement)), (0, 0, 0, 9)), soft_wrap=False)
        else:
            table(
                relation,
                ["weight", "claim", "source", "group", "locator", "kind", "setting", "strength", "direct", "reproduction", "statement"],
                [
                    [
                        f"{c.weight:.2f}",
                        c.row.claim,
                        c.row.source,
                        c.row.independence_group,
                        str(cl.locator) if cl else "",
                        c.row.kind,
                        c.row.setting,
                        c.row.strength,
                        "yes" if c.row.direct else "no",
                        c.reproduction,
                        cl.statement if cl else "",
                    ]
                    for c, cl in zip(group, claims, strict=True)
                ],
            )
    out.print("\nhow the balance is computed:\n" + w.describe(), markup=False)


def _show_claim(store: Store, c: Any) -> None:
    src = store.source(c.source)
    field("claim", c.id)
    field("statement", c.statement)
    field("source", f"{c.source}: {src.title} ({src.year})" if src else c.source)
    field("locator", str(c.locator))
    if c.locator.quote:
        field("quote", f'"{c.locator.quote}"')
    field("setting", c.setting)
    if c.scope:
        field("scope", ", ".join(f"{k}={v}" for k, v in c.scope.model_dump(exclude_none=True).items()))
    origin = store.origin("claim", c.id)
    field("defined at", str(origin) if origin else None)
    for e in c.evidence:
        say(f"  {e.relation} {e.hypothesis} ({e.strength}): {e.rationale}")
    for link in store.claim_links(c.id):
        arrow = "->" if link.direction == "out" else "<-"
        say(f"  {arrow} {link.relation} {link.other}")
    for ref in c.reproductions:
        say(f"  reproduction {ref.job}/{ref.preset} expects {ref.expect}")
    for v in store.verdicts(c.id):
        # the summary says which: verdict of record, stale verdict of record, or local run (unpublished)
        run = f" run {v.run_id}" if v.status == "local" else ""
        say(f"  {v.job}/{v.preset}{run}: {v.summary}")


def _show_source(store: Store, s: Any) -> None:
    field("source", s.id)
    field("title", s.title)
    field("kind", s.kind)
    field("authors", ", ".join(s.authors))
    field("year", s.year)
    field("venue", s.venue)
    for k, v in s.ids.model_dump(exclude_none=True).items():
        field(k, v)
    field("aliases", ", ".join(s.aliases))
    claims = store.claims_of_source(s.id)
    table(f"claims of {s.id}", ["claim", "setting", "locator", "statement"], [[c.id, c.setting, str(c.locator), c.statement] for c in claims])


def search(
    text: Annotated[str, typer.Argument(help="Words, a title, an informal name ('badllama'); typos are fine")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000)] = 10,
    corpus: CorpusPath = None,
    format: Annotated[TableOrJson, typer.Option("--format", "-f")] = TableOrJson.table,
) -> None:
    """Fuzzy search across sources, hypotheses and claims."""
    store = load(corpus)
    hits = store.search(text, limit=limit)
    if format == TableOrJson.json:
        print_json([h.__dict__ for h in hits])
        return
    if not hits:
        fail(f"no match for '{text}'")
    table(f"search: {text}", ["score", "kind", "id", "text"], [[f"{h.score:.0f}", h.kind, h.id, h.label] for h in hits])


def path(
    a: Annotated[str, typer.Argument(help="An id or kind:id")],
    b: Annotated[str, typer.Argument(help="An id or kind:id")],
    corpus: CorpusPath = None,
) -> None:
    """The shortest chain of links between two nodes (claims, sources, hypotheses)."""
    from kg.store import resolve_key

    store = load(corpus)
    keys = []
    for ref in (a, b):
        key = resolve_key(store, ref)
        if key is None:
            fail(f"no node '{ref}'")
        keys.append(key)
    found = store.path(keys[0], keys[1])
    if not found:
        fail(f"no path between {keys[0]} and {keys[1]}")
    for key in found:
        say(key)


def export(
    format: Annotated[str, typer.Option("--format", "-f", help="json | graphml | csv | bibtex")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout")] = None,
    corpus: CorpusPath = None,
    weights: WeightsPath = None,
) -> None:
    """Export the graph for other tools."""
    from kg.export import FORMATS
    from kg.export import export as run_export
    from kg.store import GraphStore

    if format not in FORMATS:
        usage_error(f"unknown format '{format}'; use one of {', '.join(FORMATS)}")
    store = load(corpus)
    if not isinstance(store, GraphStore):
        fail("export reads the embedded graph; unset KG_STORE to export")
    text = run_export(store, format, load_weights(weights))
    if output:
        from kg.util import atomic_write_text

        if not output.parent.is_dir():
            fail(f"cannot write {output}: no folder {output.parent}")
        try:  # atomic: a full disk leaves the old file (or none), never half an export
            atomic_write_text(output, text)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}; nothing was written")
        err.print(f"wrote {output}", markup=False)
    else:
        sys.stdout.write(text)


def sensitivity(
    hypothesis: Annotated[str, typer.Argument(help="A hypothesis id (see `kg hypotheses`)")],
    only_reproduced: Annotated[bool, typer.Option("--only-reproduced", help="Keep only claims whose reproduction agrees")] = False,
    without_observational: Annotated[bool, typer.Option("--without-observational", help="Leave out observational frontier reports")] = False,
    exclude_source: Annotated[list[str] | None, typer.Option("--exclude-source", help="Leave out a source (repeatable)")] = None,
    exclude_group: Annotated[list[str] | None, typer.Option("--exclude-group", help="Leave out a lab or origin (repeatable)")] = None,
    count_opinions: Annotated[bool, typer.Option("--count-opinions", help="Let opinions weigh")] = False,
    corpus: CorpusPath = None,
    weights: WeightsPath = None,
    format: Annotated[TableOrJson, typer.Option("--format", "-f")] = TableOrJson.table,
) -> None:
    """How much the balance of a hypothesis depends on any one source, and on named what-ifs."""
    from kg.evidence import Toggles, aggregate

    store, w = load(corpus), load_weights(weights)
    if store.hypothesis(hypothesis) is None:
        hits = store.search(hypothesis, limit=3, kinds={"hypothesis"})
        fail(f"no hypothesis '{hypothesis}'" + (f"; did you mean {', '.join(h.id for h in hits)}?" if hits else ""))
    rows = store.evidence(hypothesis)
    full = aggregate(hypothesis, rows, w)
    chosen = Toggles(
        only_reproduced=only_reproduced,
        without_observational=without_observational,
        exclude_sources=frozenset(exclude_source or ()),
        exclude_groups=frozenset(exclude_group or ()),
        count_opinions=count_opinions,
    )
    what_ifs = {
        "as chosen" if chosen != Toggles() else "everything": chosen,
        "only reproduced evidence": Toggles(only_reproduced=True),
        "without observational frontier reports": Toggles(without_observational=True),
        "counting opinions": Toggles(count_opinions=True),
    }
    scenarios = {name: aggregate(hypothesis, rows, w, t) for name, t in what_ifs.items()}
    s = full.sensitivity
    if format == TableOrJson.json:
        print_json(
            {
                "hypothesis": hypothesis,
                "score": round(full.score, 4),
                "sensitivity": s.to_dict(),
                "without": {src: round(v, 4) for src, v in sorted(s.without.items())},
                "what_if": {name: {"score": round(b.score, 4), "certainty": b.certainty[0], "claims": len(b.contributions)} for name, b in scenarios.items()},
            }
        )
        return
    say(f"{hypothesis}: balance {full.score:+.2f}, leave one source out {s.min:+.2f} .. {s.max:+.2f}" + (f", rests on {s.rests_on}" if s.rests_on else ""))
    table("what if", ["scenario", "balance", "certainty", "claims"], [[name, f"{b.score:+.2f}", b.certainty[0], len(b.contributions)] for name, b in scenarios.items()])
    table(
        "without one source (largest change first)",
        ["source", "balance without it", "change", "flips"],
        [
            [src, f"{v:+.2f}", f"{v - full.score:+.2f}", "FLIPS" if src == s.rests_on or (full.score > 0 >= v) or (full.score < 0 <= v) else ""]
            for src, v in sorted(s.without.items(), key=lambda kv: (-abs(kv[1] - full.score), kv[0]))
        ],
    )

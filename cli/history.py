"""The evidence over time: `kg diff` (what a change does to every balance) and `kg history`
(how one balance got here, commit by commit). Both read the corpus at past revisions from git
(claimgraph.history) and never touch the work tree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from cli.corpus import CorpusPath, WeightsPath, load_weights
from cli.output import fail, print_json, table, warn

if TYPE_CHECKING:
    from claimgraph.history import History, Point
    from kg.diff import ClaimChange, HypothesisDiff, HypothesisState


class Format(StrEnum):
    table = "table"  # a table on a terminal, TSV when piped
    tsv = "tsv"
    markdown = "markdown"
    json = "json"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table (TSV when piped) | tsv | markdown | json")]
MARKER = "<!-- kg diff -->"  # lets the pull-request workflow find and update its comment


def diff(
    rev_a: Annotated[str, typer.Argument(help="The revision before (a commit, branch or tag: origin/main, HEAD~3)")],
    rev_b: Annotated[str | None, typer.Argument(help="The revision after (default: the work tree as it is)")] = None,
    corpus: CorpusPath = None,
    weights: WeightsPath = None,
    format: FormatOption = Format.table,
) -> None:
    """What a change does to the evidence: every hypothesis whose balance or certainty moves,
    and the claims that moved it, each with its contribution before and after."""
    from kg.diff import diff as compare

    with _history(corpus, weights) as h:
        before, after = _snapshot(h, rev_a), _snapshot(h, rev_b)
    changed = compare(before, after)
    label_b = rev_b or "the work tree"
    if format == Format.json:
        print_json([d.to_dict() for d in changed])
    elif format == Format.markdown:
        typer.echo(markdown_diff(changed, rev_a, label_b), nl=False)
    else:
        none: list[ClaimChange | None] = [None]
        rows = [[d.hypothesis, _score(d.before), _score(d.after), f"{d.moved:+.2f}", _certainty(d.before), _certainty(d.after), *_change_cells(c)] for d in changed for c in ([*d.changes] or none)]
        columns = ["hypothesis", "balance before", "after", "moved", "certainty before", "after", "claim", "change", "share before", "after", "delta", "why"]
        if not rows and format == Format.table:
            typer.echo(f"No hypothesis changes between {rev_a} and {label_b}.")
            return
        table(f"Evidence: {rev_a} → {label_b} (share: a claim's contribution to the balance)", columns, rows, plain=format == Format.tsv)


def history(
    hypothesis: Annotated[str, typer.Argument(help="A hypothesis id (see `kg hypotheses`)")],
    corpus: CorpusPath = None,
    weights: WeightsPath = None,
    format: FormatOption = Format.table,
) -> None:
    """The balance and certainty of one hypothesis at each commit that changed the evidence
    for it, with the commit, its date and the claims that moved it."""
    with _history(corpus, weights) as h:
        try:
            points = h.timeline(hypothesis)
        except _revision_error() as exc:
            fail(str(exc))
        if not any(p.state is not None for p in points):
            _unknown(h, hypothesis)
    for p in points:
        if p.error:
            warn(f"at {p.commit.short} ({p.commit.date[:10]}): {p.error}; skipped")
    if format == Format.json:
        print_json({"hypothesis": hypothesis, "commits": [p.to_dict() for p in points]})
    elif format == Format.markdown:
        typer.echo(markdown_history(hypothesis, points), nl=False)
    else:
        rows = [[p.commit.short, p.commit.date[:16].replace("T", " "), _score(p.state), _certainty(p.state), p.commit.subject, _moved_by(p.changes)] for p in points if not p.error]
        table(f"History of {hypothesis} (commits that changed the evidence for it, oldest first)", ["commit", "date", "balance", "certainty", "subject", "moved by"], rows, plain=format == Format.tsv)


# --- rendering ----------------------------------------------------------------------------------


def markdown_diff(changed: list[HypothesisDiff], rev_a: str, rev_b: str) -> str:
    """A pull-request comment: one line when nothing moved, else a table per hypothesis."""
    head = f"{MARKER}\n### Evidence: what `{rev_a}` → `{rev_b}` changes\n\n"
    if not changed:
        return head + "No hypothesis changes: every balance and certainty is as it was.\n"
    lines = [
        f"{len(changed)} hypothes{'is' if len(changed) == 1 else 'es'} change. A claim's *share* is its contribution to the balance (-1 against .. +1 for).",
        "",
        "| hypothesis | balance | certainty | claims that moved it |",
        "|---|---|---|---|",
    ]
    for d in changed:
        lines.append(f"| `{d.hypothesis}` {_md(d.title)} | {_score(d.before)} → **{_score(d.after)}** ({d.moved:+.2f}) | {_certainty(d.before)} → {_certainty(d.after)} | {len(d.changes)} |")
    for d in changed:
        if not d.changes:
            continue
        lines += [
            "",
            f"<details><summary><code>{d.hypothesis}</code>: {len(d.changes)} claim(s)</summary>",
            "",
            "| claim | change | share before → after | delta | what changed |",
            "|---|---|---|---|---|",
        ]
        for c in d.changes:
            lines.append(f"| `{c.claim}` | {c.change} | {_share(c.before)} → {_share(c.after)} | {c.delta:+.3f} | {_md(c.why)} |")
        lines += ["", "</details>"]
    return head + "\n".join(lines) + "\n"


def markdown_history(hypothesis: str, points: list[Point]) -> str:
    lines = [f"### History of `{hypothesis}`", "", "| commit | date | balance | certainty | subject | moved by |", "|---|---|---|---|---|---|"]
    for p in points:
        if p.error:
            lines.append(f"| `{p.commit.short}` | {p.commit.date[:10]} | | | {_md(p.commit.subject)} | did not load: {_md(p.error)} |")
        else:
            lines.append(f"| `{p.commit.short}` | {p.commit.date[:10]} | {_score(p.state)} | {_certainty(p.state)} | {_md(p.commit.subject)} | {_md(_moved_by(p.changes))} |")
    return "\n".join(lines) + "\n"


def _change_cells(c: ClaimChange | None) -> list[str]:
    if c is None:
        return ["", "", "", "", "", ""]
    return [c.claim, c.change, _share(c.before), _share(c.after), f"{c.delta:+.3f}", c.why]


def _moved_by(changes: list[ClaimChange], shown: int = 4) -> str:
    parts = [f"{c.claim} ({c.change}, {c.delta:+.3f})" for c in changes[:shown]]
    if len(changes) > shown:
        parts.append(f"and {len(changes) - shown} more")
    return "; ".join(parts)


def _score(s: HypothesisState | None) -> str:
    if s is None:
        return "absent"
    return "untested" if s.untested else f"{s.score:+.2f}"


def _certainty(s: HypothesisState | None) -> str:
    return s.certainty or "" if s is not None else "absent"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:+.3f}"


def _md(text: str) -> str:
    """Table-cell safe: pipes escaped, no line breaks, no HTML."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


# --- loading ----------------------------------------------------------------------------------


def _revision_error() -> type[Exception]:
    from claimgraph.history import RevisionError

    return RevisionError


def _history(corpus: CorpusPath, weights: WeightsPath) -> History:
    from claimgraph.history import History, NoHistory

    w = load_weights(weights)
    try:
        return History(corpus, w)
    except NoHistory as exc:
        fail(f"{exc}: kg diff and kg history need a git checkout of the corpus")
    except OSError as exc:
        fail(str(exc))


def _snapshot(h: History, rev: str | None) -> dict[str, HypothesisState]:
    try:
        return h.snapshot(rev)
    except _revision_error() as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{rev or 'the work tree'}: {exc}")


def _unknown(h: History, hypothesis: str) -> None:
    from rapidfuzz import fuzz, process

    names = h.seen()
    match = process.extractOne(hypothesis, sorted(names), scorer=fuzz.ratio, score_cutoff=70) if names else None
    hint = f"; did you mean '{match[0]}'?" if match else "; see `kg hypotheses`"
    fail(f"hypothesis '{hypothesis}' is in no commit of {h.path}{hint}")

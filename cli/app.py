"""`kg`: the command line over the claims graph. The whole surface, in one place:

    kg validate [PATH] [--strict] [--format text|json]     cli/corpus.py
    kg schema [--check]
    kg hypotheses [--format table|json]
    kg summary
    kg show hypothesis|claim|source ID
    kg sensitivity HYPOTHESIS [--only-reproduced] [--exclude-source S] ...
    kg search TEXT
    kg path A B
    kg export --format json|graphml|csv|bibtex
    kg diff REV_A [REV_B] [--format table|tsv|markdown|json]  cli/history.py
    kg history HYPOTHESIS
    kg sync --neo4j URI                                    cli/sync.py
    kg run JOB / kg runs [show|cancel]                     cli/runs.py
    kg ingest / resolve / suggest                          cli/ingest.py

Output is rich on a terminal and tab-separated when piped; errors are one line on stderr,
exit 1 for bad input and 2 for usage (cli/output.py).
"""

from __future__ import annotations

import sys

import typer

from cli import corpus, history, ingest, runs, sync
from cli.output import err

app = typer.Typer(
    help="claimgraph: a literature-grounded claims graph on how neural networks generalise, which priors training implies, and what goals trained models end up with.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for command in (corpus.validate, corpus.schema, corpus.hypotheses, corpus.summary, corpus.show, corpus.sensitivity, corpus.search, corpus.path, corpus.export):
    app.command()(command)
app.command()(history.diff)
app.command()(history.history)
app.command()(sync.sync)
app.command()(runs.run)
app.add_typer(runs.runs_app, name="runs")
for ingest_command in (ingest.ingest, ingest.resolve, ingest.suggest):
    app.command()(ingest_command)


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

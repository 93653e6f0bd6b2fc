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

import logging
import sys

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError  # typer vendors click; it is pinned

from cli import corpus, history, ingest, runs, sync
from cli.output import BAD_INPUT, USAGE, err, warn
from kg.util import EnvError

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


class _WarningLines(logging.Handler):
    """Bad local state (a corrupt run or cache file) is logged by the library as it is skipped;
    here it becomes one `warning: ...` line on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        warn(record.getMessage())


_state_log = logging.getLogger("claimgraph")
_state_log.addHandler(_WarningLines(logging.WARNING))
_state_log.propagate = False


def main() -> None:
    try:
        code = app(prog_name="kg", standalone_mode=False)  # errors come back here, so each is one line
    except NoArgsIsHelpError as exc:  # plain `kg`: the help, as before
        exc.show()
        sys.exit(USAGE)
    except UsageError as exc:  # a bad option value, a missing argument, an unknown command
        command = exc.ctx.command_path if exc.ctx else "kg"
        message = " ".join(exc.format_message().replace("Value error, ", "").split())
        err.print(f"error: {message} (see `{command} --help`)", markup=False)
        sys.exit(USAGE)
    except ClickException as exc:
        err.print(f"error: {' '.join(exc.format_message().split())}", markup=False)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        err.print("interrupted")
        sys.exit(130)
    except EnvError as exc:  # a variable no command could use (KG_S2_MAX_AGE_DAYS=abc)
        err.print(f"error: {exc}", markup=False)
        sys.exit(USAGE)
    except BrokenPipeError:  # `kg export | head` closes the pipe early; that is not an error
        sys.stderr.close()
        sys.exit(0)
    except OSError as exc:  # what the system refused (disk full, permission denied, read-only) and no command foresaw
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"error: {where}{exc.strerror or exc}", markup=False)
        sys.exit(BAD_INPUT)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()

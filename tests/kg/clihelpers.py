"""`kg` run in this process, through `cli.app.main` (what the `kg` script calls): fast enough for
property tests, and any exception that escapes `main` fails the test with its traceback."""

from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from unittest import mock

from cli.app import main
from kg import util


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        """The stderr lines that say something (a progress bar leaves a blank one when piped)."""
        return [line for line in self.stderr.splitlines() if line.strip()]


def kg(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run `kg ARGS` with `env` added to the environment (a value of "" unsets the variable)."""
    out, err = io.StringIO(), io.StringIO()
    util.warned.clear()  # each run warns afresh, as a new process would
    environ = {k: v for k, v in os.environ.items() if k not in (env or {})} | {k: v for k, v in (env or {}).items() if v}
    with mock.patch.object(sys, "argv", ["kg", *args]), mock.patch.dict(os.environ, environ, clear=True), redirect_stdout(out), redirect_stderr(err):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    return Result(code, out.getvalue(), err.getvalue())


def one_line_errors(r: Result) -> None:
    """Every line on stderr is an `error:` or a `warning:` line, and a failure has exactly one error."""
    assert "Traceback" not in r.stderr, r.stderr
    for line in r.lines:
        assert line.startswith(("error: ", "warning: ")), r.stderr
    if r.code != 0:
        assert sum(line.startswith("error: ") for line in r.lines) == 1, r.stderr

"""How every `kg` command talks: one dialect for all command groups.

- Results go to stdout: a rich table on a terminal, tab-separated lines when piped, JSON with
  `--format json`.
- Errors go to stderr as one line, `error: ...`, and exit 1 for bad input (a corpus with
  errors, an unknown id, a failed run) or 2 for a usage error (a bad option value). Expected
  errors never print a traceback.
- Text from data is printed through `printable`, the one escaping helper: a control character,
  an ANSI escape or a bidirectional override in a title or a cached summary shows as `\x1b`
  or `\u202e`, never acts on the terminal. Tab and newline pass.
"""

from __future__ import annotations

import json
import re
import sys
from enum import StrEnum
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kg.hygiene import HIDDEN  # what a corpus file may not hold is what a terminal must not receive

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

BAD_INPUT = 1
USAGE = 2
PROSE = {"hypothesis", "statement", "text", "title", "locator", "why", "note", "reason", "summary"}


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: Any) -> str:
    """`value` as text that cannot act on a terminal: each unprintable character as an escape."""
    text = str(value)
    return HIDDEN.sub(_escape, text) if HIDDEN.search(text) else text


def say(text: Any, **kwargs: Any) -> None:
    """Print data to stdout as it is (no markup), escaped."""
    out.print(printable(text), markup=False, **kwargs)


class TableOrJson(StrEnum):
    table = "table"
    json = "json"


class TextOrJson(StrEnum):
    text = "text"
    json = "json"


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """One line on stderr and a non-zero exit: 1 for bad input, 2 for a usage error."""
    err.print(f"error: {printable(' '.join(message.split()))}", markup=False)
    raise typer.Exit(code)


def usage_error(message: str) -> NoReturn:
    fail(message, USAGE)


def warn(message: str) -> None:
    err.print(f"warning: {printable(message)}", markup=False)


def print_json(data: Any) -> None:
    # JSON escapes control characters itself; bidi and zero-width ones become \\uXXXX here
    text = json.dumps(data, indent=1, ensure_ascii=False, default=str)
    sys.stdout.write(HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
    sys.stdout.flush()


def table(title: str, columns: list[str], rows: list[list[Any]], plain: bool = False) -> None:
    """A rich table on a terminal; tab-separated lines with a header when piped (or `plain`)."""
    if out.is_terminal and not plain:
        rows = [[printable(v) for v in row] for row in rows]
        widths = {i: max([len(col)] + [len(str(row[i])) for row in rows]) for i, col in enumerate(columns) if col not in PROSE}
        fixed = sum(w + 3 for w in widths.values())
        keep = [i for i, col in enumerate(columns) if col not in PROSE or out.width - fixed >= 20]  # drop prose that cannot fit
        t = Table(title=Text(printable(title)), title_justify="left")  # Text: data is never read as rich markup
        for i in keep:  # prose columns wrap; ids, numbers and bars keep their width
            if i in widths:
                t.add_column(columns[i], no_wrap=True, min_width=widths[i])
            else:
                t.add_column(columns[i], overflow="fold", ratio=1, min_width=16)
        for row in rows:
            t.add_row(*(Text(str(row[i])) for i in keep))
        out.print(t)
    else:  # plain TSV; written directly because rich expands tabs to spaces
        sys.stdout.write("\t".join(columns) + "\n")
        for row in rows:
            sys.stdout.write("\t".join(_cell(v) for v in row) + "\n")
        sys.stdout.flush()


def _cell(value: Any) -> str:
    return printable(value).replace("\t", " ").replace("\n", " ")


def bar(score: float, width: int = 20) -> str:
    """-1..1 as a centred bar: left of | is against, right is for."""
    half = width // 2
    filled = round(abs(score) * half)
    left = ("-" * filled).rjust(half) if score < 0 else " " * half
    right = ("+" * filled).ljust(half) if score > 0 else " " * half
    return f"[{left}|{right}]"


def field(name: str, value: Any) -> None:
    """`name: value` when there is a value."""
    if value not in (None, "", [], ()):
        out.print(f"{name}: {printable(value)}", markup=False)

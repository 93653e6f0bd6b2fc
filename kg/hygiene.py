"""Characters a reviewer cannot see are errors anywhere in a corpus file.

A NUL byte made the fast YAML parser stop reading (the claims after it vanished, and `kg sync`
then deleted them); an ANSI escape rewrites the terminal that prints it; a bidirectional
override or a zero-width character makes reviewed text differ from stored text. So the raw
text is scanned before it is parsed, and values written as escapes (`"\\e[31m"`) after.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls (CSI starts ANSI sequences too), bidi
# marks, overrides and isolates, zero-width and other invisible format characters (category Cf,
# less the soft hyphen), line and paragraph separators, lone surrogates.
_INVISIBLE = "\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff"
HIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f{_INVISIBLE}]")  # in a value (a parsed string)
_HIDDEN_RAW = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_INVISIBLE}]|\r(?!\n)")  # in a file: CRLF line ends are fine
MAX_REPORTED = 20  # per file: the first lines are enough to find the rest


def describe(char: str) -> tuple[str, str]:
    """What `char` is, and how to fix it."""
    code = ord(char)
    if code == 0:
        return "NUL byte (U+0000)", "corpus files are UTF-8 text; if it was saved as UTF-16, save it as UTF-8"
    if code == 0x1B:
        return "escape character U+001B (it starts ANSI terminal sequences)", "delete it"
    if 0xD800 <= code <= 0xDFFF:
        return f"lone surrogate U+{code:04X}", "delete it"
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"control character U+{code:04X}", "delete it; retype the text if it was pasted"
    name = unicodedata.name(char, "format character").lower()
    return f"invisible character U+{code:04X} ({name})", "retype the text without it"


def scan_bytes(raw: bytes) -> bool:
    """True when the file may hold a hidden character: a vectorised check, so that clean ASCII
    files (all of a large corpus) cost one pass and no regex."""
    if not raw.isascii():
        return True
    import numpy as np  # here, not at the top: the CLI imports this module for its escaping

    codes = np.frombuffer(raw, np.uint8)
    return b"\x7f" in raw or int(np.count_nonzero(codes < 0x20)) != int(np.count_nonzero(codes == 0x0A))


def hidden_in_text(text: str) -> list[tuple[int, int, str]]:
    """(line, column, character) of each line's first hidden character, 1-based; a leading
    byte-order mark is allowed. Capped at MAX_REPORTED lines."""
    found: list[tuple[int, int, str]] = []
    line, pos = 1, 0
    for match in _HIDDEN_RAW.finditer(text, 1 if text.startswith("\ufeff") else 0):
        line += text.count("\n", pos, match.start())
        pos = match.start()
        if found and found[-1][0] == line:
            continue
        found.append((line, match.start() - text.rfind("\n", 0, match.start()), match.group()[0]))
        if len(found) >= MAX_REPORTED:
            break
    return found


def hidden_in_values(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(location, character) of every string, key or value, that holds a hidden character."""
    if isinstance(data, str):
        match = HIDDEN.search(data)
        if match:
            yield path, match.group()
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from hidden_in_values(item, (*path, i))
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and HIDDEN.search(key):
                yield (*path, key), HIDDEN.search(key).group()  # type: ignore[union-attr]  # searched just above
            yield from hidden_in_values(value, (*path, key))

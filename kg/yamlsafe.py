"""Safe YAML parsing for untrusted contributor files, with line numbers when they are needed.

Two parsers, one meaning:

* the fast path (`yaml_rs`, Rust) parses a plain file in microseconds and builds Python
  objects directly; it is used only when the text holds no tag (`!`), anchor (`&`) or alias
  (`*`) token, so it never meets the constructs that make YAML dangerous;
* the careful path composes PyYAML's node tree (which knows every node's line), refuses
  non-standard tags, caps alias expansion and nesting depth, and resolves scalars with the
  YAML 1.2 core rules, so `no`, `on` and `2024-01-02` stay strings on both paths. A plain
  scalar that may be a number is resolved by yaml_rs itself, so that `0x7e8`, `1_000` or
  `.inf` mean the same on both paths (tests/kg/test_hostile.py checks they agree).

Both refuse YAML directives other than `%YAML 1.2` (a `%YAML 1.1` file would mean YAML 1.1 to
other tools: `no` a boolean, `010` octal).

The careful path also answers "which line is this?" for a validation error's location.
"""

from __future__ import annotations

import functools
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import yaml
import yaml_rs

try:  # libyaml's composer is several times faster; the pure-Python one is a fine fallback
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]  # stubs type the C and pure loaders as unrelated classes; same interface


class _Loader(_BaseLoader):
    """Composes without PyYAML's YAML 1.1 implicit typing: every plain scalar stays untyped
    here and `_Converter._scalar` applies the YAML 1.2 core rules, as yaml_rs does."""

    yaml_implicit_resolvers: dict[Any, Any] = {}


MAX_NODES = 500_000  # per file, nodes repeated by alias expansion: stops billion-laughs documents
# (the file's own nodes are not counted: the size cap bounds them, and a valid 8 MiB file has more)
MAX_DEPTH = 40

# A tag, anchor or alias token starts after whitespace or a flow indicator.
_RISKY_TOKEN = re.compile(r"(?:^|[\s\[\]{},:-])[!&*][^\s,\]}]", re.M)
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?:\s|$)", re.M)
_ITEM_START = re.compile(r"\n-(?=[ \t\r\n]|\Z)")  # a literal prefix: several times faster than ^- with re.M
_DIRECTIVE = re.compile(r"^%.*$", re.M)
_YAML_12 = re.compile(r"^%YAML[ \t]+1\.2[ \t]*(?:#.*)?$")
_MAYBE_NUMBER = frozenset("0123456789+-._")  # first characters of what yaml_rs may read as a number

_CORE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


class YamlError(Exception):
    """The text is not YAML we accept. `line` is 1-based."""

    def __init__(self, message: str, line: int, hint: str = ""):
        super().__init__(message)
        self.message, self.line, self.hint = message, line, hint


@dataclass
class Parsed:
    data: Any
    item_lines: list[int] | None  # 1-based first line of each top-level list item, when cheap to know
    root: yaml.Node | None = None  # the node tree, when the careful path ran


def parse(text: str) -> Parsed:
    """Parse one file's text; raise YamlError with a line number when it is not acceptable."""
    if text.startswith("%") or "\n%" in text:
        _check_directives(text)
    # str.find is far cheaper than the regex, and most files hold none of these characters.
    # yaml_rs would also read several documents ('---') as one list: those take the careful path.
    plain = not any(c in text for c in "!&*") or not _RISKY_TOKEN.search(text)
    if plain and not _has_document_marker(text):
        try:
            data = _fast_loads(text)
        except Exception:  # noqa: BLE001 - the careful path gives the precise message
            pass
        else:
            return Parsed(data, _item_lines(text, data))
    root = compose(text)
    data = _Converter().convert(root) if root is not None else None
    return Parsed(data, item_lines_from_node(root), root)


# yaml_rs 0.1.6 crashes the process (SIGSEGV) when it is called on a thread that starts after
# another thread which used it has exited: reproducible with Streamlit, whose every script run
# is a fresh thread (tests/kg/test_loading.py::test_fast_parser_survives_short_lived_threads).
# Threads that never exit are safe, so off the main thread the parse runs on one that lives
# as long as the process.
_PARSER_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-yaml")


def _fast_loads(text: str) -> Any:
    if threading.current_thread() is threading.main_thread():
        return yaml_rs.loads(text, parse_datetime=False)
    return _PARSER_THREAD.submit(yaml_rs.loads, text, parse_datetime=False).result()


def _check_directives(text: str) -> None:
    for match in _DIRECTIVE.finditer(text):
        if not _YAML_12.match(match.group()):
            directive = " ".join(match.group().split())[:40]
            raise YamlError(f"YAML directive '{directive}' is not accepted: corpus files are YAML 1.2", _line_at(text, match.start()), "remove the line")


def compose(text: str) -> yaml.Node | None:
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise YamlError(f"YAML syntax error: {problem}", line, "check indentation, colons and quotes on this line or the one before") from None
    except yaml.reader.ReaderError as exc:  # control characters
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise YamlError(f"control character U+{code:04X} is not allowed in YAML", _line_at(text, exc.position), "delete it; retype the text if it was pasted") from None
    except yaml.YAMLError as exc:  # anything else the parser refuses
        raise YamlError(f"unreadable YAML: {' '.join(str(exc).split())}", 1, "check the file is a YAML list") from None
    if len(nodes) > 1:
        raise YamlError("more than one YAML document ('---') in one file", nodes[1].start_mark.line + 1, "keep one list per file")
    return nodes[0] if nodes else None


def line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the deepest node a location path reaches (keys before values)."""
    node, line = root, 1 if root is None else root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                break
            continue
        else:
            break
        line = node.start_mark.line + 1
    return line


def _has_document_marker(text: str) -> bool:
    maybe = text.startswith(("---", "...")) or "\n---" in text or "\n..." in text  # cheap prefilter
    return maybe and _DOCUMENT_MARKER.search(text) is not None


def _line_at(text: str, position: int | None) -> int:
    return 1 if position is None else text.count("\n", 0, position) + 1


def _item_lines(text: str, data: Any) -> list[int] | None:
    """Line of each top-level item of a block list, found by a regex instead of a second parse."""
    if not isinstance(data, list):
        return None
    starts, line, pos = [], 1, 0
    if text[:1] == "-" and text[1:2] in ("", " ", "\t", "\r", "\n"):
        starts.append(1)
    for match in _ITEM_START.finditer(text) if data else ():
        line += text.count("\n", pos, match.start() + 1)  # count only since the last item: linear
        pos = match.start() + 1
        starts.append(line)
    return starts if len(starts) == len(data) else None


def item_lines_from_node(root: yaml.Node | None) -> list[int] | None:
    if isinstance(root, yaml.SequenceNode):
        return [item.start_mark.line + 1 for item in root.value]
    return None


class _Converter:
    """Node tree -> plain Python, refusing what untrusted YAML must not do."""

    def __init__(self) -> None:
        self.count = 0  # nodes visited again through an alias
        self.seen: set[int] = set()

    def convert(self, node: yaml.Node, depth: int = 0) -> Any:
        if id(node) in self.seen:
            self.count += 1
        else:
            self.seen.add(id(node))
        line = node.start_mark.line + 1
        if self.count > MAX_NODES:
            raise YamlError(f"document expands to more than {MAX_NODES:,} nodes (alias bomb?)", line, "do not use anchors and aliases (&, *)")
        if depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", line, "flatten the structure")
        if node.tag not in _CORE_TAGS:
            raise YamlError(f"YAML tag '{node.tag}' is not allowed", line, "remove the tag; corpus files hold plain data only")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, depth + 1) for item in node.value]
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.convert(key_node, depth + 1)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlError("mapping keys must be plain words", key_node.start_mark.line + 1, "use a plain key such as 'statement'")
            if key in result:
                raise YamlError(f"duplicate key '{key}'", key_node.start_mark.line + 1, "keep one of them")
            result[key] = self.convert(value_node, depth + 1)
        return result

    @staticmethod
    def _scalar(node: yaml.ScalarNode) -> Any:
        value = node.value
        if node.style:
            return value  # quoted or block scalar: always a string
        if _NULL.match(value):
            return None
        if value in _BOOL:
            return _BOOL[value]
        if value[0] in _MAYBE_NUMBER:
            return _number_or_text(value)
        return value


@functools.lru_cache(maxsize=4096)  # years and small counts repeat
def _number_or_text(value: str) -> Any:
    """A plain scalar as yaml_rs reads it, so both paths agree on every number it accepts."""
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value) and any(c.isdigit() for c in value):
        return float(value)
    try:
        parsed = _fast_loads(f"- {value}\n")
    except Exception:  # noqa: BLE001 - not a scalar yaml_rs reads alone: text
        return value
    return parsed[0] if isinstance(parsed, list) and len(parsed) == 1 and isinstance(parsed[0], int | float) else value

"""Small infrastructure every part of claimgraph shares: one home each, so they cannot drift.

kg is the bottom layer (it imports nothing else of ours), so ingest, repro, the UI and the
CLI all take these from here.
"""

from __future__ import annotations

import gc
import json
import logging
import math
import os
import secrets
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent.parent


# --- garbage collection ------------------------------------------------------------------------

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run a block without Python's cyclic garbage collector, then turn it back on.

    Loading a corpus or building sync rows allocates millions of long-lived objects, and every
    full collection rescans all of them: at 100k claims that was ~45% of a load's time (8.8 s
    with the collector, 4.6 s without; peak memory the same, since these objects are not
    garbage). Nested and concurrent pauses (the UI serves sessions on threads) count: the
    collector comes back when the last one ends, and only if it was on when the first began.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


# --- folders -------------------------------------------------------------------------------


def default_corpus() -> Path:
    """The bundled corpus: `$KG_CORPUS`, else `claims/` in the repository."""
    return Path(os.environ.get("KG_CORPUS") or REPO_ROOT / "claims")


def default_runs_dir() -> Path:
    """Where reproduction runs live: `$KG_RUNS_DIR`, else `runs/` in the repository."""
    return Path(os.environ.get("KG_RUNS_DIR") or REPO_ROOT / "runs")


def neo4j_user() -> str | None:
    """The Neo4j user: NEO4J_USER, else NEO4J_USERNAME (the name in Aura's credentials file)."""
    return os.environ.get("NEO4J_USER") or os.environ.get("NEO4J_USERNAME") or None


def default_s2_cache() -> Path:
    """Where the Semantic Scholar cache lives: `$KG_S2_CACHE`, else `.cache/s2/` in the repository."""
    return Path(os.environ.get("KG_S2_CACHE") or REPO_ROOT / ".cache" / "s2")


# --- time ----------------------------------------------------------------------------------


def now_iso() -> str:
    """The current UTC time, to the second: 2026-12-02T04:41:07+00:00."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_time(text: object) -> datetime | None:
    """A timestamp written by `now_iso` (or the older `...Z` form); None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- files ---------------------------------------------------------------------------------


def atomic_write_text(path: Path, text: str, durable: bool = True) -> Path:
    """Write `text` so a reader, or a process killed mid-write, sees the old file or the new one.

    A temporary file in the same folder is written, flushed and fsync'd, moved over the target
    with os.replace, and the folder fsync'd so the rename survives a crash. On any error the
    temporary file is removed and the old file is left as it was. `durable=False` skips the
    fsyncs (still atomic for readers): for caches, where losing the last write to a power cut
    costs only a recomputation.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)
    return path


def atomic_write_json(path: Path, data: Any) -> Path:
    return atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n")


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some filesystems do not open folders; the rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_json(path: Path, default: Any = None) -> Any:
    """The parsed file, or `default` when it is absent or does not parse (a half-written line)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError, UnicodeDecodeError):
        return default


# --- bad local state -----------------------------------------------------------------------

state_log = logging.getLogger("claimgraph")  # the CLI prints these as `warning: ...` lines
warned: set[str] = set()


def shape_error(exc: Any) -> str:
    """The first error of a pydantic ValidationError in a few words: `seed: Input should be a
    valid integer`, or `expected a JSON object, found list` for a file that is not an object."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"])
    if first["type"] in ("dict_type", "model_type", "model_attributes_type"):
        message = f"expected a JSON object, found {type(first['input']).__name__}"
    else:
        message = first["msg"]
    return f"{where}: {message}" if where else message


def warn_once(message: str) -> None:
    """Say once per process that a local file (a run, a cache entry) is corrupt and was skipped:
    bad local state degrades what is shown, it never stops a command."""
    if message not in warned:
        warned.add(message)
        state_log.warning(message)


# --- processes -----------------------------------------------------------------------------


def pid_alive(pid: int | None, marker: bytes | None = None) -> bool:
    """Is process `pid` running (zombies count as gone)? With `marker`, its command line must
    also contain it, so a recycled pid is not mistaken for our worker."""
    if not pid:
        return False
    proc = Path(f"/proc/{pid}")
    if Path("/proc/self").exists():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (proc / "cmdline").read_bytes()
        except (FileNotFoundError, IndexError, ProcessLookupError, PermissionError):
            return False
        return state not in ("Z", "X") and (marker is None or marker in cmdline)
    try:  # no /proc (macOS): ask the kernel
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- input ---------------------------------------------------------------------------------


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """`key=value` strings -> dict. Values are read as JSON when they parse (numbers,
    true/false, lists like [20,50]), else kept as strings. Blank lines and `#` comments are
    skipped. Raises ValueError naming the item that is not key=value."""
    out: dict[str, Any] = {}
    for item in items:
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected key=value, got {item!r}")
        try:
            out[key.strip()] = json.loads(raw.strip())
        except json.JSONDecodeError:
            out[key.strip()] = raw.strip()
    return out


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items, each taken from `items` only when asked for
    (so a generator is read as its batches are used: kg.sync builds rows while it writes)."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def shorten(text: str, width: int = 90) -> str:
    """Whitespace collapsed, and cut at a word boundary with an ellipsis when longer than `width`."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    space = cut.rfind(" ")
    if space > width * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


class EnvError(ValueError):
    """An environment variable holds a value that cannot be used; the message names it."""


def env_number(name: str, default: float, minimum: float = 0.0, maximum: float = 1e9, integer: bool = False) -> float:
    """A number from the environment, checked: finite, within [minimum, maximum], whole when
    `integer`. Unset or empty gives `default`. Raises EnvError naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    kind = "a whole number" if integer else "a number"
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise EnvError(f"{name}={raw[:40]!r} is not {kind}; unset it or give {kind} from {minimum:g} to {maximum:g}") from None
    if not math.isfinite(value) or not minimum <= value <= maximum:
        raise EnvError(f"{name}={raw[:40]!r} is out of range; give {kind} from {minimum:g} to {maximum:g}")
    return value

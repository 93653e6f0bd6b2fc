"""The on-disk cache of what Semantic Scholar said: one JSON file per paper and per edge list.

Layout under the root (`$KG_S2_CACHE`, else `.cache/s2/` in the repository):

    papers/<source-id>.json      {"fetched_at", "lookup", "status": found|not_found|unconfirmed, "paper": {...}}
    references/<source-id>.json  {"fetched_at", "paperId", "items": [...], "truncated"}
    citations/<source-id>.json   same shape

Files are keyed by corpus source id (the id the graph uses) and record the S2 paperId inside.
Every write is atomic: a temporary file in the same folder, flushed and fsync'd, then
`os.replace`d over the target, so a reader (or a process killed mid-write) sees the old file or
the new one, never half of one. A file that is not a regular file, not JSON, or not the shape
of its kind (`SHAPES`, checked as it is read) is corrupt: it is skipped with a one-line warning
naming it, remembered in `Cache.corrupt` (reported as corrupt, not as missing), and the next
online `kg ingest` fetches it again.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from kg.util import atomic_write_json, default_s2_cache, env_number, now_iso, parse_time, pid_alive, shape_error, warn_once

SCHEMA_VERSION = 1
KINDS = ("papers", "references", "citations")
DEFAULT_MAX_AGE_DAYS = 30.0  # refresh policy: entries older than this are fetched again
NOT_FOUND_MAX_AGE_DAYS = 7.0  # S2 adds papers late; ask again sooner

_SAFE = re.compile(r"[^A-Za-z0-9._-]")
MAX_ENTRY_BYTES = 64 * 2**20  # an edge list at the API's 10,000 cap is a few MB


# --- the shape of each kind of entry: what the readers (edges, metadata, pipeline) rely on ----


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")  # S2 adds fields; only what is read is checked


class Paper(_Shape):
    paperId: str | None = None
    title: str | None = None
    year: int | None = None
    abstract: str | None = None
    venue: str | None = None
    url: str | None = None
    citationCount: int | None = None
    influentialCitationCount: int | None = None
    externalIds: dict[str, Any] | None = None


class PaperEntry(_Shape):
    fetched_at: str
    lookup: str | None = None
    status: Literal["found", "not_found", "unconfirmed"]
    paper: Paper | None = None


class EdgeItem(_Shape):
    citedPaper: Paper | None = None
    citingPaper: Paper | None = None
    intents: list[str] | None = None
    isInfluential: bool | None = None


class EdgeEntry(_Shape):
    fetched_at: str
    paperId: str | None = None
    items: list[EdgeItem] = []
    truncated: bool = False


SHAPES: dict[str, type[BaseModel]] = {"papers": PaperEntry, "references": EdgeEntry, "citations": EdgeEntry}


@dataclass
class Cache:
    root: Path
    max_age_days: float = DEFAULT_MAX_AGE_DAYS
    corrupt: dict[Path, str] = field(default_factory=dict)  # file -> what is wrong, as reads find them

    @classmethod
    def open(cls, root: Path | str | None = None, max_age_days: float | None = None) -> Cache:
        age = max_age_days if max_age_days is not None else env_number("KG_S2_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS, maximum=36500)
        return cls(Path(root) if root else default_s2_cache(), age)

    def path(self, kind: str, key: str) -> Path:
        if kind not in KINDS:
            raise ValueError(f"unknown cache kind {kind!r}")
        return self.root / kind / f"{_SAFE.sub('_', key)}.json"

    def read(self, kind: str, key: str) -> dict | None:
        """The entry, or None when absent or corrupt (warned once, and kept in `corrupt`)."""
        p = self.path(kind, key)
        data, why = _load(p, SHAPES[kind])
        if why:
            self.corrupt[p] = why
            warn_once(f"{p}: corrupt cache entry ({why}); skipped, and `kg ingest` online fetches it again")
        return data

    def write(self, kind: str, key: str, entry: dict[str, Any]) -> Path:
        entry = {"schema": SCHEMA_VERSION, "key": key, "fetched_at": now_iso(), **entry}
        return atomic_write_json(self.path(kind, key), entry)

    def is_fresh(self, entry: dict | None, max_age_days: float | None = None) -> bool:
        if not entry:
            return False
        fetched = parse_time(entry.get("fetched_at"))
        if fetched is None:
            return False
        age = max_age_days if max_age_days is not None else self.max_age_days
        if entry.get("status") in ("not_found", "unconfirmed"):
            age = min(age, NOT_FOUND_MAX_AGE_DAYS)
        return datetime.now(UTC) - fetched < timedelta(days=age)

    def corrupt_files(self) -> list[Path]:
        """Every corrupt file in the cache, read or not (`kg ingest` lists them after a run);
        each is also kept in `corrupt` with what is wrong."""
        bad = []
        for kind in KINDS:
            for p in sorted((self.root / kind).glob("*.json")):
                _, why = _load(p, SHAPES[kind])
                if why:
                    self.corrupt[p] = why
                    bad.append(p)
        return bad

    def sweep_tmp(self) -> int:
        """Remove temporary files left by writers that died (their pid is gone)."""
        removed = 0
        for kind in KINDS:
            for p in (self.root / kind).glob(".*.tmp"):
                pid = _pid_of(p.name)
                if pid is not None and pid != os.getpid() and pid_alive(pid):
                    continue
                try:
                    p.unlink()
                    removed += 1
                except OSError:
                    pass
        return removed


def _load(path: Path, shape: type[BaseModel]) -> tuple[dict | None, str]:
    """(the entry, "") when `path` holds one of this shape; (None, "") when it is absent;
    (None, what is wrong) otherwise."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"
        if info.st_size > MAX_ENTRY_BYTES:
            return None, f"{info.st_size / 2**20:.0f} MiB, over the {MAX_ENTRY_BYTES // 2**20} MiB cap"
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None, ""
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON at line {exc.lineno}: {exc.msg}"
    try:
        shape.model_validate(data)
    except ValidationError as exc:
        return None, f"wrong shape: {shape_error(exc)}"
    return data, ""


def _pid_of(name: str) -> int | None:
    parts = name.split(".")
    for part in parts:
        if part.isdigit():
            return int(part)
    return None

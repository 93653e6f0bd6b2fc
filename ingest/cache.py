"""The on-disk cache of what Semantic Scholar said: one JSON file per paper and per edge list.

Layout under the root (`$KG_S2_CACHE`, else `.cache/s2/` in the repository):

    papers/<source-id>.json      {"fetched_at", "lookup", "status": found|not_found|unconfirmed, "paper": {...}}
    references/<source-id>.json  {"fetched_at", "paperId", "items": [...], "truncated"}
    citations/<source-id>.json   same shape

Files are keyed by corpus source id (the id the graph uses) and record the S2 paperId inside.
Every write is atomic: a temporary file in the same folder, flushed and fsync'd, then
`os.replace`d over the target, so a reader (or a process killed mid-write) sees the old file or
the new one, never half of one. A file that does not parse is reported and treated as missing.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kg.util import atomic_write_json, default_s2_cache, env_number, now_iso, parse_time, pid_alive

SCHEMA_VERSION = 1
KINDS = ("papers", "references", "citations")
DEFAULT_MAX_AGE_DAYS = 30.0  # refresh policy: entries older than this are fetched again
NOT_FOUND_MAX_AGE_DAYS = 7.0  # S2 adds papers late; ask again sooner

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class Cache:
    root: Path
    max_age_days: float = DEFAULT_MAX_AGE_DAYS

    @classmethod
    def open(cls, root: Path | str | None = None, max_age_days: float | None = None) -> Cache:
        age = max_age_days if max_age_days is not None else env_number("KG_S2_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS, maximum=36500)
        return cls(Path(root) if root else default_s2_cache(), age)

    def path(self, kind: str, key: str) -> Path:
        if kind not in KINDS:
            raise ValueError(f"unknown cache kind {kind!r}")
        return self.root / kind / f"{_SAFE.sub('_', key)}.json"

    def read(self, kind: str, key: str) -> dict | None:
        """The entry, or None when absent or unreadable (a corrupt file counts as missing)."""
        p = self.path(kind, key)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and "fetched_at" in data else None

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
        """Files that exist but do not parse (should never happen; `kg ingest` lists them after a run)."""
        bad = []
        for kind in KINDS:
            for p in sorted((self.root / kind).glob("*.json")):
                try:
                    json.loads(p.read_text(encoding="utf-8"))
                except (OSError, ValueError):
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


def _pid_of(name: str) -> int | None:
    parts = name.split(".")
    for part in parts:
        if part.isdigit():
            return int(part)
    return None

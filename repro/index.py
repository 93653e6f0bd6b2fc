"""An index of the run store, so listing 10k runs does not read 40k JSON files.

The run folders stay the only source of truth. The index (`<root>/.index.sqlite`) is a cache of
one listing row per *finished* run, stamped with the inode, mtime and size of the status.json it
was read from. A finished run's row changes only with its status file: request.json is written
once, progress.json only while the run is active, verdict.json before the final status. Status
is written by atomic rename (a new inode); an edit in place changes mtime or size. A listing
therefore costs one directory scan and one `stat` per run; only new, changed or still active
runs are read from their folders (active runs always are: their status moves). A missing, corrupt, locked or older-format index is rebuilt or bypassed,
never trusted: any SQLite error falls back to reading the folders.

Runs are never written through the index; whoever lists updates it, so a worker that dies, a run
copied in by hand, or a folder deleted under us are all picked up on the next listing.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

INDEX_NAME = ".index.sqlite"
FORMAT = 2  # bump when the row a listing stores changes shape: older indexes are dropped
FINISHED = ("succeeded", "failed", "cancelled")

Stamp = tuple[int, int, int]  # status.json's inode, mtime, size
Row = str  # one run's listing row as a JSON object: the caller's to write and to parse


def stamp(run_dir: Path) -> Stamp | None:
    """What a cached row is checked against; None when status.json is gone (such a run is read
    from its folder every time, and never cached)."""
    try:
        status = os.stat(run_dir / "status.json")
    except OSError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


def run_folders(root: Path) -> list[str]:
    """The names of the run folders under root (hidden ones, like a run being created, skipped)."""
    try:
        with os.scandir(root) as entries:
            return [e.name for e in entries if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return []


class RunIndex:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / INDEX_NAME

    def listing(self, read_row: Callable[[str], tuple[Row, str] | None]) -> list[Row]:
        """One row per run folder, in no particular order: the cached row where its stamp still
        matches, else the row `read_row(run_id)` returns with the run's status (None: not a run,
        e.g. no request.json). Rows of finished runs are cached; the index is brought up to date
        on the way, if it can be written."""
        names = run_folders(self.root)
        cached = self._load()
        rows: list[Row] = []
        fresh: list[tuple[str, Stamp, Row]] = []
        for run_id in names:
            now = stamp(self.root / run_id)
            hit = cached.pop(run_id, None)
            if hit is not None and now is not None and hit[0] == now:
                rows.append(hit[1])
                continue
            found = read_row(run_id)
            if found is None:
                continue
            row, status = found
            rows.append(row)
            if now is not None and status in FINISHED:
                # Re-stamp after reading: a write that landed while we read is seen next time.
                after = stamp(self.root / run_id)
                if after == now:
                    fresh.append((run_id, now, row))
        if fresh or cached:  # what is left in `cached` are folders that are gone
            self._save(fresh, gone=cached.keys())
        return rows

    # -- the SQLite file ----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=2.0, isolation_level=None)
        db.execute("CREATE TABLE IF NOT EXISTS meta (format INTEGER NOT NULL)")
        found = db.execute("SELECT format FROM meta").fetchone()
        if found is None or found[0] != FORMAT:  # new, or written by another version: start over
            db.execute("BEGIN IMMEDIATE")
            db.execute("DROP TABLE IF EXISTS runs")
            db.execute("DELETE FROM meta")
            db.execute("INSERT INTO meta VALUES (?)", (FORMAT,))
            db.execute("CREATE TABLE runs (run_id TEXT PRIMARY KEY, ino INTEGER, mtime INTEGER, size INTEGER, row TEXT NOT NULL)")
            db.execute("COMMIT")
        return db

    def _load(self) -> dict[str, tuple[Stamp, Row]]:
        if not self.path.exists():
            return {}
        try:
            db = self._connect()
            try:
                return {r[0]: (r[1:4], r[4]) for r in db.execute("SELECT run_id, ino, mtime, size, row FROM runs")}
            finally:
                db.close()
        except sqlite3.Error:
            self._discard()  # corrupt or from another program: rebuilt by the next save
            return {}

    def _save(self, fresh: list[tuple[str, Stamp, Row]], gone: Iterable[str]) -> None:
        if not self.root.is_dir():
            return
        try:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("DELETE FROM runs WHERE run_id = ?", [(g,) for g in gone])
                db.executemany("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?)", [(r, *s, row) for r, s, row in fresh])
                db.execute("COMMIT")
            finally:
                db.close()
        except sqlite3.Error as exc:
            # Locked by another lister or a read-only folder: this listing is complete anyway.
            # Anything else (a corrupt file, a table of the wrong shape): start again next time.
            if not (isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "readonly" in str(exc) or "unable to open" in str(exc))):
                self._discard()

    def _discard(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except OSError:
                pass

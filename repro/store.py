"""The run store: one directory per run, written atomically, readable by any process.

    <root>/<run_id>/
        request.json   job, preset, resolved params, seed, backend, code version, job code version, dedup key,
                       started_by (who asked: a signed-in e-mail or the local user name; absent on old runs)
        status.json    queued | running | succeeded | failed | cancelled, reason, pid, times
        progress.json  {done, total, note}, rewritten a few times a second while running
        metrics.jsonl  one metric row per line, appended as the job streams them
        log.txt        the worker's stdout/stderr
        env.json       package versions, device, host, code version
        result.json    the job's return value
        verdict.json   {outcome, reason, numbers, checks}
        cancel         present once a cancel was requested

Every JSON file is written to a temporary file and moved into place with os.replace, so a
reader never sees half a record. Only the run's worker writes status while it is alive; once
its process is gone, `reap` marks a still-active run failed with the reason.

Every file is checked against its shape (`SHAPES`) as it is read: one that is not a regular
file, not UTF-8, not JSON or not the right shape is skipped with a one-line warning naming it
(kg.util.warn_once), so one broken run never stops a listing or a graph load.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from kg.records import Verdict
from kg.util import REPO_ROOT, atomic_write_json, default_runs_dir, now_iso, parse_time, shape_error, warn_once
from kg.util import pid_alive as process_alive

ACTIVE = ("queued", "running")
TERMINAL = ("succeeded", "failed", "cancelled")
STATUSES = ACTIVE + TERMINAL
REPRO_DIR = Path(__file__).resolve().parent
START_GRACE_S = 60.0  # a queued run whose worker has not reported within this is failed
MAX_FILE_BYTES = 256 * 2**20  # no run file is near this; a bigger one is not ours


# --- the shape of each file, checked when read ----------------------------------------------


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")  # older and newer runs add fields; what is read must fit


class RequestFile(_Shape):
    job: str
    preset: str
    params: dict[str, Any]
    seed: int
    run_id: str | None = None
    created_at: str | None = None
    key: str | None = None
    backend: str = "local"
    code_version: str | None = None
    job_code_version: str | None = None


class StatusFile(_Shape):
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    reason: str = ""
    pid: int | None = None
    host: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    updated_at: str | None = None
    wall_s: float | None = None


class ProgressFile(_Shape):
    done: float = 0.0
    total: float = 0.0
    note: str = ""


class AnyObject(_Shape):
    """env.json and result.json: any JSON object."""


SHAPES: dict[str, type[BaseModel]] = {
    "request.json": RequestFile,
    "status.json": StatusFile,
    "progress.json": ProgressFile,
    "verdict.json": Verdict,
    "env.json": AnyObject,
    "result.json": AnyObject,
}


def read_checked(path: Path, shape: type[BaseModel] | None, default: Any = None) -> Any:
    """The parsed JSON of `path` when it is a regular file of the right shape; else `default`,
    with a one-line warning naming the file and what is wrong (silent when it is absent)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return _skip(path, "not a regular file", default)
        if info.st_size > MAX_FILE_BYTES:
            return _skip(path, f"{info.st_size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB cap", default)
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return default
    except OSError as exc:
        return _skip(path, f"unreadable ({exc.strerror or exc})", default)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return _skip(path, "not UTF-8", default)
    except json.JSONDecodeError as exc:
        return _skip(path, f"not valid JSON (line {exc.lineno}: {exc.msg})", default)
    if shape is not None:
        try:
            shape.model_validate(data)
        except ValidationError as exc:
            return _skip(path, f"wrong shape ({shape_error(exc)})", default)
    return data


def _skip(path: Path, why: str, default: Any) -> Any:
    warn_once(f"{path}: {why}; skipped (delete the run folder, or fix the file)")
    return default


def code_version() -> str:
    """A hash of the repro sources (what decides a result), plus `git describe` when available.
    The hash alone is the dedup key: it works on a GPU box without git."""
    h = hashlib.sha256()
    for path in sorted(REPRO_DIR.rglob("*.py")):
        h.update(str(path.relative_to(REPRO_DIR)).encode())
        h.update(path.read_bytes())
    return "src-" + h.hexdigest()[:12]


def job_sources(job: str) -> list[Path]:
    """The files that decide a job's result: `repro/jobs/<job>.py` and every `repro` module it
    imports, followed transitively (read with `ast`, so torch is never imported)."""
    start = REPRO_DIR / "jobs" / f"{job}.py"
    if not start.is_file():
        raise ValueError(f"unknown job {job!r}: no {start.relative_to(REPRO_DIR.parent)}")
    seen: dict[Path, None] = {}
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen[path] = None
        stat = path.stat()
        todo.extend(_repro_imports(path, stat.st_mtime_ns, stat.st_size))
    return sorted(seen)


# `from repro.x import a, b` or `import repro.x`, at any indentation (imports inside functions count).
_REPRO_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(repro(?:\.\w+)*)[ \t]+import[ \t]+([^\n#]*)|import[ \t]+(repro(?:\.\w+)*))", re.M)


@functools.lru_cache(maxsize=256)
def _repro_imports(path: Path, mtime_ns: int, size: int) -> tuple[Path, ...]:  # noqa: ARG001 - the stamp is the cache key
    """The repro modules one file imports. A line scan, not `ast.parse`: a CLI call asks for the
    code version of every job its claims name, and parsing the job modules took most of a second
    (tests/repro compares the two on every repro file)."""
    found = []
    for m in _REPRO_IMPORT.finditer(path.read_text(encoding="utf-8")):
        module = m.group(1) or m.group(3)
        names = [module]
        if m.group(2):
            names += [f"{module}.{part.split()[0]}" for part in m.group(2).strip("() \t").split(",") if part.strip()]
        found.extend(_module_files(names))
    return tuple(found)


def _module_files(names: list[str]) -> list[Path]:
    """The files of the `repro` modules among dotted import names (`repro.core`, `repro.jobs.x`)."""
    files = []
    for name in names:
        if name == "repro" or not name.startswith("repro."):
            continue
        parts = name.split(".")[1:]
        for candidate in (REPRO_DIR.joinpath(*parts).with_suffix(".py"), REPRO_DIR.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                files.append(candidate)
    return files


def _repro_imports_by_ast(path: Path) -> set[Path]:
    """The same question answered by parsing (the reference the line scan is tested against)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found.update(_module_files(names))
    return found


def job_code_version(job: str) -> str:
    """A hash of one job's code: its module and the repro modules it imports (`job_sources`).
    A verdict of record names it; editing the job or `repro/core.py` makes the record stale,
    editing another job or a runner does not. Raises ValueError for an unknown job."""
    h = hashlib.sha256()
    for path in job_sources(job):
        h.update(str(path.relative_to(REPRO_DIR)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return "job-" + h.hexdigest()[:12]


def git_describe() -> str | None:
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def request_key(job: str, params: dict, seed: int, version: str) -> str:
    blob = json.dumps({"job": job, "params": params, "seed": seed, "code": version}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


RUN_ID = re.compile(r"(?P<job>.+)-\d{8}-\d{6}-[0-9a-f]{6}")  # what `RunStore.create` names a run


def _may_hold(name: str, job: str) -> bool:
    named = RUN_ID.fullmatch(name)
    return named is None or named["job"] == job


def pid_alive(pid: int | None, host: str | None = None) -> bool:
    """Is this run's worker process still there? A run owned by another host cannot be checked
    from here and counts as alive."""
    if host and host != socket.gethostname():
        return bool(pid)
    return process_alive(pid, marker=b"repro.worker")


class RunStore:
    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_runs_dir()

    def __repr__(self) -> str:
        return f"RunStore({str(self.root)!r})"

    # -- paths and files ----------------------------------------------------------------------
    def dir(self, run_id: str) -> Path:
        if not run_id or "/" in run_id or run_id.startswith("."):
            raise ValueError(f"bad run id {run_id!r}")
        return self.root / run_id

    def exists(self, run_id: str) -> bool:
        return (self.dir(run_id) / "request.json").exists()

    def read(self, run_id: str, name: str, default: Any = None) -> Any:
        """One of the run's JSON files, checked against its shape (SHAPES); `default` when it is
        absent, corrupt or wrong-shaped (the last two with a warning)."""
        return read_checked(self.dir(run_id) / name, SHAPES.get(name), default)

    def request(self, run_id: str) -> dict | None:
        """The run's request, or None when request.json is missing, corrupt or wrong-shaped."""
        req = self.read(run_id, "request.json")
        return req if isinstance(req, dict) else None

    def write(self, run_id: str, name: str, data: Any) -> None:
        atomic_write_json(self.dir(run_id) / name, data)

    # -- creating and finding runs ------------------------------------------------------------
    def create(self, request: dict) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        run_id = f"{request['job']}-{stamp}-{secrets.token_hex(3)}"
        # Build the directory under a hidden name and rename it: a run appears complete or not at all.
        tmp = self.root / f".new-{run_id}"
        tmp.mkdir()
        try:
            atomic_write_json(tmp / "request.json", {**request, "run_id": run_id, "created_at": now_iso()})
            atomic_write_json(tmp / "status.json", {"status": "queued", "reason": "", "updated_at": now_iso()})
            os.replace(tmp, self.root / run_id)
        except BaseException:  # a full disk, say: leave nothing half-made behind
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return run_id

    @contextlib.contextmanager
    def submission_lock(self) -> Iterator[None]:
        """Held around find-or-create, so identical requests submitted at once make one run. A
        file lock under the root: it holds across every process using the store (CLI, UI,
        scripts), and the OS releases it when a holder dies."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".submit.lock", "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def run_ids(self, job: str | None = None) -> list[str]:
        """Every run folder, newest name first. With `job`, only the folders that may hold a run
        of that job: run ids start with their job's name (`create`), so the look-ups that want
        one job's runs read no other job's files. A folder not named like a run id is kept."""
        if not self.root.exists():
            return []
        if not self.root.is_dir():
            warn_once(f"{self.root}: the runs folder is not a folder; no local runs are read")
            return []
        names = (p.name for p in self.root.iterdir() if not p.name.startswith(".") and (job is None or _may_hold(p.name, job)))
        return sorted((name for name in names if (self.root / name).is_dir() and (self.root / name / "request.json").exists()), reverse=True)

    def find(self, key: str, statuses: tuple[str, ...], job: str | None = None) -> str | None:
        """Most recent run with this dedup key in one of these statuses (of `job`, when given)."""
        requests = {run_id: self.request(run_id) or {} for run_id in self.run_ids(job)}
        for run_id in sorted(requests, key=lambda r: requests[r].get("created_at") or "", reverse=True):
            if requests[run_id].get("key") == key and self.status(run_id)["status"] in statuses:
                return run_id
        return None

    # -- status -------------------------------------------------------------------------------
    def status(self, run_id: str, reap: bool = True) -> dict:
        st = self.read(run_id, "status.json")
        if st is None:  # absent, or corrupt (warned): the run cannot be trusted
            missing = not (self.dir(run_id) / "status.json").exists()
            st = {"status": "failed", "reason": "status.json missing" if missing else "status.json corrupt (see the warning)"}
        if reap and st.get("status") in ACTIVE:
            st = self.reap(run_id, st)
        return st

    def set_status(self, run_id: str, status: str, reason: str = "", **extra: Any) -> dict:
        assert status in STATUSES, status
        st = self.read(run_id, "status.json", {}) or {}
        st.update(extra, status=status, reason=reason, updated_at=now_iso())
        if status in TERMINAL:
            st.setdefault("finished_at", now_iso())
        self.write(run_id, "status.json", st)
        return st

    def reap(self, run_id: str, st: dict | None = None) -> dict:
        """An active run whose worker process is gone is failed, with the reason."""
        st = st or self.read(run_id, "status.json", {})
        if st.get("status") not in ACTIVE:
            return st
        pid, host = st.get("pid"), st.get("host")
        if pid:
            if pid_alive(pid, host):
                return st
            reason = f"worker process {pid} on {host} is gone (killed or crashed) while {st['status']}"
        else:
            created = self.read(run_id, "request.json", {}).get("created_at")
            started = parse_time(created)
            age = time.time() - started.timestamp() if started else 0
            if age < START_GRACE_S:
                return st
            reason = f"worker never started within {START_GRACE_S:.0f} s"
        # The worker is dead, so nobody else writes this file now; re-read to not lose a final write.
        st = self.read(run_id, "status.json", {})
        if st.get("status") in ACTIVE:
            st = self.set_status(run_id, "failed", reason)
            self.log(run_id, f"[store] marked failed: {reason}")
        return st

    # -- streams ------------------------------------------------------------------------------
    def append_metric(self, run_id: str, row: dict) -> None:
        with open(self.dir(run_id) / "metrics.jsonl", "a") as f:
            f.write(json.dumps(row, default=str) + "\n")

    def metrics(self, run_id: str) -> list[dict]:
        """The metric rows; a last line still being written is left out, and lines that are not a
        JSON object are skipped with one warning."""
        path = self.dir(run_id) / "metrics.jsonl"
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                return _skip(path, "not a regular file", [])
            lines = path.read_bytes().split(b"\n")
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            return _skip(path, f"unreadable ({exc.strerror or exc})", [])
        rows, bad = [], []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                row = None
                if number == len(lines):  # no newline yet: the worker is still writing it
                    break
            if isinstance(row, dict):
                rows.append(row)
            else:
                bad.append(number)
        if bad:
            _skip(path, f"line {bad[0]} is not a metric row ({len(bad)} such line(s))", None)
        return rows

    def log(self, run_id: str, message: str) -> None:
        with open(self.dir(run_id) / "log.txt", "a") as f:
            f.write(message.rstrip("\n") + "\n")

    def log_tail(self, run_id: str, lines: int = 40) -> str:
        try:
            text = (self.dir(run_id) / "log.txt").read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def request_cancel(self, run_id: str) -> None:
        (self.dir(run_id) / "cancel").touch()

    def cancel_requested(self, run_id: str) -> bool:
        return (self.dir(run_id) / "cancel").exists()

    def __iter__(self) -> Iterator[str]:
        return iter(self.run_ids())

"""The evidence over time: the corpus folder at any git revision, read from git's objects (the
work tree is never touched), turned into a `kg.diff.Snapshot`, and the commits that moved a
hypothesis.

    with History("claims") as h:
        changes = kg.diff.diff(h.snapshot("origin/main"), h.snapshot(None))   # None: the work tree
        points = h.timeline("general-algorithms")

How a revision is read: the corpus folder's tree (`git rev-parse REV:claims`, asked of one
long-lived `git cat-file --batch`) is walked object by object, each YAML file is loaded once per
content (`kg.validation.validate_files` keeps them), and the result is cached on disk under
`.cache/history/<fingerprint of the evidence code and weights>/`: per tree hash, each
hypothesis's state digest (`trees/`), and each distinct state once (`states/`), so a second
`kg history` over the same commits reads a little JSON instead of weighing YAML.

What a revision's evidence is: its claims and its verdicts of record as published then
(`collect_verdicts(as_published=True)`); no local runs (a machine's run store is not history),
and no check against today's job code (that is `kg validate`'s job on the revision itself).
Commits are the first-parent line of HEAD that touched the corpus folder, oldest first: on a
branch with merges, each merge is one step, as the branch saw it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from kg import validation
from kg.diff import ClaimChange, HypothesisDiff, HypothesisState, Snapshot, claim_changes, diff, numbers_changed, snapshot
from kg.evidence import Weights
from kg.loading import is_corpus_file
from kg.store import GraphStore
from kg.util import REPO_ROOT, atomic_write_text, default_corpus, read_json
from kg.verdicts import VERDICTS_DIR

from .wiring import collect_verdicts

CACHE_VERSION = 2
# What a snapshot depends on besides the corpus: the evidence code and the job catalogue.
_CODE = [REPO_ROOT / "repro" / "jobs" / "catalog.json", *sorted((REPO_ROOT / "kg").glob("*.py")), *sorted((REPO_ROOT / "claimgraph").glob("*.py"))]


def default_cache() -> Path:
    """`$KG_HISTORY_CACHE`, else `.cache/history/` in the repository (git-ignored)."""
    return Path(os.environ.get("KG_HISTORY_CACHE") or REPO_ROOT / ".cache" / "history")


class NoHistory(Exception):
    """The corpus is not in a git checkout (a tarball, a copy), or git is not installed."""


class RevisionError(Exception):
    """A revision git does not know, or a corpus that does not load at that revision; the
    message is one line naming the revision and the file."""


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str  # committer date, ISO 8601
    author: str
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:10]


@dataclass(frozen=True)
class Point:
    """One commit on a hypothesis's timeline: its numbers after the commit and what moved them."""

    commit: Commit
    state: HypothesisState | None  # None: the hypothesis does not exist (or the corpus did not load)
    changes: list[ClaimChange] = field(default_factory=list)
    error: str = ""  # the corpus did not load at this commit

    def to_dict(self) -> dict[str, Any]:
        c = self.commit
        out: dict[str, Any] = {"commit": c.sha, "date": c.date, "author": c.author, "subject": c.subject}
        if self.error:
            return {**out, "error": self.error}
        out["score"] = round(self.state.score, 4) if self.state else None
        out["certainty"] = self.state.certainty if self.state else None
        return {**out, "changes": [ch.to_dict() for ch in self.changes]}


class History:
    """The git history of one corpus folder. Use as a context manager (it keeps two git
    processes open); raises NoHistory when the folder is not in a git checkout."""

    def __init__(self, corpus: Path | str | None = None, weights: Weights | None = None, cache: Path | None = None):
        self.corpus = Path(corpus or default_corpus()).resolve()
        self.weights = weights or Weights()
        self.cache = cache or default_cache()
        if not self.corpus.exists():
            raise FileNotFoundError(f"{self.corpus}: path does not exist (pass a corpus folder such as claims/)")
        folder = self.corpus if self.corpus.is_dir() else self.corpus.parent
        try:
            top = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False)
        except OSError as exc:  # no git at all
            raise NoHistory(f"git is not available ({exc.strerror})") from exc
        if top.returncode != 0:
            raise NoHistory(f"{self.corpus} is not in a git checkout, so it has no history")
        self.top = Path(top.stdout.strip()).resolve()
        self.path = self.corpus.relative_to(self.top).as_posix()  # "claims"
        self.prefix = "" if self.path == "." else self.path + "/"
        self._batch: subprocess.Popen[bytes] | None = None
        self._blobs: dict[str, bytes] = {}
        self._parsed: validation.Parsed = {}
        self._memo: dict[str, dict[str, str] | str] = {}  # tree -> {hypothesis: state digest}, or its error
        self._states: dict[Any, HypothesisState] = {}  # kg.diff.snapshot's memo
        self._digests: dict[int, str] = {}  # id(state) -> digest, for the states in self._states
        self._by_digest: dict[str, HypothesisState] = {}
        self._key = self._fingerprint()

    # --- git ------------------------------------------------------------------------------

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", "-C", str(self.top), *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RevisionError(" ".join((done.stderr.strip().splitlines() or [f"git {args[0]} failed"])[0].split()))
        return done.stdout

    def _object(self, name: str) -> tuple[str, str, bytes] | None:
        """(sha, type, content) of one object (`<sha>` or `<rev>:<path>`), None when missing."""
        if self._batch is None:
            self._batch = subprocess.Popen(["git", "-C", str(self.top), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        stdin, stdout = self._batch.stdin, self._batch.stdout
        assert stdin is not None and stdout is not None
        stdin.write(name.encode() + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3:  # "<name> missing" or "<name> ambiguous"
            return None
        size = int(header[2])
        data = _read_exactly(stdout, size)
        stdout.read(1)  # the newline after the content
        return header[0].decode(), header[1].decode(), data

    def resolve(self, rev: str) -> str:
        """The commit a revision names; RevisionError when git does not know it."""
        if rev.startswith("-"):
            raise RevisionError(f"'{rev}' is not a revision")
        try:
            return self.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").strip()
        except RevisionError:
            raise RevisionError(f"unknown revision '{rev}' (git knows no commit by that name here)") from None

    def tree_of(self, commit: str) -> str | None:
        """The hash of the corpus folder's tree at a commit; None when the folder is absent."""
        found = self._object(f"{commit}:{self.path}" if self.path != "." else f"{commit}^{{tree}}")
        return found[0] if found and found[1] == "tree" else None

    def files_of(self, tree: str, base: str = "") -> dict[str, bytes]:
        """Every corpus file (YAML and verdicts of record) under a tree, path -> bytes."""
        found = self._object(tree)
        if found is None:
            return {}
        files: dict[str, bytes] = {}
        for mode, name, sha in _tree_entries(found[2], len(found[0]) // 2):
            path = base + name
            if mode == "40000":
                files.update(self.files_of(sha, path + "/"))
            elif mode in ("100644", "100755") and _wanted(path):
                if sha not in self._blobs:
                    blob = self._object(sha)
                    self._blobs[sha] = blob[2] if blob else b""
                files[path] = self._blobs[sha]
        return files

    def commits(self) -> list[Commit]:
        """The commits of HEAD's first-parent line that touched the corpus folder, oldest first."""
        try:
            raw = self.git("log", "--first-parent", "--reverse", "--format=%H%x1f%cI%x1f%an%x1f%s%x1e", "--", self.path)
        except RevisionError:  # a repository without a commit yet
            return []
        commits = []
        for record in raw.split("\x1e"):
            parts = record.strip("\n").split("\x1f")
            if len(parts) == 4:
                commits.append(Commit(*parts))
        return commits

    def commit_before(self, when: datetime) -> str | None:
        """The last commit that touched the corpus at or before `when`, None if none did."""
        out = self.git("log", "--first-parent", "-1", f"--before={when.isoformat()}", "--format=%H", "--", self.path).strip()
        return out or None

    # --- snapshots ------------------------------------------------------------------------

    def snapshot(self, rev: str | None) -> Snapshot:
        """The corpus's numbers at a revision, or in the work tree (None). Raises RevisionError
        (one line: the revision and the first error's file:line) when it does not load."""
        if rev is None:
            files = self._work_tree_files()
            return self._compute(files, "the work tree")
        commit = self.resolve(rev)
        tree = self.tree_of(commit)
        label = rev if rev.startswith(commit[:7]) else f"{rev} ({commit[:10]})"
        if tree is None:
            return {}  # no corpus folder yet: nothing to weigh
        found = self.at_tree(tree)
        if isinstance(found, str):
            raise RevisionError(f"at {label}: {found}")
        return found

    def at_tree(self, tree: str) -> Snapshot | str:
        """The snapshot of one corpus tree, or its first error."""
        index = self.index_of(tree)
        return index if isinstance(index, str) else {h: self.state(d) for h, d in index.items()}

    def index_of(self, tree: str) -> dict[str, str] | str:
        """One corpus tree's hypotheses, each with the digest of its state, or the tree's first
        error: memoised, and cached on disk as `<cache>/<key>/trees/<tree>.json`. States are
        stored once by digest (`states/<digest>.json`): a commit leaves most hypotheses as they
        were, so a history of N commits stores far fewer than N x hypotheses states, and a
        timeline reads only the states of its one hypothesis."""
        if tree in self._memo:
            return self._memo[tree]
        path = self.cache / self._key / "trees" / f"{tree}.json"
        cached = read_json(path)
        found: dict[str, str] | str
        if isinstance(cached, dict) and isinstance(cached.get("hypotheses"), dict):
            found = {str(h): str(d) for h, d in cached["hypotheses"].items()}
        elif isinstance(cached, dict) and "error" in cached:
            found = str(cached["error"])
        else:
            try:
                found = {h: self._store_state(state) for h, state in self._compute(self.files_of(tree), None).items()}
            except RevisionError as exc:
                found = str(exc)
            self._write(path, {"error": found} if isinstance(found, str) else {"hypotheses": found})
        self._memo[tree] = found
        return found

    def state(self, digest: str) -> HypothesisState:
        if digest not in self._by_digest:
            path = self.cache / self._key / "states" / f"{digest}.json"
            cached = read_json(path)
            try:
                self._by_digest[digest] = HypothesisState.from_json(cached)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError):  # gone or damaged: weigh its tree again
                path.unlink(missing_ok=True)
                self._recompute_holding(digest)
        return self._by_digest[digest]

    def _recompute_holding(self, digest: str) -> None:
        for tree, index in list(self._memo.items()):
            if isinstance(index, dict) and digest in index.values():
                del self._memo[tree]
                (self.cache / self._key / "trees" / f"{tree}.json").unlink(missing_ok=True)
                self.index_of(tree)
                if digest in self._by_digest:
                    return
        raise RevisionError(f"the history cache lost state {digest}; delete {self.cache / self._key} and run again")

    def _store_state(self, state: HypothesisState) -> str:
        """Its digest, writing it to the cache the first time it is seen."""
        digest = self._digests.get(id(state))
        if digest is None:
            text = json.dumps(state.to_json(), separators=(",", ":"), sort_keys=True)
            digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
            self._digests[id(state)] = digest  # states are kept alive by kg.diff.snapshot's memo
            if digest not in self._by_digest:
                self._by_digest[digest] = state
                path = self.cache / self._key / "states" / f"{digest}.json"
                if not path.exists():
                    self._write(path, text)
        return digest

    def _write(self, path: Path, entry: dict[str, Any] | str) -> None:
        text = entry if isinstance(entry, str) else json.dumps(entry, separators=(",", ":"))  # compact: the C encoder
        try:
            atomic_write_text(path, text, durable=False)
        except OSError:  # a read-only checkout still answers, only slower the next time
            pass

    def _compute(self, files: dict[str, bytes], label: str | None) -> Snapshot:
        from .wiring import job_catalog

        # Reproductions are checked for shape only: a job renamed since is no error in the past.
        report = validation.validate_files(files, self.prefix, check_duplicates=False, parsed=self._parsed)
        if report.errors:
            first, more = report.errors[0], len(report.errors) - 1
            text = f"{first}" + (f" (and {more} more error(s))" if more else "")
            raise RevisionError(f"in {label}: {text}" if label else text)
        job_catalog()  # read once, before the verdicts need it
        verdicts = collect_verdicts(report.corpus, records=[f.record for f in report.records], local=False, as_published=True)
        return snapshot(GraphStore(report.corpus, verdicts), self.weights, self._states)

    def _work_tree_files(self) -> dict[str, bytes]:
        if self.corpus.is_file():
            return {self.corpus.name: self.corpus.read_bytes()}
        return {p.relative_to(self.corpus).as_posix(): p.read_bytes() for p in sorted(self.corpus.rglob("*")) if p.is_file() and _wanted(p.relative_to(self.corpus).as_posix())}

    def _fingerprint(self) -> str:
        h = hashlib.sha256(f"v{CACHE_VERSION}\n{self.weights.model_dump_json()}\n".encode())
        for path in _CODE:
            if path.exists():
                h.update(path.name.encode() + b"\0" + path.read_bytes())
        return h.hexdigest()[:16]

    # --- over time ------------------------------------------------------------------------

    def timeline(self, hypothesis: str) -> list[Point]:
        """The commits that changed the hypothesis's numbers or the evidence under it, oldest
        first; a commit where the corpus did not load is a Point with its error."""
        points: list[Point] = []
        previous: HypothesisState | None = None
        previous_digest: str | None = None
        for commit in self.commits():
            tree = self.tree_of(commit.sha)
            index = self.index_of(tree) if tree else {}
            if isinstance(index, str):
                points.append(Point(commit, None, [], index))
                continue
            digest = index.get(hypothesis)
            if digest == previous_digest:  # the same numbers and the same claims: nothing moved
                continue
            state = self.state(digest) if digest else None
            changes = claim_changes(previous, state)
            if changes or numbers_changed(previous, state):
                points.append(Point(commit, state, changes))
            previous, previous_digest = state, digest
        return points

    def seen(self) -> set[str]:
        """The hypotheses of every snapshot read so far (for a "did you mean")."""
        return {h for index in self._memo.values() if isinstance(index, dict) for h in index}

    def changed_since(self, when: datetime) -> tuple[str | None, list[HypothesisDiff]]:
        """The last commit before `when` and what changed from it to the work tree."""
        commit = self.commit_before(when)
        return commit, diff(self.snapshot(commit) if commit else {}, self.snapshot(None))

    # --- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        if self._batch is not None:
            if self._batch.stdin:
                self._batch.stdin.close()
            self._batch.wait()
            if self._batch.stdout:
                self._batch.stdout.close()
            self._batch = None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _wanted(path: str) -> bool:
    """A path inside the corpus folder that `kg validate` reads: YAML, or a verdict of record."""
    relative = PurePosixPath(path)
    return is_corpus_file(Path(path)) or relative.parts[:-1] == (VERDICTS_DIR,)


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise RevisionError("git cat-file stopped early")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _tree_entries(data: bytes, width: int) -> list[tuple[str, str, str]]:
    """A git tree object's entries: (mode, name, sha); `width` is the hash's bytes (20 or 32)."""
    entries, i = [], 0
    while i < len(data):
        space = data.index(b" ", i)
        nul = data.index(b"\0", space)
        mode, name = data[i:space].decode(), data[space + 1 : nul].decode("utf-8", "surrogateescape")
        entries.append((mode, name, data[nul + 1 : nul + 1 + width].hex()))
        i = nul + 1 + width
    return entries

"""Find and read the files of a corpus that a stranger may have committed.

A pull request can hold a symlink to /dev/zero or to a file outside the checkout, a FIFO, a
folder named like a YAML file. So the loader reads only regular files inside the corpus root,
decided from `lstat`/`fstat` before a byte is read, and every read is capped by size before it
happens. Files the loader will not read are said, never skipped in silence.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from kg.hygiene import HIDDEN

YAML_SUFFIXES = (".yaml", ".yml")
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)  # a FIFO opens without waiting for a writer
_BAD_NAME = "has a control, invisible or non-UTF-8 character in its name and is not read"
_ALSO_EXPECTED = {"schema": (".json",)}  # folder -> what it holds besides corpus files (the generated JSON Schema)


class Refused(Exception):
    """The loader will not read this path: `message` says what it is and why not."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass
class Refusal:
    path: Path
    message: str
    hint: str
    severity: str = "error"


@dataclass
class Listing:
    files: list[Path] = field(default_factory=list)  # corpus files to read, sorted
    refused: list[Refusal] = field(default_factory=list)  # paths the loader does not read, and why


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def read_capped(path: Path, cap: int, root: Path | None = None) -> bytes:
    """The bytes of `path` when it is a regular file of at most `cap` bytes (inside `root`, when
    given, after following symlinks); else Refused. Nothing is read before these checks pass."""
    try:
        link = stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError as exc:
        raise Refused(f"cannot be read: {exc.strerror}", "check the file exists and is readable") from None
    target = str(path)
    if link:
        target = os.path.realpath(path)
        if root is not None and not _inside(target, os.path.realpath(root)):
            raise Refused(f"is a symlink to {os.readlink(path)}, outside the corpus", "commit the file itself, not a link") from None
        if not os.path.lexists(target):
            raise Refused(f"is a broken symlink (to {os.readlink(path)})", "commit the file itself, not a link")
    try:
        fd = os.open(target, _OPEN_FLAGS)
    except OSError as exc:
        raise Refused(f"cannot be opened: {exc.strerror}", "a corpus file must be a regular file") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"is {_kind(info.st_mode)}, not a regular file", "a corpus file must be a regular file")
        if info.st_size > cap:
            raise Refused(f"is {info.st_size / 1e6:.1f} MB, over the {cap / 2**20:g} MiB cap", "split it into several files")
        chunks, left = [], cap + 1  # one byte more than the cap tells a file that grew while read
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise Refused(f"cannot be read: {exc.strerror}", "a corpus file must be a regular file") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > cap:
        raise Refused(f"is over the {cap / 2**20:g} MiB cap", "split it into several files")
    return data


def list_corpus(root: Path, skip: tuple[str, ...] = ()) -> Listing:
    """The YAML files under `root`, and every path the loader does not read with the reason.

    Folders named in `skip` (at the top, e.g. verdicts/) are checked by their own readers.
    Dot-files and dot-folders hold tooling, not data: their YAML is read, the rest is ignored.
    """
    listing = Listing()
    root_real = os.path.realpath(root)

    def refuse(path: Path, message: str, hint: str, severity: str = "error") -> None:
        listing.refused.append(Refusal(path, message, hint, severity))

    def unreadable(exc: OSError) -> None:
        refuse(Path(exc.filename or root), f"folder cannot be read: {exc.strerror}", "check its permissions")

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):  # never follows symlinked folders
        folder = Path(dirpath)
        parts = folder.relative_to(root).parts
        if not parts:
            dirnames[:] = [d for d in dirnames if d not in skip]
        hidden = any(p.startswith(".") for p in parts)
        for name in [d for d in dirnames if HIDDEN.search(d)]:  # a control character, or bytes that are not UTF-8
            refuse(folder / name, _BAD_NAME, "rename it")
            dirnames.remove(name)
        for name in sorted(dirnames):
            path = folder / name
            if path.is_symlink():
                real = os.path.realpath(path)
                if not _inside(real, root_real):
                    refuse(path, f"is a symlink to {os.readlink(path)}, outside the corpus", "commit the files themselves, not a link")
                else:
                    refuse(path, "is a symlink to a folder, which is not followed (its files are read where they are)", "remove the link", "warning")
            elif name.lower().endswith(YAML_SUFFIXES):
                refuse(path, "is a folder, not a corpus file (its files are read as any folder's)", "rename the folder")
        for name in filenames:
            path = folder / name
            if HIDDEN.search(name):
                refuse(path, _BAD_NAME, "rename it")
                continue
            suffix = path.suffix
            if suffix in YAML_SUFFIXES:
                if "schema" in parts:
                    refuse(path, "is in a schema/ folder, which holds the generated JSON Schema and is not read", "move it next to the other corpus files", "warning")
                else:
                    listing.files.append(path)
            elif suffix.lower() in YAML_SUFFIXES:
                refuse(path, f"has the extension '{suffix}' and is not read: corpus files end in .yaml or .yml", f"rename it to {path.stem}{suffix.lower()}", "warning")
            elif not (hidden or name.startswith(".") or suffix.lower() == ".md" or any(p in _ALSO_EXPECTED and suffix in _ALSO_EXPECTED[p] for p in parts)):
                refuse(path, "is not a corpus file and is not read (corpus files end in .yaml or .yml)", "remove it or move it out of the corpus", "warning")
    listing.files.sort()
    listing.refused.sort(key=lambda r: r.path)
    return listing

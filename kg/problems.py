"""A problem found in the corpus: where it is, what is wrong, and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str
    hint: str = ""
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        tag = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.file}:{self.line}: {tag}{self.message}{hint}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

"""Fuzzy search over titles, aliases, authors and statements (rapidfuzz), shared by both stores."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils


@dataclass(frozen=True)
class Hit:
    kind: str  # hypothesis | claim | source
    id: str
    label: str
    score: float
    matched: str  # the text that matched best


@dataclass(frozen=True)
class Entry:
    kind: str
    id: str
    label: str
    texts: tuple[str, ...]  # title first, then aliases, authors, statement...


class SearchIndex:
    """One flat list of (text, entry) pairs, so one rapidfuzz call scores everything."""

    def __init__(self, entries: list[Entry]):
        self._owner: list[Entry] = []
        self._texts: list[str] = []
        for entry in entries:
            for text in entry.texts:
                if text:
                    self._owner.append(entry)
                    self._texts.append(utils.default_process(text))

    def search(self, query: str, limit: int = 20, kinds: set[str] | None = None, cutoff: float = 60) -> list[Hit]:
        query = utils.default_process(query)
        if not query or limit < 1:  # rapidfuzz reads a negative limit as a huge size_t and crashes
            return []
        # WRatio tolerates typos and partial matches ("grokked transfomers", "badllama").
        matches = process.extract(query, self._texts, scorer=fuzz.WRatio, processor=None, limit=min(limit * 8, len(self._texts)), score_cutoff=cutoff)
        best: dict[tuple[str, str], Hit] = {}
        for _, score, index in matches:
            entry = self._owner[index]
            if kinds and entry.kind not in kinds:
                continue
            key = (entry.kind, entry.id)
            if key not in best or score > best[key].score:
                best[key] = Hit(entry.kind, entry.id, entry.label, round(score, 1), self._texts[index])
        return sorted(best.values(), key=lambda h: (-h.score, h.kind, h.id))[:limit]

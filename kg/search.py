"""Fuzzy search over titles, aliases, authors and statements (rapidfuzz), shared by both stores."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process, utils

RECENT = 64  # answers kept per index


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
        self._recent: OrderedDict[tuple[Any, ...], list[Hit]] = OrderedDict()
        self._lock = threading.Lock()
        self._texts: list[str] = []
        for entry in entries:
            for text in entry.texts:
                if text:
                    self._owner.append(entry)
                    self._texts.append(utils.default_process(text))

    def search(self, query: str, limit: int = 20, kinds: set[str] | None = None, cutoff: float = 60) -> list[Hit]:
        # The index never changes, so a repeated question (a page rerun) is answered from memory:
        # at 100k claims one scoring pass over every text costs a few hundred ms.
        key = (query, limit, frozenset(kinds or ()), cutoff)
        with self._lock:  # one index serves every session of a UI server
            if key in self._recent:
                self._recent.move_to_end(key)
                return list(self._recent[key])
        hits = self._search(query, limit, kinds, cutoff)
        with self._lock:
            self._recent[key] = hits
            if len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return list(hits)

    def _search(self, query: str, limit: int, kinds: set[str] | None, cutoff: float) -> list[Hit]:
        query = utils.default_process(query)
        if not query:
            return []
        # WRatio tolerates typos and partial matches ("grokked transfomers", "badllama").
        matches = process.extract(query, self._texts, scorer=fuzz.WRatio, processor=None, limit=limit * 8, score_cutoff=cutoff)
        best: dict[tuple[str, str], Hit] = {}
        for _, score, index in matches:
            entry = self._owner[index]
            if kinds and entry.kind not in kinds:
                continue
            key = (entry.kind, entry.id)
            if key not in best or score > best[key].score:
                best[key] = Hit(entry.kind, entry.id, entry.label, round(score, 1), self._texts[index])
        return sorted(best.values(), key=lambda h: (-h.score, h.kind, h.id))[:limit]

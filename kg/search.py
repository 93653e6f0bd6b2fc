"""Search over titles, aliases, authors, statements and ids, shared by both stores.

Word by word, so a result is never a guess: every significant word of the query must appear in
the entry (in any of its fields), exactly or as a close spelling (rapidfuzz ratio >= 85, or a
shared stem such as grokked/grokking). Words shorter than four characters, and the short
aliases people use ("tms", "slt"), match only exactly; words with a digit (2022, resnet50) only
exactly or by their start. No result is better than a wrong one.

A hit's score means: 100 the query is the whole title or alias; 98 it appears as a phrase;
95 every word is there exactly; lower, the typos' distance or a missing word (long queries may
miss one word in three). Ids that match fully count a little less (they are slugs, not prose). `matched` is the field's original text and `terms` the words in it that
matched, so a page can highlight them.
"""

from __future__ import annotations

import bisect
import heapq
import math
import threading
from array import array
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process, utils

from kg.util import gc_paused

STOPWORDS = frozenset("a an and are as at by for from in is it its of on or paper post that the their this to via was what when which with".split())
EXACT_BELOW = 4  # words and aliases shorter than this match only exactly
FUZZY_CUTOFF = 85.0
MIN_SCORE = 60.0  # below this a hit is mostly missing words: left out
FIELD_RANK = {"title": 0, "alias": 1, "statement": 2, "author": 3, "id": 4}  # which field to show when several match equally
RECENT = 64  # answers kept per index


@dataclass(frozen=True)
class Hit:
    kind: str  # hypothesis | claim | source
    id: str
    label: str
    score: float
    matched: str  # the field's text that matched best, as written
    field: str = ""  # title | alias | author | statement | id
    terms: tuple[str, ...] = ()  # the words of `matched` that matched the query (lowercase)


@dataclass(frozen=True)
class Entry:
    kind: str
    id: str
    label: str
    texts: tuple[tuple[str, str], ...]  # (field, text): title first, then aliases, authors, statement, id


def words(text: str) -> list[str]:
    """Lowercase words, punctuation dropped (rapidfuzz's default processing)."""
    return utils.default_process(text).split()


def query_words(query: str) -> list[str]:
    """The query's significant words: stopwords dropped unless nothing else is left; repeats once."""
    ws = list(dict.fromkeys(words(query)))
    kept = [w for w in ws if w not in STOPWORDS]
    return kept or ws


def _word_score(q: str, w: str) -> float:
    """How well a text word matches a query word (0 when it does not)."""
    if q == w:
        return 100.0
    if len(q) < EXACT_BELOW or len(w) < EXACT_BELOW:
        return 0.0
    if _has_digit(q) or _has_digit(w):  # numbers and names like resnet50 are identifiers: a close spelling is another one
        return 90.0 if w.startswith(q) else 0.0
    common = len(_common_prefix(q, w))
    if common >= 5 and common >= 0.7 * min(len(q), len(w)):  # a shared stem: grokked ~ grokking
        return 90.0
    if w.startswith(q):  # a word's start: "superpos" finds "superposition"
        return 90.0
    ratio = fuzz.ratio(q, w)
    return ratio * 0.95 if ratio >= FUZZY_CUTOFF else 0.0


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def _fuzzy_lengths(n: int) -> range:
    """The word lengths that can reach FUZZY_CUTOFF against a word of length n: rapidfuzz's ratio
    is 100 * (1 - distance / (n + m)) and the distance is at least |n - m|."""
    slack = 1 - FUZZY_CUTOFF / 100
    return range(math.ceil(n * (1 - slack) / (1 + slack) - 1e-9), math.floor(n * (1 + slack) / (1 - slack) + 1e-9) + 1)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]


def _starting_with(ordered: list[str], prefix: str) -> list[str]:
    """The words of the sorted list `ordered` that start with `prefix`."""
    start = end = bisect.bisect_left(ordered, prefix)
    while end < len(ordered) and ordered[end].startswith(prefix):
        end += 1
    return ordered[start:end]


class SearchIndex:
    """An inverted index (word -> texts) over every entry's fields; a query looks up each of its
    words among the corpus's distinct words, then keeps the entries that hold all of them."""

    def __init__(self, entries: list[Entry]):
        self._entries = entries
        self._texts: list[tuple[int, str, str, tuple[str, ...]]] = []  # (entry index, field, text, words)
        self._postings: dict[str, set[int]] = {}
        self._first_text = array("l")  # an entry's texts are texts[first_text[e]:first_text[e + 1]]
        for e_index, entry in enumerate(entries):
            self._first_text.append(len(self._texts))
            for field_name, text in entry.texts:
                ws = tuple(words(text))
                if not ws:
                    continue
                t_index = len(self._texts)
                self._texts.append((e_index, field_name, text, ws))
                for w in set(ws):
                    self._postings.setdefault(w, set()).add(t_index)
        self._first_text.append(len(self._texts))
        self._vocabulary = list(self._postings)
        self._lookup_tables: tuple[list[str], dict[int, list[str]]] | None = None  # see _lookups: built on first need
        self._recent: OrderedDict[tuple[Any, ...], list[Hit]] = OrderedDict()
        self._lock = threading.Lock()  # one index serves every session of a UI server

    def _matches(self, q: str) -> dict[str, float]:
        """{corpus word: score} for the words that match one query word."""
        if len(q) < EXACT_BELOW:
            return {q: 100.0} if q in self._postings else {}
        found = {w: s for w in self._vocabulary if (s := _word_score(q, w)) > 0} if len(self._vocabulary) < 5000 else self._matches_fast(q)
        return found

    def _matches_fast(self, q: str) -> dict[str, float]:
        """The same as the plain loop, with rapidfuzz's C loop picking the close spellings among
        the words of a length that can reach the cutoff, and a range of the sorted vocabulary
        giving the stems and word starts."""
        sorted_vocabulary, by_length = self._lookups()
        candidates = set(_starting_with(sorted_vocabulary, q[:5]))
        if not _has_digit(q):
            for n in _fuzzy_lengths(len(q)):
                candidates.update(w for w, _, _ in process.extract(q, by_length.get(n, ()), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None))
        return {w: s for w in candidates if (s := _word_score(q, w)) > 0}

    def _lookups(self) -> tuple[list[str], dict[int, list[str]]]:
        """The vocabulary sorted (a scan of the ~200k words of a 100k-claim corpus for word starts
        took ~110 ms per query word) and, by length, the words a close spelling may match (at 100k
        claims most words are ids and numbers, which match only as written)."""
        with self._lock:
            if self._lookup_tables is None:
                ordered = sorted(self._vocabulary)
                by_length: dict[int, list[str]] = {}
                for w in ordered:
                    if len(w) >= EXACT_BELOW and not _has_digit(w):
                        by_length.setdefault(len(w), []).append(w)
                self._lookup_tables = ordered, by_length
            return self._lookup_tables

    def search(self, query: str, limit: int = 20, kinds: set[str] | None = None) -> list[Hit]:
        # The index never changes, so a repeated question (a page rerun) is answered from memory:
        # at 100k claims one pass over the vocabulary costs a few hundred ms.
        key = (query, limit, frozenset(kinds or ()))
        with self._lock:
            if key in self._recent:
                self._recent.move_to_end(key)
                return list(self._recent[key])
        hits = self._search(query, limit, kinds)
        with self._lock:
            self._recent[key] = hits
            if len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return list(hits)

    @gc_paused()  # a common word's postings are ~100k texts at 100k claims: see kg.util.gc_paused
    def _search(self, query: str, limit: int, kinds: set[str] | None) -> list[Hit]:
        qs = query_words(query)
        if not qs or limit < 1:  # rapidfuzz reads a negative limit as a huge size_t and crashes
            return []
        phrase = " ".join(words(query))
        per_word = [self._matches(q) for q in qs]
        need = len(qs) if len(qs) < 3 else len(qs) - len(qs) // 3  # long queries may miss one word in three
        if sum(1 for m in per_word if m) < need:  # words the corpus does not hold: no honest result
            return []
        holding = [self._best_match_per_text(matches) for matches in per_word]
        ranked = []  # (sort key, entry, its matching texts): a hit is built only for the best `limit`
        for e_index in self._holding(holding, need):
            entry = self._entries[e_index]
            if kinds and entry.kind not in kinds:
                continue
            # text -> query word -> (score, the text's word that matched)
            texts: dict[int, dict[int, tuple[float, str]]] = {}
            for t_index in range(self._first_text[e_index], self._first_text[e_index + 1]):
                slot = {i: best[t_index] for i, best in enumerate(holding) if t_index in best}
                if not slot:
                    continue
                field_name, ws = self._texts[t_index][1], self._texts[t_index][3]
                if field_name == "alias" and len(" ".join(ws)) < EXACT_BELOW and phrase != " ".join(ws):
                    continue  # a short alias ("tms") answers only to itself
                texts[t_index] = slot
            scored = self._score(texts, phrase, len(qs), need)
            if scored is not None and scored[0] >= MIN_SCORE:
                score, t_index = scored
                ranked.append(((-score, FIELD_RANK.get(self._texts[t_index][1], 9), entry.kind, entry.id), e_index, t_index, texts[t_index]))
        return [self._hit(e_index, t_index, slot, -key[0]) for key, e_index, t_index, slot in heapq.nsmallest(limit, ranked, key=lambda r: r[0])]

    def _best_match_per_text(self, matches: dict[str, float]) -> dict[int, tuple[float, str]]:
        """text -> (score, word) of the best of `matches` in it; ties go to the word that sorts
        first (in set order the highlighted word would change with the hash seed)."""
        best: dict[int, tuple[float, str]] = {}
        by_word_last_first = sorted(matches.items(), reverse=True)
        for w, score in sorted(by_word_last_first, key=lambda m: m[1]):  # better ones last, so they stay
            best.update(dict.fromkeys(self._postings[w], (score, w)))
        return best

    def _holding(self, holding: list[dict[int, tuple[float, str]]], need: int) -> set[int]:
        """The entries whose texts hold at least `need` of the query's words: no other entry can
        be a hit (`_score` needs as many). When every query word is common (at 100k claims a word
        can be in half the texts), scoring only these is most of the saving."""
        texts = self._texts
        holders = [{texts[t][0] for t in best} for best in holding]
        if need == len(holders):
            return set.intersection(*holders)
        counts = Counter(e for entries in holders for e in entries)
        return {e for e, n in counts.items() if n >= need}

    def _score(self, texts: dict[int, dict[int, tuple[float, str]]], phrase: str, n_words: int, need: int) -> tuple[float, int] | None:
        """The entry's score and the text to show, or None when its fields together hold too few
        of the query's words."""
        if len(texts) == 1:  # most entries: one field holds the words
            t_index, slot = next(iter(texts.items()))
            if len(slot) < need:
                return None
            mean = sum(s for s, _ in slot.values()) / n_words
        else:
            best_per_word: dict[int, float] = {}
            for slot in texts.values():
                for i, (score, _) in slot.items():
                    best_per_word[i] = max(best_per_word.get(i, 0.0), score)
            if len(best_per_word) < need:
                return None
            mean = sum(best_per_word.values()) / n_words  # a missing word counts 0
            # the text to show: the query as written, then the most query words, the better match, the field
            t_index = min(texts, key=lambda t: (self._as_written(t, texts[t], phrase, n_words), -len(texts[t]), -sum(s for s, _ in texts[t].values()), FIELD_RANK.get(self._texts[t][1], 9), t))
        as_written = self._as_written(t_index, texts[t_index], phrase, n_words)
        if as_written == 0:
            score = 100.0
        elif as_written == 1:  # the phrase, whole words
            score = 98.0
        else:  # every word there exactly: 95; a close spelling or a missing word: below
            score = 95.0 if mean == 100 else min(mean, 93.0)
        if self._texts[t_index][1] == "id" and score >= 90:  # a slug that holds the words ranks below prose that does
            score *= 0.9
        return round(score, 1), t_index

    def _as_written(self, t_index: int, slot: dict[int, tuple[float, str]], phrase: str, n_words: int) -> int:
        """0 the text is the query, 1 it holds the query as a phrase (whole words), 2 neither."""
        if len(slot) < n_words or any(s != 100 for s, _ in slot.values()):
            return 2  # the phrase holds every query word as written, so this text cannot hold it
        joined = " ".join(self._texts[t_index][3])
        return 0 if joined == phrase else 1 if f" {phrase} " in f" {joined} " else 2

    def _hit(self, e_index: int, t_index: int, slot: dict[int, tuple[float, str]], score: float) -> Hit:
        entry = self._entries[e_index]
        _, field_name, text, _ = self._texts[t_index]
        return Hit(entry.kind, entry.id, entry.label, score, text, field_name, tuple(sorted(w for _, w in slot.values())))

"""Resolution: which Semantic Scholar paper a source is, and which source an informal mention means.

Two jobs, one vocabulary of names:

1. `lookup_id(source)` / `confirm_match(source, paper)`: a source resolves exactly by S2 id,
   arXiv id or DOI; without one, by S2's title match, which we accept only when rapidfuzz says the
   titles agree (>= TITLE_ACCEPT) and the years agree (within one year). A weaker match is kept
   as `unconfirmed`, never silently used.
2. `resolve(query, corpus)` ranks corpus sources for a short informal reference ("badllama",
   "Yang et al. 2024", "progress measure for grokking"); `resolve_text(text, corpus)` finds the
   informal references inside free text (a discussion like the seed) and resolves each.

A result is *confident* when its score reaches ACCEPT and no other source comes within
AMBIGUITY_MARGIN of it; when several sources share the name (the corpus gives "Yang et al." to two
papers) the result names the first in corpus order and says `ambiguous: true` with every
candidate, so nothing ambiguous passes for certain.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from rapidfuzz import fuzz

from kg.loading import Corpus
from kg.schema import Source

ACCEPT = 85.0  # a ranked candidate at or above this is accepted
AMBIGUITY_MARGIN = 3.0  # a runner-up this close makes the result ambiguous
TITLE_ACCEPT = 90.0  # title agreement needed to accept an S2 title match
S2_KINDS = ("paper", "book", "talk")  # kinds worth asking S2 about by title; posts and comments are not indexed

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_ET_AL = re.compile(r"\b([A-Z][\w'’-]+|[a-z][\w'’-]+)\s+et\s+al\b\.?(?:\s*\(?((?:19|20)\d\d)\)?)?", re.UNICODE)
_CUE = re.compile(r"\bthe\s+((?:[\w'’-]+\s+){0,3}?[\w'’-]+)\s+(paper|post|preprint|blog post|work)\b", re.IGNORECASE)
_FILLERS = ("the ", "a ", "that ", "this ")
_STOP = frozenset("a an the of in on for and or to by with from via is are do does can how what when their its s et al paper post".split())
SHORT_CAP = 80.0  # a partial match with fewer than 3 content words is never accepted on its own
_TRAILERS = (" paper", " post", " preprint", " work", " results", " result", " article", " blog post")


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def norm_token(t: str) -> str:
    t = _strip_accents(t).lower()
    t = re.sub(r"['’]s$", "", t)  # possessive: "Yang's" is Yang
    return t.replace("'", "").replace("’", "")


def tokens(s: str) -> list[str]:
    return [norm_token(m.group()) for m in _TOKEN.finditer(s)]


def norm(s: str) -> str:
    """Lowercase, accents and apostrophes gone, every run of punctuation a single space."""
    return " ".join(tokens(s))


def surname(name: str) -> str:
    name = re.sub(r"\(.*?\)", "", name).strip()
    parts = tokens(name)
    return parts[-1] if parts else ""


# -- exact resolution of a source to an S2 paper -----------------------------------------------


def lookup_id(source: Source) -> str | None:
    """The id to ask S2 for, strongest first: S2 paperId, arXiv, DOI (an arXiv DOI becomes ARXIV:)."""
    ids = source.ids
    if ids.s2:
        return ids.s2
    if ids.arxiv:
        return f"ARXIV:{ids.arxiv}"
    if ids.doi:
        m = re.match(r"10\.48550/arxiv\.(.+)$", ids.doi, re.IGNORECASE)
        return f"ARXIV:{m.group(1)}" if m else f"DOI:{ids.doi}"
    if ids.url:
        m = re.search(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", ids.url)
        if m:
            return f"ARXIV:{m.group(1)}"
    return None


@dataclass
class TitleCheck:
    accepted: bool
    score: float
    reason: str


def title_score(a: str, b: str) -> float:
    na, nb = norm(a), norm(b)
    scores = [fuzz.token_sort_ratio(na, nb), fuzz.ratio(na, nb)]
    # "Title: subtitle" vs "Title" (S2 sometimes keeps only one part)
    for x, y in ((a, b), (b, a)):
        if ":" in x:
            head = norm(x.split(":", 1)[0])
            if len(head.split()) >= 3:
                scores.append(fuzz.ratio(head, norm(y)) - 5)
    return float(max(scores))


def confirm_match(source: Source, paper: dict) -> TitleCheck:
    """Does S2's title match really name this source? Title (rapidfuzz) and year must both agree."""
    title = paper.get("title") or ""
    score = title_score(source.title, title)
    year = paper.get("year")
    if score < TITLE_ACCEPT:
        return TitleCheck(False, score, f"title differs: S2 has {title!r} (similarity {score:.0f} < {TITLE_ACCEPT:.0f})")
    if source.year and year and abs(int(year) - source.year) > 1:
        return TitleCheck(False, score, f"year differs: S2 has {year}, the corpus {source.year}")
    if (not source.year or not year) and score < 97:
        return TitleCheck(False, score, f"no year to confirm a near-match (similarity {score:.0f})")
    return TitleCheck(True, score, "title and year agree")


def id_sanity(source: Source, paper: dict) -> str | None:
    """An id lookup is exact, but a wrong id in the YAML is not: warn when the titles disagree badly."""
    score = title_score(source.title, paper.get("title") or "")
    if score < 60:
        return f"S2 title {paper.get('title')!r} differs from the corpus title (similarity {score:.0f}); check the id"
    return None


# -- the local catalogue ----------------------------------------------------------------------


@dataclass
class Candidate:
    source: str
    score: float  # 0..100, shown
    why: str
    raw: float | None = None  # before capping at 100 (an exact name plus a matching year outranks the name alone)

    @property
    def key(self) -> float:
        return self.raw if self.raw is not None else self.score

    def to_dict(self) -> dict:
        return {"source": self.source, "score": round(self.score, 1), "why": self.why}


@dataclass
class Resolution:
    mention: str
    source: str | None
    score: float
    candidates: list[Candidate] = field(default_factory=list)
    ambiguous: bool = False
    start: int | None = None
    end: int | None = None
    count: int = 1

    @property
    def confident(self) -> bool:
        return self.source is not None and not self.ambiguous

    def to_dict(self) -> dict:
        d = asdict(self)
        d["score"] = round(self.score, 1)
        d["candidates"] = [c.to_dict() for c in self.candidates]
        return d


@dataclass
class _Name:
    text: str  # normalized
    toks: tuple[str, ...]
    kind: str  # title | short title | alias
    upper: str | None  # the original, when it is an all-caps acronym (matched case-sensitively in text)


class Catalogue:
    """Every name a corpus source goes by: titles, short titles, aliases, authors, years."""

    def __init__(self, corpus: Corpus | Iterable[Source]):
        sources = list(corpus.sources.values()) if isinstance(corpus, Corpus) else list(corpus)
        self.sources: dict[str, Source] = {s.id: s for s in sources}
        self.order = {s.id: i for i, s in enumerate(sources)}
        self.names: dict[str, list[_Name]] = {}
        self.surnames: dict[str, list[str]] = {}
        self.phrases: dict[tuple[str, ...], list[tuple[str, _Name]]] = {}
        for s in sources:
            names: list[_Name] = []
            raw = [(s.title, "title")]
            if ":" in s.title:
                head, tail = s.title.split(":", 1)
                raw.append((head, "short title"))
                if len(tokens(tail)) >= 4:
                    raw.append((tail, "subtitle"))
            raw += [(a, "alias") for a in s.aliases]
            for text, kind in raw:
                toks = tuple(tokens(text))
                if not toks:
                    continue
                stripped = text.strip()
                upper = stripped if (stripped.upper() == stripped and any(c.isalpha() for c in stripped) and len(toks) == 1) else None
                n = _Name(" ".join(toks), toks, kind, upper)
                names.append(n)
                self.phrases.setdefault(toks, []).append((s.id, n))
            self.names[s.id] = names
            self.surnames[s.id] = [surname(a) for a in s.authors if surname(a)]

    # -- ranking a short query ------------------------------------------------------------
    def rank(self, query: str, limit: int = 5) -> list[Candidate]:
        years = [int(y) for y in _YEAR.findall(query)]
        q = _YEAR.sub(" ", query)
        q_norm = norm(q)
        variants = {q_norm}
        core = q_norm
        for f in _FILLERS:
            if core.startswith(f):
                core = core[len(f) :]
        for t in _TRAILERS:
            if core.endswith(t):
                core = core[: -len(t)]
        variants.add(core.strip())
        et_al = _ET_AL.search(query)
        q_surname = norm_token(et_al.group(1)) if et_al else None
        q_toks = set(tokens(q))
        out: list[Candidate] = []
        for sid, names in self.names.items():
            s = self.sources[sid]
            best, why = 0.0, ""
            for n in names:
                for v in variants:
                    if not v:
                        continue
                    if v == n.text:
                        sc, w = 100.0, f"{n.kind} {n.text!r}"
                    else:
                        sc = float(fuzz.ratio(v, n.text))
                        w = f"{n.kind} ~ {n.text!r}"
                        if len(v.split()) >= 2 and len(v) < len(n.text):
                            part = fuzz.partial_ratio(v, n.text) * (0.78 + 0.22 * len(v) / len(n.text))
                            # the words of the query, in order or not, all inside the name
                            vt, nt = v.split(), n.text.split()
                            part = max(part, fuzz.token_set_ratio(v, n.text) * (0.78 + 0.22 * min(1.0, len(vt) / len(nt))))
                            if len([t for t in vt if t not in _STOP]) < 3:
                                part = min(part, SHORT_CAP)
                            if part > sc:
                                sc, w = part, f"part of {n.kind} {n.text!r}"
                    if sc > best:
                        best, why = sc, w
            # authors: "Yang et al.", "Nanda 2023", "Bushnaq's post"
            sn = self.surnames.get(sid, [])
            if sn:
                if q_surname and q_surname == sn[0]:
                    rest = norm(_ET_AL.sub(" ", q))
                    sc = 88.0 if not rest else 80.0 + max((fuzz.partial_ratio(rest, n.text) for n in names), default=0) / 10
                    if sc > best:
                        best, why = sc, f"first author {s.authors[0]}"
                elif sn[0] in q_toks and len(q_toks) <= 3:
                    sc = 86.0 if len(q_toks) == 1 else 84.0
                    if sc > best:
                        best, why = sc, f"first author {s.authors[0]}"
                elif sn[0] in q_toks:
                    full = norm(re.sub(r"\(.*?\)", "", s.authors[0]))
                    bonus = 8 if full in q_norm else 6
                    best, why = best + bonus, why + f"; first author {s.authors[0]}"
                elif q_surname and q_surname in sn[1:]:
                    if 75.0 > best:
                        best, why = 75.0, f"co-author {q_surname}"
            if years and s.year:
                if s.year in years:
                    best += 5
                    why += f"; year {s.year}"
                elif not any(abs(y - s.year) <= 1 for y in years):  # off by one: arXiv vs venue year
                    best -= 15
                    why += f"; year {s.year} != {years[0]}"
            if best > 40:
                out.append(Candidate(sid, min(best, 100.0), why, raw=best))
        out.sort(key=lambda c: (-c.key, self.order[c.source]))
        return out[:limit]

    def resolve(self, query: str, limit: int = 5) -> Resolution:
        cands = self.rank(query, limit=max(limit, 5))
        return self.decide(query, cands[:limit])

    def decide(self, mention: str, cands: list[Candidate]) -> Resolution:
        if not cands or cands[0].score < ACCEPT:
            return Resolution(mention, None, cands[0].score if cands else 0.0, cands)
        top = cands[0]
        rivals = [c for c in cands[1:] if c.score >= ACCEPT and top.key - c.key <= AMBIGUITY_MARGIN]
        return Resolution(mention, top.source, top.score, cands, ambiguous=bool(rivals))

    # -- finding mentions in free text ----------------------------------------------------
    def scan(self, text: str) -> list[Resolution]:
        toks = [(norm_token(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        words = [t[0] for t in toks]
        max_len = max((len(p) for p in self.phrases), default=1)
        found: list[Resolution] = []
        covered = [False] * len(toks)

        def add(i: int, j: int, cands: list[Candidate]) -> None:
            start, end = toks[i][1], toks[j - 1][2]
            if text[start:end].lower().endswith("et al") and text[end : end + 1] == ".":
                end += 1
            found.append(self.decide(text[start:end], cands))
            found[-1].start, found[-1].end = start, end
            for k in range(i, j):
                covered[k] = True

        # 1. exact phrases, longest first
        i = 0
        while i < len(toks):
            hit = None
            for length in range(min(max_len, len(toks) - i), 0, -1):
                key = tuple(words[i : i + length])
                entries = self.phrases.get(key)
                if not entries:
                    continue
                entries = [(sid, n) for sid, n in entries if n.upper is None or text[toks[i][1] : toks[i + length - 1][2]] == n.upper]
                if length == 1 and entries and all(n.upper is None and n.kind != "alias" for _, n in entries):
                    entries = []  # a one-word title is too common a word to count as a mention
                if entries:
                    hit = (length, entries)
                    break
            if hit:
                length, entries = hit
                sids = list(dict.fromkeys(sid for sid, _ in entries))
                cands = [Candidate(sid, 100.0, f"{n.kind} {n.text!r}") for sid, n in entries if sid in sids]
                cands = list({c.source: c for c in cands}.values())
                cands.sort(key=lambda c: self.order[c.source])
                add(i, i + length, cands)
                i += length
            else:
                i += 1

        # 2. near-exact phrases (typos, plurals, British/American spelling): 3+ tokens, ratio >= 90
        long_phrases = {p: e for p, e in self.phrases.items() if len(p) >= 3}
        by_len: dict[int, list[tuple[str, ...]]] = {}
        for p in long_phrases:
            by_len.setdefault(len(p), []).append(p)
        for i in range(len(toks)):
            if covered[i]:
                continue
            best = None
            for length, plist in by_len.items():
                for L in (length - 1, length, length + 1):
                    j = i + L
                    if L < 2 or j > len(toks) or any(covered[i:j]):
                        continue
                    window = " ".join(words[i:j])
                    for p in plist:
                        sc = fuzz.ratio(window, " ".join(p))
                        if sc >= 90 and (best is None or sc > best[0]):
                            best = (sc, j, p)
            if best:
                sc, j, p = best
                cands = [Candidate(sid, float(sc), f"{n.kind} ~ {n.text!r}") for sid, n in long_phrases[p]]
                cands = list({c.source: c for c in cands}.values())
                add(i, j, cands)

        # 3. "Surname et al." and "the X paper" cues that no name covered: rank them, or report unresolved
        for rx in (_ET_AL, _CUE):
            for m in rx.finditer(text):
                span = [k for k, t in enumerate(toks) if t[1] >= m.start() and t[2] <= m.end()]
                if not span or any(covered[k] for k in span):
                    continue
                phrase = m.group(0)
                res = self.resolve(phrase)
                res.start, res.end = m.start(), m.end()
                found.append(res)
                for k in span:
                    covered[k] = True

        found.sort(key=lambda r: r.start or 0)
        return _dedupe(found)


def _dedupe(found: list[Resolution]) -> list[Resolution]:
    """One result per distinct mention (same words, same resolution), counting repeats."""
    seen: dict[tuple[str, str | None], Resolution] = {}
    for r in found:
        key = (norm(r.mention), r.source)
        if key in seen:
            seen[key].count += 1
        else:
            seen[key] = r
    return list(seen.values())


def resolve(query: str, corpus: Corpus | Iterable[Source], limit: int = 5) -> Resolution:
    """Rank corpus sources for one informal reference and decide (see the module docstring)."""
    return Catalogue(corpus).resolve(query, limit=limit)


def resolve_text(text: str, corpus: Corpus | Iterable[Source]) -> list[Resolution]:
    """Every informal reference found in `text`, each resolved to a source or reported unresolved."""
    return Catalogue(corpus).scan(text)


def source_of_hit(hit: dict[str, Any], corpus: Corpus) -> str | None:
    """The corpus source an S2 search hit is, by arXiv id or DOI."""
    ext = {k.lower(): str(v).lower() for k, v in (hit.get("externalIds") or {}).items() if v}
    for s in corpus.sources.values():
        if s.ids.s2 and s.ids.s2 == hit.get("paperId"):
            return s.id
        if s.ids.arxiv and ext.get("arxiv") == s.ids.arxiv.lower():
            return s.id
        if s.ids.doi and ext.get("doi") == s.ids.doi.lower():
            return s.id
    return None


def merge_s2_hits(res: Resolution, hits: list[dict[str, Any]], corpus: Corpus, cat: Catalogue) -> None:
    """S2 hits that are corpus sources support those candidates (a small boost; never above 100)."""
    by_id = {x.source: x for x in res.candidates}
    for rank, h in enumerate(hits[:3]):
        sid = source_of_hit(h, corpus)
        if not sid:
            continue
        bonus = 8.0 - 2 * rank
        if sid in by_id:
            by_id[sid].score = min(100.0, by_id[sid].score + bonus)
            by_id[sid].why += f"; S2 search #{rank + 1}"
        else:
            c = Candidate(sid, 70.0 + bonus, f"S2 search #{rank + 1}")
            res.candidates.append(c)
            by_id[sid] = c
    res.candidates.sort(key=lambda x: (-x.score, cat.order.get(x.source, 0)))
    new = cat.decide(res.mention, res.candidates)
    res.source, res.score, res.ambiguous = new.source, new.score, new.ambiguous

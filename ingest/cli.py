"""`kg ingest`, `kg resolve`, `kg suggest`: registered into the `kg` app by kg.cli.

    kg ingest [--offline] [--refresh] [--only ID]... [--api-url URL] [--cache DIR] [--rate R]
    kg resolve "TEXT" [--online] [--format text|json]
    kg resolve --text FILE [--format text|json]
    kg suggest [--min 2] [--format text|json]

Expected failures (no corpus, unknown id, S2 unreachable) print one line and exit non-zero.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer


class Fmt(str, Enum):
    text = "text"
    json = "json"


CorpusOpt = Annotated[Optional[Path], typer.Option("--corpus", "-c", help="Corpus folder (default: the bundled claims/)")]
CacheOpt = Annotated[Optional[Path], typer.Option("--cache", help="Cache folder (default: $KG_S2_CACHE or .cache/s2/)")]
ApiOpt = Annotated[Optional[str], typer.Option("--api-url", help="S2 base URL without /graph/v1 (default: $S2_API_URL or the real API)")]


def _load_corpus(path: Path | None):
    from kg.cli import fail
    from kg.loading import load_corpus
    from kg.store import DEFAULT_CORPUS

    root = path or DEFAULT_CORPUS
    if not Path(root).exists():
        fail(f"no corpus at {root}")
    try:
        corpus, problems = load_corpus(root)
    except (OSError, ValueError) as exc:
        fail(f"{root}: {exc}")
    errors = [p for p in problems if p.severity == "error"]
    if errors and not corpus.sources:
        fail(f"the corpus has {len(errors)} error(s), the first at {errors[0]}; run `kg validate`")
    return corpus


def _client(api_url: str | None, rate: float | None, timeout: float = 30.0, attempts: int | None = None):
    from ingest.client import Backoff, S2Client

    backoff = None
    if attempts is not None:
        import os

        backoff = Backoff(base=float(os.environ.get("S2_BACKOFF_BASE", "2.0")), attempts=attempts)
    return S2Client(api_url=api_url, rate=rate, timeout=timeout, backoff=backoff)


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(
        corpus: CorpusOpt = None,
        offline: Annotated[bool, typer.Option("--offline", help="Read only the cache; list the sources it lacks")] = False,
        refresh: Annotated[bool, typer.Option("--refresh", help="Fetch everything again, fresh or not")] = False,
        only: Annotated[Optional[list[str]], typer.Option("--only", help="Only this source id (repeatable)")] = None,
        api_url: ApiOpt = None,
        cache: CacheOpt = None,
        rate: Annotated[Optional[float], typer.Option("--rate", help="Requests per second (default: 1 with S2_API_KEY, 1/3 without)")] = None,
        timeout: Annotated[float, typer.Option("--timeout", help="Seconds per HTTP request")] = 30.0,
        edges: Annotated[bool, typer.Option("--edges/--no-edges", help="Also fetch references and citations")] = True,
        fmt: Annotated[Fmt, typer.Option("--format")] = Fmt.text,
    ) -> None:
        """Fetch Semantic Scholar metadata, references and citations for the corpus into the cache."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from ingest.cache import Cache
        from ingest.pipeline import ingest as run_ingest
        from ingest.pipeline import units
        from kg.cli import err, fail, out

        c = _load_corpus(corpus)
        sources = list(c.sources.values())
        if only:
            unknown = [i for i in only if i not in c.sources]
            if unknown:
                fail(f"unknown source id {unknown[0]!r} (see `kg search`)")
            sources = [c.sources[i] for i in only]
        store = Cache.open(cache)
        client = None if offline else _client(api_url, rate, timeout)
        try:
            with Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=err, transient=True, disable=not err.is_terminal,
            ) as bar:
                task = bar.add_task("ingest", total=units(sources, edges))

                def tick(what: str, n: int) -> None:
                    bar.update(task, advance=n, description=what[:50])

                summary = run_ingest(sources, store, client, refresh=refresh, edges=edges, progress=tick)
        except KeyboardInterrupt:
            fail("interrupted; what was fetched is cached, run `kg ingest` again to resume", 130)
        except OSError as exc:
            fail(f"cache {store.root}: {exc}")
        finally:
            if client is not None:
                client.close()

        if fmt is Fmt.json:
            sys.stdout.write(json.dumps(summary.to_dict(), indent=1) + "\n")
        else:
            out.print(
                f"resolved {len(summary.resolved)}, fetched {len(summary.fetched)}, from cache {len(summary.from_cache)}, "
                f"not in S2 {len(summary.not_found)}, skipped {len(summary.skipped)}, failed {len(summary.failed)}"
                + (f", missing {len(summary.missing)}" if offline else "")
                + f"; edge lists fetched {summary.edge_lists_fetched}, cached {summary.edge_lists_cached}"
                + (f"; {summary.requests} HTTP requests" if client is not None else ""),
                markup=False,
            )
            for sid, why in summary.not_found.items():
                out.print(f"  not in S2: {sid}: {why}", markup=False)
            for sid, why in summary.failed.items():
                out.print(f"  failed: {sid}: {why}", markup=False)
            for w in summary.warnings:
                out.print(f"  warning: {w}", markup=False)
            if summary.missing:
                out.print(f"  missing from the cache (offline): {', '.join(summary.missing)}", markup=False)
        if summary.failed:
            fail(f"{len(summary.failed)} item(s) failed; run `kg ingest` again to retry them (the rest is cached)")
        if summary.missing:
            fail(f"{len(summary.missing)} item(s) missing from the cache at {store.root}; run `kg ingest` online to fetch them")

    @app.command()
    def resolve(
        text: Annotated[Optional[str], typer.Argument(help="An informal reference: 'badllama', 'Yang et al. 2024', a title")] = None,
        text_file: Annotated[Optional[Path], typer.Option("--text", help="Find and resolve every informal reference in this file")] = None,
        corpus: CorpusOpt = None,
        online: Annotated[bool, typer.Option("--online", help="Also ask S2 search (implied by --api-url)")] = False,
        api_url: ApiOpt = None,
        limit: Annotated[int, typer.Option("--limit", "-n")] = 5,
        fmt: Annotated[Fmt, typer.Option("--format")] = Fmt.text,
    ) -> None:
        """Rank corpus sources for an informal reference, or resolve every reference in a text file."""
        from ingest.client import S2Error
        from ingest.resolve import Catalogue
        from kg.cli import err, fail, out, table

        if (text is None) == (text_file is None):
            fail('give either TEXT or --text FILE, e.g. kg resolve "badllama"')
        c = _load_corpus(corpus)
        cat = Catalogue(c)
        if text_file is not None:
            try:
                body = text_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                fail(f"{text_file}: {exc}")
            results = cat.scan(body)
            if fmt is Fmt.json:
                rows = [
                    {"mention": r.mention, "source": r.source, "score": round(r.score, 1), "candidates": [x.to_dict() for x in r.candidates],
                     "ambiguous": r.ambiguous, "offset": r.start, "count": r.count}
                    for r in results
                ]
                sys.stdout.write(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
            else:
                table(f"references in {text_file}", ["mention", "source", "score", "note"],
                      [[r.mention, r.source or "(unresolved)", f"{r.score:.0f}",
                        ("ambiguous: " + ", ".join(x.source for x in r.candidates if x.score >= r.score - 3)) if r.ambiguous else ""]
                       for r in results])
            return

        res = cat.resolve(text, limit=limit)
        s2_hits: list[dict] = []
        if online or api_url:
            client = _client(api_url, None, timeout=10.0, attempts=3)
            try:
                s2_hits = client.search(text, limit=limit)
            except S2Error as exc:
                err.print(f"warning: S2 search unavailable ({exc}); local catalogue only", markup=False)
            finally:
                client.close()
            _merge_s2(res, s2_hits, c, cat)
        if fmt is Fmt.json:
            d = res.to_dict()
            d["s2"] = [{"paperId": h.get("paperId"), "title": h.get("title"), "year": h.get("year"), "source": _source_of(h, c)} for h in s2_hits]
            sys.stdout.write(json.dumps(d, indent=1, ensure_ascii=False) + "\n")
            return
        verdict = res.source or "(unresolved)"
        if res.ambiguous:
            verdict += " (ambiguous)"
        out.print(f"{text!r} -> {verdict}", markup=False)
        table("candidates", ["source", "score", "why"], [[x.source, f"{x.score:.0f}", x.why] for x in res.candidates])
        if s2_hits:
            table("Semantic Scholar search", ["paperId", "year", "title", "in corpus"],
                  [[h.get("paperId"), h.get("year"), h.get("title"), _source_of(h, c) or ""] for h in s2_hits])

    @app.command()
    def suggest(
        corpus: CorpusOpt = None,
        cache: CacheOpt = None,
        min_links: Annotated[int, typer.Option("--min", help="Corpus sources a paper must cite or be cited by")] = 2,
        fmt: Annotated[Fmt, typer.Option("--format")] = Fmt.text,
    ) -> None:
        """Papers outside the corpus that cite or are cited by several corpus sources (from the cache)."""
        from ingest.cache import Cache
        from ingest.edges import suggestions
        from kg.cli import err, table

        c = _load_corpus(corpus)
        found = suggestions(c, Cache.open(cache), min_links=min_links)
        if fmt is Fmt.json:
            sys.stdout.write(json.dumps([s.__dict__ | {"links": s.links} for s in found], indent=1, ensure_ascii=False) + "\n")
            return
        if not found:
            err.print("no suggestions (run `kg ingest` first, or lower --min)", markup=False)
        table("candidates to add", ["paperId", "year", "title", "links", "cites", "cited by"],
              [[s.paperId, s.year or "", s.title, s.links, ", ".join(s.cites), ", ".join(s.cited_by)] for s in found])


def _source_of(hit: dict, corpus) -> str | None:
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


def _merge_s2(res, hits: list[dict], corpus, cat) -> None:
    """S2 hits that are corpus sources support those candidates (a small boost; never above 100)."""
    from ingest.resolve import Candidate

    by_id = {x.source: x for x in res.candidates}
    for rank, h in enumerate(hits[:3]):
        sid = _source_of(h, corpus)
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
    new = cat._decide(res.mention, res.candidates)
    res.source, res.score, res.ambiguous = new.source, new.score, new.ambiguous

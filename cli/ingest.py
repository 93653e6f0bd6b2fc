"""The Semantic Scholar commands, over `ingest`:

kg ingest [--offline] [--refresh] [--only ID]... [--api-url URL] [--cache DIR] [--rate R]
kg resolve "TEXT" [--online] [--format text|json]
kg resolve --text FILE [--format text|json]
kg suggest [--min 2] [--format text|json]
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.corpus import CorpusPath
from cli.output import TextOrJson, err, fail, out, print_json, table, usage_error, warn

if TYPE_CHECKING:
    from ingest.client import S2Client
    from kg.loading import Corpus

CacheOpt = Annotated[Path | None, typer.Option("--cache", help="Cache folder (default: $KG_S2_CACHE or .cache/s2/)")]
MAX_TEXT_BYTES = 8 * 2**20  # `kg resolve --text`: a paper or a long post, not a dump
ApiOpt = Annotated[str | None, typer.Option("--api-url", help="S2 base URL without /graph/v1 (default: $S2_API_URL or the real API)")]


def _corpus(path: Path | None) -> Corpus:
    """The corpus's sources, even when claims elsewhere have errors (ingest only needs sources)."""
    from kg.loading import load_corpus
    from kg.util import default_corpus

    root = path or default_corpus()
    if not Path(root).exists():
        fail(f"no corpus at {root}")
    corpus, problems = load_corpus(root)
    errors = [p for p in problems if p.severity == "error"]
    if errors and not corpus.sources:
        fail(f"the corpus has {len(errors)} error(s), the first at {errors[0]}; run `kg validate`")
    return corpus


def _client(api_url: str | None, rate: float | None, timeout: float = 30.0, attempts: int | None = None) -> S2Client:
    from ingest.client import Backoff, S2Client
    from kg.util import env_number

    backoff = Backoff(base=env_number("S2_BACKOFF_BASE", 2.0, maximum=600), attempts=attempts) if attempts is not None else None
    return S2Client(api_url=api_url, rate=rate, timeout=timeout, backoff=backoff)


def ingest(
    corpus: CorpusPath = None,
    offline: Annotated[bool, typer.Option("--offline", help="Read only the cache; list the sources it lacks")] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="Fetch everything again, fresh or not")] = False,
    only: Annotated[list[str] | None, typer.Option("--only", help="Only this source id (repeatable)")] = None,
    api_url: ApiOpt = None,
    cache: CacheOpt = None,
    rate: Annotated[float | None, typer.Option("--rate", min=0.01, max=1000, help="Requests per second (default: 1 with S2_API_KEY, 1/3 without)")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, max=3600, help="Seconds per HTTP request")] = 30.0,
    edges: Annotated[bool, typer.Option("--edges/--no-edges", help="Also fetch references and citations")] = True,
    format: Annotated[TextOrJson, typer.Option("--format", "-f")] = TextOrJson.text,
) -> None:
    """Fetch Semantic Scholar metadata, references and citations for the corpus into the cache."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest.cache import Cache
    from ingest.pipeline import ingest as run_ingest
    from ingest.pipeline import units

    c = _corpus(corpus)
    sources = list(c.sources.values())
    if only:
        unknown = [i for i in only if i not in c.sources]
        if unknown:
            fail(f"unknown source id {unknown[0]!r} (see `kg search`)")
        sources = [c.sources[i] for i in only]
    store = Cache.open(cache)
    client = None if offline else _client(api_url, rate, timeout)
    try:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
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

    reported = set(store.corrupt)
    if format is TextOrJson.json:
        print_json(summary.to_dict())
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
        if summary.corrupt:
            out.print(f"  corrupt in the cache (offline): {', '.join(summary.corrupt)}", markup=False)
    for bad in store.corrupt_files():  # never written by us; a disk or hand edit broke it
        if bad not in reported:  # those read during the run were warned about as they were read
            warn(f"{bad}: corrupt cache entry ({store.corrupt[bad]}); `kg ingest` online fetches it again")
    if summary.failed:
        fail(f"{len(summary.failed)} item(s) failed; run `kg ingest` again to retry them (the rest is cached)")
    if summary.missing or summary.corrupt:
        what = " and ".join(f"{len(items)} {name}" for name, items in (("missing", summary.missing), ("corrupt", summary.corrupt)) if items)
        fail(f"{what} item(s) in the cache at {store.root}; run `kg ingest` online to fetch them")


def resolve(
    text: Annotated[str | None, typer.Argument(help="An informal reference: 'badllama', 'Yang et al. 2024', a title")] = None,
    text_file: Annotated[Path | None, typer.Option("--text", help="Find and resolve every informal reference in this file")] = None,
    corpus: CorpusPath = None,
    online: Annotated[bool, typer.Option("--online", help="Also ask S2 search (implied by --api-url)")] = False,
    api_url: ApiOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100)] = 5,
    format: Annotated[TextOrJson, typer.Option("--format", "-f")] = TextOrJson.text,
) -> None:
    """Rank corpus sources for an informal reference, or resolve every reference in a text file."""
    from ingest.client import S2Error
    from ingest.resolve import Catalogue, merge_s2_hits, source_of_hit

    if (text is None) == (text_file is None):
        usage_error('give either TEXT or --text FILE, e.g. kg resolve "badllama"')
    c = _corpus(corpus)
    cat = Catalogue(c)
    if text_file is not None:
        if not text_file.is_file():  # a FIFO or a device would hang the read or never end it
            fail(f"{text_file}: {'not a regular file' if text_file.exists() else 'no such file'}")
        try:
            with open(text_file, "rb") as f:
                raw = f.read(MAX_TEXT_BYTES + 1)
        except OSError as exc:
            fail(f"{text_file}: {exc.strerror or exc}")
        if len(raw) > MAX_TEXT_BYTES:
            fail(f"{text_file}: over {MAX_TEXT_BYTES // 2**20} MiB; split it")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            fail(f"{text_file}: not UTF-8 text")
        results = cat.scan(body)
        if format is TextOrJson.json:
            print_json(
                [
                    {
                        "mention": r.mention,
                        "source": r.source,
                        "score": round(r.score, 1),
                        "candidates": [x.to_dict() for x in r.candidates],
                        "ambiguous": r.ambiguous,
                        "offset": r.start,
                        "count": r.count,
                    }
                    for r in results
                ]
            )
        else:
            table(
                f"references in {text_file}",
                ["mention", "source", "score", "note"],
                [
                    [r.mention, r.source or "(unresolved)", f"{r.score:.0f}", ("ambiguous: " + ", ".join(x.source for x in r.candidates if x.score >= r.score - 3)) if r.ambiguous else ""]
                    for r in results
                ],
            )
        return

    assert text is not None
    res = cat.resolve(text, limit=limit)
    s2_hits: list[dict[str, Any]] = []
    if online or api_url:
        client = _client(api_url, None, timeout=10.0, attempts=3)
        try:
            s2_hits = client.search(text, limit=limit)
        except S2Error as exc:
            warn(f"S2 search unavailable ({exc}); local catalogue only")
        finally:
            client.close()
        merge_s2_hits(res, s2_hits, c, cat)
    if format is TextOrJson.json:
        d = res.to_dict()
        d["s2"] = [{"paperId": h.get("paperId"), "title": h.get("title"), "year": h.get("year"), "source": source_of_hit(h, c)} for h in s2_hits]
        print_json(d)
        return
    verdict = (res.source or "(unresolved)") + (" (ambiguous)" if res.ambiguous else "")
    out.print(f"{text!r} -> {verdict}", markup=False)
    table("candidates", ["source", "score", "why"], [[x.source, f"{x.score:.0f}", x.why] for x in res.candidates])
    if s2_hits:
        table("Semantic Scholar search", ["paperId", "year", "title", "in corpus"], [[h.get("paperId"), h.get("year"), h.get("title"), source_of_hit(h, c) or ""] for h in s2_hits])


def suggest(
    corpus: CorpusPath = None,
    cache: CacheOpt = None,
    min_links: Annotated[int, typer.Option("--min", min=1, help="Corpus sources a paper must cite or be cited by")] = 2,
    format: Annotated[TextOrJson, typer.Option("--format", "-f")] = TextOrJson.text,
) -> None:
    """Papers outside the corpus that cite or are cited by several corpus sources (from the cache)."""
    from ingest.cache import Cache
    from ingest.edges import suggestions

    c = _corpus(corpus)
    found = suggestions(c, Cache.open(cache), min_links=min_links)
    if format is TextOrJson.json:
        print_json([s.__dict__ | {"links": s.links} for s in found])
        return
    if not found:
        warn("no suggestions (run `kg ingest` first, or lower --min)")
    table("candidates to add", ["paperId", "year", "title", "links", "cites", "cited by"], [[s.paperId, s.year or "", s.title, s.links, ", ".join(s.cites), ", ".join(s.cited_by)] for s in found])

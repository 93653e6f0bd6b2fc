"""The reproduction commands, over `repro.api`:

kg run JOB [--preset smoke|full] [--set key=value]... [--seed N | --seeds 0,1,2]
           [--backend local|ray] [--address ADDR] [--force] [--detach]
kg runs [--job J] [--status S]            table of runs
kg runs show ID [--png PATH]              summary, verdict, curves
kg runs cancel ID
kg runs publish JOB [--preset smoke] [--set key=value]...   write the job's verdict of record
"""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.output import fail, out, table, usage_error, warn

OUTCOME_STYLE = {"reproduced": "green", "not-reproduced": "red", "inconclusive": "yellow"}
RunsDir = Annotated[str | None, typer.Option("--runs-dir", envvar="KG_RUNS_DIR", help="run store root (default: runs/)")]

runs_app = typer.Typer(help="Reproduction runs: list, show, cancel, publish.", no_args_is_help=False)


class Backend(StrEnum):
    local = "local"
    ray = "ray"


def run(
    job: Annotated[str, typer.Argument(help="A job in repro/jobs (see `kg runs --help`)")],
    preset: Annotated[str, typer.Option("--preset", "-p", help="smoke (CPU, ~1 min) or full (one GPU)")] = "smoke",
    set_: Annotated[list[str] | None, typer.Option("--set", "-s", help="override a parameter: key=value (JSON values)")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**32 - 1)] = 0,
    seeds: Annotated[str | None, typer.Option("--seeds", help="several seeds of the same request, e.g. 0,1,2 (what `kg runs publish` needs); stacked in one process where the job allows")] = None,
    backend: Annotated[Backend, typer.Option("--backend", "-b")] = Backend.local,
    address: Annotated[str | None, typer.Option("--address", help="Ray address (else RAY_ADDRESS)")] = None,
    force: Annotated[bool, typer.Option("--force", help="run again even if an identical run exists")] = False,
    detach: Annotated[bool, typer.Option("--detach", help="print the run id and return at once")] = False,
    runs_dir: RunsDir = None,
) -> None:
    """Run a reproduction job and print its verdict."""
    from pydantic import ValidationError

    from repro import api

    overrides = _job_and_overrides(job, set_)
    seed_list = _seed_list(seeds) if seeds is not None else [seed]
    try:
        run_ids = api.submit_seeds(job, preset=preset, params=overrides, seeds=seed_list, backend=backend.value, force=force, store=runs_dir, address=address)
    except ValidationError as exc:
        fail(f"bad parameters for {job}: {_one_line(exc)}")
    except ValueError as exc:
        fail(str(exc))
    except OSError as exc:  # the store cleans up what it began (repro/store.py)
        fail(f"cannot create the run in {exc.filename or runs_dir or 'runs/'}: {exc.strerror or exc}; nothing was left behind")
    if detach:
        for run_id in run_ids:
            out.print(run_id, markup=False)
        return
    failed = False
    for run_id in run_ids:  # the seeds of a batch finish together: following the first follows them all
        st = _follow(run_id, runs_dir)
        failed = failed or st.status != "succeeded"
    for run_id in run_ids:
        _print_summary(run_id, runs_dir)
    if failed:
        raise typer.Exit(1)


def _seed_list(text: str) -> list[int]:
    """'0,1,2' -> [0, 1, 2]: distinct seeds in 0..2**32-1, at most 32."""
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        usage_error(f"--seeds: {text!r} is not a comma-separated list of seeds, e.g. 0,1,2")
    if not seeds or len(seeds) > 32 or len(set(seeds)) != len(seeds) or not all(0 <= n < 2**32 for n in seeds):
        usage_error(f"--seeds: give 1 to 32 distinct seeds in 0..{2**32 - 1}, e.g. 0,1,2 (got {text!r})")
    return seeds


def _job_and_overrides(job: str, set_: list[str] | None) -> dict[str, Any]:
    """The --set overrides of a known job; one-line errors otherwise (run and publish share them)."""
    from kg.util import parse_overrides
    from repro import api

    names = api.catalog().job_names()
    if job not in names:
        fail(f"unknown job {job!r}; known jobs: {', '.join(names)}")
    try:
        return parse_overrides(set_ or [])
    except ValueError as exc:
        usage_error(f"--set: {exc}")


def _one_line(exc: Any) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors(include_url=False))


def _follow(run_id: str, runs_dir: str | None) -> Any:
    """A progress bar until the run ends. Ctrl-C cancels the run."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from repro import api

    st = api.status(run_id, runs_dir)
    if st.finished:
        out.print(f"reusing finished run [bold]{run_id}[/bold] (use --force to run again)")
        return st
    out.print(f"run [bold]{run_id}[/bold]")
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), TextColumn("{task.fields[note]}"))
    try:
        with Progress(*columns, console=out, transient=False) as bar:
            task = bar.add_task(st.status, total=1.0, note="")
            while not st.finished:
                if st.progress and st.progress.total:
                    bar.update(task, total=st.progress.total, completed=st.progress.done, note=st.progress.note)
                bar.update(task, description=st.status)
                time.sleep(0.25)
                st = api.status(run_id, runs_dir)
            if st.status == "succeeded" and st.progress and st.progress.total:
                bar.update(task, completed=st.progress.total, total=st.progress.total)
            bar.update(task, description=st.status)
    except KeyboardInterrupt:
        out.print("cancelling ...")
        st = api.cancel(run_id, runs_dir)
    return st


def _print_summary(run_id: str, runs_dir: str | None) -> Any:
    from repro import api

    r = api.result(run_id, runs_dir)
    st, v, req = r.status, r.verdict, r.request
    out.print(
        f"[bold]{run_id}[/bold]  {req['job']} preset={req['preset']} seed={req['seed']} backend={req['backend']}  status={st.status}"
        + (f" ({st.reason})" if st.reason else "")
        + (f"  wall {st.wall_s:.1f} s" if st.wall_s else "")
    )
    if st.started_by:
        out.print(f"started by {st.started_by}", markup=False)
    if v:
        style = OUTCOME_STYLE.get(v.outcome, "")
        out.print(f"verdict: [{style}]{v.outcome}[/{style}] - {v.reason}")
        out.print("numbers: " + ", ".join(f"{k}={_fmt(x)}" for k, x in v.numbers.items()), markup=False)
    elif st.status == "failed":
        out.print(r.log_tail, markup=False)
    return r


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, list | dict):
        return json.dumps(x, default=lambda o: round(o, 4) if isinstance(o, float) else o)[:80]
    return str(x)


@runs_app.callback(invoke_without_command=True)
def runs(
    ctx: typer.Context,
    job: Annotated[str | None, typer.Option("--job")] = None,
    status: Annotated[str | None, typer.Option("--status")] = None,
    runs_dir: RunsDir = None,
) -> None:
    """Reproduction runs: a table of runs (newest first); `show` and `cancel` one."""
    if ctx.invoked_subcommand:
        ctx.obj = {"runs_dir": runs_dir}
        return
    from repro import api
    from repro.store import STATUSES, RunStore

    if status is not None and status not in STATUSES:
        usage_error(f"--status: {status!r} is not one of {', '.join(STATUSES)}")

    problems: list[str] = []
    rows = api.list_runs(job=job, status=status, store=runs_dir, problems=problems)
    for problem in problems:  # a corrupt run folder is named, and the rest still listed
        warn(problem)
    table(
        f"runs in {RunStore(runs_dir).root}",
        ["run id", "job", "preset", "seed", "backend", "status", "outcome", "started by", "created"],
        [[r.run_id, r.job, r.preset, r.seed, r.backend, r.status, r.outcome or "", r.started_by or "", (r.created_at or "")[:19]] for r in rows],
    )


@runs_app.command("show")
def show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument()],
    png: Annotated[str | None, typer.Option("--png", help="also save the curves as a PNG")] = None,
    runs_dir: RunsDir = None,
) -> None:
    """Summary, verdict and curves of one run."""
    from repro import api
    from repro.plot import ascii_plot, plot_groups, save_png

    runs_dir = runs_dir or (ctx.obj or {}).get("runs_dir")
    try:
        r = _print_summary(run_id, runs_dir)
    except (KeyError, ValueError) as exc:
        fail(str(exc).strip("'\""))
    plot_spec = api.catalog().job(r.request["job"]).plot
    for title, curves in plot_groups(r.metrics, plot_spec):
        out.print(ascii_plot(curves, title=title), markup=False)
    if png:
        try:
            save_png(r.metrics, plot_spec, png, title=run_id)
        except OSError as exc:
            fail(f"cannot save {png}: {exc.strerror or exc}")
        out.print(f"saved {png}", markup=False)


@runs_app.command("cancel")
def cancel(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument()],
    runs_dir: RunsDir = None,
) -> None:
    """Cancel a queued or running run."""
    from repro import api

    runs_dir = runs_dir or (ctx.obj or {}).get("runs_dir")
    try:
        st = api.cancel(run_id, runs_dir)
    except (KeyError, ValueError) as exc:
        fail(str(exc).strip("'\""))
    out.print(f"{run_id}: {st.status} {st.reason}", markup=False)


@runs_app.command("publish")
def publish(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help="A job in repro/jobs")],
    preset: Annotated[str, typer.Option("--preset", "-p")] = "smoke",
    set_: Annotated[list[str] | None, typer.Option("--set", "-s", help="the parameter overrides the seeds ran with: key=value (JSON values)")] = None,
    corpus: Annotated[Path | None, typer.Option("--corpus", "-c", help="Corpus folder (default: the bundled claims/)")] = None,
    runs_dir: RunsDir = None,
) -> None:
    """Write the verdict of record of a job and preset to <corpus>/verdicts/JOB.PRESET.json.

    It takes the latest succeeded local run of each seed with the preset's params (and --set) on
    the current job code: at least three seeds; all agree -> their outcome, else inconclusive.
    """
    from kg.util import default_corpus
    from kg.verdicts import write_record
    from repro import api

    runs_dir = runs_dir or (ctx.obj or {}).get("runs_dir")
    overrides = _job_and_overrides(job, set_)
    try:
        record = api.verdict_of_record(job, preset, overrides, store=runs_dir)
    except ValueError as exc:  # NotEnoughSeeds names the runs to make
        fail(str(exc))
    root = corpus or default_corpus()
    if not root.is_dir():
        fail(f"no corpus folder {root}")
    try:
        path = write_record(root, record)
    except OSError as exc:
        fail(f"cannot write the verdict of record under {root}: {exc.strerror or exc}; the old file (if any) is unchanged")
    seeds = ", ".join(str(n) for n in record.seed_numbers)
    out.print(f"wrote {path}: {record.outcome} ({record.note}; seeds {seeds}; code {record.code_version})", markup=False)


@runs_app.command("affected")
def affected(
    files: Annotated[list[Path], typer.Argument(help="Corpus files a change touches (claims YAML or verdict JSON)")],
    preset: Annotated[str | None, typer.Option("--preset", "-p", help="Only reproductions with this preset")] = None,
) -> None:
    """The jobs whose claims these files name, one per line (the reproduce workflow asks this of a pull request)."""
    from kg.loading import file_kind, load_corpus

    jobs: set[str] = set()
    for path in files:
        if path.suffix == ".json" and path.parent.name == "verdicts":  # claims/verdicts/JOB.PRESET.json
            job, _, rest = path.name.partition(".")
            if preset is None or rest.startswith(f"{preset}."):
                jobs.add(job)
            continue
        if path.suffix not in (".yaml", ".yml") or file_kind(path) != "claims" or not path.exists():
            continue
        corpus, _ = load_corpus(path)
        jobs.update(r.job for c in corpus.claims.values() for r in c.reproductions if preset is None or r.preset == preset)
    for job in sorted(jobs):
        out.print(job, markup=False)

"""CLI commands for reproduction runs. `kg/cli.py` calls `register(app)`:

    kg run JOB [--preset smoke|full] [--set key=value]... [--seed N] [--backend local|ray]
               [--address ADDR] [--force] [--detach]
    kg runs [--job J] [--status S]            table of runs
    kg runs show ID [--png PATH]              summary, verdict, curves
    kg runs cancel ID

Expected errors (unknown job, bad --set, unknown run) print one line and exit 2.
"""

from __future__ import annotations

import json
import time
from typing import Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from repro import api
from repro.plot import ascii_plot, plot_groups, save_png
from repro.registry import get_job, job_names, parse_set
from repro.store import TERMINAL, RunStore

console = Console()
OUTCOME_STYLE = {"reproduced": "green", "not-reproduced": "red", "inconclusive": "yellow"}


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _one_line(e: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'params'}: {err['msg']}"
                     for err in e.errors(include_url=False))


def register(app: typer.Typer) -> None:
    """Add `run` and the `runs` sub-app to a typer app."""
    app.command("run", help="Run a reproduction job and print its verdict.")(run_cmd)
    runs = typer.Typer(help="Reproduction runs: list, show, cancel.", no_args_is_help=False)
    runs.callback(invoke_without_command=True)(runs_table)
    runs.command("show", help="Summary, verdict and curves of one run.")(show_cmd)
    runs.command("cancel", help="Cancel a queued or running run.")(cancel_cmd)
    app.add_typer(runs, name="runs")


def run_cmd(
    job: str = typer.Argument(..., help=f"one of the registered jobs"),
    preset: str = typer.Option("smoke", "--preset", "-p", help="smoke (CPU, ~1 min) or full (one GPU)"),
    set_: list[str] = typer.Option([], "--set", "-s", help="override a parameter: key=value (JSON values)"),
    seed: int = typer.Option(0, "--seed"),
    backend: str = typer.Option("local", "--backend", "-b", help="local or ray"),
    address: Optional[str] = typer.Option(None, "--address", help="Ray address (else RAY_ADDRESS)"),
    force: bool = typer.Option(False, "--force", help="run again even if an identical run exists"),
    detach: bool = typer.Option(False, "--detach", help="print the run id and return at once"),
    runs_dir: Optional[str] = typer.Option(None, "--runs-dir", envvar="KG_RUNS_DIR", help="run store root"),
) -> None:
    if job not in job_names():
        _fail(f"unknown job {job!r}; known jobs: {', '.join(job_names())}")
    if backend not in ("local", "ray"):
        _fail(f"unknown backend {backend!r}; use local or ray")
    try:
        overrides = parse_set(set_)
        run_id = api.submit(job, preset=preset, params=overrides, seed=seed, backend=backend,
                            force=force, store=runs_dir, address=address)
    except ValidationError as e:
        _fail(f"bad parameters for {job}: {_one_line(e)}")
    except ValueError as e:
        _fail(str(e))
    if detach:
        console.print(run_id)
        return
    st = _follow(run_id, runs_dir)
    _print_summary(run_id, runs_dir)
    if st["status"] != "succeeded":
        raise typer.Exit(1)


def _follow(run_id: str, runs_dir: Optional[str]) -> dict:
    """A progress bar until the run ends. Ctrl-C cancels the run."""
    st = api.status(run_id, runs_dir)
    if st["status"] in TERMINAL:
        console.print(f"reusing finished run [bold]{run_id}[/bold] (use --force to run again)")
        return st
    console.print(f"run [bold]{run_id}[/bold]")
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn(), TextColumn("{task.fields[note]}"))
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task(st["status"], total=1.0, note="")
            while st["status"] not in TERMINAL:
                prog = st.get("progress") or {}
                if prog.get("total"):
                    bar.update(task, total=prog["total"], completed=prog["done"], note=prog.get("note", ""))
                bar.update(task, description=st["status"])
                time.sleep(0.25)
                st = api.status(run_id, runs_dir)
            prog = st.get("progress") or {}
            if st["status"] == "succeeded" and prog.get("total"):
                bar.update(task, completed=prog["total"], total=prog["total"])
            bar.update(task, description=st["status"])
    except KeyboardInterrupt:
        console.print("cancelling ...")
        st = api.cancel(run_id, runs_dir)
    return st


def _print_summary(run_id: str, runs_dir: Optional[str], curves: bool = False) -> dict:
    r = api.result(run_id, runs_dir)
    st, v, req = r["status_detail"], r["verdict"], r["request"]
    console.print(f"[bold]{run_id}[/bold]  {req['job']} preset={req['preset']} seed={req['seed']} "
                  f"backend={req['backend']}  status={st['status']}"
                  + (f" ({st['reason']})" if st.get("reason") else "")
                  + (f"  wall {st['wall_s']:.1f} s" if st.get("wall_s") else ""), highlight=False)
    if v:
        style = OUTCOME_STYLE.get(v["outcome"], "")
        console.print(f"verdict: [{style}]{v['outcome']}[/{style}] - {v['reason']}", highlight=False)
        nums = ", ".join(f"{k}={_fmt(x)}" for k, x in v["numbers"].items())
        console.print(f"numbers: {nums}", highlight=False, soft_wrap=True)
    elif st["status"] == "failed":
        console.print(r["log_tail"], highlight=False, markup=False)
    return r


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, (list, dict)):
        return json.dumps(x, default=lambda o: round(o, 4) if isinstance(o, float) else o)[:80]
    return str(x)


def runs_table(
    ctx: typer.Context,
    job: Optional[str] = typer.Option(None, "--job"),
    status: Optional[str] = typer.Option(None, "--status"),
    runs_dir: Optional[str] = typer.Option(None, "--runs-dir", envvar="KG_RUNS_DIR"),
) -> None:
    if ctx.invoked_subcommand:
        ctx.obj = {"runs_dir": runs_dir}
        return
    rows = api.list_runs(job=job, status=status, store=runs_dir)
    columns = ("job", "preset", "seed", "backend", "status", "outcome", "created")
    if not console.is_terminal:  # piped: tab-separated, one run per line, for scripts
        print("\t".join(("run id",) + columns))
        for r in rows:
            print("\t".join(str(v) for v in (r["run_id"], r["job"], r["preset"], r["seed"], r["backend"], r["status"], r.get("outcome") or "", (r.get("created_at") or "")[:19])))
        return
    table = Table(title=f"runs in {RunStore(runs_dir).root}")
    table.add_column("run id", no_wrap=True)
    for col in columns:
        table.add_column(col, no_wrap=True)
    for r in rows:
        outcome = r.get("outcome") or ""
        style = OUTCOME_STYLE.get(outcome, "")
        table.add_row(r["run_id"], r["job"], r["preset"], str(r["seed"]), r["backend"], r["status"],
                      f"[{style}]{outcome}[/{style}]" if style else outcome, (r.get("created_at") or "")[:19])
    console.print(table)


def show_cmd(
    ctx: typer.Context,
    run_id: str = typer.Argument(...),
    png: Optional[str] = typer.Option(None, "--png", help="also save the curves as a PNG"),
    runs_dir: Optional[str] = typer.Option(None, "--runs-dir", envvar="KG_RUNS_DIR"),
) -> None:
    runs_dir = runs_dir or (ctx.obj or {}).get("runs_dir")
    try:
        r = _print_summary(run_id, runs_dir)
    except (KeyError, ValueError) as e:
        _fail(str(e).strip("'\""))
    plot_spec = getattr(get_job(r["request"]["job"]), "PLOT", None)
    for title, curves in plot_groups(r["metrics"], plot_spec):
        console.print(ascii_plot(curves, title=title), highlight=False, markup=False)
    if png:
        save_png(r["metrics"], plot_spec, png, title=run_id)
        console.print(f"saved {png}")


def cancel_cmd(
    ctx: typer.Context,
    run_id: str = typer.Argument(...),
    runs_dir: Optional[str] = typer.Option(None, "--runs-dir", envvar="KG_RUNS_DIR"),
) -> None:
    runs_dir = runs_dir or (ctx.obj or {}).get("runs_dir")
    try:
        st = api.cancel(run_id, runs_dir)
    except (KeyError, ValueError) as e:
        _fail(str(e).strip("'\""))
    console.print(f"{run_id}: {st['status']} {st.get('reason', '')}")

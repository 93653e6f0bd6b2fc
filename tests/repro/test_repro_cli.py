"""The CLI commands, registered on our own typer app and driven by typer's CliRunner."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from repro.cli import register


@pytest.fixture
def app():
    app = typer.Typer()

    @app.callback()
    def main():
        pass

    register(app)
    return app


@pytest.fixture
def cli(app, store):
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [*args], env={"KG_RUNS_DIR": str(store.root), "COLUMNS": "160"})


def test_run_then_list_then_show(cli, store, tiny, tmp_path):
    sets = [a for k, v in tiny["sparse_parity"].items() for a in ("--set", f"{k}={json.dumps(v)}")]
    res = cli("run", "sparse_parity", *sets, "--seed", "5")
    assert res.exit_code == 0, res.output
    assert "verdict:" in res.output and "succeeded" in res.output
    run_id = store.run_ids()[0]

    again = cli("run", "sparse_parity", *sets, "--seed", "5")
    assert again.exit_code == 0 and "reusing finished run" in again.output

    table = cli("runs")
    assert table.exit_code == 0 and run_id in table.output and "sparse_parity" in table.output

    png = tmp_path / "curves.png"
    show = cli("runs", "show", run_id, "--png", str(png))
    assert show.exit_code == 0, show.output
    assert "verdict:" in show.output and "test_acc" in show.output and "|" in show.output
    assert png.stat().st_size > 1000


@pytest.mark.parametrize("args,message", [
    (("run", "no_such_job"), "unknown job 'no_such_job'"),
    (("run", "grokking", "--set", "max_stepz=3"), "max_stepz: Extra inputs are not permitted"),
    (("run", "grokking", "--set", "max_steps=-1"), "max_steps"),
    (("run", "grokking", "--set", "oops"), "--set expects key=value"),
    (("run", "grokking", "--preset", "huge"), "unknown preset 'huge'"),
    (("run", "grokking", "--backend", "slurm"), "unknown backend"),
    (("runs", "show", "grokking-19990101-000000-abcdef"), "no run"),
])
def test_expected_errors_are_one_line_and_exit_2(cli, store, args, message):
    res = cli(*args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output
    assert res.output.strip().count("\n") == 0, res.output
    assert store.run_ids() == []


def test_failed_run_exits_non_zero(cli, tiny, monkeypatch):
    monkeypatch.setenv("KG_DEVICE", "no-such-device")
    sets = [a for k, v in tiny["grokking"].items() for a in ("--set", f"{k}={json.dumps(v)}")]
    res = cli("run", "grokking", *sets)
    assert res.exit_code == 1 and "failed" in res.output

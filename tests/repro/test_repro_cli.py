"""The run commands of the `kg` app, driven by typer's CliRunner."""

from __future__ import annotations

import getpass
import json

import pytest
from typer.testing import CliRunner

from cli.app import app


@pytest.fixture
def cli(store):
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
    header, row = table.output.splitlines()[:2]  # piped: tab-separated
    assert header.split("\t")[7] == "started by" and row.split("\t")[7] == getpass.getuser()  # kg run records the local user

    png = tmp_path / "curves.png"
    show = cli("runs", "show", run_id, "--png", str(png))
    assert show.exit_code == 0, show.output
    assert "verdict:" in show.output and "test_acc" in show.output and "|" in show.output
    assert png.stat().st_size > 1000


@pytest.mark.parametrize(
    "args,code,message",
    [
        (("run", "no_such_job"), 1, "unknown job 'no_such_job'"),
        (("run", "grokking", "--set", "max_stepz=3"), 1, "max_stepz: Extra inputs are not permitted"),
        (("run", "grokking", "--set", "max_steps=-1"), 1, "max_steps"),
        (("run", "grokking", "--set", "max_steps=1e12"), 1, "max_steps"),
        (("run", "grokking", "--set", "lr=Infinity"), 1, "lr"),
        (("run", "grokking", "--preset", "huge"), 1, "unknown preset 'huge'"),
        (("runs", "show", "grokking-19990101-000000-abcdef"), 1, "no run"),
        (("run", "grokking", "--set", "oops"), 2, "expected key=value"),
    ],
)
def test_expected_errors_are_one_line_on_stderr(cli, store, args, code, message):
    res = cli(*args)
    assert res.exit_code == code, res.output
    assert message in res.stderr and res.stderr.startswith("error: ")
    assert res.stderr.strip().count("\n") == 0 and res.stdout == "", res.output
    assert "Traceback" not in res.output
    assert store.run_ids() == []


def test_an_unknown_backend_is_a_usage_error(cli, store):
    res = cli("run", "grokking", "--backend", "slurm")
    assert res.exit_code == 2 and "slurm" in res.stderr and "Traceback" not in res.output
    assert store.run_ids() == []


def test_failed_run_exits_non_zero(cli, tiny, monkeypatch):
    monkeypatch.setenv("KG_DEVICE", "no-such-device")
    sets = [a for k, v in tiny["grokking"].items() for a in ("--set", f"{k}={json.dumps(v)}")]
    res = cli("run", "grokking", *sets)
    assert res.exit_code == 1 and "failed" in res.output


def test_affected_names_the_jobs_a_change_touches(cli, repo_root, tmp_path):
    claims = tmp_path / "new-claims.yaml"
    claims.write_text((repo_root / "tests" / "kg" / "base" / "claims.yaml").read_text())
    res = cli("runs", "affected", str(repo_root / "claims" / "reproductions-a.yaml"), str(repo_root / "claims" / "sources.yaml"), "claims/verdicts/llc.smoke.json")
    assert res.exit_code == 0, res.output
    assert res.stdout.split() == ["icl_task_diversity", "llc", "omnigrok", "reversal_curse"]
    assert cli("runs", "affected", str(repo_root / "claims" / "reproductions-a.yaml"), "--preset", "full").stdout.split() == ["icl_task_diversity"]
    assert cli("runs", "affected", str(claims)).stdout.split() == []  # the base claims name no job


def test_runs_lists_the_readable_runs_and_warns_about_a_corrupt_one(cli, store):
    ids = []
    for seed in (1, 2):
        run_id = store.create({"job": "sparse_parity", "preset": "smoke", "params": {}, "seed": seed, "backend": "local", "key": f"k{seed}"})
        store.set_status(run_id, "failed", "test")
        ids.append(run_id)
    (store.dir(ids[1]) / "status.json").write_text("[1, 2")  # half-written
    (store.dir(ids[1]) / "request.json").write_text('{"job": ')
    res = cli("runs")
    assert res.exit_code == 0, res.output
    assert ids[0] in res.output
    warning = next(line for line in res.output.splitlines() if line.startswith("warning:"))
    assert ids[1] in warning and "request.json" in warning  # the store names the file it skips
    assert "Traceback" not in res.output

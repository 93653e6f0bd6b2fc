"""The Runs view end to end: the form validates parameters with the job's model, the trigger
starts a real run on the local runner (a tiny sparse_parity, seconds), the page follows it to
its verdict, and the run is listed with its outcome."""

from __future__ import annotations

import time

import pytest
from uihelpers import all_text, page_links

from repro import api

TINY = "n = 6\nk = 2\nwidth = 16\nmax_steps = 60\neval_every = 10\ntest_size = 64\nsweep_ns = []\nsweep_seeds = 1"


def ok(at):
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_bad_parameters_are_refused_inline(app):
    at = app("runs")
    at.selectbox(key="run_job").set_value("sparse_parity").run()
    at.text_area(key="run_overrides").input("n = -3\nno_such_param = 1").run()
    ok(at)
    error = at.error[0].value.replace("\\", "")
    assert "parameter 'n': must be >= 2" in error and "unknown parameter 'no_such_param'" in error
    assert at.button(key="run_start").disabled
    at.text_area(key="run_overrides").input("this is not an assignment").run()
    ok(at)
    assert "line 1: expected key=value" in at.error[0].value.replace("\\", "")
    assert at.button(key="run_start").disabled
    at.text_area(key="run_overrides").input("n = 8").run()
    ok(at)
    assert not at.error and not at.button(key="run_start").disabled


def test_the_runs_form_renders_without_importing_torch(corpus):
    """Jobs, presets and the parameter check come from repro's catalogue: no job module, no torch."""
    import subprocess
    import sys
    from pathlib import Path

    app_file = Path(__file__).resolve().parents[2] / "ui" / "app.py"
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(app_file)!r}, default_timeout=60)\n"
        "at.switch_page('views/runs.py').run()\n"
        "assert not at.exception, [e.message for e in at.exception]\n"
        "at.selectbox(key='run_job').set_value('grokking').run()\n"
        "at.text_area(key='run_overrides').input('max_steps = 10').run()\n"
        "assert not at.exception and not at.error, [e.value for e in at.error]\n"
        "assert at.selectbox(key='run_preset').options, 'presets listed'\n"
        "heavy = sorted(m for m in ('torch', 'ray', 'repro.jobs.grokking') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow
def test_three_seeds_from_the_form(app):
    """The "three seeds" box starts seeds s, s+1, s+2 of one request and opens the first."""
    at = app("runs")
    at.selectbox(key="run_job").set_value("superposition").run()
    at.number_input(key="run_seed").set_value(4).run()
    at.text_area(key="run_overrides").input("steps = 40\neval_every = 20\nbatch_size = 32").run()
    at.checkbox(key="run_three").check().run()
    ok(at)
    at.button(key="run_start").click().run()
    ok(at)
    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    runs = {r.seed: r for r in api.list_runs(job="superposition")}
    assert sorted(runs) == [4, 5, 6] and runs[4].run_id == run_id
    assert {api.wait(r.run_id, timeout=180).status for r in runs.values()} == {"succeeded"}


def test_prefill_from_a_claim_link(app):
    at = app("runs", job="grokking", preset="full")
    assert at.selectbox(key="run_job").value == "grokking"
    assert at.selectbox(key="run_preset").value == "full"


@pytest.mark.slow
def test_trigger_watch_and_list_a_run(app):
    at = app("runs")
    assert "No runs yet" in all_text(at)
    at.selectbox(key="run_job").set_value("sparse_parity").run()
    at.selectbox(key="run_preset").set_value("smoke")
    at.text_area(key="run_overrides").input(TINY).run()
    ok(at)
    assert not at.button(key="run_start").disabled
    at.button(key="run_start").click().run()
    ok(at)
    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    assert run_id.startswith("sparse_parity-")
    assert api.status(run_id).status in ("queued", "running", "succeeded")
    assert api.status(run_id).started_by == api.local_user()  # local mode: the server's own user
    assert "Run" in all_text(at)

    deadline = time.time() + 180
    while time.time() < deadline:
        at.run()
        ok(at)
        if "Verdict" in all_text(at):
            break
        time.sleep(1)
    text = all_text(at)
    assert "Verdict" in text, text[-2000:]
    verdict = api.result(run_id).verdict
    assert verdict is not None
    outcome = verdict.outcome
    assert outcome in text.replace("\\", "")
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"), "metric curves"
    if verdict.numbers:
        assert "The deciding numbers" in text
    assert "this verdict moves its weight on learnability\\-prior" in text and "on general\\-algorithms" in text  # how far it moves the claim
    # the claim whose reproduction names this job and preset is linked
    assert ("claim", "On sparse parity\\, SGD makes steady hidden progress during a long loss plateau before a sudden drop\\.", "id=parity-hidden-progress") in page_links(at)

    # the list of past runs, filtered
    at.query_params.clear()
    at.switch_page("views/runs.py").run()
    ok(at)
    table = at.dataframe[-1].value
    assert run_id in table["run"].iloc[0] and table["verdict"].iloc[0] == outcome
    assert table["started by"].iloc[0] == api.local_user()
    at.selectbox(key="runs_status").set_value("failed").run()
    ok(at)
    assert "No runs yet" in all_text(at)


def test_unknown_run_is_a_deliberate_error(app):
    at = app("runs", run="no-such-run")
    assert "could not be read" in at.error[0].value

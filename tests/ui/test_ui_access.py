"""Team mode in the app (AppTest): who may browse, start, cancel and re-run.

The user is set where Streamlit's sign-in hands it to the app: `AppTest.user` seeds the
`st.user` dict that a served app fills from the identity cookie `st.login` leaves (the ID token's
claims plus `is_logged_in`). Everything from there on (ui.auth, ui.policy, the Runs page, the
run store) is the real code."""

from __future__ import annotations

from pathlib import Path

import pytest
from uihelpers import all_text

from repro import api

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"

TEAM = """
[access]
browse = "{browse}"
emails = ["ada@lab.example"]
groups = ["ml-repro"]

[runs]
runners = ["local", "ray"]
ray_addresses = ["ray://head.lab.example:10001", "ray://gpu.lab.example:10001"]
max_preset = "smoke"
max_queued = 1
"""
ADA = {"is_logged_in": True, "email": "ada@lab.example", "email_verified": True, "name": "Ada", "sub": "1"}
BOB = {"is_logged_in": True, "email": "bob@elsewhere.example", "email_verified": True, "name": "Bob", "sub": "2"}
SIGNED_OUT = {"is_logged_in": False}
TINY = "n = 6\nk = 2\nwidth = 16\nmax_steps = 60\neval_every = 10\ntest_size = 64\nsweep_ns = []\nsweep_seeds = 1"


@pytest.fixture
def team(corpus, tmp_path, monkeypatch):
    """`team(user, page=None, browse="open", **query)` -> an AppTest of the app in team mode."""
    from streamlit.testing.v1 import AppTest

    from ui.widgets import PAGES

    def make(user: dict, page: str | None = "runs", browse: str = "open", **query):
        settings = tmp_path / "claimgraph.toml"
        settings.write_text(TEAM.format(browse=browse))
        monkeypatch.setenv("KG_SETTINGS", str(settings))
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.user = dict(user)
        for k, v in query.items():
            at.query_params[k] = v
        if page:
            at.switch_page(PAGES[page])
        return ok(at.run())

    return make


def ok(at):
    assert not at.exception, [e.message for e in at.exception]
    return at


def sidebar_buttons(at) -> list[str]:
    return [b.label for b in at.sidebar.button]


def test_signed_out_reader_sees_the_runs_but_cannot_start_one(team):
    at = team(SIGNED_OUT)
    start = at.button(key="run_start")
    assert start.disabled
    assert "Sign in to start, cancel or re-run runs." in [w.value.replace("\\", "") for w in at.warning]
    assert at.checkbox(key="run_force").disabled  # re-running is gated too
    assert "Sign in" in sidebar_buttons(at) and "Sign out" not in sidebar_buttons(at)
    at.selectbox(key="run_backend").set_value("ray").run()
    ok(at)
    assert not [s for s in at.selectbox if s.key == "run_address"], "readers are not shown the clusters"
    assert "Past runs" in all_text(at)


def test_the_identity_cookie_without_a_login_flag_is_not_a_user(team):
    at = team({"email": "ada@lab.example"})  # what AppTest (and an app without [auth]) reports by default
    assert at.button(key="run_start").disabled


def test_signed_in_but_not_on_the_allow_list(team):
    at = team(BOB)
    assert at.button(key="run_start").disabled
    assert any("bob@elsewhere.example is not on this server's allow-list" in w.value.replace("\\", "") for w in at.warning)
    assert "Signed in as bob" in all_text(at).replace("\\", "") and "Sign out" in sidebar_buttons(at)


def test_a_group_member_is_allowed(team):
    at = team({**BOB, "groups": ["ml-repro"]})
    assert not at.warning, at.warning[0].value
    assert not at.button(key="run_start").disabled


def test_allowed_user_gets_the_servers_choices_and_limits(team):
    at = team(ADA)
    assert not at.warning
    assert not at.button(key="run_start").disabled and not at.checkbox(key="run_force").disabled
    assert at.selectbox(key="run_backend").options == ["local", "ray"]
    at.selectbox(key="run_backend").set_value("ray").run()
    ok(at)
    assert at.selectbox(key="run_address").options == ["ray://head.lab.example:10001", "ray://gpu.lab.example:10001"]
    assert not at.button(key="run_start").disabled
    at.selectbox(key="run_preset").set_value("full").run()
    ok(at)
    assert at.button(key="run_start").disabled
    assert any("larger than this server allows" in w.value.replace("\\", "") for w in at.warning)


def test_browsing_behind_sign_in_shows_only_the_sign_in(team):
    at = team(SIGNED_OUT, page=None, browse="sign-in")
    assert "Sign in to read this claims graph." in [i.value for i in at.info]
    assert "Hypotheses" not in all_text(at) and not at.dataframe
    assert at.button(key="auth_sign_in_page").label == "Sign in"
    at = team(BOB, page="runs", browse="sign-in")
    assert not at.get("button") or "run_start" not in [b.key for b in at.button]
    at = team(ADA, page=None, browse="sign-in")
    assert not at.info or "Sign in to read" not in at.info[0].value
    assert "balance" in all_text(at).lower()


def test_a_bad_settings_file_stops_the_app_with_one_line(team, tmp_path, monkeypatch):
    at = team(ADA)  # writes the settings; now break them
    (tmp_path / "claimgraph.toml").write_text("[runs]\nmax_queued = 'many'\n")
    ok(at.run())
    error = at.error[0].value.replace("\\", "")
    assert "claimgraph.toml:2: runs.max_queued" in error and "\n" not in error
    assert not [b for b in at.button if b.key == "run_start"]


def test_a_run_started_from_the_ui_carries_its_user_and_counts_against_the_queue(team):
    at = team(ADA)
    at.selectbox(key="run_job").set_value("sparse_parity").run()
    at.text_area(key="run_overrides").input(TINY).run()
    ok(at)
    at.button(key="run_start").click().run()
    ok(at)
    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    try:
        assert api.result(run_id).request["started_by"] == "ada@lab.example"
        assert api.status(run_id).started_by == "ada@lab.example"
        assert "started by ada@lab.example" in all_text(at).replace("\\", "")
        if not api.status(run_id).finished:  # max_queued = 1: a second one waits for this one
            at.query_params.clear()
            at.switch_page("views/runs.py").run()
            ok(at)
            assert at.button(key="run_start").disabled
            assert any("1 run(s) queued or running" in w.value.replace("\\", "") for w in at.warning)
    finally:
        api.cancel(run_id)


def test_a_reader_cannot_cancel_a_run(team):
    from repro.store import RunStore

    # a queued run recorded before started_by existed: it still loads, shown as unknown
    run_id = RunStore().create({"job": "sparse_parity", "preset": "smoke", "params": {}, "seed": 0, "key": "k", "backend": "local"})
    assert api.status(run_id).started_by is None
    at = team(BOB, run=run_id)
    assert at.button(key="cancel").disabled
    assert "started by unknown" in all_text(at).replace("\\", "")
    at = team(ADA, run=run_id)
    assert not at.button(key="cancel").disabled

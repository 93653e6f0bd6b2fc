"""ui.policy on its own: the settings file (one-line errors naming file:line) and who may do what."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui import policy
from ui.policy import Decision, SettingsError, User, check_request, load_settings, may_browse, may_run, user_from_claims

ROOT = Path(__file__).resolve().parents[2]
TEAM = """
[access]
browse = "open"
emails = ["ada@lab.example", "*@ops.lab.example"]
groups = ["ml-repro"]

[runs]
runners = ["local", "ray"]
ray_addresses = ["ray://head.lab.example:10001"]
max_preset = "smoke"
max_queued = 2
"""


def settings(tmp_path, text=TEAM):
    path = tmp_path / "claimgraph.toml"
    path.write_text(text)
    return load_settings(path)


def signed_in(email, **claims):
    return user_from_claims({"is_logged_in": True, "email": email, "email_verified": True, **claims})


def test_no_settings_file_is_local_mode_where_the_local_user_may_do_everything(monkeypatch, tmp_path):
    monkeypatch.delenv(policy.ENV, raising=False)
    monkeypatch.setattr(policy, "DEFAULT_PATH", tmp_path / "absent.toml")
    assert policy.settings_path() is None and load_settings() is None
    me = policy.local_user("ada")
    assert may_browse(None, me) and may_run(None, me)
    assert check_request(None, me, preset="full", backend="ray", address=None, active=50)
    assert policy.runner_choices(None) == ["local", "ray"]
    assert policy.address_choices(None, "ray://from-env:10001") == ["ray://from-env:10001"]


def test_the_settings_path_comes_from_the_environment_first(monkeypatch, tmp_path):
    monkeypatch.setenv(policy.ENV, str(tmp_path / "team.toml"))
    assert policy.settings_path() == tmp_path / "team.toml"
    with pytest.raises(SettingsError, match="team.toml: cannot read"):
        load_settings()  # named but missing: an error, never a silent fall back to local mode


def test_the_shipped_example_is_valid():
    s = load_settings(ROOT / "docs" / "team" / "claimgraph.example.toml")
    assert s is not None and s.access.browse == "open" and s.runs.max_preset == "smoke"


@pytest.mark.parametrize(
    "text,where,message",
    [
        ("[access]\nbrowse = open\n", ":2:", "not valid TOML"),
        ("[access]\nbrowse = 'everyone'\n", ":2:", "access.browse: Input should be 'open' or 'sign-in'"),
        ("[runs]\nrunners = ['local']\nmax_queued = -1\n", ":3:", "runs.max_queued: Input should be greater than or equal to 0"),
        ("[runs]\nmax_preset = 'huge'\n", ":2:", "runs.max_preset"),
        ("[runs]\nrunners = ['local', 'ray']\n", ":1:", "'ray' needs at least one entry in ray_addresses"),
        ("[access]\nemail = ['a@b.c']\n", ":2:", "access.email: Extra inputs are not permitted"),
        ("[access]\nemails = ['nobody']\n", ":1:", "'nobody' is neither an address nor '*@domain'"),
        ("# a typo\n[acess]\n", ":2:", "acess: Extra inputs are not permitted"),
        ("[runs]\nrunners = ['local']\n\n[access]\nbrowse = 'x'\n", ":5:", "access.browse"),
    ],
)
def test_a_bad_settings_file_is_one_line_naming_file_and_line(tmp_path, text, where, message):
    with pytest.raises(SettingsError) as exc:
        settings(tmp_path, text)
    line = str(exc.value)
    assert "\n" not in line and f"claimgraph.toml{where}" in line and message in line, line


def test_the_check_command_prints_one_line_and_fails_on_a_bad_file(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "claimgraph.toml"
    bad.write_text("[runs]\nmax_queued = 'many'\n")
    monkeypatch.setenv(policy.ENV, str(bad))
    assert policy.main() == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{bad}:2: runs.max_queued" in err
    bad.write_text(TEAM)
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here: nobody could sign in
    assert policy.main() == 0
    out = capsys.readouterr()
    assert "team mode" in out.out and "warning: nobody can sign in" in out.err


def test_signed_out_and_half_signed_in_claims_are_readers():
    assert not user_from_claims({}).signed_in
    assert not user_from_claims({"email": "test@example.com"}).signed_in  # no is_logged_in: not signed in
    assert not user_from_claims({"is_logged_in": "true", "email": "ada@lab.example"}).signed_in
    ada = signed_in("Ada@Lab.Example")
    assert ada.signed_in and ada.email == "ada@lab.example" and ada.name == "ada@lab.example"
    assert user_from_claims({"is_logged_in": True, "sub": "12345"}).name == "12345"


def test_the_allow_list_by_address_domain_and_group(tmp_path):
    s = settings(tmp_path)
    assert may_run(s, signed_in("ada@lab.example"))
    assert may_run(s, signed_in("eve@ops.lab.example"))  # '*@ops.lab.example'
    assert not may_run(s, signed_in("eve@evil-ops.lab.example.com"))
    assert not may_run(s, signed_in("mallory@ops-lab.example"))
    assert may_run(s, signed_in("bob@elsewhere.example", groups=["ml-repro", "x"]))
    assert may_run(s, signed_in("bob@elsewhere.example", groups="ml-repro"))  # a claim with one group
    refused = may_run(s, signed_in("bob@elsewhere.example", groups=["other"]))
    assert not refused and "bob@elsewhere.example is not on this server's allow-list" in refused.reason
    unverified = may_run(s, signed_in("ada@lab.example", email_verified=False))
    assert not unverified and "unverified" in unverified.reason
    assert may_run(s, User(name="", signed_in=False)).reason == "Sign in to start, cancel or re-run runs."


def test_browsing_open_or_behind_sign_in(tmp_path):
    open_ = settings(tmp_path)
    closed = settings(tmp_path, TEAM.replace('browse = "open"', 'browse = "sign-in"'))
    reader = User(name="", signed_in=False)
    assert may_browse(open_, reader)
    assert not may_browse(closed, reader) and "Sign in to read" in may_browse(closed, reader).reason
    assert not may_browse(closed, signed_in("stranger@gmail.example"))  # any account can sign in: not enough
    assert may_browse(closed, signed_in("ada@lab.example"))


def test_a_run_request_is_bounded_by_runner_address_preset_and_queue(tmp_path):
    s = settings(tmp_path)
    ada = signed_in("ada@lab.example")

    def check(**kw) -> Decision:
        return check_request(s, ada, **{"preset": "smoke", "backend": "local", "address": None, "active": 0, **kw})

    assert check() and check(backend="ray", address="ray://head.lab.example:10001")
    assert "not one of this server's" in check(backend="ray", address="ray://anywhere:10001").reason
    assert "not one of this server's" in check(backend="ray", address=None).reason
    assert "larger than this server allows" in check(preset="full").reason
    assert "larger than this server allows" in check(preset="custom").reason  # unknown size: refused
    assert check(active=1) and "2 run(s) queued or running" in check(active=2).reason
    assert check(count=2) and "0 run(s) queued or running and ask for 3 more" in check(count=3).reason  # max_queued is 2
    only_local = settings(tmp_path, "[runs]\nmax_preset = 'full'\n")
    assert check_request(only_local, ada, preset="full", backend="local", address=None, active=0).allowed is False  # ada not allowed there
    assert policy.runner_choices(only_local) == ["local"] and policy.address_choices(only_local, "x") == []
    assert not check_request(s, signed_in("bob@elsewhere.example"), preset="smoke", backend="local", address=None, active=0)

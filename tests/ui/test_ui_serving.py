"""How the UI is served: `make run` and the documented `streamlit run` line listen on loopback
unless told otherwise, and a team server whose browsing is open lets a signed-out reader read
(in Debian's Chromium, driven by Playwright) while the run controls stay shut.

The server is started with the exact command `make run` would run (`make -n run`), in team
mode (a settings file, browsing open)."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "corpus"
ERROR_BOXES = '[data-testid="stException"], [data-testid="stAlertContentError"]'
TEAM = """
[access]
browse = "open"
emails = ["ada@lab.example"]

[runs]
runners = ["local"]
max_preset = "smoke"
max_queued = 1
"""


def make_run_command(**variables: str) -> list[str]:
    """The server arguments of `make run` (`python -m ui.serve …`, printed, not run, by `make -n`)."""
    args = [f"{k}={v}" for k, v in variables.items()]
    printed = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = re.search(r"-m ui\.serve ([^;\n]*)", printed)
    assert line, printed
    return shlex.split(line.group(1))


def test_make_run_binds_loopback_unless_told_otherwise():
    assert "--server.address=127.0.0.1" in make_run_command()
    assert "--server.address=0.0.0.0" in make_run_command(HOST="0.0.0.0")


def test_the_documented_commands_bind_loopback_too():
    import tomllib

    for doc in ("README.md", "ui/README.md"):
        lines = [ln for ln in (ROOT / doc).read_text().splitlines() if "streamlit run" in ln]
        assert lines and all("--server.address=127.0.0.1" in ln for ln in lines), (doc, lines)
    # and a bare `streamlit run ui/app.py` from the repository root reads this
    assert tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["address"] == "127.0.0.1"


def listening_addresses(port: int) -> list[str]:
    """The local addresses of the sockets listening on this TCP port (Linux /proc/net)."""
    found = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            fields = row.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.append(decode_address(address, family))
    return found


def decode_address(hex_address: str, family: int) -> str:
    raw = bytes.fromhex(hex_address)
    raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))  # each 32-bit word is host-order
    return socket.inet_ntop(family, raw)


def test_the_proc_reader_tells_loopback_from_every_interface():
    assert decode_address("0100007F", socket.AF_INET) == "127.0.0.1"
    assert decode_address("00000000", socket.AF_INET) == "0.0.0.0"
    assert decode_address("00000000000000000000000001000000", socket.AF_INET6) == "::1"
    assert not ipaddress.ip_address("0.0.0.0").is_loopback


@contextlib.contextmanager
def serve(settings: str, tmp: Path, *extra: str, port: int | None = None):
    """`make run`'s streamlit command on a free port, in team mode with these settings."""
    (tmp / "claimgraph.toml").write_text(settings)
    port = port or free_port()
    env = {**os.environ, "KG_CORPUS": str(FIXTURE), "KG_RUNS_DIR": str(tmp / "runs"), "KG_SETTINGS": str(tmp / "claimgraph.toml"), "NO_PROXY": "127.0.0.1,localhost"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", *make_run_command(PORT=str(port)), "--server.fileWatcherType=none", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    proc.kill()
                    raise RuntimeError("streamlit did not come up:\n" + proc.stdout.read().decode(errors="replace")[-3000:]) from None
                time.sleep(0.2)
        yield port, url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def team_server(tmp_path_factory):
    with serve(TEAM, tmp_path_factory.mktemp("team")) as server:
        yield server


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")
def test_the_served_ui_listens_on_loopback_only(team_server):
    port, _ = team_server
    addresses = listening_addresses(port)
    assert addresses, f"nothing listens on {port}"
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses), addresses


@pytest.mark.browser
def test_a_signed_out_reader_can_browse_an_open_team_server(team_server):
    from playwright.sync_api import sync_playwright
    from test_ui_browser import CHROMIUM_FLAGS, chromium, settle

    _, url = team_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.goto(url + "/")
            settle(page)
            assert page.locator(ERROR_BOXES).count() == 0
            main = page.locator('[data-testid="stMain"]')
            assert main.get_by_text("transformers learn algorithms more general", exact=False).count() >= 1, main.inner_text()[:2000]
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert sidebar.get_by_role("button", name="Sign in").count() == 1
            page.goto(url + "/runs")
            settle(page)
            assert page.get_by_role("button", name="Start run").is_disabled()
            assert page.get_by_text("Sign in to start, cancel or re-run runs.").count() == 1
        finally:
            browser.close()


@pytest.mark.browser
def test_signing_in_through_an_openid_connect_issuer(tmp_path):
    """The whole sign-in: Streamlit's st.login against a local OpenID Connect issuer (real
    redirects, a signed ID token checked by Authlib, Streamlit's signed identity cookie), on a
    server whose browsing needs sign-in. Needs Authlib (the `team` extra, in `make test`'s venv)."""
    try:
        from oidc_issuer import Issuer
    except ModuleNotFoundError as exc:
        pytest.fail(f"the sign-in test needs Authlib and joserfc (pip install -e '.[team]'): {exc}")
    from playwright.sync_api import sync_playwright
    from test_ui_browser import CHROMIUM_FLAGS, chromium, settle

    ada = {"email": "ada@lab.example", "email_verified": True, "name": "Ada Lovelace", "sub": "ada-1"}
    with Issuer("claimgraph-test", "not-a-real-secret", ada) as issuer:
        port = free_port()
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a-cookie-secret-for-the-test-only-0123456789"\n'
            'client_id = "claimgraph-test"\n'
            'client_secret = "not-a-real-secret"\n'
            f'server_metadata_url = "{issuer.metadata_url}"\n'
        )
        settings = TEAM.replace('browse = "open"', 'browse = "sign-in"')
        with serve(settings, tmp_path, f"--secrets.files={secrets_file}", port=port) as (_, url), sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1360, "height": 900})
                page.goto(url + "/")
                page.get_by_text("Sign in to read this claims graph.").wait_for(timeout=60_000)
                assert page.get_by_text("transformers learn algorithms more general").count() == 0
                page.get_by_role("button", name="Sign in").first.click()
                page.get_by_text("Signed in as ada@lab.example").wait_for(timeout=60_000)
                settle(page)
                assert issuer.tokens_issued == 1
                assert page.get_by_text("transformers learn algorithms more general", exact=False).count() >= 1
                page.goto(url + "/runs")
                settle(page)
                assert page.get_by_role("button", name="Start run").is_enabled()
                page.get_by_role("button", name="Sign out").click()
                page.get_by_text("Sign in to read this claims graph.").wait_for(timeout=60_000)
            finally:
                browser.close()

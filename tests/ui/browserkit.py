"""The real app in a real browser, for the browser tests and the load test: `streamlit run
ui/app.py` as a subprocess, Debian's Chromium driven by Playwright (never `playwright install`),
and how to tell that a page has finished drawing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ERROR_BOXES = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def chromium() -> str:
    """Debian's Chromium; a test that needs it FAILS without it, unless KG_SKIP_BROWSER=1."""
    if os.environ.get("KG_SKIP_BROWSER") == "1":
        pytest.skip("KG_SKIP_BROWSER=1")
    for candidate in (os.environ.get("KG_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium not found: the browser test needs Debian's chromium (apt-get install -y chromium; `make test` installs it). Set KG_SKIP_BROWSER=1 to skip this test on purpose.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run ui/app.py` on a free port, over a corpus and a run store (and any other
    environment, e.g. KG_STORE=neo4j); up once its health check answers."""

    def __init__(self, corpus: Path, runs: Path, **env: str):
        self.port = free_port()
        environ = {**os.environ, "KG_CORPUS": str(corpus), "KG_RUNS_DIR": str(runs), **env}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "ui" / "app.py"),
                "--server.headless=true",
                f"--server.port={self.port}",
                "--server.address=127.0.0.1",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
            ],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1).status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("streamlit did not come up:\n" + self.proc.stdout.read().decode(errors="replace")[-3000:])

    def rss_mb(self) -> float:
        """The server process's resident memory now (psutil when installed, else /proc)."""
        try:
            import psutil

            return psutil.Process(self.proc.pid).memory_info().rss / 2**20
        except ImportError:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
            raise RuntimeError("no VmRSS in /proc") from None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def settle(page, graph: bool = False) -> None:
    """Wait until the script run is over (the app's 'running' indicator gone) and, for pages
    with a network, until the component's iframe has drawn."""
    page.wait_for_selector('[data-testid="stMain"] h1, [data-testid="stMain"] h3', timeout=60_000)
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') && !document.querySelector('[data-testid=\"stSkeleton\"]')",
        timeout=60_000,
    )
    if graph:
        page.wait_for_selector("iframe", timeout=30_000)
        page.wait_for_timeout(2500)  # the cose layout animates for half a second after load
    else:
        page.wait_for_timeout(800)

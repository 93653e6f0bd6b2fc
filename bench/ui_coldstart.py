"""Cold start of the web UI: from `streamlit run` to the first hypothesis cards in a real browser.

    python bench/ui_coldstart.py                 # the bundled corpus, 3 tries, `python -m ui.serve`
    python bench/ui_coldstart.py --launcher streamlit   # plain `streamlit run ui/app.py`
    taskset -c 0,1 python bench/ui_coldstart.py --corpus DIR --tries 5

Each try starts a fresh server (a new process: nothing cached), opens the overview in Debian's
Chromium (Playwright) and stops the clock when the first hypothesis card's "Balance" shows.
Also reports which heavy modules the server imported to draw the page (it must not import
torch, ray or the training stack). Target: under 5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), which a busy machine does not inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_try(browser, corpus: Path, launcher: str) -> tuple[float, float, float]:
    """(seconds to a healthy server, seconds to the first card, both from the process start;
    the server's CPU seconds by then)."""
    port = free_port()
    env = {**os.environ, "KG_CORPUS": str(corpus), "KG_RUNS_DIR": tempfile.mkdtemp(prefix="kg-cold-runs-"), "PYTHONPATH": str(ROOT)}
    start = ["-m", "ui.serve"] if launcher == "serve" else ["-m", "streamlit", "run", str(ROOT / "ui" / "app.py")]
    cmd = [sys.executable, *start, "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        healthy = time.perf_counter() - t0
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector('[data-testid="stMetric"]:has-text("Balance")', timeout=120_000)
        first_card = time.perf_counter() - t0
        cpu = cpu_seconds(proc.pid)
        page.close()
        return healthy, first_card, cpu
    finally:
        proc.terminate()
        proc.wait(10)


def heavy_imports(corpus: Path) -> list[str]:
    """The heavy modules a fresh process imports to draw the overview, the hypothesis and the runs page."""
    code = (
        "import sys\nfrom streamlit.testing.v1 import AppTest\n"
        "for page in ('views/overview.py', 'views/hypothesis.py', 'views/runs.py'):\n"
        "    at = AppTest.from_file('ui/app.py', default_timeout=120); at.switch_page(page); at.run()\n"
        "print(','.join(m for m in ('torch', 'ray', 'numpy.linalg', 'matplotlib', 'repro.jobs', 'repro.core', 'neo4j') if m in sys.modules))\n"
    )
    env = {**os.environ, "KG_CORPUS": str(corpus), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip().splitlines()
    return [m for m in (out[-1] if out else "").split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "claims")
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--launcher", choices=("serve", "streamlit"), default="serve", help="`python -m ui.serve` (make run) or plain `streamlit run ui/app.py`")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"launcher {args.launcher}; corpus {args.corpus}; affinity {len(os.sched_getaffinity(0))} cores; load {os.getloadavg()[0]:.2f}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=os.environ.get("KG_CHROMIUM", "/usr/bin/chromium"), args=FLAGS)
        rows = [one_try(browser, args.corpus, args.launcher) for _ in range(args.tries)]
        browser.close()
    for i, (h, c, cpu) in enumerate(rows, 1):
        print(f"try {i}: server healthy {h:.2f} s, first cards {c:.2f} s, server CPU by then {cpu:.2f} s")
    print(
        f"median first cards: {statistics.median(c for _, c, _ in rows):.2f} s (target < 5 s); median server CPU {statistics.median(cpu for *_, cpu in rows):.2f} s; load now {os.getloadavg()[0]:.2f}"
    )
    print("heavy modules imported to draw pages:", ", ".join(heavy_imports(args.corpus)) or "none")


if __name__ == "__main__":
    main()

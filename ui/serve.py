"""`python -m ui.serve [streamlit options]`: the web UI with the corpus loaded as the server
starts (`make run` uses it), so the first reader does not wait for the imports and the load.

A background thread imports what the pages need (pandas, Altair, kg) and fills the corpus cache
(`ui.data.load`, an `st.cache_resource` shared by every session) while Streamlit starts and the
browser fetches the app; a page that asks sooner waits on the same cache entry. Plain
`streamlit run ui/app.py` still works: it loads on the first page instead.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def warm() -> None:
    import altair  # noqa: F401 - the charts' import, paid before the first page asks for it

    from ui import data, findings, reading  # noqa: F401

    data.load()


def main(argv: list[str] | None = None) -> None:
    from streamlit.web import cli

    threading.Thread(target=warm, name="kg-warm", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()

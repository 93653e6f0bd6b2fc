"""Vega-Lite field definitions for the UI's charts, which are plain spec dicts for
st.vega_lite_chart (see ui.findings.forest_chart for why not Altair objects)."""

from __future__ import annotations

from typing import Any


def quantitative(name: str, **more: Any) -> dict[str, Any]:
    return {"field": name, "type": "quantitative", **more}


def nominal(name: str, **more: Any) -> dict[str, Any]:
    return {"field": name, "type": "nominal", **more}


def temporal(name: str, **more: Any) -> dict[str, Any]:
    return {"field": name, "type": "temporal", **more}

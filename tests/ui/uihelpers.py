"""Helpers for reading what an AppTest rendered."""

from __future__ import annotations

import json


def page_links(at) -> list[tuple[str, str, str]]:
    """(page url_path, label, query string) of every st.page_link on the page."""
    return [(e.proto.page, e.proto.label, e.proto.query_string) for e in at.get("page_link")]


def all_text(at) -> str:
    """Every piece of text the page renders, for 'is it there' checks."""
    parts = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "text", "code", "info", "warning", "error", "success", "metric"):
        for e in at.get(kind):
            parts.append(str(getattr(e, "value", "")))
            if kind == "metric":
                parts.append(e.label)
    parts += [e.proto.label for e in at.get("page_link")]
    return "\n".join(parts)


def component_args(at, key_suffix: str) -> dict:
    for e in at.get("component_instance"):
        if e.proto.id.endswith(key_suffix):
            return json.loads(e.proto.json_args)
    raise AssertionError(f"no component with key {key_suffix}")


def chart_frames(at) -> list:
    """Every dataset of every Altair/Vega-Lite chart on the page, as DataFrames (chart order)."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    def walk(node, out):
        out.append(node)
        for child in getattr(node, "children", {}).values():
            walk(child, out)
        return out

    charts = [e for e in walk(at.main, []) if getattr(e, "type", "") == "vega_lite_chart"]
    return [convert_arrow_bytes_to_pandas_df(d.data.data) for c in charts for d in c.proto.datasets]


def dataframe_with(at, column: str):
    """The first st.dataframe on the page that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)

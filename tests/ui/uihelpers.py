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

"""Curves from a run's metrics: pick the series a job names in its PLOT, draw them as ASCII
(for the terminal) or as a PNG (matplotlib, imported only when asked)."""

from __future__ import annotations

import math
from typing import Any, TypeGuard

MARKS = "*o+x#@%&"


def series(rows: list[dict], plot: dict | None) -> dict[str, list[tuple[float, float]]]:
    """{label: [(step, value), ...]} for the keys in plot['y'], split by plot['group']
    (e.g. the grokking arm), keeping rows that match plot['where']."""
    plot = plot or {}
    x, group, where = plot.get("x", "step"), plot.get("group"), plot.get("where", {})
    ys = plot.get("y") or sorted({k for r in rows for k, v in r.items() if k != x and isinstance(v, (int, float)) and not isinstance(v, bool)})
    out: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        step = r.get(x)
        if any(r.get(k) != v for k, v in where.items()) or not _number(step):  # a hand-edited row can hold anything
            continue
        for key in ys:
            v = r.get(key)
            if _number(v):
                label = f"{r.get(group)}:{key}" if group else key
                out.setdefault(label, []).append((float(step), float(v)))
    return out


def _number(v: Any) -> TypeGuard[float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def ascii_plot(curves: dict[str, list[tuple[float, float]]], width: int = 64, height: int = 14, title: str = "") -> str:
    pts = [p for c in curves.values() for p in c]
    if not pts:
        return "(no data to plot)"
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1
    grid = [[" "] * width for _ in range(height)]
    for i, pts_ in enumerate(curves.values()):
        for x, y in pts_:
            col = round((x - x0) / (x1 - x0) * (width - 1))
            row = height - 1 - round((y - y0) / (y1 - y0) * (height - 1))
            grid[row][col] = MARKS[i % len(MARKS)]
    lines = [title] if title else []
    for r, cells in enumerate(grid):
        label = f"{y1:9.3g} |" if r == 0 else f"{y0:9.3g} |" if r == height - 1 else " " * 10 + "|"
        lines.append(label + "".join(cells))
    lines.append(" " * 10 + "+" + "-" * width)
    lines.append(" " * 11 + f"{x0:<10g}" + " " * max(0, width - 20) + f"{x1:>10g}")
    lines.append("  ".join(f"{MARKS[i % len(MARKS)]} {label}" for i, label in enumerate(curves)))
    return "\n".join(lines)


def plot_groups(rows: list[dict], plot_spec: Any) -> list[tuple[str, dict]]:
    """A job's PLOT is one spec or a list of them (one panel each)."""
    specs = plot_spec if isinstance(plot_spec, list) else [plot_spec or {}]
    return [(s.get("title", ", ".join(s.get("y", [])) or "metrics"), series(rows, s)) for s in specs]


def save_png(rows: list[dict], plot_spec: Any, path: str, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = plot_groups(rows, plot_spec)
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 3.2 * len(panels)), squeeze=False)
    for ax, (name, curves) in zip(axes[:, 0], panels, strict=False):
        for label, pts in curves.items():
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=label, marker=".", markersize=3)
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

"""Inline SVG charts for the offline reports: no script, no font or stylesheet from anywhere.

Each chart is a plain ``<svg>`` element with its data as ``<title>`` tooltips, so a reader on an
offline intranet sees it in any browser and can still read the exact values.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

PALETTE = ("#1f5fa8", "#d0641b", "#17692b", "#8e3aa6", "#b00020", "#5b6770", "#b07800")


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[tuple[str, float | None], ...]  # (x label, y value); None = no value


def _esc(text: object) -> str:
    return html.escape(str(text))


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    y_max: float = 100.0,
    y_unit: str = "%",
    width: int = 900,
    height: int = 260,
) -> str:
    """A line chart of several series over shared x labels (e.g. days), y from 0 to ``y_max``."""
    xs = sorted({x for s in series for x, _ in s.points})
    if not xs:
        return f'<p class="muted">{_esc(title)}: 无数据 no data</p>'
    left, right, top, bottom = 48, 170, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(xs) - 1)
    pos = {x: left + i * step for i, x in enumerate(xs)}

    def y_of(value: float) -> float:
        return top + plot_h * (1 - min(max(value, 0.0), y_max) / y_max)

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}">',
        f"<title>{_esc(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="16" font-size="13" fill="#222">{_esc(title)}</text>',
    ]
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#dddddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="#555">{frac * y_max:g}{_esc(y_unit)}</text>'
        )
    every = max(1, len(xs) // 8)
    for i, x in enumerate(xs):
        last = i == len(xs) - 1
        if last or (i % every == 0 and len(xs) - 1 - i >= every / 2):
            parts.append(
                f'<text x="{pos[x]:.1f}" y="{top + plot_h + 16}" font-size="10" '
                f'text-anchor="middle" fill="#555">{_esc(x)}</text>'
            )
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        pts = [(pos[x], y_of(v), x, v) for x, v in s.points if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in pts)
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>'
            )
        for px, py, x, v in pts:
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}">'
                f"<title>{_esc(s.label)} {_esc(x)}: {v:.1f}{_esc(y_unit)}</title></circle>"
            )
        ly = top + 14 + n * 18
        parts.append(
            f'<rect x="{left + plot_w + 14}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{left + plot_w + 32}" y="{ly + 1}" font-size="11" fill="#222">'
            f"{_esc(s.label)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float, str]],
    *,
    unit: str = "",
    width: int = 900,
    bar_height: int = 18,
) -> str:
    """Horizontal bars: (label, value, colour); the longest bar spans the plot."""
    if not bars:
        return f'<p class="muted">{_esc(title)}: 无数据 no data</p>'
    left, right, top = 260, 80, 28
    plot_w = width - left - right
    height = top + len(bars) * (bar_height + 6) + 10
    top_value = max(v for _, v, _ in bars) or 1.0
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}">',
        f"<title>{_esc(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="16" font-size="13" fill="#222">{_esc(title)}</text>',
    ]
    for i, (label, value, colour) in enumerate(bars):
        y = top + i * (bar_height + 6)
        w = plot_w * value / top_value
        parts.append(
            f'<text x="{left - 8}" y="{y + bar_height - 5}" font-size="11" text-anchor="end" '
            f'fill="#222">{_esc(label)}</text>'
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{colour}">'
            f"<title>{_esc(label)}: {value:g}{_esc(unit)}</title></rect>"
            f'<text x="{left + w + 6:.1f}" y="{y + bar_height - 5}" font-size="11" '
            f'fill="#222">{value:g}{_esc(unit)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def heatmap(
    title: str,
    rows: Sequence[tuple[str, Sequence[tuple[str, float | None]]]],
    *,
    top: float = 24.0,
    unit: str = " h",
    cell: int = 9,
) -> str:
    """Entities (rows) by day (columns); colour from red (0) to green (``top``), grey = no row."""
    days = sorted({d for _, cells in rows for d, _ in cells})
    if not rows or not days:
        return f'<p class="muted">{_esc(title)}: 无数据 no data</p>'
    left, head = 190, 34
    width = max(left + cell * len(days) + 10, 760)  # room for the title
    height = head + cell * len(rows) + 8
    col = {d: left + i * cell for i, d in enumerate(days)}
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}">',
        f"<title>{_esc(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="16" font-size="13" fill="#222">{_esc(title)}</text>',
    ]
    if cell * len(days) < 160:  # too narrow for two labels
        parts.append(
            f'<text x="{left}" y="{head - 4}" font-size="10" fill="#555">'
            f"{_esc(days[0])} — {_esc(days[-1])}</text>"
        )
    else:
        parts.append(
            f'<text x="{left}" y="{head - 4}" font-size="10" fill="#555">{_esc(days[0])}</text>'
            f'<text x="{left + cell * len(days)}" y="{head - 4}" font-size="10" '
            f'text-anchor="end" fill="#555">{_esc(days[-1])}</text>'
        )
    for i, (label, cells) in enumerate(rows):
        y = head + i * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + cell - 1}" font-size="9" text-anchor="end" '
            f'fill="#222">{_esc(label)}</text>'
        )
        for day, value in cells:
            if value is None:
                fill = "#cccccc"
            else:
                share = min(max(value / top, 0.0), 1.0)
                fill = f"#{int(200 * (1 - share)) + 30:02x}{int(150 * share) + 60:02x}40"
            tip = f"{label} {day}: " + ("—" if value is None else f"{value:g}{unit}")
            parts.append(
                f'<rect x="{col[day]}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                f'fill="{fill}"><title>{_esc(tip)}</title></rect>'
            )
    parts.append("</svg>")
    return "\n".join(parts)

"""Server-rendered SVG bar charts: readable without JavaScript, printable, in the PDF too."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .figures import Table

BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 180
BAR_WIDTH = 380
VALUE_WIDTH = 110
MAX_BARS = 15


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    return None


def format_value(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def bar_chart(table: Table) -> SafeString:
    """Horizontal bars of the table's chart column (the first MAX_BARS rows), labelled with
    the row's first cell and its value; an empty string when there is nothing to draw."""
    if table.chart is None:
        return mark_safe("")
    points = []
    for row in table.rows[:MAX_BARS]:
        value = _number(row[table.chart])
        if value is not None:
            points.append((str(row[0]), value, format_value(row[table.chart])))
    if not points or max(v for _l, v, _t in points) <= 0:
        return mark_safe("")
    top = max(v for _l, v, _t in points)
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = len(points) * (BAR_HEIGHT + GAP) + GAP
    title = escape(f"{table.title} — {table.columns[table.chart]}")
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="{title}"><title>{title}</title>'
    ]
    for i, (label, value, text) in enumerate(points):
        y = GAP + i * (BAR_HEIGHT + GAP)
        bar = max(1.0, BAR_WIDTH * value / top) if value > 0 else 0
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 5}" text-anchor="end" '
            f'class="chart-label">{escape(short)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar:.1f}" height="{BAR_HEIGHT}" '
            f'class="chart-bar" fill="#2f6fdf">'
            f"<title>{escape(label)}: {escape(text)}</title></rect>"
            f'<text x="{LABEL_WIDTH + bar + 6:.1f}" y="{y + BAR_HEIGHT - 5}" '
            f'class="chart-value">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))

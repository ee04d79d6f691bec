"""Charts drawn on the server as SVG: horizontal bars and lines, no script and no inline style.

Colours, dashes and fonts come from classes styled in `portal/static/portal/insights.css`, so the
page's Content-Security-Policy (no inline styles or scripts) holds. Every chart is an image with a
<title> and <desc> (`role="img"`, labelled by both); each value also carries its own <title>, and the
page prints the same numbers in a table under the chart, which is the text alternative.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 360  # close to a phone's width in CSS pixels, so text stays legible when the chart shrinks
FONT = 13
BAR = 10
BAR_GAP = 3
LABEL_HEIGHT = 18
ROW_GAP = 8
VALUE_ROOM = 84  # room right of the longest bar for its value
LINE_HEIGHT = 200
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 26
MARGIN_BOTTOM = 24


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    variant: str = "current"  # a CSS modifier: current, previous, s1 ... s5


ValueText = Callable[[float | None], str]


def _text(value: object) -> str:
    return str(escape(str(value)))


def nice_ceiling(value: float) -> float:
    """A round number at or above `value` for the top of an axis (1, 2, 2.5, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value - 1e-12:
            return step * magnitude
    return 10 * magnitude


def _open(chart_id: str, title: str, description: str, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height:g}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{_text(title)}</title>',
        f'<desc id="{chart_id}-desc">{_text(description)}</desc>',
    ]


def _legend(series: Sequence[Series], y: float) -> list[str]:
    parts, x = [], 0.0
    for item in series:
        parts.append(
            f'<rect class="chart__swatch chart__swatch--{item.variant}" x="{x:g}" y="{y - 9:g}" '
            f'width="10" height="10" rx="2"/>'
            f'<text class="chart__legend" x="{x + 14:g}" y="{y:g}">{_text(item.label)}</text>'
        )
        x += 14 + 7 * len(item.label) + 16
    return parts


def _empty(chart_id: str, title: str, description: str) -> SafeString:
    parts = _open(chart_id, title, description, 48)
    parts.append(
        f'<text class="chart__empty" x="{WIDTH / 2:g}" y="28">{_text(_("No data for this period"))}</text>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_text: ValueText,
    maximum: float | None = None,
) -> SafeString:
    """Horizontal bars: a label line per category, then one bar per series (current above previous)."""
    values = [v for item in series for v in item.values if v is not None]
    if not categories or not any(values):
        return _empty(chart_id, title, description)
    top = maximum or max(values)
    legend = len(series) > 1
    row = LABEL_HEIGHT + len(series) * (BAR + BAR_GAP) + ROW_GAP
    offset = 22 if legend else 4
    height = offset + row * len(categories)
    parts = _open(chart_id, title, description, height)
    if legend:
        parts.extend(_legend(series, 12))
    span = WIDTH - VALUE_ROOM
    for index, category in enumerate(categories):
        y = offset + index * row
        parts.append(f'<text class="chart__label" x="0" y="{y + FONT:g}">{_text(category)}</text>')
        for position, item in enumerate(series):
            value = item.values[index]
            bar_y = y + LABEL_HEIGHT + position * (BAR + BAR_GAP)
            width = max(0.0, (value or 0) / top * span) if top else 0.0
            shown = value_text(value)
            parts.append(
                f"<g><title>{_text(item.label)}: {_text(shown)}</title>"
                f'<rect class="chart__bar chart__bar--{item.variant}" x="0" y="{bar_y:g}" '
                f'width="{width:.1f}" height="{BAR}" rx="2"/>'
                f'<text class="chart__value" x="{width + 4:.1f}" y="{bar_y + BAR - 1:g}">'
                f"{_text(shown)}</text></g>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    value_text: ValueText,
    maximum: float | None = None,
) -> SafeString:
    """Lines over time (the previous period dashed), a gridline at 0, half and the top of the axis."""
    values = [v for item in series for v in item.values if v is not None]
    if not x_labels or not values:
        return _empty(chart_id, title, description)
    top = maximum or nice_ceiling(max(values))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = LINE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    bottom = MARGIN_TOP + plot_h
    count = len(x_labels)

    def x_at(i: int) -> float:
        return MARGIN_LEFT + (plot_w / 2 if count == 1 else i * plot_w / (count - 1))

    def y_at(value: float) -> float:
        return bottom - (value / top * plot_h if top else 0)

    parts = _open(chart_id, title, description, LINE_HEIGHT)
    parts.extend(_legend(series, 12))
    for fraction in (0.0, 0.5, 1.0):
        y = y_at(top * fraction)
        parts.append(
            f'<line class="chart__grid" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="chart__axis" x="{MARGIN_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_text(value_text(top * fraction))}</text>"
        )
    shown = sorted({0, count // 2, count - 1})
    for i in shown:
        anchor = "start" if i == 0 and count > 1 else "end" if i == count - 1 and count > 1 else "middle"
        parts.append(
            f'<text class="chart__axis" x="{x_at(i):.1f}" y="{LINE_HEIGHT - 6}" text-anchor="{anchor}">'
            f"{_text(x_labels[i])}</text>"
        )
    for item in series:
        # A missing value (nothing to divide by) breaks the line rather than dropping to zero.
        run: list[str] = []
        runs: list[list[str]] = []
        for i, value in enumerate(item.values):
            if value is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{x_at(i):.1f},{y_at(value):.1f}")
        if run:
            runs.append(run)
        for points in runs:
            if len(points) > 1:
                parts.append(
                    f'<polyline class="chart__line chart__line--{item.variant}" points="{" ".join(points)}"/>'
                )
        for i, value in enumerate(item.values):
            if value is not None:
                parts.append(
                    f'<circle class="chart__dot chart__dot--{item.variant}" cx="{x_at(i):.1f}" '
                    f'cy="{y_at(value):.1f}" r="2.5"><title>{_text(item.label)}, {_text(x_labels[i])}: '
                    f"{_text(value_text(value))}</title></circle>"
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped

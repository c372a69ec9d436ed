"""Charts as inline SVG, drawn here from numbers the engine computed (no JavaScript, nothing fetched).

Every text is escaped; colours are classes of site.css or presentation attributes (never a
`style` attribute, which the site's Content-Security-Policy forbids). Each bar is a
`<rect class="bar …">` and each chart an `<svg class="chart" id=…>`, so a test can count them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup, escape


LABEL_W, BAR_W = 130, 360  # the bar charts' label column and longest bar, in px


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # the bar's length, in the chart's units
    text: str  # printed at the bar's end (62.5%, 3项)
    kind: str  # css class: light-red | light-yellow | light-green | overdue …
    href: str | None = None
    marker: float | None = None  # a tick across the bar (序时进度), in the same units
    title: str = ""


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, cls: str, anchor: str = "start") -> str:
    return f'<text x="{_num(x)}" y="{_num(y)}" class="{cls}" text-anchor="{anchor}">{escape(content)}</text>'


def bar_chart(chart_id: str, title: str, bars: list[Bar], *, maximum: float, unit_label: str = "", marker_label: str = "") -> Markup:
    """Horizontal bars, one per item, longest possible = `maximum`."""
    label_w, bar_w, right = LABEL_W, BAR_W, 64
    row_h, top = 22, 34
    width = label_w + bar_w + right
    height = top + row_h * max(len(bars), 1) + 28
    scale = bar_w / maximum if maximum > 0 else 0
    out = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    # grid lines at quarters of the maximum
    for i in range(5):
        x = label_w + bar_w * i / 4
        out.append(f'<line x1="{_num(x)}" y1="{top - 6}" x2="{_num(x)}" y2="{height - 24}" class="grid"/>')
        value = maximum * i / 4
        shown = f"{_num(value * 100)}%" if unit_label == "%" else _num(value)
        out.append(_text(x, height - 10, shown, "axis", "middle"))
    if not bars:
        out.append(_text(label_w + bar_w / 2, top + 14, "无", "label", "middle"))
    for i, bar in enumerate(bars):
        y = top + row_h * i
        length = max(bar.value * scale, 0)
        label = _text(label_w - 6, y + 14, bar.label, "label", "end")
        if bar.href:
            label = f'<a href="{escape(bar.href)}">{label}</a>'
        out.append(label)
        tip = f"<title>{escape(bar.title or (bar.label + ' ' + bar.text))}</title>"
        out.append(
            f'<rect class="bar {escape(bar.kind)}" x="{label_w}" y="{y + 3}" width="{_num(length)}" height="{row_h - 7}">{tip}</rect>'
        )
        if bar.marker is not None:
            mx = label_w + bar.marker * scale
            out.append(f'<line class="marker" x1="{_num(mx)}" y1="{y + 1}" x2="{_num(mx)}" y2="{y + row_h - 2}"/>')
        out.append(_text(label_w + length + 5, y + 14, bar.text, "value"))
    if marker_label:
        out.append(f'<line class="marker" x1="{label_w}" y1="12" x2="{label_w}" y2="24"/>')
        out.append(_text(label_w + 6, 22, marker_label, "legend"))
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class Point:
    day: dt.date
    closed: int  # 已销号 at the end of the day
    done: int  # 已销号 + 待审核销号


@dataclass(frozen=True)
class Deadline:
    day: dt.date
    label: str


def closing_chart(
    chart_id: str,
    title: str,
    points: list[Point],
    expected: list[tuple[dt.date, float]],
    deadlines: list[Deadline],
    *,
    total: int,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
) -> Markup:
    """Items closed over time (a step line per series) against the phases' deadlines and the
    items expected done by 序时进度; x from `start` to `end`, y from 0 to `total`."""
    left, right, top, bottom = 46, 16, 40, 46
    plot_w, plot_h = 1120, 260
    width, height = left + plot_w + right, top + plot_h + bottom
    span = max((end - start).days, 1)
    ymax = max(total, 1)

    def x(day: dt.date) -> float:
        return left + plot_w * min(max((day - start).days, 0), span) / span

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / ymax

    out = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect class="plot" x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/>',
    ]
    for i in range(5):
        value = ymax * i / 4
        out.append(f'<line class="grid" x1="{left}" y1="{_num(y(value))}" x2="{left + plot_w}" y2="{_num(y(value))}"/>')
        out.append(_text(left - 5, y(value) + 4, _num(round(value)), "axis", "end"))
    month = dt.date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            out.append(_text(x(month), top + plot_h + 16, f"{month.month}月", "axis", "middle"))
        month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    for i, d in enumerate(deadlines):
        dx = x(d.day)
        out.append(f'<line class="deadline" x1="{_num(dx)}" y1="{top}" x2="{_num(dx)}" y2="{top + plot_h}"/>')
        out.append(_text(dx - 3, top + 12 + 13 * (i % 2), d.label, "deadline-label", "end"))
    ax = x(as_of)
    out.append(f'<line class="today" x1="{_num(ax)}" y1="{top - 4}" x2="{_num(ax)}" y2="{top + plot_h}"/>')
    out.append(_text(ax, top - 8, f"截至{as_of.month}月{as_of.day}日", "today-label", "middle"))
    if expected:
        path = " ".join(f"{'M' if i == 0 else 'L'}{_num(x(d))},{_num(y(v))}" for i, (d, v) in enumerate(expected))
        out.append(f'<path class="series expected" d="{path}"/>')
    for cls, pick in (("done", lambda p: p.done), ("closed", lambda p: p.closed)):
        if not points:
            continue
        steps = [f"M{_num(x(points[0].day))},{_num(y(pick(points[0])))}"]
        for prev, p in zip(points, points[1:]):
            steps.append(f"H{_num(x(p.day))}V{_num(y(pick(p)))}")
        out.append(f'<path class="series {cls}" d="{"".join(steps)}"/>')
        last = points[-1]
        out.append(f'<circle class="dot {cls}" cx="{_num(x(last.day))}" cy="{_num(y(pick(last)))}" r="3"/>')
    legend = (("closed", "已销号"), ("done", "已完成（含待审核）"), ("expected", "按序时进度应完成"), ("deadline", "阶段截止"))
    lx = left
    for cls, label in legend:
        ly = height - 12
        out.append(f'<line class="legend-line legend-{cls}" x1="{lx}" y1="{ly - 4}" x2="{lx + 22}" y2="{ly - 4}"/>')
        out.append(_text(lx + 27, ly, label, "legend"))
        lx += 40 + 14 * len(label)
    out.append("</svg>")
    return Markup("".join(out))

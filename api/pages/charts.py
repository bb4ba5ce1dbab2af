"""Charts of the public pages as inline SVG, drawn on the server (issue 13.1): no script, no
build step. Each chart is an image with a title and a description a screen reader reads
(``role="img"``), text labels on every bar, and never colour alone — a flagged bar is
hatched and says so in words. The page gives the same figures in a table next to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH = 360  # the viewBox width, a phone's: the SVG scales to its container (site.css)
LEFT, RIGHT = 4, 4  # margins
PLOT = WIDTH - LEFT - RIGHT - 56  # the bars' full length (100 %); the rest is the value text
BAR, LABEL, GAP = 16, 18, 8  # a unit's bar height, its name line above it, space below
HALO = 'stroke="#ffffff" stroke-width="4" paint-order="stroke"'  # text legible over lines
NAME = 30  # characters of a unit's name in a chart (the table next to it has it whole)


@dataclass(frozen=True)
class ShareBar:
    """One unit's bar: its name, its late share (0–1) and whether it is flagged."""

    label: str
    share: Decimal
    flagged: bool


@dataclass(frozen=True)
class Series:
    """One series of the chart across months: its name, fill and how it is told apart
    without colour (a hatch pattern or none), and one value per month."""

    name: str
    colour: str
    values: Sequence[int]
    hatch: bool = False


def _percent(share: Decimal) -> str:
    return f"{share * 100:.1f} %".replace(".", ",")


def _head(chart_id: str, height: float, title: str, description: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:g}"'
            f' role="img" aria-labelledby="{chart_id}-t {chart_id}-d"'
            f' font-family="system-ui, sans-serif" font-size="13">'
            f'<title id="{chart_id}-t">{escape(title)}</title>'
            f'<desc id="{chart_id}-d">{escape(description)}</desc>')


def _short(name: str) -> str:
    return name if len(name) <= NAME else name[:NAME - 1].rstrip() + "…"


def _hatch(pattern_id: str, colour: str) -> str:
    return (f'<pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse"'
            f' patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/>'
            f'</pattern>')


def late_shares(bars: Sequence[ShareBar], threshold: Decimal, title: str,
                chart_id: str = "late-shares") -> Markup:
    """Điều 18.4: per unit, its name then a horizontal bar, its length its late share (the
    whole width: 100 %) followed by the share; a dashed line at the policy's ``threshold``;
    flagged units hatched in red, "vượt ngưỡng" after their name."""
    flagged = sum(1 for b in bars if b.flagged)
    top = 20  # room for the threshold's label
    height = top + len(bars) * (LABEL + BAR + GAP)
    x_threshold = LEFT + float(threshold) * PLOT
    parts = [_head(chart_id, height, title,
                   f"Tỷ lệ phản ánh quá hạn của {len(bars)} đơn vị; ngưỡng {_percent(threshold)}"
                   f" (đường nét đứt); {flagged} đơn vị vượt ngưỡng, tô sọc đỏ."),
             f"<defs>{_hatch(f'{chart_id}-late', '#b00020')}</defs>"]
    anchor = "end" if threshold > Decimal("0.7") else "start"  # the label stays inside
    parts.append(  # first: the names are written over it
        f'<line class="threshold" x1="{x_threshold:.2f}" y1="{top - 4}" x2="{x_threshold:.2f}"'
        f' y2="{height}" stroke="#1a1a1a" stroke-width="2" stroke-dasharray="6 4"/>'
        f'<text x="{x_threshold + (-4 if anchor == "end" else 4):.2f}" y="13"'
        f' text-anchor="{anchor}" fill="#1a1a1a">Ngưỡng {escape(_percent(threshold))}</text>')
    for i, bar in enumerate(bars):
        y = top + i * (LABEL + BAR + GAP)
        length = float(min(max(bar.share, Decimal(0)), Decimal(1))) * PLOT
        fill = f"url(#{chart_id}-late)" if bar.flagged else "#0b5394"
        mark = ('<tspan fill="#b00020" font-weight="700"> – vượt ngưỡng</tspan>'
                if bar.flagged else "")
        parts.append(
            f'<g class="bar{" flagged" if bar.flagged else ""}">'
            f'<text x="{LEFT}" y="{y + 13}" fill="#1a1a1a" {HALO}>{escape(_short(bar.label))}{mark}'
            f'</text><rect x="{LEFT}" y="{y + LABEL}" width="{length:.2f}" height="{BAR}"'
            f' fill="{fill}" stroke="#1a1a1a" stroke-width="0.5"/>'
            f'<text x="{LEFT + length + 4:.2f}" y="{y + LABEL + 12}" fill="#1a1a1a">'
            f'{escape(_percent(bar.share))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def across_months(months: Sequence[str], series: Sequence[Series], title: str,
                  chart_id: str = "months") -> Markup:
    """Seed 000 Điều 2.2.c: grouped vertical bars, one group per month (labelled ``months``,
    slanted), one bar per series, a scale on the left (0, half and the highest value), and a
    legend naming each series by its fill and hatch; the values are in the table."""
    legend, plot_height, axis, scale = 20 * len(series) + 6, 160, 46, 28
    top = legend + 10
    height = top + plot_height + axis
    highest = max([0, *(v for s in series for v in s.values)])
    group = (WIDTH - LEFT - RIGHT - scale) / max(len(months), 1)
    bar = group * 0.8 / max(len(series), 1)
    described = "; ".join(f"{s.name}: " + ", ".join(f"{m} {v}" for m, v in zip(
        months, s.values, strict=True)) for s in series)
    parts = [_head(chart_id, height, title, described), "<defs>"]
    fills = []
    for n, s in enumerate(series):
        if s.hatch:
            parts.append(_hatch(f"{chart_id}-s{n}", s.colour))
            fills.append(f"url(#{chart_id}-s{n})")
        else:
            fills.append(s.colour)
    parts.append("</defs>")
    for n, s in enumerate(series):  # the legend, one series a line
        line = 4 + n * 20
        parts.append(f'<rect x="{LEFT}" y="{line}" width="14" height="14" fill="{fills[n]}"'
                     f' stroke="#1a1a1a" stroke-width="0.5"/><text x="{LEFT + 20}"'
                     f' y="{line + 12}" fill="#1a1a1a">{escape(s.name)}</text>')
    base = top + plot_height
    for tick in sorted({0, highest // 2, highest}):  # the scale
        y = base - (tick / highest * plot_height if highest else 0)
        parts.append(f'<line x1="{LEFT + scale}" y1="{y:.2f}" x2="{WIDTH - RIGHT}" y2="{y:.2f}"'
                     f' stroke="{"#1a1a1a" if tick == 0 else "#d0d0d0"}"/>'
                     f'<text class="tick" x="{LEFT + scale - 4}" y="{y + 4:.2f}"'
                     f' text-anchor="end" font-size="11" fill="#1a1a1a">{tick}</text>')
    for m, month in enumerate(months):
        x0 = LEFT + scale + m * group + group * 0.1
        for n, s in enumerate(series):
            h = s.values[m] / highest * plot_height if highest else 0
            parts.append(
                f'<rect class="series-{n}" x="{x0 + n * bar:.2f}" y="{base - h:.2f}"'
                f' width="{bar:.2f}" height="{h:.2f}" fill="{fills[n]}" stroke="#1a1a1a"'
                f' stroke-width="0.5"/>')
        x = x0 + group * 0.4
        parts.append(f'<text x="{x:.2f}" y="{base + 12}" text-anchor="end" font-size="11"'
                     f' fill="#1a1a1a" transform="rotate(-45 {x:.2f} {base + 12})">'
                     f'{escape(month)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

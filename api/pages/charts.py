"""Charts of the public pages as inline SVG, drawn on the server (issue 13.1): no script, no
build step. Each chart is an image with a title and a description a screen reader reads
(``role="img"``), text labels on every bar, and never colour alone — a flagged bar is
hatched and says so in words. The page gives the same figures in a table next to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH = 640  # the viewBox width; the SVG scales to its container
LEFT, RIGHT = 8, 8  # margins
PLOT = WIDTH - LEFT - RIGHT - 96  # the bars' full length (100 %); the rest is the value text
BAR, LABEL, GAP = 18, 18, 10  # a unit's bar height, its label line above it, space below


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
            f' font-family="system-ui, sans-serif" font-size="14">'
            f'<title id="{chart_id}-t">{escape(title)}</title>'
            f'<desc id="{chart_id}-d">{escape(description)}</desc>')


def _hatch(pattern_id: str, colour: str) -> str:
    return (f'<pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse"'
            f' patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/>'
            f'</pattern>')


def late_shares(bars: Sequence[ShareBar], threshold: Decimal, title: str,
                chart_id: str = "late-shares") -> Markup:
    """Điều 18.4: a horizontal bar per unit, its length its late share (the whole width:
    100 %), a dashed line at the policy's ``threshold``; flagged units hatched in red, with
    "vượt ngưỡng" after their share."""
    flagged = sum(1 for b in bars if b.flagged)
    top = 22  # room for the threshold's label
    height = top + len(bars) * (LABEL + BAR + GAP) + 4
    x_threshold = LEFT + float(threshold) * PLOT
    parts = [_head(chart_id, height, title,
                   f"Tỷ lệ phản ánh quá hạn của {len(bars)} đơn vị; ngưỡng {_percent(threshold)}"
                   f" (đường nét đứt); {flagged} đơn vị vượt ngưỡng, tô sọc đỏ."),
             f"<defs>{_hatch(f'{chart_id}-late', '#b00020')}</defs>"]
    for i, bar in enumerate(bars):
        y = top + i * (LABEL + BAR + GAP)
        length = float(min(max(bar.share, Decimal(0)), Decimal(1))) * PLOT
        fill = f"url(#{chart_id}-late)" if bar.flagged else "#0b5394"
        value = _percent(bar.share) + (" – vượt ngưỡng" if bar.flagged else "")
        emphasis = 'fill="#b00020" font-weight="700"' if bar.flagged else 'fill="#1a1a1a"'
        parts.append(
            f'<g class="bar{" flagged" if bar.flagged else ""}">'
            f'<text x="{LEFT}" y="{y + 14}" fill="#1a1a1a">{escape(bar.label)}</text>'
            f'<rect x="{LEFT}" y="{y + LABEL}" width="{length:.2f}" height="{BAR}"'
            f' fill="{fill}" stroke="#1a1a1a" stroke-width="0.5"/>'
            f'<text x="{LEFT + length + 4:.2f}" y="{y + LABEL + 14}"'
            f' {emphasis}>{escape(value)}</text></g>')
    parts.append(
        f'<line class="threshold" x1="{x_threshold:.2f}" y1="{top - 4}" x2="{x_threshold:.2f}"'
        f' y2="{height}" stroke="#1a1a1a" stroke-width="2" stroke-dasharray="6 4"/>'
        f'<text x="{x_threshold + 4:.2f}" y="14" fill="#1a1a1a">'
        f'Ngưỡng {escape(_percent(threshold))}</text></svg>')
    return Markup("".join(parts))


def across_months(months: Sequence[str], series: Sequence[Series], title: str,
                  chart_id: str = "months") -> Markup:
    """Seed 000 Điều 2.2.c: grouped vertical bars, one group per month (labelled ``months``),
    one bar per series with its value above it, and a legend naming each series by its fill
    and hatch."""
    top, plot_height, axis = 44, 180, 36  # legend, bars, month labels
    height = top + plot_height + axis
    highest = max([1, *(v for s in series for v in s.values)])
    group = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
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
    for n, s in enumerate(series):  # the legend
        x = LEFT + n * 200
        parts.append(f'<rect x="{x}" y="6" width="16" height="16" fill="{fills[n]}"'
                     f' stroke="#1a1a1a" stroke-width="0.5"/>'
                     f'<text x="{x + 22}" y="19" fill="#1a1a1a">{escape(s.name)}</text>')
    base = top + plot_height
    for m, month in enumerate(months):
        x0 = LEFT + m * group + group * 0.1
        for n, s in enumerate(series):
            value = s.values[m]
            h = value / highest * (plot_height - 16)
            x = x0 + n * bar
            parts.append(
                f'<rect class="series-{n}" x="{x:.2f}" y="{base - h:.2f}" width="{bar:.2f}"'
                f' height="{h:.2f}" fill="{fills[n]}" stroke="#1a1a1a" stroke-width="0.5"/>'
                f'<text x="{x + bar / 2:.2f}" y="{base - h - 3:.2f}" text-anchor="middle"'
                f' font-size="10" fill="#1a1a1a">{value}</text>')
        parts.append(f'<text x="{x0 + group * 0.4:.2f}" y="{base + 16}" text-anchor="middle"'
                     f' font-size="11" fill="#1a1a1a">{escape(month)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}"'
                 f' stroke="#1a1a1a"/></svg>')
    return Markup("".join(parts))

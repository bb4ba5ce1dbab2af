"""The public pages' SVG charts (issue 13.1): bars proportional to the figures, the Điều 18.4
threshold where the policy puts it, flagged units marked otherwise than by colour, every text
escaped, and a title and description for screen readers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from api.pages.charts import LEFT, PLOT, Series, ShareBar, across_months, late_shares

SVG = "{http://www.w3.org/2000/svg}"


def _svg(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # well-formed XML, or this raises


def _bars(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if "bar" in g.get("class", "").split()]


@given(st.lists(st.decimals(min_value=0, max_value=1, places=4), min_size=1, max_size=8))
def test_late_share_bars_are_proportional_to_the_share_dieu_18_4(shares: list[Decimal]
                                                                  ) -> None:
    svg = _svg(late_shares([ShareBar(f"Đơn vị {i}", s, False) for i, s in enumerate(shares)],
                           Decimal("0.30"), "Tỷ lệ quá hạn"))
    widths = [float(g.find(f"{SVG}rect").get("width")) for g in _bars(svg)]
    assert widths == [round(float(s) * PLOT, 2) for s in shares]


@given(st.decimals(min_value=0, max_value=1, places=2))
def test_the_threshold_line_is_drawn_at_the_policy_threshold_dieu_18_4(threshold: Decimal
                                                                        ) -> None:
    svg = _svg(late_shares([ShareBar("Quận A", Decimal("0.5"), True)], threshold, "t"))
    (line,) = [e for e in svg.iter(f"{SVG}line") if e.get("class") == "threshold"]
    assert float(line.get("x1")) == float(line.get("x2")) == round(
        LEFT + float(threshold) * PLOT, 2)
    assert line.get("stroke-dasharray")  # dashed
    label = f"Ngưỡng {threshold * 100:.1f} %".replace(".", ",")
    assert label in [t.text for t in svg.iter(f"{SVG}text")]


def test_flagged_units_are_hatched_and_say_so_not_colour_alone_dieu_18_4() -> None:
    svg = _svg(late_shares([ShareBar("Quận A", Decimal("0.4"), True),
                            ShareBar("Quận B", Decimal("0.1"), False)], Decimal("0.3"), "t"))
    flagged, plain = _bars(svg)
    assert "flagged" in flagged.get("class") and "flagged" not in plain.get("class")
    assert flagged.find(f"{SVG}rect").get("fill").startswith("url(#")  # a hatch pattern
    assert plain.find(f"{SVG}rect").get("fill").startswith("#")
    texts = [["".join(t.itertext()) for t in g.iter(f"{SVG}text")] for g in (flagged, plain)]
    assert texts == [["Quận A – vượt ngưỡng", "40,0 %"], ["Quận B", "10,0 %"]]
    pattern_ids = {p.get("id") for p in svg.iter(f"{SVG}pattern")}
    assert flagged.find(f"{SVG}rect").get("fill") == f"url(#{pattern_ids.pop()})"


def test_charts_are_images_with_a_title_and_a_description() -> None:
    for svg in (_svg(late_shares([ShareBar("A", Decimal("0.4"), True)], Decimal("0.3"),
                                 "Tỷ lệ quá hạn", chart_id="x")),
                _svg(across_months(["03/2026"], [Series("Tiếp nhận", "#0b5394", [3])],
                                   "Theo tháng", chart_id="x"))):
        assert svg.get("role") == "img"
        assert svg.get("aria-labelledby") == "x-t x-d"
        assert svg.find(f"{SVG}title").get("id") == "x-t"
        assert svg.find(f"{SVG}desc").get("id") == "x-d" and svg.find(f"{SVG}desc").text


def test_long_names_are_shortened_in_the_chart_only() -> None:
    name = "Ủy ban nhân dân phường Tràng Tiền, quận Hoàn Kiếm"
    svg = _svg(late_shares([ShareBar(name, Decimal("0.1"), False)], Decimal("0.3"), "t"))
    shown = _bars(svg)[0].find(f"{SVG}text").text
    assert shown.endswith("…") and name.startswith(shown[:-1]) and len(shown) <= 30


def test_names_are_escaped() -> None:
    name = '<script>"x"</script> & Q'
    svg = late_shares([ShareBar(name, Decimal("0.4"), True)], Decimal("0.3"), "<b>t</b>")
    assert "<script>" not in svg and "<b>" not in svg
    parsed = _svg(svg)
    assert parsed.find(f"{SVG}title").text == "<b>t</b>"
    assert name in [t.text for t in parsed.iter(f"{SVG}text")]
    months = across_months(["<m>"], [Series("<s>", "#000000", [1])], "t")
    assert "<m>" not in months and "<s>" not in months
    assert {"<m>", "<s>"} <= {t.text for t in _svg(months).iter(f"{SVG}text")}


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=12))
def test_bars_across_months_are_proportional_and_labelled(values: list[tuple[int, int]]
                                                          ) -> None:
    months = [f"{m + 1:02d}/2026" for m in range(len(values))]
    received, resolved = [v for v, _ in values], [v for _, v in values]
    svg = _svg(across_months(months, [Series("Tiếp nhận", "#0b5394", received),
                                      Series("Đã xử lý", "#2e7d32", resolved, hatch=True)],
                             "Theo tháng"))
    heights = [[float(r.get("height")) for r in svg.iter(f"{SVG}rect")
                if r.get("class") == f"series-{n}"] for n in (0, 1)]
    tallest, highest = max(max(h) for h in heights), max(*received, *resolved)
    for drawn, series in zip(heights, (received, resolved), strict=True):
        assert len(drawn) == len(months)
        for height, value in zip(drawn, series, strict=True):  # proportional to the value
            assert abs(height - (value / highest * tallest if highest else 0)) < 0.01
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert all(m in texts for m in months) and {"Tiếp nhận", "Đã xử lý"} <= set(texts)

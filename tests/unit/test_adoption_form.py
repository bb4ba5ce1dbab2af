"""The adoption-progress form's totals roll up the unit tree (seed 003 annex: the district's
summary of its units' figures), whatever the tree and whoever entered."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import BUSINESS_TZ
from projections.adoption_progress import FIGURES, roll_up

DUE = datetime(2024, 7, 19, tzinfo=BUSINESS_TZ)


@st.composite
def trees(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Units depth first (each after its parent), some with an entry of the round."""
    rows: list[dict[str, Any]] = []

    def grow(parent: dict[str, Any] | None, depth: int) -> None:
        staff, residents = draw(st.integers(0, 80)), draw(st.integers(0, 5000))
        phones = draw(st.integers(0, residents))
        entered = draw(st.booleans())
        row = {"unit_id": uuid4(), "unit_name": "Đơn vị", "level": "commune",
               "parent_id": parent["unit_id"] if parent else None, "depth": depth,
               "staff_total": staff, "staff_installed": draw(st.integers(0, staff)),
               "residents_total": residents, "residents_with_smartphone": phones,
               "residents_installed": draw(st.integers(0, phones)),
               "first_entered_at": DUE if entered else None,
               "entered_at": DUE if entered else None,
               "on_time": draw(st.booleans()) if entered else None,
               "entries": draw(st.integers(1, 3)) if entered else 0}
        if not entered:
            row.update(dict.fromkeys(FIGURES))
        rows.append(row)
        if depth < 3:
            for _ in range(draw(st.integers(0, 3 - depth))):
                grow(row, depth + 1)

    for _ in range(draw(st.integers(1, 2))):
        grow(None, 0)
    return rows


def _subtree(rows: list[dict[str, Any]], unit: dict[str, Any]) -> list[dict[str, Any]]:
    below = {unit["unit_id"]}
    for row in rows:  # parents come first
        if row["parent_id"] in below:
            below.add(row["unit_id"])
    return [row for row in rows if row["unit_id"] in below]


@given(trees(), st.booleans())
def test_each_units_total_is_its_entry_and_those_of_every_unit_below_it_seed_003_annex(
        rows: list[dict[str, Any]], due_passed: bool) -> None:
    now = DUE + timedelta(hours=1 if due_passed else -1)
    form, totals = roll_up(rows, DUE, now, Decimal(1))
    assert [row["stt"] for row in form] == list(range(1, len(form) + 1))
    for row in form:
        subtree = _subtree(form, row)
        entered = [r["own"] for r in subtree if r["entered"]]
        assert {f: row["total"][f] for f in FIGURES} == {
            f: sum(own[f] for own in entered) for f in FIGURES}
        assert (row["total"]["units"], row["total"]["units_entered"],
                row["total"]["units_late"]) == (
            len(subtree), len(entered), sum(r["late"] for r in subtree))
        assert row["late"] == (not row["on_time"] if row["entered"] else due_passed)
        staff = row["total"]["staff_total"]
        assert row["total"]["staff_target_met"] == (
            row["total"]["staff_installed"] == staff if staff else None)
    roots = [row for row in form if row["depth"] == 0]
    assert {f: totals[f] for f in (*FIGURES, "units")} == {
        f: sum(row["total"][f] for row in roots) for f in (*FIGURES, "units")}


def test_a_share_is_rounded_to_4_decimals_and_none_over_nothing_seed_003_annex() -> None:
    row = {"unit_id": uuid4(), "unit_name": "UBND xã Tản Lĩnh", "level": "commune",
           "parent_id": None, "depth": 0, "staff_total": 3, "staff_installed": 2,
           "residents_total": 0, "residents_with_smartphone": 0, "residents_installed": 0,
           "first_entered_at": DUE, "entered_at": DUE, "on_time": True, "entries": 1}
    (unit,), _ = roll_up([row], DUE, DUE, Decimal("0.6"))
    assert unit["total"]["staff_installed_share"] == Decimal("0.6667")
    assert unit["total"]["residents_installed_share"] is None
    assert unit["total"]["staff_target_met"] is True  # 2/3 ≥ 60 %

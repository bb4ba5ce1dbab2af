"""Exports as CSV and XLSX (issue 13 item 2): the ranking (Điều 18.4), the statistics (seed 000
Điều 2.2.c), the periodic reports (Điều 18.3.b) and the audit trail (Điều 22) answer the
figures of their JSON twins, the XLSX with Vietnamese headers, a frozen header row and typed
cells; instants are ISO 8601 at +07:00."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from api.exports import AUDIT, PERIODIC, RANKING, STATISTICS, TOTAL, XLSX, Columns
from domain.actors import Actor, Role
from tests.integration.conftest import Api


def _csv(api: Api, path: str, headers: dict[str, str]) -> list[dict[str, str]]:
    answer = api.client.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def _xlsx(api: Api, path: str, headers: dict[str, str], columns: Columns
          ) -> list[dict[str, Any]]:
    """The sheet's rows by field, after checking its header and frozen pane."""
    answer = api.client.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [name for _, name in columns]
    return [dict(zip([key for key, _ in columns], row, strict=True)) for row in rows[1:]]


def _plain(value: Any) -> Any:
    """A value of either file or of the JSON, comparable: numbers as floats, booleans and the
    rest as text, empty as None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return round(float(value), 9)
    try:
        return round(float(value), 9)
    except ValueError:
        return str(value)


def _same(json_rows: list[dict[str, Any]], file_rows: list[dict[str, Any]],
          fields: list[str]) -> None:
    """The files' figures equal the JSON's, row by row (as text in CSV, numbers in XLSX)."""
    assert len(file_rows) == len(json_rows) > 0
    for expected, got in zip(json_rows, file_rows, strict=True):
        assert {f: _plain(got[f]) for f in fields} == {f: _plain(expected[f]) for f in fields}


def test_ranking_and_statistics_exports_equal_their_json_dieu_18_4(api: Api) -> None:
    w = api.world
    w.to_published(w.submit())
    w.submit()
    api.sync()
    for path, columns in (("/public/rankings", RANKING), ("/public/statistics", STATISTICS)):
        items = api.client.get(f"{path}?month=2026-03").json()["items"]
        fields = [key for key, _ in columns]
        _same(items, _csv(api, f"{path}.csv?month=2026-03", {}), fields)
        sheet = _xlsx(api, f"{path}.xlsx?month=2026-03", {}, columns)
        _same(items, sheet, fields)
        assert all(isinstance(r["received"], int) for r in sheet)
    ranking = _xlsx(api, "/public/rankings.xlsx?month=2026-03", {}, RANKING)
    assert all(isinstance(r["share_late"], int | float) for r in ranking)
    assert {r["flagged"] for r in ranking} <= {True, False}


def test_periodic_report_exports_equal_its_json_with_dates_and_totals_dieu_18_3_b(
        api: Api) -> None:
    w = api.world
    w.to_published(w.submit())
    api.sync()
    inspector = api.token(Actor(id="inspector-1", role=Role.INSPECTOR))
    report = api.client.get("/periodic-reports?period=2026-Q1", headers=inspector).json()
    expected = [*report["units"], {**report["totals"], "unit_id": None, "unit_name": TOTAL}]
    figures = [key for key, _ in PERIODIC if key not in ("first_day", "last_day", "unit_id")]
    rows = _csv(api, "/periodic-reports.csv?period=2026-Q1", inspector)
    _same(expected, rows, figures)
    assert rows[-1]["unit_id"] == "" and rows[0]["first_day"] == "2026-01-01"
    sheet = _xlsx(api, "/periodic-reports.xlsx?period=2026-Q1", inspector, PERIODIC)
    _same(expected, sheet, figures)
    assert sheet[0]["first_day"] == datetime(2026, 1, 1)
    assert sheet[0]["last_day"] == datetime(2026, 3, 31)
    # Scoped as the JSON: a unit head's file holds his unit and its totals only.
    own = _csv(api, "/periodic-reports.csv?period=2026", api.token(w.head))
    assert [r["unit_id"] for r in own] == [str(w.district), ""]
    assert api.client.get("/periodic-reports.xlsx?period=2026-Q7",
                          headers=inspector).status_code == 422


def test_audit_exports_print_iso_8601_instants_at_plus_seven_dieu_22(api: Api) -> None:
    """Before: the CSV printed PostgreSQL's text form, ``2026-03-02 09:00:00+07``."""
    w = api.world
    report_id = w.submit()
    w.to_handling(report_id, "normal")
    api.sync()
    head = api.token(w.head)
    trail = api.client.get(f"/audit?report_id={report_id}", headers=head).json()["items"]
    rows = _csv(api, f"/audit.csv?report_id={report_id}", head)
    assert [r["notification_id"] for r in rows] == [str(e["notification_id"]) for e in trail]
    assert rows[0]["at"] == "2026-03-02T09:00:00+07:00"
    assert [r["at"] for r in rows] == [e["at"] for e in trail]
    dues = [r["opened_due"] for r in rows if r["opened_due"]]
    assert dues and all(d.endswith("+07:00") and d[10] == "T" for d in dues)
    sheet = _xlsx(api, f"/audit.xlsx?report_id={report_id}", head, AUDIT)
    assert [r["notification_id"] for r in sheet] == [e["notification_id"] for e in trail]
    assert sheet[0]["at"] == datetime(2026, 3, 2, 9, 0)
    assert all(isinstance(r["at"], datetime) and isinstance(r["version"], int) for r in sheet)
    assert [r["event_type"] for r in sheet] == [e["event_type"] for e in trail]
    other = w.submit()
    api.sync()
    assert api.client.get(f"/audit.xlsx?report_id={other}",
                          headers=api.token(w.other_head)).status_code == 404

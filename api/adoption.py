"""The adoption-progress form over HTTP (seed 001 1.a, 1.c; seed 003 annex "BIỂU TỔNG HỢP TIẾN
ĐỘ CÀI ĐẶT, SỬ DỤNG ỨNG DỤNG iHANOI"): a unit's officers enter its figures for a round, and the
form of a round is read as JSON or as a workbook in the form's own layout.

Who reads: the staff of a unit its own part of the tree (its unit and the units below it),
the service centre, Home Affairs inspectors and administrators any unit (all of it by default).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from api import schemas as s
from api.access import is_city_wide
from api.auth import Caller, CheckedInThread, Principal, requires
from api.commands import Cmd
from api.consistency import etag
from api.exports import LOCAL, XLSX
from api.queries import AsOf, _json, reading
from api.responses import AdoptionForm
from application import commands as c
from application.services import NotFound
from domain.actors import Role
from domain.adoption import AdoptionProgress
from domain.policy import start_of
from projections import adoption_progress, unit_directory

reads = APIRouter(tags=["adoption"], route_class=CheckedInThread, dependencies=[Depends(requires(
    Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD, Role.INSPECTOR,
    Role.ADMINISTRATOR))])
router = APIRouter(tags=["adoption"])
Round = Annotated[int, Query(ge=1, le=1000, description="the round (lần) of the form: 1, 2, …")]
MODELS = ("adoption_progress", "unit_directory")


@router.post("/units/{unit_id}/adoption-progress", response_model=s.AdoptionEntered,
             dependencies=[Depends(requires(Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER,
                                            Role.UNIT_HEAD, Role.ADMINISTRATOR))])
def enter_adoption_figures(unit_id: UUID, body: s.AdoptionFiguresIn, cmd: Cmd) -> JSONResponse:
    """Seed 003 annex: the unit's figures for a round — its staff, and the residents of its
    own area; the unit's own officers and head, or an administrator. A later entry for the
    same round corrects the earlier one (both stay in the audit trail); an entry after the
    round's due is recorded as late."""
    result = cmd.send(c.EnterAdoptionFigures(unit_id, **body.model_dump()))
    progress = cmd.app.load(result.aggregate_id, AdoptionProgress, to_change=False)
    latest = progress.rounds[body.round][-1]
    answer = s.AdoptionEntered(
        id=result.aggregate_id, version=result.version, replayed=result.replayed,
        unit_id=unit_id, round=body.round, entry=latest["entry"], due=latest["due"],
        on_time=latest["on_time"])
    return JSONResponse(answer.model_dump(mode="json"),
                        status_code=201 if latest["entry"] == 1 and not result.replayed else 200,
                        headers={"ETag": etag(result.version)})


@reads.get("/adoption-progress", response_model=AdoptionForm)
def adoption_form(request: Request, caller: Caller, round: Round, unit_id: UUID | None = None,
                  as_of: AsOf = None) -> Response:
    """Seed 001, 003: the form of a round under ``unit_id`` (the caller's unit for a unit's
    staff; every root for the service centre, inspectors and administrators): one numbered
    row per active unit, depth first by name, with its own entry, its total with every unit
    below it, the shares, the staff target and whether it is met, and the late flags (entered
    after the round's due, or not entered and the due past)."""
    return _json(form_of(request, caller, round, unit_id, as_of))


def form_of(request: Request, caller: Principal, round_number: int, unit_id: UUID | None,
            as_of: datetime | None) -> dict[str, Any]:
    """The answer of ``/adoption-progress`` (and of its workbook), scoped as it."""
    app = request.app.state.runtime.app
    policy = app.policy()
    adoption, zone = policy.adoption, policy.calendar.timezone
    due = adoption.due(round_number, zone)
    at = as_of or app.now()
    with reading(request, as_of, *MODELS) as conn:
        root = _root(conn, caller, unit_id)
        rows, totals = adoption_progress.form(conn, root, round_number, due, at,
                                              adoption.staff_target)
    return {"round": round_number, "due": due,
            "rounds": [{"round": n, "due": adoption.due(n, zone)}
                       for n in range(1, len(adoption.rounds) + 1)],
            "staff_target": adoption.staff_target,
            "staff_target_due": start_of(adoption.staff_target_day, zone),
            "residents_target": adoption.residents_target,
            "residents_target_due": start_of(adoption.residents_target_day, zone),
            "unit_id": root, "at": at, "totals": totals, "units": rows}


def _root(conn: Any, caller: Principal, unit_id: UUID | None) -> UUID | None:
    """The unit the form starts at: any (or none: the whole tree) for the city-wide roles and
    administrators; for a unit's staff, their unit or one below it (another is a 404)."""
    if is_city_wide(caller) or caller.role == Role.ADMINISTRATOR:
        if unit_id is not None and unit_directory.unit(conn, unit_id) is None:
            raise NotFound(f"no unit {unit_id}")
        return unit_id
    if unit_id is None or unit_id == caller.unit_id:
        return caller.unit_id
    if caller.unit_id not in unit_directory.ancestors(conn, unit_id):
        raise NotFound(f"no unit {unit_id}")
    return unit_id


# ----------------------------------------------------------------- the workbook

TITLE = "BIỂU TỔNG HỢP TIẾN ĐỘ CÀI ĐẶT, SỬ DỤNG ỨNG DỤNG iHANOI (LẦN {round})"
#: The form's two header rows (rows 3 and 4 of the sheet) and their merged cells.
HEADER = (("STT", "Tên đơn vị", "Cài đặt cho cán bộ công chức, viên chức của cơ quan", None,
           "Cài đặt cho người dân", None, None, "Ghi chú"),
          (None, None, "Tổng số", "Đã cài đặt iHanoi", "Tổng số người dân trên địa bàn",
           "Số người dân có điện thoại thông minh", "Số người dân đã cài đặt iHanoi", None))
MERGED = ("A1:H1", "A2:H2", "A3:A4", "B3:B4", "C3:D3", "E3:G3", "H3:H4")
FIGURES = adoption_progress.FIGURES
TOTAL = "Tổng cộng"


@reads.get("/adoption-progress.xlsx", response_class=Response, responses={200: {
    "description": "Seed 003 annex: the form of a round as a workbook in the form's layout",
    "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
def adoption_form_xlsx(request: Request, caller: Caller, round: Round,
                       unit_id: UUID | None = None, as_of: AsOf = None) -> Response:
    """Seed 003 annex: ``/adoption-progress`` in the form's own layout — its title with the
    round, the due and targets, the two header rows (staff: total, installed; residents:
    total, with a smartphone, installed), one numbered row per unit with its total (it and
    the units below it; blank where none of them entered), a note (not entered, late,
    corrected, staff target not met) and the totals last; the header frozen."""
    form = form_of(request, caller, round, unit_id, as_of)
    return Response(_workbook(form), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="tien-do-cai-dat-ihanoi-lan-{round}.xlsx"'})


def _day(instant: datetime) -> str:
    return instant.astimezone(LOCAL).strftime("%d/%m/%Y")


def _percent(share: Any) -> str:
    return f"{float(share) * 100:g}%"


def _workbook(form: dict[str, Any]) -> bytes:
    """The form as an ordinary workbook in memory (its merged header cells need one; a row
    per unit, a few thousand at most), not the write-only one of :mod:`api.exports`."""
    book = Workbook()
    sheet = book.active
    sheet.title = f"Lần {form['round']}"
    bold, centre = Font(bold=True), Alignment(horizontal="center", vertical="center",
                                                wrap_text=True)
    sheet.append([TITLE.format(round=form["round"])])
    sheet.append([_subtitle(form)])
    for header in HEADER:
        sheet.append(header)
    for cells in MERGED:
        sheet.merge_cells(cells)
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A1"].alignment = sheet["A2"].alignment = centre
    thin = Side(style="thin")
    for row in sheet.iter_rows(min_row=3, max_row=4):
        for cell in row:
            cell.font, cell.alignment = bold, centre
            cell.border = Border(thin, thin, thin, thin)
    for unit in form["units"]:
        total = unit["total"]
        figures = [total[f] if total["units_entered"] else None for f in FIGURES]
        sheet.append([unit["stt"], unit["unit_name"], *figures, _note(unit)])
        sheet.cell(sheet.max_row, 2).alignment = Alignment(indent=unit["depth"])
    totals = form["totals"]
    sheet.append([None, TOTAL, *(totals[f] for f in FIGURES),
                  f"{totals['units_entered']}/{totals['units']} đơn vị đã báo cáo"])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.freeze_panes = "C5"
    for column, size in zip("ABCDEFGH", (6, 40, 14, 14, 16, 18, 16, 36), strict=True):
        sheet.column_dimensions[column].width = size
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _subtitle(form: dict[str, Any]) -> str:
    """The round's due, the targets and the instant the figures stand at."""
    return (f"Hạn báo cáo: trước ngày {_day(form['due'])}. Chỉ tiêu: "
            f"{_percent(form['staff_target'])} cán bộ, công chức, viên chức cài đặt trước ngày "
            f"{_day(form['staff_target_due'])}; {_percent(form['residents_target'])} người dân "
            f"có điện thoại thông minh cài đặt trước ngày "
            f"{_day(form['residents_target_due'])}. Số liệu đến "
            f"{form['at'].astimezone(LOCAL):%H:%M %d/%m/%Y}.")


def _note(unit: dict[str, Any]) -> str:
    """What the form's "Ghi chú" says of a unit: its own report's state, the units below it
    that reported, the staff target if not met."""
    notes = ["Chưa báo cáo" if not unit["entered"]
             else "Báo cáo muộn" if unit["late"] else "Đúng hạn"]
    if unit["entries"] > 1:
        notes.append(f"đã đính chính {unit['entries'] - 1} lần")
    total = unit["total"]
    if total["units"] > 1:
        notes.append(f"{total['units_entered']}/{total['units']} đơn vị đã báo cáo")
    if total["staff_target_met"] is False:
        notes.append("chưa đạt chỉ tiêu cán bộ")
    return "; ".join(notes)

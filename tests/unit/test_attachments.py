"""Attachments on the write side (Điều 5.2 media, Điều 12.2 evidence), in memory."""

from __future__ import annotations

import io
from datetime import datetime
from uuid import UUID

import pytest
from PIL import Image

from application.attachments import UnsupportedContent, check_content
from application.commands import RegisterReporter, SubmitReport
from application.services import IHanoi
from domain.actors import Actor, Role
from domain.attachment import Attachment
from domain.calendar import BUSINESS_TZ
from domain.errors import InvalidInput, NotPermitted

AT = datetime(2026, 3, 2, 9, 0, tzinfo=BUSINESS_TZ)
UNIT = UUID("00000000-0000-4000-8000-000000000001")


def _jpeg(gps: bool = True) -> bytes:
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 51.0, 9.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, "JPEG", exif=exif)
    return out.getvalue()


def _upload(by: Actor, **overrides: object) -> Attachment:
    fields: dict[str, object] = {"sha256": "a" * 64, "content_type": "image/jpeg",
                                 "size": 1000, "max_size": 2000, "public_sha256": "b" * 64,
                                 "thumbnail_sha256": None, "file_name": "anh.jpg"}
    fields.update(overrides)
    return Attachment.upload(by, AT, **fields)  # type: ignore[arg-type]


def test_inspectors_upload_nothing_dieu_22_24() -> None:
    with pytest.raises(NotPermitted):
        _upload(Actor("insp", Role.INSPECTOR, UNIT))


def test_an_attachment_is_an_image_or_a_pdf_within_the_policys_size_dieu_12_2() -> None:
    officer = Actor("o1", Role.HANDLING_OFFICER, UNIT)
    with pytest.raises(InvalidInput):
        _upload(officer, content_type="text/html")
    with pytest.raises(InvalidInput):
        _upload(officer, size=2001)
    assert _upload(officer, content_type="application/pdf").content_type == "application/pdf"


def test_the_uploader_or_his_unit_attaches_the_file_dieu_12_2() -> None:
    attachment = _upload(Actor("o1", Role.HANDLING_OFFICER, UNIT))
    assert attachment.may_be_attached_by(Actor("o1", Role.HANDLING_OFFICER, UNIT))
    assert attachment.may_be_attached_by(Actor("o2", Role.UNIT_HEAD, UNIT))
    assert not attachment.may_be_attached_by(Actor("o3", Role.UNIT_HEAD, UUID(int=7)))
    citizens = _upload(Actor("c1", Role.CITIZEN))
    assert not citizens.may_be_attached_by(Actor("c2", Role.CITIZEN))


def test_the_type_is_read_from_the_content_and_exif_is_left_out_of_the_public_copy() -> None:
    checked = check_content(io.BytesIO(_jpeg()))
    assert checked.content_type == "image/jpeg" and checked.original == _jpeg()
    assert not Image.open(io.BytesIO(checked.public)).getexif()
    assert checked.thumbnail is not None and checked.thumbnail_sha256 is not None
    pdf = check_content(io.BytesIO(b"%PDF-1.7\n%%EOF\n"))
    assert pdf.content_type == "application/pdf" and pdf.public == pdf.original
    for data in (b"GIF89a" + b"\x00" * 20, b"<html></html>", b"", b"\xff\xd8\xff\xe0broken"):
        with pytest.raises(UnsupportedContent):
            check_content(io.BytesIO(data))


def test_file_names_stay_accepted_in_process_and_ids_are_required_over_http_dieu_5_2() -> None:
    """Stored events that name files replay, and in-process callers may still name them; the
    HTTP API sends its commands with ``uploads_required``."""
    app = IHanoi(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=lambda: AT)
    from application.commands import CreateUnit

    admin = Actor("admin", Role.ADMINISTRATOR)
    city_id = app.handle(CreateUnit("Thành phố Hà Nội", "city", None), admin).aggregate_id
    reporter_id = app.handle(RegisterReporter("Phạm Thị Dung", phone="0912345678",
                                              email="dung@example.vn",
                                              national_id="001099012345")).aggregate_id
    citizen = app.citizen_actor(reporter_id)

    def submit(media: list[str], strict: bool) -> UUID:
        return app.handle(SubmitReport(
            reporter_id, kind="field", category="urban_order", text="Ổ gà ở Hàng Bài",
            latitude=21.02, longitude=105.85, address="12 Hàng Bài",
            receiving_unit_id=city_id, media=media), citizen,
            uploads_required=strict).aggregate_id

    assert submit(["anh.jpg"], strict=False)
    with pytest.raises(InvalidInput, match="Điều 5.2"):
        submit(["anh.jpg"], strict=True)
    mine = app.upload_attachment(io.BytesIO(_jpeg()), citizen, "anh.jpg").aggregate_id
    assert submit([str(mine)], strict=True)

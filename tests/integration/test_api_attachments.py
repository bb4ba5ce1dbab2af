"""Attachments over HTTP (Điều 5.2 media, Điều 12.2 evidence "tệp đính kèm (ảnh hoặc file)",
Điều 5.7 and 14.1 confidentiality and personal data)."""

from __future__ import annotations

import io
from typing import Any
from uuid import UUID

from PIL import Image

from application.attachments import MemoryStore, sha256
from application.commands import (
    AdoptPolicy,
    ApproveResult,
    Publish,
    RegisterReporter,
    SubmitReport,
    UpdateResult,
)
from domain.policy import DEFAULT_POLICY
from tests.integration.conftest import ADMIN, PHOTO_GPS, Api, World, photo

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _upload(api: Api, actor: object, data: bytes, name: str = "anh.jpg",
            content_type: str = "image/jpeg") -> object:
    return api.client.post("/attachments", files={"file": (name, data, content_type)},
                           headers=api.token(actor))  # type: ignore[arg-type]


def _gps(data: bytes) -> dict[int, object]:
    return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825))


def _published_with(w: World, evidence: str, **submit: object) -> UUID:
    """A report whose published result carries ``evidence`` (an attachment id)."""
    report_id = w.submit(**submit)
    w.to_handling(report_id)
    from application.commands import ProposeResult

    w.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà", [evidence]), w.officer)
    w.app.handle(ApproveResult(report_id), w.head)
    w.app.handle(UpdateResult(report_id, [evidence]), w.officer)
    w.app.handle(Publish(report_id), w.head)
    return report_id


def test_an_upload_answers_the_id_to_reference_dieu_12_2(api: Api) -> None:
    w = api.world
    answer = _upload(api, w.officer, photo())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["content_type"] == "image/jpeg" and body["has_thumbnail"] is True
    assert body["sha256"] == sha256(photo()) and body["size"] == len(photo())
    assert body["file_name"] == "anh.jpg" and body["uploaded_at"].endswith("+07:00")
    assert answer.headers["Location"] == f"/attachments/{body['id']}"
    pdf = _upload(api, w.citizen, PDF, "bien-ban.pdf", "application/pdf")
    assert pdf.status_code == 201 and pdf.json()["content_type"] == "application/pdf"
    assert pdf.json()["has_thumbnail"] is False


def test_the_type_is_checked_by_content_not_by_name_dieu_12_2(api: Api) -> None:
    """A text file sent as a JPEG, or an executable as a PDF, is refused (415)."""
    w = api.world
    for data, name, kind in [(b"not an image at all", "anh.jpg", "image/jpeg"),
                             (b"MZ\x90\x00" + b"\x00" * 200, "bien-ban.pdf", "application/pdf"),
                             (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.svg",
                              "image/svg+xml")]:
        refused = _upload(api, w.officer, data, name, kind)
        assert refused.status_code == 415, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert api.client.post("/attachments", json={"file": "x"},
                           headers=api.token(w.officer)).status_code == 415


def test_a_malformed_multipart_body_is_a_400_problem_not_a_500(api: Api) -> None:
    """A body that does not follow its own boundary is refused with a clear error."""
    w = api.world
    r = api.client.post("/attachments", content=b"--xyz\r\nnot a header line at all\r\n\r\n",
                        headers={**api.token(w.officer),
                                 "content-type": "multipart/form-data; boundary=xyz"})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_file_past_the_policys_limit_is_refused_413_dieu_12_2(api: Api) -> None:
    """The limit is policy data (``attachment_max_bytes``), not a constant."""
    w = api.world
    w.app.handle(AdoptPolicy(DEFAULT_POLICY.with_changes(version="2026-small",
                                                         attachment_max_bytes=4000)), ADMIN)
    w.app._policy_cache = None
    big = photo((1200, 900))
    assert len(big) > 4000
    refused = _upload(api, w.officer, big)
    assert refused.status_code == 413, refused.text
    assert refused.json()["rule"] == "Điều 12.2"
    small = photo((40, 30), gps=False)
    assert len(small) < 4000 and _upload(api, w.officer, small).status_code == 201


def test_a_result_needs_an_uploaded_evidence_file_dieu_12_2(api: Api) -> None:
    """Over HTTP the evidence is the id of a file the officer or his unit uploaded: a mere file
    name, an unknown id or another unit's upload is refused (422 citing Điều 12.2)."""
    w = api.world
    report_id = w.submit()
    w.to_handling(report_id)
    c, officer = api.client, api.token(w.officer)
    assert c.post(f"/reports/{report_id}/result", json={"text": "Đã vá xong ổ gà"},
                  headers=officer).status_code == 200
    assert c.post(f"/reports/{report_id}/result/approval",
                  headers=api.token(w.head)).status_code == 200
    others = w.attachment(w.other_head)
    for evidence in (["anh-sau.jpg"], ["0b6f2f1e-7c55-4a7e-9a39-1f3f9c1b7a11"], [others]):
        refused = c.post(f"/reports/{report_id}/result/update", json={"evidence": evidence},
                         headers=officer)
        assert refused.status_code == 422, refused.text
        assert refused.json()["rule"] == "Điều 12.2"
    mine = w.attachment(w.officer)
    by_my_unit = w.attachment(w.officer)
    done = c.post(f"/reports/{report_id}/result/update", json={"evidence": [mine, by_my_unit]},
                  headers=officer)
    assert done.status_code == 200, done.text


def test_a_citizen_attaches_only_his_own_uploads_dieu_5_2(api: Api) -> None:
    w = api.world
    body = {"kind": "field", "category": "traffic", "text": "Đèn tín hiệu hỏng ở Tràng Thi",
            "latitude": 21.027, "longitude": 105.846, "address": "Ngã tư Tràng Thi",
            "receiving_unit_id": str(w.district)}
    someone_elses = w.attachment(w.officer)
    refused = api.client.post("/reports", json={**body, "media": [someone_elses]},
                              headers=api.token(w.citizen))
    assert refused.status_code == 422 and refused.json()["rule"] == "Điều 5.2"
    mine = _upload(api, w.citizen, photo()).json()["id"]
    sent = api.client.post("/reports", json={**body, "media": [mine]},
                           headers=api.token(w.citizen))
    assert sent.status_code == 201, sent.text


def test_exif_location_is_stripped_from_public_copies_dieu_14_1(api: Api) -> None:
    """Staff read the original with the phone's GPS location; the public copy of the published
    result's evidence is re-encoded without EXIF, and so is its thumbnail."""
    w = api.world
    evidence = w.attachment(w.officer)
    _published_with(w, evidence)
    api.sync()
    original = api.client.get(f"/attachments/{evidence}", headers=api.token(w.head))
    assert original.status_code == 200 and original.headers["content-type"] == "image/jpeg"
    assert original.content == photo() and _gps(original.content) == PHOTO_GPS
    public = api.client.get(f"/public/attachments/{evidence}")
    assert public.status_code == 200 and public.headers["content-type"] == "image/jpeg"
    assert _gps(public.content) == {} and not Image.open(io.BytesIO(public.content)).getexif()
    assert Image.open(io.BytesIO(public.content)).size == (640, 480)
    thumbnail = api.client.get(f"/public/attachments/{evidence}/thumbnail")
    assert thumbnail.status_code == 200
    small = Image.open(io.BytesIO(thumbnail.content))
    assert max(small.size) <= 320 and not small.getexif()
    assert api.client.get(f"/attachments/{evidence}/thumbnail",
                          headers=api.token(w.officer)).status_code == 200


def test_files_of_confidential_reports_are_never_public_dieu_5_7(api: Api) -> None:
    w = api.world
    evidence = w.attachment(w.officer)
    _published_with(w, evidence, confidential=True)
    api.sync()
    assert api.client.get(f"/public/attachments/{evidence}").status_code == 404
    assert api.client.get(f"/public/attachments/{evidence}/thumbnail").status_code == 404
    assert api.client.get(f"/attachments/{evidence}",
                          headers=api.token(w.head)).status_code == 200


def test_a_file_is_public_only_once_its_report_is_published_dieu_12_3(api: Api) -> None:
    w = api.world
    media = w.attachment(w.citizen)
    report_id = w.app.handle(SubmitReport(
        w.reporter_id, kind="field", category="urban_order", text="Ổ gà lớn ở Hàng Bài",
        latitude=21.02, longitude=105.85, address="12 Hàng Bài", receiving_unit_id=w.district,
        media=[media])).aggregate_id
    api.sync()
    assert api.client.get(f"/public/attachments/{media}").status_code == 404
    # staff of the receiving unit read the citizen's photo; another district's head does not
    assert api.client.get(f"/attachments/{media}", headers=api.token(w.receiver)
                          ).status_code == 200
    assert api.client.get(f"/attachments/{media}", headers=api.token(w.other_head)
                          ).status_code == 404
    w.to_published(report_id)
    api.sync()
    assert api.client.get(f"/public/attachments/{media}").status_code == 200


def test_attachments_are_encrypted_at_rest_with_the_application_key(world: World) -> None:
    """The store below the application holds ciphertext only, under the plain bytes' SHA-256."""
    inner = world.app.attachment_store.inner  # type: ignore[attr-defined]
    assert isinstance(inner, MemoryStore)
    attachment_id = world.attachment(world.officer)
    attachment = world.app.attachment(UUID(attachment_id))
    stored = inner.get(attachment.sha256)
    assert attachment.sha256 == sha256(photo()) and stored != photo()
    assert b"Test Phone" not in stored and b"JFIF" not in stored
    assert world.app.attachment_store.get(attachment.sha256) == photo()


def test_file_names_stored_before_uploads_replay_and_reference_no_attachment_dieu_12_2(
        api: Api, conn: Any) -> None:
    """Reports whose events name files (recorded before uploads existed, or in process) keep
    their names; ``report_attachments`` holds only the ids of uploads."""
    w = api.world
    named = w.submit(media=["photo-1.jpg"])
    uploaded = w.attachment(w.citizen)
    with_id = w.submit(media=[uploaded])
    api.sync()
    rows = conn.execute("SELECT attachment_id, report_id, used_as FROM report_attachments"
                        ).fetchall()
    assert rows == [(UUID(uploaded), with_id, "media")]
    staff = api.client.get(f"/reports/{named}", headers=api.token(w.head)).json()
    assert staff["media"] == ["photo-1.jpg"]


def test_a_clarification_answer_carries_uploaded_files_dieu_13(api: Api, conn: Any) -> None:
    """The handling unit answers the reporter's question with files it uploaded (a
    file name, an unknown id or another unit's upload is a 422 citing Điều 13); staff and the
    reporter see their ids with the answer, and the reporter reads the originals — the answer
    is addressed to him. They are not public: the public timeline shows no answer."""
    w, c = api.world, api.client
    report_id = w.submit()
    w.to_published(report_id)
    asked = c.post(f"/reports/{report_id}/clarifications",
                   json={"question": "Vì sao chỉ vá một phần mặt đường?"},
                   headers=api.token(w.citizen))
    assert asked.status_code == 200, asked.text
    officer = api.token(w.officer)
    answer = "Phần còn lại thuộc dự án chống ngập, xem kế hoạch đính kèm"
    for evidence in (["ke-hoach.pdf"], ["0b6f2f1e-7c55-4a7e-9a39-1f3f9c1b7a11"],
                     [w.attachment(w.other_head)], [w.attachment(w.citizen)]):
        refused = c.post(f"/reports/{report_id}/clarifications/answer",
                         json={"answer": answer, "evidence": evidence}, headers=officer)
        assert refused.status_code == 422, refused.text
        assert refused.json()["rule"] == "Điều 13"
    mine = _upload(api, w.officer, PDF, "ke-hoach.pdf", "application/pdf").json()["id"]
    photo_of_mine = w.attachment(w.officer)
    answered = c.post(f"/reports/{report_id}/clarifications/answer",
                      json={"answer": answer, "evidence": [mine, photo_of_mine]}, headers=officer)
    assert answered.status_code == 200, answered.text
    api.sync()
    rows = conn.execute("SELECT attachment_id, used_as FROM report_attachments"
                        " WHERE report_id = %s AND used_as = 'clarification_answer'"
                        " ORDER BY attachment_id", (report_id,)).fetchall()
    assert rows == sorted([(UUID(mine), "clarification_answer"),
                           (UUID(photo_of_mine), "clarification_answer")])
    for who in (w.head, w.citizen):
        report = c.get(f"/reports/{report_id}", headers=api.token(who)).json()
        (clarification,) = report["clarifications"]
        assert clarification["answer"] == answer
        assert clarification["evidence"] == [mine, photo_of_mine]
        (step,) = [s for s in report["timeline"] if s["step"] == "clarification_answered"]
        assert step["texts"] == {"answer": answer, "evidence": [mine, photo_of_mine]}
    public = c.get(f"/public/reports/{report_id}/timeline")
    assert public.status_code == 200 and "clarification_answered" in public.text
    assert mine not in public.text and answer not in public.text
    assert c.get(f"/public/attachments/{photo_of_mine}").status_code == 404


def test_the_reporter_reads_the_files_of_the_answer_to_his_question_dieu_13(api: Api) -> None:
    """Only the files of the answer addressed to him: not those of another report's answer,
    nor another report's result evidence; another citizen reads none (404)."""
    w, c = api.world, api.client
    report_id = w.submit()
    w.to_published(report_id)
    c.post(f"/reports/{report_id}/clarifications", json={"question": "Khi nào xong?"},
           headers=api.token(w.citizen))
    sent = w.attachment(w.officer)
    answered = c.post(f"/reports/{report_id}/clarifications/answer",
                      json={"answer": "Trong tuần này", "evidence": [sent]},
                      headers=api.token(w.officer))
    assert answered.status_code == 200, answered.text
    unrelated = w.attachment(w.officer)
    _published_with(w, unrelated)
    other_id = w.app.handle(RegisterReporter("Ngô Văn Bình", phone="0987654321",
                                             email="binh@example.vn",
                                             national_id="001099054321")).aggregate_id
    other = w.app.citizen_actor(other_id)
    api.sync()
    original = c.get(f"/attachments/{sent}", headers=api.token(w.citizen))
    assert original.status_code == 200, original.text
    assert original.content == photo() and original.headers["cache-control"] == \
        "private, no-store"
    assert c.get(f"/attachments/{sent}/thumbnail",
                 headers=api.token(w.citizen)).status_code == 200
    assert c.get(f"/attachments/{unrelated}", headers=api.token(w.citizen)).status_code == 404
    assert c.get(f"/attachments/{sent}", headers=api.token(other)).status_code == 404
    assert c.get(f"/attachments/{sent}", headers=api.token(w.head)).status_code == 200

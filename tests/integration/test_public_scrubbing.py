"""Personal data masked before anything is public (Điều 4.4, 14.1; issue 12.2): a phone
number, an e-mail address or an ID number typed into a report, a result or a rating comment
is public only masked, before any moderator acts; the moderator still reads the original."""

from __future__ import annotations

import re

from application.commands import ApproveResult, ProposeResult, Publish, Rate, UpdateResult
from tests.integration.conftest import Api

SECRETS = ["0912 345 678", "dung.nguyen@example.vn", "001099012345", "0987.654.321",
           "+84 903 111 222"]
TEXT = ("Ổ gà trước số 12 Hàng Bài từ ngày 02/03/2026, gọi tôi 0912 345 678 hoặc "
        "dung.nguyen@example.vn, CCCD 001099012345")
RESULT = "Đã vá ổ gà, đã báo người phản ánh qua số 0987.654.321"
COMMENT = "Cảm ơn, có gì gọi +84 903 111 222"


def _leaks(text: str) -> list[str]:
    """The secrets in ``text``, as written or as bare digits."""
    digits = re.sub(r"\D", "", text)
    return [s for s in SECRETS if s in text
            or (len(re.sub(r"\D", "", s)) >= 9 and re.sub(r"\D", "", s) in digits)]


def test_personal_data_is_masked_on_every_public_surface_dieu_4_4_14_1(api: Api) -> None:
    w, c = api.world, api.client
    report_id = w.submit(text=TEXT)
    w.to_handling(report_id)
    w.app.handle(ProposeResult(report_id, RESULT, ["bien-ban.pdf"]), w.officer)
    w.app.handle(ApproveResult(report_id), w.head)
    w.app.handle(UpdateResult(report_id, ["anh-sau.jpg"]), w.officer)
    w.app.handle(Publish(report_id), w.head)
    w.app.handle(Rate(report_id, "satisfied", COMMENT), w.citizen)
    api.sync()
    public = ["/public/results", f"/public/results/{report_id}",
              "/open311/v2/requests.json", f"/open311/v2/requests/{report_id}.json",
              f"/public/reports/{report_id}/timeline"]
    for path in public:
        response = c.get(path)
        assert response.status_code == 200, (path, response.text)
        assert _leaks(response.text) == [], path
    shown = c.get(f"/public/results/{report_id}").json()
    assert shown["summary"] == ("Ổ gà trước số 12 Hàng Bài từ ngày 02/03/2026, gọi tôi "
                                "09******78 hoặc du*********@example.vn, CCCD 00********45")
    assert shown["result_text"] == "Đã vá ổ gà, đã báo người phản ánh qua số 09******21"
    assert shown["rating_comment"] == "Cảm ơn, có gì gọi +84*******22"
    (request,) = c.get(f"/open311/v2/requests/{report_id}.json").json()
    assert "09******78" in request["description"]
    # The report's moderator (the head of the unit responsible) reads the originals.
    staff = c.get(f"/reports/{report_id}", headers=api.token(w.head)).json()
    assert (staff["text"], staff["result_text"], staff["rating_comment"]) == (
        TEXT, RESULT, COMMENT)

"""Search (issue 13.3): Vietnamese, diacritic-insensitive, ranked full-text search over the
report's text, address and result — for staff within their scope (``GET /reports?q=``), for
the public over published results only (``GET /public/results?q=``), never personal data."""

from __future__ import annotations

from typing import Any

from ihanoi.simulation import Clock
from tests.integration.conftest import Api


def _ids(api: Api, path: str, who: Any = None) -> list[str]:
    response = api.client.get(path, headers=api.token(who) if who else {})
    assert response.status_code == 200, response.text
    return [row["report_id"] for row in response.json()["items"]]


def _all_pages(api: Api, path: str, who: Any = None, limit: int = 1) -> list[str]:
    """Every row of a ranked list, one page at a time (the rank cursor)."""
    ids: list[str] = []
    cursor = None
    while True:
        url = f"{path}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = api.client.get(url, headers=api.token(who) if who else {})
        assert response.status_code == 200, response.text
        answer = response.json()
        ids += [row["report_id"] for row in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            return ids


def test_search_is_diacritic_insensitive_duong_lang_finds_duong_lang(api: Api) -> None:
    w = api.world
    lang = w.submit(text="Đèn đường hỏng nhiều ngày", address="120 Đường Láng, Đống Đa")
    lang_too = w.submit(text="Rác thải tràn ra lòng đường", address="Ngõ 5 Láng Hạ")
    other = w.submit(text="Cây đổ chắn lối đi", address="3 Phố Huế, Hai Bà Trưng")
    api.sync()
    found = _ids(api, "/reports?q=duong lang", w.head)
    assert set(found) == {str(lang), str(lang_too)}
    # the best match first: "Đường Láng" as written, then a report with both words apart
    assert found[0] == str(lang)
    assert set(_ids(api, "/reports?q=ĐƯỜNG LÁNG", w.head)) == {str(lang), str(lang_too)}
    # "đ" and "d" match both ways; no word, no match
    assert _ids(api, "/reports?q=dong da", w.head) == [str(lang)]
    assert _ids(api, "/reports?q=đong đa", w.head) == [str(lang)]
    assert str(other) in _ids(api, "/reports?q=cay do", w.head)
    assert _ids(api, "/reports?q=duong xyz", w.head) == []
    # LIKE wildcards are plain characters
    assert _ids(api, "/reports?q=%25", w.head) == []
    # paging over the ranked order with its own cursor, which other orders refuse
    assert _all_pages(api, "/reports?q=duong lang", w.head) == found
    first = api.client.get("/reports?q=duong lang&limit=1", headers=api.token(w.head)).json()
    refused = api.client.get(f"/reports?cursor={first['next_cursor']}",
                             headers=api.token(w.head))
    assert refused.status_code == 422


def test_ho_guom_finds_ho_guom(api: Api, clock: Clock) -> None:
    w = api.world
    guom = w.submit(text="Lấn chiếm vỉa hè quanh Hồ Gươm", address="Đinh Tiên Hoàng, Hoàn Kiếm")
    w.submit(text="Nước thải chảy ra hồ Tây", address="Quảng An, Tây Hồ")
    w.to_published(guom)
    api.sync()
    assert _ids(api, "/reports?q=ho guom", w.head) == [str(guom)]
    assert _ids(api, "/public/results?q=ho guom") == [str(guom)]
    assert _ids(api, "/public/results?q=HỒ GƯƠM") == [str(guom)]
    # the result's text is searched too ("Đã vá xong ổ gà, mặt đường an toàn")
    assert _ids(api, "/public/results?q=va xong") == [str(guom)]
    # a rebuild copies the tables with their search indexes; an as-of reading (its own
    # schema alone on the search_path) finds the shared functions too
    api.projector.rebuild(["public_results", "report_status"])
    assert _ids(api, "/reports?q=ho guom", w.head) == [str(guom)]
    assert _ids(api, "/public/results?q=ho guom") == [str(guom)]
    then = clock.now.isoformat()
    clock.advance(minutes=1)
    past = api.client.get("/public/results", params={"q": "ho guom", "as_of": then},
                          headers=api.token(w.head))
    assert past.status_code == 200, past.text
    assert [r["report_id"] for r in past.json()["items"]] == [str(guom)]


def test_public_search_covers_published_results_only_and_no_personal_data(api: Api) -> None:
    w = api.world
    published = w.submit(text="Vỉa hè phố Tràng Tiền bị lún, gọi 0987654321",
                         address="Phố Tràng Tiền")
    pending = w.submit(text="Vỉa hè phố Tràng Tiền vỡ gạch", address="Phố Tràng Tiền")
    w.to_published(published)
    w.to_handling(pending)
    api.sync()
    assert _ids(api, "/public/results?q=trang tien") == [str(published)]
    assert set(_ids(api, "/reports?q=trang tien", w.head)) == {str(published), str(pending)}
    # the masked phone number is not searchable, nor the reporter's identity (registered
    # as Phạm Thị Dung, 0912345678, dung@example.vn, 001099012345)
    assert _ids(api, "/public/results?q=0987654321") == []
    for personal in ("Phạm Thị Dung", "pham thi dung", "0912345678", "dung@example.vn",
                     "001099012345"):
        assert _ids(api, f"/public/results?q={personal}") == []
        assert _ids(api, f"/reports?q={personal}", w.head) == []
    # filters still apply with q
    assert _ids(api, "/public/results?q=trang tien&kind=field") == [str(published)]
    assert _ids(api, "/public/results?q=trang tien&kind=capital_initiative") == []
    assert api.client.get("/public/results?q=%20").status_code == 422


def test_staff_search_stays_within_their_scope(api: Api) -> None:
    w = api.world
    ours = w.submit(text="Hố ga mất nắp ở phố Lý Thái Tổ", address="Lý Thái Tổ")
    theirs = w.submit(text="Hố ga mất nắp ở phố Kim Mã", address="Kim Mã, Ba Đình",
                      receiving_unit_id=w.other_district)
    api.sync()
    assert _ids(api, "/reports?q=ho ga", w.head) == [str(ours)]
    assert _ids(api, "/reports?q=ho ga", w.other_head) == [str(theirs)]
    assert _ids(api, "/reports?q=kim ma", w.head) == []
    assert set(_ids(api, "/reports?q=ho ga", w.centre_receiver)) == {str(ours), str(theirs)}
    # the public sees neither: nothing is published
    assert _ids(api, "/public/results?q=ho ga") == []

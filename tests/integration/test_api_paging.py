"""Cursor paging of the read API's lists (issue 5): walking a list page by page yields every
row exactly once, in the list's order, whatever the page size — including rows that tie on
the sort instant."""

from __future__ import annotations

from typing import Any

from application.commands import Accept
from tests.integration.conftest import Api, Clock


def _walk(api: Api, path: str, limit: int, headers: dict[str, str] | None = None,
          **query: str) -> list[list[dict[str, Any]]]:
    """Every page of ``path`` (with ``query``), following ``next_cursor`` to the end."""
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": limit, **query,
                                  **({"cursor": cursor} if cursor else {})}
        response = api.client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor"}
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(page["items"]) == limit


def test_paging_through_the_overdue_list_yields_every_late_stage_once_most_late_first_dieu_7_2_d(
        api: Api, clock: Clock) -> None:
    """Điều 7.2.d, 8.5: reception (8 working hours) and assignment (4) stages past their due
    instant, several due at the same instant, walked 2 and 3 at a time."""
    w = api.world
    inspector = api.token(w.staff("Trịnh Văn Quang", w.city, "inspector")[1])
    clock.set(2026, 3, 2, 8, 0)
    reports = [w.submit() for _ in range(3)]  # reception due Monday 17:00, all three
    clock.set(2026, 3, 2, 10, 0)
    reports += [w.submit() for _ in range(2)]  # due Tuesday 10:00
    for report_id in reports[3:]:
        w.app.handle(Accept(report_id), w.receiver)  # reception closed; assignment due 14:00
    reports.append(w.submit(receiving_unit_id=w.other_district))
    clock.set(2026, 3, 6, 9, 0)
    api.sync()

    [whole] = _walk(api, "/overdue", 500, inspector)
    assert sorted((r["report_id"], r["stage"]) for r in whole) == sorted(
        [(str(r), "reception") for r in reports[:3] + reports[5:]]
        + [(str(r), "assignment") for r in reports[3:5]])
    assert [(r["due"], r["report_id"], r["stage"]) for r in whole] == sorted(
        (r["due"], r["report_id"], r["stage"]) for r in whole)
    assert all(r["late"] > 0 for r in whole)
    for limit in (2, 3):
        pages = _walk(api, "/overdue", limit, inspector)
        assert [r for page in pages for r in page] == whole, limit
    own = _walk(api, "/overdue", 2, api.token(w.head))
    assert [r for page in own for r in page] == [r for r in whole
                                                 if r["unit_id"] == str(w.district)]


def test_paging_through_public_results_yields_every_published_result_once_newest_first_dieu_14_2(
        api: Api, clock: Clock) -> None:
    """Điều 14.2: published results, newest first; three published at the same instant."""
    w = api.world
    published = []
    for hour in (9, 11, 11, 11, 14):
        clock.set(2026, 3, 3, hour, 0)
        report_id = w.submit()
        w.to_published(report_id)
        published.append(str(report_id))
    api.sync()

    [whole] = _walk(api, "/public/results", 200)
    assert sorted(r["report_id"] for r in whole) == sorted(published)
    keys = [(r["published_at"], r["report_id"]) for r in whole]
    assert keys == sorted(keys, reverse=True)
    for limit in (1, 2):
        pages = _walk(api, "/public/results", limit)
        assert [r for page in pages for r in page] == whole, limit


def test_a_forged_cursor_or_an_oversized_page_is_a_422_problem(api: Api) -> None:
    inspector = api.token(api.world.staff("Trịnh Văn Quang", api.world.city, "inspector")[1])
    for params in ({"cursor": "not-a-cursor"}, {"cursor": "bm9wZQ=="}, {"limit": 501},
                   {"limit": 0}):
        response = api.client.get("/overdue", params=params, headers=inspector)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")


def test_public_results_sorted_oldest_first_page_through_every_result_once_dieu_14_2(
        api: Api, clock: Clock) -> None:
    """Điều 14.2: ``sort=published_at`` lists the same results, oldest first, ties included."""
    w = api.world
    for hour in (9, 11, 11, 14):
        clock.set(2026, 3, 3, hour, 0)
        w.to_published(w.submit())
    api.sync()

    [newest_first] = _walk(api, "/public/results", 200)
    for limit in (1, 3):
        pages = _walk(api, "/public/results", limit, sort="published_at")
        assert [r for page in pages for r in page] == newest_first[::-1], limit


def test_staff_list_sorted_by_last_change_or_oldest_first_pages_through_every_report_once(
        api: Api, clock: Clock) -> None:
    """The staff list (issue 5: sorting): by submission either way, or by last change."""
    w = api.world
    inspector = api.token(w.staff("Trịnh Văn Quang", w.city, "inspector")[1])
    reports = []
    for hour in (8, 9, 9, 10):
        clock.set(2026, 3, 2, hour, 30)
        reports.append(w.submit())
    clock.set(2026, 3, 2, 15, 0)
    w.app.handle(Accept(reports[0]), w.receiver)  # the oldest report changed last
    api.sync()

    [newest_first] = _walk(api, "/reports", 200, inspector)
    assert {r["report_id"] for r in newest_first} == {str(r) for r in reports}
    for limit in (1, 3):
        pages = _walk(api, "/reports", limit, inspector, sort="submitted_at")
        assert [r for page in pages for r in page] == newest_first[::-1], limit
        by_change = [r for page in _walk(api, "/reports", limit, inspector, sort="-updated_at")
                     for r in page]
        assert by_change[0]["report_id"] == str(reports[0])
        keys = [(r["updated_at"], r["report_id"]) for r in by_change]
        assert keys == sorted(keys, reverse=True) and len(keys) == len(reports)


def test_a_cursor_from_another_sort_order_or_an_unknown_sort_is_a_422_problem(
        api: Api, clock: Clock) -> None:
    w = api.world
    for _ in range(3):
        w.to_published(w.submit())
    api.sync()
    cursor = api.client.get("/public/results", params={"limit": 1}).json()["next_cursor"]
    for params in ({"cursor": cursor, "sort": "published_at"}, {"sort": "text"}):
        response = api.client.get("/public/results", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")


def test_a_cursor_of_one_list_or_order_is_refused_by_every_other_with_a_422_problem(
        api: Api, clock: Clock) -> None:
    """One cursor codec, bound to its list and order: a position in one list means nothing in
    another (nor in the same list sorted otherwise), so it is refused, never misread."""
    w = api.world
    inspector = api.token(w.staff("Trịnh Văn Quang", w.city, "inspector")[1])
    citizen = api.token(w.citizen)
    for _ in range(2):
        w.to_published(w.submit())
        w.submit()  # left in reception: overdue two days later
    clock.advance(days=2)
    api.sync()
    lists = {"public newest first": ("/public/results", {}, None),
             "public oldest first": ("/public/results", {"sort": "published_at"}, None),
             "staff newest first": ("/reports", {}, inspector),
             "staff by last change": ("/reports", {"sort": "-updated_at"}, inspector),
             "citizen's own": ("/me/reports", {}, citizen),
             "overdue": ("/overdue", {}, inspector)}
    cursors = {}
    for name, (path, params, headers) in lists.items():
        page = api.client.get(path, params={**params, "limit": 1}, headers=headers).json()
        assert page["next_cursor"], name
        cursors[name] = page["next_cursor"]
        follow = {**params, "limit": 1, "cursor": page["next_cursor"]}
        assert api.client.get(path, params=follow, headers=headers).status_code == 200, name
    for made_for, cursor in cursors.items():
        for name, (path, params, headers) in lists.items():
            if name == made_for:
                continue
            response = api.client.get(path, params={**params, "cursor": cursor},
                                      headers=headers)
            assert response.status_code == 422, (made_for, name)
            assert response.headers["content-type"].startswith("application/problem+json")

"""The public pages' answers kept while they stand (``api.read_cache``, issue 16): served
again only while the read models have not moved and, for the ranking, until a stage still
open turns late; never for a caller with a token."""

from __future__ import annotations

import psycopg

from tests.integration.conftest import Api, Clock


def _delete_behind_the_projector(api: Api, sql: str) -> None:
    """Change a read model without an event: what a kept answer would not see."""
    with psycopg.connect(api.projector.conninfo, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {api.projector.schema}")
        conn.execute(sql)


def _published(api: Api, *headers: dict[str, str]) -> list[str]:
    response = api.client.get("/public/results", headers=headers[0] if headers else None)
    assert response.status_code == 200, response.text
    return [r["report_id"] for r in response.json()["items"]]


def test_a_public_answer_is_reused_only_while_the_read_models_stand_dieu_14_2(
        api: Api, clock: Clock) -> None:
    w = api.world
    first = w.submit()
    w.to_published(first)
    api.sync()
    assert _published(api) == [str(first)]
    assert api.client.get(f"/public/results/{first}").status_code == 200

    _delete_behind_the_projector(api, "DELETE FROM public_results")
    assert _published(api) == [str(first)]  # the kept answer: no event was applied since
    assert api.client.get(f"/public/results/{first}").status_code == 200
    assert _published(api, api.token(w.citizen)) == []  # with a token: read anew

    clock.set(2026, 3, 3, 9, 0)
    second = w.submit()
    w.to_published(second)
    api.sync()  # the read models move: every kept answer is stale
    assert _published(api) == [str(second)]
    assert api.client.get(f"/public/results/{first}").status_code == 404


def test_the_kept_ranking_is_not_reused_once_an_open_stage_turns_late_dieu_18_4(
        api: Api, clock: Clock) -> None:
    """Monday 09:00: a report's reception is due on Tuesday at 09:00 (8 working hours); at
    10:00 the report is late, with no event in between."""
    w = api.world
    w.submit()
    api.sync()

    def late() -> list[int]:
        response = api.client.get("/public/rankings?month=2026-03")
        assert response.status_code == 200, response.text
        return [r["reports_late"] for r in response.json()["items"]]

    assert late() == [0]
    clock.set(2026, 3, 3, 8, 30)
    assert late() == [0]
    clock.set(2026, 3, 3, 10, 0)
    assert late() == [1]

"""The write side through the IHanoi application service on PostgreSQL: races between
processes and the events as stored (the rest runs in memory: tests/unit/test_report_service.py).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from application.commands import Accept, ApproveResult, Classify, ProposeResult, ReturnResult
from application.services import CommandResult, ConflictError, IHanoi
from domain.report import Report
from domain.reporter import Reporter
from tests.integration.conftest import Clock, World

RESULT = "Đã vá xong ổ gà, mặt đường an toàn"


def events(app: IHanoi, aggregate_id: UUID) -> list[Any]:
    return list(app.events.get(aggregate_id))


def names(app: IHanoi, aggregate_id: UUID) -> list[str]:
    return [type(e).__name__ for e in events(app, aggregate_id)]


# --------------------------------------------------------------------------- concurrency


def race(es_env: dict[str, str], instant: datetime,
         commands: list[Callable[[IHanoi], CommandResult]]) -> list[Any]:
    """Run two commands at once, each through its own application instance; the clock, read
    once per command after the report is loaded, makes both load before either saves."""
    barrier = threading.Barrier(len(commands))

    def clock() -> datetime:
        barrier.wait(timeout=10)
        return instant

    apps = [IHanoi(env=es_env, clock=clock) for _ in commands]
    outcomes: list[Any] = [None] * len(commands)

    def run(i: int) -> None:
        try:
            outcomes[i] = commands[i](apps[i])
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for app in apps:
        app.close()
    return outcomes


def test_two_heads_deciding_on_one_result_at_once_one_wins_the_other_conflicts_dieu_12_1(
        world: World, clock: Clock, es_env: dict[str, str]) -> None:
    _, deputy = world.staff("Ngô Thị Mai", world.district, "unit_head")
    report_id = world.submit()
    world.to_handling(report_id)
    world.app.handle(ProposeResult(report_id, RESULT, ["bien-ban.pdf"]), world.officer)
    outcomes = race(es_env, clock.now, [
        lambda app: app.handle(ApproveResult(report_id), world.head),
        lambda app: app.handle(ReturnResult(report_id, "Thiếu ảnh sau khi vá"), deputy),
    ])
    wins = [o for o in outcomes if isinstance(o, CommandResult)]
    assert len(wins) == 1 and wins[0].version == 6
    assert [type(o) for o in outcomes if not isinstance(o, CommandResult)] == [ConflictError]
    stored = names(world.app, report_id)
    assert len(stored) == 6 and stored[-1] in {"ResultApproved", "ResultReturned"}
    expected = "approved" if stored[-1] == "ResultApproved" else "in_rework"
    assert world.app.load(report_id, Report).status == expected


def test_two_classifications_at_once_exactly_one_is_recorded_dieu_8_4(
        world: World, clock: Clock, es_env: dict[str, str]) -> None:
    report_id = world.submit()
    world.app.handle(Accept(report_id), world.receiver)
    outcomes = race(es_env, clock.now, [
        lambda app: app.handle(Classify(report_id, "urgent"), world.head),
        lambda app: app.handle(Classify(report_id, "complex"), world.head),
    ])
    assert sorted(type(o).__name__ for o in outcomes) == ["CommandResult", "ConflictError"]
    assert names(world.app, report_id) == ["Submitted", "Accepted", "Classified"]
    winner = ["urgent", "complex"][[type(o) for o in outcomes].index(CommandResult)]
    assert world.app.load(report_id, Report).urgency == winner


# --------------------------------------------------------------------------- personal data at rest


def test_stored_events_hold_no_plaintext_personal_data_dieu_4_4_14_1(
        world: World, database_url: str, fresh_schema: str) -> None:
    report_id = world.submit(confidential=True)
    world.to_published(report_id)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(sql.SQL("SELECT topic, state FROM {}.ihanoi_events").format(
            sql.Identifier(fresh_schema))).fetchall()
    states = [bytes(state) for _, state in rows]
    assert len(states) >= 22  # 7 units, 7 officers, the reporter, the report's 7 events
    personal = ["Phạm Thị Dung", "0912345678", "dung@example.vn", "001099012345"]
    for value in personal:
        for encoded in (value.encode(), value.encode("unicode_escape")):
            assert not any(encoded in state for state in states), value
            assert not any(encoded in topic.encode() for topic, _ in rows), value
    for state in states:  # encrypted, not merely compressed
        with pytest.raises(zlib.error):
            zlib.decompress(state)
    assert world.app.load(world.reporter_id, Reporter).identity["national_id"] == "001099012345"
    assert world.app.load(report_id, Report).reporter["email"] == "dung@example.vn"

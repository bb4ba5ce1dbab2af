"""The read side's position (issue 11 item 4, read your own writes): the projector moves its
tracking rows over events no read model handles, announces each move in process and by NOTIFY,
and :class:`ReadPosition` waits, bounded, for a position."""

from __future__ import annotations

import asyncio
import threading

import psycopg
from psycopg import sql

from application.services import IHanoi
from domain.report import Report
from projections.consistency import ReadPosition
from projections.engine import Projector, advance_channel
from tests.integration.conftest import World


def test_the_read_models_reach_the_position_of_an_event_none_of_them_handles(
        world: World, projector: Projector) -> None:
    """A command with an idempotency key records its receipt last; no read model handles
    receipts, yet after one batch every model stands at the command's position."""
    report_id = world.submit(command_id="citizen:once")
    position = world.app.recorder.max_notification_id()
    assert world.app.load(report_id, Report).version == 1
    seen: list[int] = []
    projector.on_advance.append(seen.append)
    projector.catch_up()
    with projector.connect() as conn:
        assert set(projector.positions(conn).values()) == {position}
    assert seen[-1] == position


def test_a_batch_is_announced_by_notify_to_other_processes(
        world: World, projector: Projector) -> None:
    world.submit()
    with psycopg.connect(projector.conninfo, autocommit=True) as listener:
        listener.execute(sql.SQL("LISTEN {}").format(
            sql.Identifier(advance_channel(projector.schema))))
        projector.catch_up()
        assert list(listener.notifies(timeout=5, stop_after=1))


def test_a_wait_ends_when_the_projector_reaches_the_position_else_times_out(
        app: IHanoi, world: World, projector: Projector) -> None:
    """The waiter wakes on the projector's progress (a runner in another thread here), and
    gives up after its timeout on a position the store never reaches."""
    projector.catch_up()
    reads = ReadPosition(projector, recheck=60)  # only the projector's own signal wakes it
    world.submit()
    wanted = app.recorder.max_notification_id() or 0
    stop = threading.Event()
    runner = threading.Thread(target=projector.run_forever, args=(stop,), daemon=True)

    async def scenario() -> tuple[bool, bool]:
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, runner.start)
        reached = await reads.wait_for(wanted, timeout=10)
        beyond = await reads.wait_for(wanted + 1000, timeout=0.2)
        return reached, beyond

    try:
        assert asyncio.run(scenario()) == (True, False)
        assert reads.known >= wanted
    finally:
        stop.set()
        runner.join(timeout=10)
        reads.close()

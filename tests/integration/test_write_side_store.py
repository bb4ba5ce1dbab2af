"""The write side's store access: the unit directory kept per process follows changes made by
any process (Điều 25, 28.1), and an append still wakes the listeners of the event store."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from application.services import IHanoi, NotFound
from domain.errors import InvalidState
from domain.report import Report
from tests.integration.conftest import ADMIN, Clock, World


@pytest.fixture
def other_process(es_env: dict[str, str], clock: Clock, world: World) -> Iterator[IHanoi]:
    """A second application on the same event store, with caches of its own."""
    other = IHanoi(env=es_env, clock=clock)
    yield other
    other.close()


def test_an_officer_transferred_elsewhere_acts_for_his_new_unit_dieu_25(
        world: World, other_process: IHanoi) -> None:
    app = world.app
    assert app.officer_actor(world.officer_id).unit_id == world.division  # now cached
    other_process.transfer_officer(ADMIN, world.officer_id, world.ward, "unit_head")
    moved = app.officer_actor(world.officer_id)
    assert (moved.unit_id, moved.role) == (world.ward, "unit_head")


def test_a_unit_dissolved_elsewhere_no_longer_receives_reports_dieu_28_1(
        world: World, other_process: IHanoi) -> None:
    report_id = world.submit()  # the district is cached
    world.app.accept(world.receiver, report_id)
    world.app.classify(world.head, report_id, "normal")
    other_process.dissolve_unit(ADMIN, world.division)
    with pytest.raises(InvalidState):
        world.app.assign(world.head, report_id, world.division, world.officer_id)
    assert world.app.load(report_id, Report).department_id is None


def test_an_officer_dismissed_elsewhere_is_refused_dieu_25(
        world: World, other_process: IHanoi) -> None:
    report_id = world.submit()
    world.app.officer_actor(world.officer_id)  # cached
    world.app.accept(world.receiver, report_id)
    world.app.classify(world.head, report_id, "normal")
    other_process.dismiss_officer(ADMIN, world.officer_id)
    with pytest.raises(InvalidState):
        world.app.assign(world.head, report_id, world.division, world.officer_id)


def test_a_unit_that_does_not_exist_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.app.assign(world.head, world.submit(), world.reporter_id, world.officer_id)


def test_an_append_notifies_the_listeners_of_the_event_store(
        world: World, database_url: str) -> None:
    recorder = world.app.recorder
    with psycopg.connect(database_url, autocommit=True) as listener:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(recorder.channel_name)))
        before = recorder.max_notification_id()
        world.submit()
        assert [n.channel for n in listener.notifies(timeout=5, stop_after=1)] == [
            recorder.channel_name]
    assert recorder.max_notification_id() == before + 1

"""The write side's store access: the unit directory kept per process follows changes made by
any process (Điều 25, 28.1), and an append still wakes the listeners of the event store."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from application.commands import (
    Accept,
    Assign,
    Classify,
    DismissOfficer,
    DissolveUnit,
    MarkViolation,
    TransferOfficer,
)
from application.services import IHanoi, NotFound
from domain.errors import InvalidState
from domain.report import Report
from domain.reporter import Reporter
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
    other_process.handle(TransferOfficer(world.officer_id, world.ward, "unit_head"), ADMIN)
    moved = app.officer_actor(world.officer_id)
    assert (moved.unit_id, moved.role) == (world.ward, "unit_head")


def test_a_unit_dissolved_elsewhere_no_longer_receives_reports_dieu_28_1(
        world: World, other_process: IHanoi) -> None:
    report_id = world.submit()  # the district is cached
    world.app.handle(Accept(report_id), world.receiver)
    world.app.handle(Classify(report_id, "normal"), world.head)
    other_process.handle(DissolveUnit(world.division), ADMIN)
    with pytest.raises(InvalidState):
        world.app.handle(Assign(report_id, world.division, world.officer_id), world.head)
    assert world.app.load(report_id, Report).department_id is None


def test_an_officer_dismissed_elsewhere_is_refused_dieu_25(
        world: World, other_process: IHanoi) -> None:
    report_id = world.submit()
    world.app.officer_actor(world.officer_id)  # cached
    world.app.handle(Accept(report_id), world.receiver)
    world.app.handle(Classify(report_id, "normal"), world.head)
    other_process.handle(DismissOfficer(world.officer_id), ADMIN)
    with pytest.raises(InvalidState):
        world.app.handle(Assign(report_id, world.division, world.officer_id), world.head)


def test_a_unit_that_does_not_exist_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.app.handle(Assign(world.submit(), world.reporter_id, world.officer_id), world.head)


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


def test_a_command_on_a_report_changed_elsewhere_is_decided_on_its_current_state_dieu_8_4(
        world: World, other_process: IHanoi) -> None:
    """This process's snapshot of the report is older than the store: the command is not
    refused as a conflict but decided again on what is stored (the If-Match a client sends
    is checked against that too)."""
    report_id = world.submit()  # snapshot at version 1 here
    other_process.handle(Accept(report_id), world.receiver)
    result = world.app.handle(Classify(report_id, "urgent"), world.head, expected_version=2)
    assert result.version == 3
    assert [type(e).__name__ for e in world.app.events.get(report_id)] == [
        "Submitted", "Accepted", "Classified"]
    with pytest.raises(InvalidState):  # accepted elsewhere: a second acceptance is refused
        world.app.handle(Accept(report_id), world.receiver)


def test_a_violation_recorded_elsewhere_is_cleared_by_an_acceptance_here_dieu_27_3(
        world: World, other_process: IHanoi) -> None:
    """The reporter is read from the store, not from this process's snapshot, when a report
    of his is accepted: a streak recorded by another process is broken."""
    app = world.app
    genuine = world.submit()
    app.load(world.reporter_id, Reporter)  # snapshot without violations
    untrue = world.submit()
    other_process.handle(MarkViolation(untrue, "Phản ánh sai sự thật"), world.receiver)
    app.handle(Accept(genuine), world.receiver)
    assert app.load(world.reporter_id, Reporter).consecutive_violations == 0
    assert [type(e).__name__ for e in app.events.get(world.reporter_id)][-1] == (
        "ViolationStreakBroken")


def test_an_append_whose_first_try_committed_unanswered_is_recognised_on_its_retry(
        world: World) -> None:
    """Issue 15.4: the connection breaks after the append committed (a failover) and the retry
    finds the rows: the very same ones are this append's, answered with their notification
    ids, not a conflict; a different event at a taken version is still a conflict."""
    from eventsourcing.persistence import IntegrityError

    recorder = world.app.recorder
    report_id = world.submit()
    stored = list(recorder.select_events(report_id))  # the bytes the first try wrote
    head = recorder.max_notification_id()
    again = recorder.insert_events(stored)
    assert again == [n.id for n in recorder.select_notifications(1, head)
                     if n.originator_id == report_id]
    assert recorder.max_notification_id() == head  # nothing written twice
    forged = [dataclasses.replace(stored[0], state=stored[0].state + b"x")]
    with pytest.raises(IntegrityError):
        recorder.insert_events(forged)

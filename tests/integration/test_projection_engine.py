"""The projection machinery: every read model is fed exactly once by the stored events
(issue 4: incremental == rebuild, crash safety, as of an instant, concurrent runners, atomic
rebuild under a live runner).

Every check compares ALL tables of ALL registered read models (``READ_MODELS``), so a new read
model is covered as soon as it is registered. Histories are random but valid: reports go
through random subsets of the procedure (Điều 6–13, 27) — with re-reports and links to a
matter, duplicates marked and unmarked, hidden and redacted reports (issue 7), units' adoption
figures and their corrections (seed 003), and at the end a unit merged and its open work
re-routed (Điều 28.1) — while the clock runs across public holidays.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from eventsourcing.utils import get_topic
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql

from application.commands import (
    Accept,
    AnswerClarification,
    ApproveResult,
    Assign,
    AssignCommuneOfficer,
    Classify,
    CompleteVerification,
    Contribute,
    CoordinateToCommune,
    EnterAdoptionFigures,
    Escalate,
    GrantExtension,
    Hide,
    LinkToMatter,
    MarkDuplicate,
    MarkViolation,
    MergeUnit,
    ProposeResult,
    Publish,
    Rate,
    Redact,
    RegisterReporter,
    Reject,
    RequestClarification,
    RequestCoordination,
    RerouteAfterMerger,
    RespondToInitiative,
    ReturnResult,
    StartVerification,
    UnmarkDuplicate,
    UpdateResult,
)
from application.database import create_schema, drop_schema, eventsourcing_env
from application.migrations import upgrade
from application.services import IHanoi
from domain.actors import SYSTEM, Actor
from domain.calendar import BUSINESS_TZ
from domain.errors import DomainError, InvalidState, ReporterLocked
from domain.policy import DEFAULT_CATEGORIES
from domain.report import Report
from projections import report_timeline
from projections.engine import Projector, ReadModel, wait_until_caught_up
from projections.registry import READ_MODELS
from tests.conftest import TemplateDatabase
from tests.integration.conftest import ADMIN, Clock, World, build_world

CHILD = Path(__file__).with_name("_runner_child.py")

# Starting instants just before public holidays (Điều 7.2.d, 8.5 count working time only).
NEAR_HOLIDAYS = (
    datetime(2026, 2, 12, 15, 0, tzinfo=BUSINESS_TZ),  # before Tết Nguyên đán 2026
    datetime(2026, 4, 24, 16, 30, tzinfo=BUSINESS_TZ),  # before Giỗ Tổ, 30/4 and 1/5
    datetime(2026, 8, 31, 11, 0, tzinfo=BUSINESS_TZ),  # before Quốc khánh 2/9
    datetime(2025, 12, 31, 16, 0, tzinfo=BUSINESS_TZ),  # before Tết Dương lịch
)
# Hours the clock moves between two commands: minutes, a working day, a long weekend.
ADVANCES = (0.1, 0.5, 1, 2, 4, 9, 20, 26, 70)

Snapshot = dict[str, list[tuple[Any, ...]]]


# --------------------------------------------------------------------------- read models


def snapshot(projector: Projector, schema: str | None = None) -> Snapshot:
    """Every table of every registered read model in ``schema`` (default: the live one), as
    sorted row lists."""
    schema = schema or projector.schema
    with projector.connect() as conn:
        return {table: sorted(conn.execute(sql.SQL("SELECT * FROM {}").format(
                    sql.Identifier(schema, table))).fetchall(), key=repr)
                for model in READ_MODELS for table in model.tables}


def tracking(projector: Projector) -> dict[str, int]:
    with projector.connect() as conn:
        return projector.positions(conn)


def assert_equals_rebuild(projector: Projector) -> Snapshot:
    """The incremental tables equal those replayed from scratch by ``rebuild()``."""
    incremental = snapshot(projector)
    position = projector.rebuild()
    assert position == projector.head()
    rebuilt = snapshot(projector)
    for table, rows in rebuilt.items():
        assert incremental[table] == rows, f"{table}: incremental differs from rebuild"
    return rebuilt


def submitted_up_to(app: IHanoi, position: int) -> int:
    """How many reports had been submitted by notification ``position``."""
    return len(app.recorder.select_notifications(
        start=1, limit=1_000_000, stop=position, topics=[get_topic(Report.Submitted)]))


# --------------------------------------------------------------------------- a small city


@dataclass
class Desk:
    """A unit that receives and handles reports, with its staff."""

    unit: UUID
    receiver: Actor
    head: Actor
    teams: list[tuple[UUID, UUID, Actor]]  # (division or commune, officer id, officer)
    helper: Actor  # an officer of another unit, asked to coordinate (Điều 8.2)
    commune_heads: dict[UUID, Actor] = field(default_factory=dict)  # Điều 8.1.c


@dataclass
class City:
    """The test world plus a second handling district and two more reporters; ``reports``
    lists the reports submitted so far (candidates to link to or to duplicate)."""

    world: World
    desks: list[Desk]
    reporters: list[UUID]
    reports: list[UUID] = field(default_factory=list)

    @property
    def app(self) -> IHanoi:
        return self.world.app


def build_city(app: IHanoi) -> City:
    w = build_world(app)
    other_division = w.unit("Phòng Kinh tế, Hạ tầng và Đô thị", "division", w.other_district)
    other_officer_id, other_officer = w.staff("Bùi Văn Khoa", other_division, "handling_officer")
    district = Desk(w.district, w.receiver, w.head,
                    [(w.division, w.officer_id, w.officer),
                     (w.ward, w.ward_officer_id, app.officer_actor(w.ward_officer_id))],
                    helper=w.other_head,
                    commune_heads={w.ward: w.staff("Đoàn Văn Lộc", w.ward, "unit_head")[1]})
    other = Desk(w.other_district, w.other_head, w.other_head,
                 [(other_division, other_officer_id, other_officer)], helper=w.receiver)
    reporters = [w.reporter_id, *(app.handle(
        RegisterReporter(name, phone=phone, email=f"{phone}@example.vn",
                         national_id=f"00109{phone[-7:]}")).aggregate_id for name, phone in
        (("Ngô Thị Mai", "0987654321"), ("Đặng Quốc Bảo", "0904111222")))]
    return City(w, [district, other], reporters)


@contextlib.contextmanager
def projector_on(database_url: str, schema: str, cipher_key: str, clock: Clock,
                 batch_size: int) -> Iterator[tuple[IHanoi, Projector]]:
    """An application on the event store and read models of ``schema`` (migrated), and a
    projector of ``batch_size`` on them."""
    app = IHanoi(env=eventsourcing_env(database_url, cipher_key=cipher_key, schema=schema),
                 clock=clock)
    try:
        projector = Projector(app, database_url, READ_MODELS, schema=schema,
                              batch_size=batch_size)
        projector.ensure_tracking()
        yield app, projector
    finally:
        app.close()


@contextlib.contextmanager
def fresh_projector(database_url: str, cipher_key: str, clock: Clock,
                    batch_size: int) -> Iterator[tuple[IHanoi, Projector]]:
    """:func:`projector_on` a new schema of ``database_url``, migrated here and dropped after."""
    schema = f"t_{uuid4().hex[:12]}"
    create_schema(database_url, schema)
    upgrade(database_url, schema)
    try:
        with projector_on(database_url, schema, cipher_key, clock, batch_size) as pair:
            yield pair
    finally:
        drop_schema(database_url, schema)


# --------------------------------------------------------------------------- random histories


def attempt(command: Callable[[], object]) -> Iterator[None]:
    """Run a command that the report's state may refuse; yield only when it was recorded.
    Returns whether it was."""
    try:
        command()
    except DomainError:
        return False
    yield
    return True


def story(city: City, rng: random.Random, re_report_of: UUID | None = None,
          reporter_id: UUID | None = None) -> Iterator[None]:
    """One report through a random, valid part of the procedure; yields after each command."""
    app, w = city.app, city.world
    desk = rng.choice(city.desks)
    kind = rng.choice(("field", "field", "waste_behaviour", "capital_initiative"))
    # The service centre passes it on (Điều 7.2.c) or, an initiative, distributes it (Điều 9).
    via_centre = kind == "capital_initiative" or rng.random() < 0.3
    reporter_id = reporter_id or rng.choice(city.reporters)
    citizen = app.citizen_actor(reporter_id)
    category = rng.choice(("urban_order", "environment", "traffic"))
    if kind != "field":  # Điều 3.2, 9, 10: a category of its kind's catalogue
        category = next(iter(DEFAULT_CATEGORIES[kind]))
    try:
        report = w.submit(kind=kind, reporter_id=reporter_id, confidential=rng.random() < 0.3,
                          receiving_unit_id=w.centre if via_centre else desk.unit,
                          category=category, re_report_of=re_report_of)
    except ReporterLocked:  # Điều 27.3: after repeated violations the account is locked
        return
    city.reports.append(report)
    yield
    if not via_centre and rng.random() < 0.2:  # Điều 18.4: an officer links it to a matter
        yield from attempt(lambda: app.handle(LinkToMatter(report, rng.choice(city.reports)),
                                              desk.receiver))
    receiver = w.centre_receiver if via_centre else desk.receiver
    verifications = 0 if kind == "capital_initiative" else rng.choice((0, 0, 1, 2))
    for _ in range(verifications):  # Điều 7.1.b
        app.handle(StartVerification(report), receiver)
        yield
        app.handle(CompleteVerification(report, rng.random() < 0.6, "Đã gọi điện xác minh"),
                   receiver)
        yield
    if kind == "capital_initiative":  # Điều 9: the centre gives it to a unit under the city
        if rng.random() < 0.8:
            app.handle(Accept(report, desk.unit), receiver)
            yield
            yield from handle(city, desk, report, kind, rng)
        return
    if via_centre:
        app.handle(Escalate(report, desk.unit, "Thuộc thẩm quyền của quận"), receiver)
        receiver = desk.receiver
        yield
    decision = rng.choice(("accept", "accept", "accept", "reject", "escalate", "wait"))
    if decision == "escalate":  # Điều 7.2.c: up to the city, where it waits
        app.handle(Escalate(report, w.city, "Vượt thẩm quyền của quận"), receiver)
        yield
        return
    if decision == "reject":  # Điều 6.2.a, 7.2.a
        app.handle(Reject(report, "a", "Thiếu địa điểm cụ thể"), receiver)
        yield
    elif decision == "accept":
        if (yield from duplicate(city, desk, receiver, report, rng)):
            return
        coordinated = kind == "field" and not via_centre and rng.random() < 0.25
        if coordinated:  # Điều 8.2.a: the head accepts and asks a unit of the same level
            app.handle(Accept(report, coordinating_unit_ids=[desk.helper.unit_id]), desk.head)
        else:
            app.handle(Accept(report), receiver)
        yield
        yield from moderate(app, desk, report, rng)
        if (yield from duplicate(city, desk, desk.head, report, rng)):
            return
        published = yield from handle(city, desk, report, kind, rng)
        if published:
            yield from after_result(city, desk, citizen, report, rng)
    if rng.random() < 0.2:  # Điều 27.2
        app.handle(MarkViolation(report, "Nội dung không đúng sự thật"), receiver)
        yield


def handle(city: City, desk: Desk, report: UUID, kind: str,
           rng: random.Random) -> Iterator[None]:
    """Điều 8, 9, 12: classify, assign, coordinate, propose, return, approve, update, publish — stopping
    anywhere. Returns whether the result was published."""
    app = city.app
    depth = rng.choice((0, 1, 2, 3, 4, 5, 6, 6, 6))
    if kind == "capital_initiative":  # Điều 9
        if depth:
            app.handle(RespondToInitiative(report, "Cảm ơn sáng kiến, thành phố sẽ áp dụng"),
                       desk.head)
            yield
        return bool(depth)
    if depth < 1:
        return False
    coordinated = bool(app.load(report, Report, to_change=False).coordination)
    urgency = "complex" if coordinated else rng.choice(
        ("urgent", "normal", "complex"))  # Điều 8.4, 10.2, 11.2
    app.handle(Classify(report, urgency), desk.head)
    yield
    if urgency == "complex" and not coordinated and rng.random() < 0.3:  # Điều 8.2.a, step 1
        app.handle(RequestCoordination(report, [desk.helper.unit_id]), desk.head)
        coordinated = True
        yield
    if depth < 2:
        return False
    department, officer_id, officer = rng.choice(desk.teams)
    if department in desk.commune_heads:  # Điều 8.1.b–c: the commune's leader assigns
        app.handle(CoordinateToCommune(report, department), desk.head)
        yield
        app.handle(AssignCommuneOfficer(report, officer_id), desk.commune_heads[department])
    else:
        app.handle(Assign(report, department, officer_id), desk.head)
    yield
    if urgency == "complex" and (coordinated or rng.random() < 0.5):  # Điều 8.2, 8.5
        if not coordinated:
            app.handle(RequestCoordination(report, [desk.helper.unit_id]), desk.head)
            yield
        if kind == "field":  # Điều 10.4, 11.4: no extension past 30 working days
            app.handle(GrantExtension(report, rng.randint(1, 5), "Cần thẩm định hồ sơ"),
                       desk.head)
            yield
        app.handle(Contribute(report, "Đã kiểm tra hiện trường", ["bien-ban-phoi-hop.pdf"]),
                   desk.helper)
        yield
    if depth < 3:
        return False
    for returned in range(rng.choice((0, 0, 1, 2))):
        app.handle(ProposeResult(report, f"Đã xử lý xong, lần {returned + 1}", ["anh.jpg"]),
                   officer)
        yield
        app.handle(ReturnResult(report, "Thiếu ảnh sau khi xử lý"), desk.head)
        yield
    app.handle(ProposeResult(report, "Đã xử lý xong, mặt đường an toàn", ["anh-sau.jpg"]), officer)
    yield
    if depth < 4:
        return False
    app.handle(ApproveResult(report), desk.head)
    yield
    if depth < 5:
        return False
    app.handle(UpdateResult(report, ["anh-sau-khi-xu-ly.jpg"]), officer)  # Điều 12.2
    yield
    if depth < 6:
        return False
    app.handle(Publish(report), desk.head)
    yield
    return True


def duplicate(city: City, desk: Desk, by: Actor, report: UUID,
              rng: random.Random) -> Iterator[None]:
    """Điều 6.2.c: maybe marked as a duplicate of another report, then maybe unmarked by the
    unit head. Returns whether it stays a duplicate."""
    if rng.random() >= 0.15:
        return False
    original = rng.choice(city.reports)
    if not (yield from attempt(lambda: city.app.handle(MarkDuplicate(report, original), by))):
        return False
    if rng.random() < 0.5:
        return True
    return not (yield from attempt(
        lambda: city.app.handle(UnmarkDuplicate(report, "Không trùng"), desk.head)))


def moderate(app: IHanoi, desk: Desk, report: UUID, rng: random.Random) -> Iterator[None]:
    """Điều 14.1: the unit head maybe hides the report or its rating comment, or redacts
    personal data from the text or the comment."""
    if rng.random() < 0.15:
        target = rng.choice(("report", "rating_comment"))
        yield from attempt(lambda: app.handle(Hide(report, target, "Nội dung không phù hợp"),
                                              desk.head))
    if rng.random() < 0.15:
        field_name = rng.choice(("text", "rating_comment"))
        yield from attempt(lambda: app.handle(Redact(report, field_name,
                                                     "Nội dung đã lược bỏ dữ liệu cá nhân",
                                                     "Số điện thoại"), desk.head))


def after_result(city: City, desk: Desk, citizen: Actor, report: UUID,
                 rng: random.Random) -> Iterator[None]:
    """Điều 13: a clarification (within 2 days of the result) and a rating, maybe; then
    moderation, and maybe a re-report of the same matter (Điều 18.4)."""
    app = city.app
    if rng.random() < 0.4:
        try:
            app.handle(RequestClarification(report, "Khi nào hoàn thành hẳn?"), citizen)
        except InvalidState:  # the 2-day window is over
            pass
        else:
            yield
            app.handle(AnswerClarification(report, "Trong tuần này"), desk.head)
            yield
    if rng.random() < 0.6:
        app.handle(Rate(report, rng.choice(("satisfied", "acceptable", "unsatisfied")),
                        "Cảm ơn, gọi tôi 0900000000"), citizen)
        yield
    yield from moderate(app, desk, report, rng)
    if rng.random() < 0.25:
        yield from story(city, rng, re_report_of=report, reporter_id=UUID(citizen.id))


def adoption(city: City, rng: random.Random) -> Iterator[None]:
    """Seed 003 annex: units enter their figures for random rounds, some more than once (a
    correction), on time or late as the clock goes."""
    w, app = city.world, city.app
    desks = [(w.ward, app.officer_actor(w.ward_officer_id)), (w.district, w.head),
             (w.division, w.officer), (w.other_district, w.other_head), (w.department, ADMIN)]
    for _ in range(rng.randint(1, 5)):
        unit, officer = rng.choice(desks)
        staff, residents = rng.randint(0, 60), rng.randint(0, 9000)
        phones = rng.randint(0, residents)
        app.handle(EnterAdoptionFigures(unit, rng.randint(1, 4), staff, rng.randint(0, staff),
                                        residents, phones, rng.randint(0, phones)), officer)
        yield


def drive(city: City, clock: Clock, rng: random.Random, reports: int,
          between: Callable[[], None] = lambda: None) -> None:
    """Run ``reports`` stories interleaved with units' adoption figures (seed 003), the clock
    moving before each command."""
    stories = [story(city, rng) for _ in range(reports)] + [adoption(city, rng)]
    while stories:
        current = rng.choice(stories)
        clock.advance(hours=rng.choice(ADVANCES))
        try:
            next(current)
        except StopIteration:
            stories.remove(current)
        between()


def reorganise(city: City, rng: random.Random, between: Callable[[], None]) -> None:
    """Điều 28.1: once the stories are told, a division or commune and then a district of the
    city are each merged into a new unit, and every report with open work there is re-routed."""
    w = city.world
    for merged, level, parent in (
            rng.choice(((w.division, "division", w.district), (w.ward, "commune", w.district))),
            rng.choice(((w.district, "district", w.city), (w.other_district, "district", w.city)))):
        successor = w.unit("Đơn vị sau sắp xếp", level, parent)
        city.app.handle(MergeUnit(merged, successor), ADMIN)
        between()
        for report in city.reports:
            try:
                city.app.handle(RerouteAfterMerger(report, merged), SYSTEM)
            except InvalidState:  # no open work of the merged unit on this report
                continue
            between()


# --------------------------------------------------------------------------- the tests


@settings(max_examples=12, deadline=None)
@given(rng=st.randoms(use_true_random=False), reports=st.integers(3, 7),
       batch_size=st.integers(1, 40))
def test_incremental_projection_equals_rebuild_from_history(
        template_database: TemplateDatabase, cipher_key: str, rng: random.Random, reports: int,
        batch_size: int) -> None:
    """Issue 4: read models fed in random batches while commands come in equal the same models
    replayed from scratch, table for table."""
    clock = Clock(rng.choice(NEAR_HOLIDAYS))
    with projector_on(template_database.copy(), template_database.schema, cipher_key, clock,
                      batch_size) as (app, projector):
        city = build_city(app)

        def project() -> None:
            step = rng.random()
            if step < 0.3:
                projector.run_once()
            elif step < 0.5:
                projector.run_once(limit=rng.randint(1, 12))

        drive(city, clock, rng, reports, between=project)
        reorganise(city, rng, between=project)
        projector.catch_up()
        rebuilt = assert_equals_rebuild(projector)
        assert len(rebuilt["report_status"]) == submitted_up_to(app, projector.head())
        # Issue 11: the timeline has one row per Report event, whatever its class.
        assert len(rebuilt["report_timeline"]) == len(app.recorder.select_notifications(
            start=1, limit=1_000_000, topics=report_timeline.model.topics))
        assert len(rebuilt["report_timeline"]) > len(rebuilt["report_status"])
        assert set(tracking(projector).values()) == {projector.head()}


def test_killed_runner_resumes_without_duplicates_or_gaps(
        app: IHanoi, clock: Clock, projector: Projector, database_url: str,
        cipher_key: str) -> None:
    """Issue 4 (exactly once): a runner SIGKILLed in the middle of its batches, again and again,
    leaves each read model exactly at its tracking position; once restarted it ends equal to a
    full rebuild, tracking at the head."""
    clock.set(2026, 4, 27, 9, 0)
    rng = random.Random(4)
    city = build_city(app)
    drive(city, clock, rng, reports=55)  # each kind's own categories: fewer duplicates
    assert projector.head() >= 250
    name = f"crash_{uuid4().hex[:8]}"
    env = {**os.environ, "IHANOI_CHILD_URL": database_url,
           "IHANOI_CHILD_SCHEMA": projector.schema, "IHANOI_CHILD_CIPHER_KEY": cipher_key}

    def start(handler_delay: float) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, str(CHILD), "7", str(handler_delay), name],
                                env=env, stderr=subprocess.PIPE)

    def in_batch() -> bool:
        with projector.connect() as conn:
            return bool(conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
                " AND xact_start IS NOT NULL", (name,)).fetchone()[0])

    def wait(condition: Callable[[], bool], what: str,
             child: subprocess.Popen[bytes] | None = None) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            if child is not None and child.poll() is not None:
                raise AssertionError(f"the runner died: {child.communicate()[1].decode()}")
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.005)

    positions = [0]
    for _ in range(5):
        child = start(handler_delay=0.003)
        try:
            wait(lambda: tracking(projector)["report_status"] > positions[-1],
                 "the restarted runner to commit a batch", child)
            time.sleep(rng.uniform(0, 0.15))
            wait(in_batch, "the runner to be inside a batch", child)
        finally:
            child.kill()
            child.communicate()
        assert child.returncode == -signal.SIGKILL
        wait(lambda: not in_batch(), "the killed runner's transaction to end")
        position = tracking(projector)["report_status"]
        # What the dead runner committed is whole: one report_status row per submitted report.
        with projector.connect() as conn:
            rows = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier(projector.schema, "report_status"))).fetchone()[0]
        assert rows == submitted_up_to(app, position)
        positions.append(position)
        drive(city, clock, rng, reports=1)  # the city does not wait for the read side
    assert all(a < b for a, b in itertools.pairwise(positions))  # resumed each time
    assert positions[-1] < projector.head()  # and killed before the end
    child = start(handler_delay=0)
    try:
        wait(lambda: set(tracking(projector).values()) == {projector.head()},
             "the restarted runner to reach the head", child)
    finally:
        child.kill()
        child.communicate()
    assert projector.catch_up() == 0
    assert_equals_rebuild(projector)


def test_as_of_instant_equals_the_models_as_they_stood_then(
        app: IHanoi, clock: Clock, projector: Projector) -> None:
    """Issue 4 (as of): the read models built from the events up to instant T equal the live
    read models as they stood when the clock read T — across Giỗ Tổ, 30/4 and 1/5."""
    clock.set(2026, 4, 22, 14, 0)
    rng = random.Random(30)
    city = build_city(app)
    stood: dict[datetime, Snapshot] = {}
    for _ in range(4):
        drive(city, clock, rng, reports=4)
        city.world.submit()  # an event at T itself belongs to the model as of T
        projector.catch_up()
        stood[clock.now] = snapshot(projector)
        clock.advance(minutes=1)  # later commands bear later instants
    drive(city, clock, rng, reports=3)
    projector.catch_up()
    built = []
    try:
        for instant, tables in stood.items():
            built.append(projector.as_of(instant))
            assert snapshot(projector, built[-1]) == tables, f"as of {instant}"
        assert len(set(built)) == len(stood)
        assert projector.as_of(next(iter(stood))) == built[0]  # built once, then reused
        assert snapshot(projector, built[-1]) != snapshot(projector)  # later events excluded
    finally:
        for schema in built:
            drop_schema(projector.conninfo, schema)


def test_as_of_schema_is_reused_only_for_the_same_live_schema_and_models(
        app: IHanoi, world: World, clock: Clock, projector: Projector, database_url: str,
        cipher_key: str) -> None:
    """Issue 4 (as of): a schema built as of T is reused only for the same live schema, T and
    read models — never for another event store nor for a different set of read models."""
    world.submit()
    projector.catch_up()
    names = [m.name for m in READ_MODELS]
    built = [projector.as_of(clock.now), projector.as_of(clock.now, names[:-1])]
    try:
        with fresh_projector(database_url, cipher_key, clock, 500) as (_, other):
            built.append(other.as_of(clock.now))
        assert len(set(built)) == 3
        assert len(snapshot(projector, built[0])["report_status"]) == 1
        with projector.connect() as conn:
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s",
                                  (built[1],)).fetchone()[0]
        assert tables == sum(len(m.tables) for m in READ_MODELS[:-1])
    finally:
        for schema in built:
            drop_schema(projector.conninfo, schema)


def test_two_runners_never_apply_an_event_twice(
        app: IHanoi, clock: Clock, projector: Projector, database_url: str) -> None:
    """Issue 4 (exactly once): two runners on the same read models, batching concurrently
    while commands come in, apply each stored event once between them."""
    clock.set(2026, 2, 11, 10, 0)
    rng = random.Random(2)
    city = build_city(app)
    done = threading.Event()

    def run(seed: int, batch_size: int) -> int:
        runner = Projector(app, database_url, READ_MODELS, schema=projector.schema,
                           batch_size=batch_size)
        chooser = random.Random(seed)
        applied = 0
        while not (done.is_set() and runner.lag() == 0):
            n = runner.run_once(limit=chooser.randint(1, 9))
            applied += n
            if not n:
                time.sleep(0.005)
        return applied

    with ThreadPoolExecutor(2) as pool:
        runners = [pool.submit(run, seed, size) for seed, size in enumerate((3, 5))]
        try:
            drive(city, clock, rng, reports=12)
        finally:
            done.set()
        applied = [runner.result() for runner in runners]
    assert all(applied), "both runners should have taken batches"
    events = app.recorder.select_notifications(start=1, limit=1_000_000,
                                               topics=projector.topics)
    assert sum(applied) == len(events)
    assert set(tracking(projector).values()) == {projector.head()}
    assert_equals_rebuild(projector)


def test_rebuild_under_a_live_runner_swaps_atomically(
        app: IHanoi, clock: Clock, projector: Projector, database_url: str) -> None:
    """Issue 4 (rebuild): rebuilding while a runner follows live commands ends equal to a fresh
    rebuild, and readers never see a missing, empty or shrinking table during the swaps."""
    clock.set(2026, 8, 28, 15, 0)
    rng = random.Random(9)
    city = build_city(app)
    drive(city, clock, rng, reports=5)
    stop = threading.Event()
    counts: list[int] = []

    def read() -> None:
        table = sql.Identifier(projector.schema, "report_status")
        with psycopg.connect(database_url, autocommit=True) as conn:
            while not stop.is_set():
                counts.append(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)
                                           ).fetchone()[0])

    def command() -> None:
        drive(city, clock, random.Random(10), reports=10, between=lambda: time.sleep(0.005))

    rebuilds = 0
    with ThreadPoolExecutor(3) as pool:
        runner = pool.submit(projector.run_forever, stop, 0.02)
        try:
            wait_until_caught_up(projector)
            reader = pool.submit(read)
            writer = pool.submit(command)
            while not writer.done() or rebuilds < 2:
                projector.rebuild()
                rebuilds += 1
            writer.result()
            wait_until_caught_up(projector)
        finally:
            stop.set()
        runner.result()
        reader.result()  # a missing table would have raised here
    assert counts and counts[0] > 0
    assert all(a <= b for a, b in itertools.pairwise(counts)), "a reader saw rows vanish"
    rebuilt = assert_equals_rebuild(projector)
    assert max(counts) <= len(rebuilt["report_status"])


def test_rebuild_keeps_index_names_and_serial_columns(
        app: IHanoi, world: World, database_url: str, fresh_schema: str) -> None:
    """Issue 4 (rebuild): the swapped-in tables keep the migration's index names (later
    migrations refer to them) and definitions — those kept during the replay as those built
    after it (issue 16) — and a ``serial`` column keeps counting after the swap."""
    with psycopg.connect(database_url) as conn:
        conn.execute(sql.SQL(
            "CREATE TABLE {table} (id bigserial PRIMARY KEY, report_id uuid NOT NULL);"
            " CREATE UNIQUE INDEX probe_by_report ON {table} (report_id);"
            " CREATE INDEX probe_kept ON {table} (report_id, id);"
            " CREATE INDEX probe_later ON {table} (id DESC) WHERE id > 1").format(
                table=sql.Identifier(fresh_schema, "probe")))
    probe = ReadModel("probe", tables=("probe",), replay_indexes=("probe_kept",))

    @probe.on(Report.Submitted)
    def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
        cur.execute("INSERT INTO probe (report_id) VALUES (%s)", (e.originator_id,))

    projector = Projector(app, database_url, [probe], schema=fresh_schema)
    projector.ensure_tracking()

    def indexes() -> set[tuple[str, str]]:
        with projector.connect() as conn:
            return set(conn.execute("SELECT indexname, indexdef FROM pg_indexes"
                                    " WHERE schemaname = %s AND tablename = 'probe'",
                                    (fresh_schema,)).fetchall())

    first = world.submit()
    projector.catch_up()
    before = indexes()
    for _ in range(2):
        projector.rebuild()
        assert indexes() == before
    second = world.submit()
    projector.catch_up()
    with projector.connect() as conn:
        rows = conn.execute(sql.SQL("SELECT id, report_id FROM {} ORDER BY id").format(
            sql.Identifier(fresh_schema, "probe"))).fetchall()
    assert rows == [(1, first), (2, second)]


def test_as_of_schemas_are_bounded_oldest_dropped_first(
        app: IHanoi, clock: Clock, projector: Projector) -> None:
    """Answering "as of" many instants never grows the database without bound."""
    projector.max_as_of = 2
    world = build_city(app).world
    instants = []
    for _ in range(3):
        world.submit()
        clock.advance(hours=1)
        instants.append(clock.now)
    built = [projector.as_of(instant, ["report_status"]) for instant in instants]
    with projector.connect() as conn:
        kept = {name for (name,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", (built,)).fetchall()}
    assert kept == set(built[1:])

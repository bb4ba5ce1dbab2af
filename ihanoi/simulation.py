"""One seeded simulation of the city for the demo, the benchmarks and the test fixtures.

- :class:`Clock`: business time that stands still until moved, injected wherever a clock is
  expected (``IHanoi(clock=…)``, the scheduler); ``release()`` hands it over to real time.
- :func:`build_directory`: a unit tree and its staff (:class:`UnitPlan`), created through the
  application service's commands; :func:`city_plan` draws the usual shape of one.
- :class:`History`: reports played through their whole procedure (Điều 5–13, 27) on the
  aggregates, at working-time instants drawn from ``random.Random(seed)``, so the same seed
  gives the same history; events are stored in business-time order by the application's own
  event store (encrypted, compressed).
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.commands import AppointOfficer, CreateUnit
from application.services import IHanoi
from domain.actors import Actor, Role
from domain.calendar import BUSINESS_TZ
from domain.errors import DomainError, ReporterLocked
from domain.policy import DEFAULT_POLICY
from domain.report import Report
from domain.reporter import Reporter

ADMIN = Actor(id="simulation-admin", role=Role.ADMINISTRATOR)
#: Events stored per report, on average, by :class:`History` (measured over 18 months).
EVENTS_PER_REPORT = 7.56
FLUSH_EVENTS = 2_000


# ------------------------------------------------------------------------ time


class Clock:
    """The business clock: reads ``now`` until moved (``set``, ``advance``, or by ``tick`` at
    each reading); after ``release()`` it reads real time."""

    def __init__(self, start: datetime | None = None, *, tick: timedelta | None = None) -> None:
        self.now = start
        self.tick = tick

    def __call__(self) -> datetime:
        if self.now is None:
            return datetime.now(BUSINESS_TZ)
        if self.tick:
            self.now += self.tick
        return self.now

    def set(self, *args: int) -> datetime:
        """Move to ``datetime(*args)`` in Asia/Ho_Chi_Minh time."""
        self.now = datetime(*args, tzinfo=BUSINESS_TZ)  # type: ignore[misc]
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        """Move forward by ``timedelta(**kwargs)``."""
        assert self.now is not None, "a released clock follows real time"
        self.now = self.now + timedelta(**kwargs)
        return self.now

    def release(self) -> None:
        self.now = None


# ------------------------------------------------------------------------ the unit directory


@dataclass(frozen=True)
class UnitPlan:
    """A unit to create (Điều 2: city, service centre, department, district, division,
    commune), its staff as (name, role) and the units under it."""

    name: str
    level: str
    staff: tuple[tuple[str, str], ...] = ()
    units: tuple[UnitPlan, ...] = ()
    code: str = ""


@dataclass
class Team:
    """A division or commune (or a department itself) and its handling officers; a commune's
    leader assigns them (Điều 8.1.c)."""

    unit_id: UUID
    parent_id: UUID | None
    officers: list[Actor]
    leader: Actor | None = None


@dataclass
class Office:
    """A unit that receives and handles reports: its head, receivers and teams."""

    unit_id: UUID
    head: Actor
    receivers: list[Actor]
    teams: list[Team] = field(default_factory=list)


@dataclass
class Directory:
    """The units and officers created from a plan, by name, and the offices that receive."""

    units: dict[str, UUID]
    officers: dict[str, Actor]
    centre: Office | None = None
    districts: list[Office] = field(default_factory=list)
    departments: list[Office] = field(default_factory=list)

    def unit(self, name: str) -> UUID:
        return self.units[name]

    def officer(self, name: str) -> Actor:
        return self.officers[name]

    def officer_id(self, name: str) -> UUID:
        return UUID(self.officers[name].id)


def build_directory(app: IHanoi, plan: UnitPlan, actor: Actor = ADMIN) -> Directory:
    """Create ``plan`` (units, then their staff, depth first) with the application's
    commands."""
    directory = Directory({}, {})

    def create(unit: UnitPlan, parent: UUID | None) -> UUID:
        unit_id = app.handle(CreateUnit(unit.name, unit.level, parent, code=unit.code),
                             actor).aggregate_id
        directory.units[unit.name] = unit_id
        staff: dict[str, list[Actor]] = {}
        for name, role in unit.staff:
            officer = app.officer_actor(
                app.handle(AppointOfficer(name, unit_id, role), actor).aggregate_id)
            directory.officers[name] = officer
            staff.setdefault(role, []).append(officer)
        teams = [Team(create(child, unit_id), unit_id, []) for child in unit.units]
        for team, child in zip(teams, unit.units, strict=True):
            team.officers = [directory.officers[n] for n, r in child.staff
                             if r == "handling_officer"]
            if child.level == "commune":
                team.leader = next((directory.officers[n] for n, r in child.staff
                                    if r == "unit_head"), None)
        if "unit_head" in staff and unit.level in ("service_centre", "district", "department"):
            office = Office(unit_id, staff["unit_head"][0], staff.get("receiving_officer", []),
                            [t for t in teams if t.officers])
            if staff.get("handling_officer"):  # a department handles with its own staff
                office.teams.insert(0, Team(unit_id, parent, staff["handling_officer"]))
            if unit.level == "service_centre":
                directory.centre = office
            else:
                (directory.districts if unit.level == "district"
                 else directory.departments).append(office)
        return unit_id

    create(plan, None)
    return directory


def city_plan(districts: Sequence[str], departments: Sequence[str], *, wards: int = 2,
              receivers: int = 1, officers: int = 1, ward_officers: int = 1,
              centre_receivers: int = 1, codes: bool = False,
              overseers: bool = False) -> UnitPlan:
    """The city, its service centre, departments (a head, receivers, ``officers`` specialists)
    and districts (a head, receivers; an urban-management division with ``officers`` and
    ``wards`` communes with a chairman and ``ward_officers`` handling officers). With
    ``overseers``, those who hold staff tokens without handling reports, each an officer of
    the directory (Điều 25): the city's administrator, a Home Affairs inspector (Sở Nội vụ,
    Điều 22) and the city inspectorate (Thanh tra Thành phố, Điều 24)."""
    def unit(name: str, level: str, staff: Sequence[tuple[str, str]],
             units: Sequence[UnitPlan] = ()) -> UnitPlan:
        return UnitPlan(name, level, tuple(staff), tuple(units),
                        code=name.lower()[:16] if codes else "")

    def handlers(name: str, count: int = officers) -> list[tuple[str, str]]:
        return [(f"Xử lý {i + 1} {name}", "handling_officer") for i in range(count)]

    def office(name: str, level: str, receiving: int) -> list[tuple[str, str]]:
        return [(f"Thủ trưởng {name}", "unit_head"),
                *((f"Tiếp nhận {i + 1} {name}", "receiving_officer") for i in range(receiving))]

    centre = "Trung tâm Phục vụ hành chính công"
    city_staff = [("Chủ tịch UBND Thành phố", "unit_head")]
    oversight: list[UnitPlan] = []
    if overseers:
        city_staff.append(("Quản trị hệ thống iHanoi", "administrator"))
        oversight = [unit("Sở Nội vụ", "department", [("Thanh tra Sở Nội vụ", "inspector")]),
                     unit("Thanh tra Thành phố", "department",
                          [("Thanh tra viên Thành phố", "city_inspector")])]
    return unit("UBND Thành phố Hà Nội", "city", city_staff, [
        unit(centre, "service_centre", office(centre, "service_centre", centre_receivers)),
        *oversight,
        *(unit(name, "department", office(name, "department", receivers) + handlers(name))
          for name in departments),
        *(unit(f"UBND quận {name}", "district", office(f"UBND quận {name}", "district",
                                                       receivers), [
            unit(f"Phòng Quản lý đô thị {name}", "division",
                 handlers(f"Phòng Quản lý đô thị {name}")),
            *(unit(f"UBND phường {ward} {name}", "commune",
                   [(f"Chủ tịch UBND phường {ward} {name}", "unit_head"),
                    *handlers(f"phường {ward} {name}", ward_officers)])
              for ward in range(1, wards + 1))]) for name in districts)])


# ------------------------------------------------------------------------ the history

STREETS = ["Hàng Bài", "Kim Mã", "Xuân Thủy", "Tôn Đức Thắng", "Phố Huế", "Nguyễn Văn Cừ",
           "Láng Hạ", "Trần Duy Hưng", "Giải Phóng", "Lê Duẩn"]
CONTENT = {
    "field": [
        ("urban_order", ("Lấn chiếm vỉa hè, lòng đường để bán hàng, trông giữ xe tại {p}; người đi"
                         " bộ phải đi xuống lòng đường rất nguy hiểm.")),
        ("environment", ("Đổ trộm phế thải xây dựng ban đêm tại {p}, bốc mùi, ảnh hưởng sinh hoạt"
                         " của các hộ dân xung quanh.")),
        ("traffic", "Đèn tín hiệu giao thông tại nút {p} bị hỏng từ sáng, ùn tắc kéo dài."),
        ("infrastructure", "Ổ gà lớn trên mặt đường tại {p}, nhiều xe máy bị ngã."),
    ],
    "administrative_regulation": [
        ("procedures", ("Thủ tục cấp phép sửa chữa nhà tại {p} yêu cầu giấy tờ không có trong"
                        " quy định.")),
    ],
    "waste_behaviour": [
        ("public_spending", ("Công trình nhà văn hóa tại {p} xây xong bỏ hoang nhiều năm, gây"
                             " lãng phí ngân sách.")),
    ],
    "investor_enterprise": [
        ("permits", ("Doanh nghiệp tại {p} chờ bàn giao mặt bằng quá hạn, đề nghị thành phố tháo"
                     " gỡ vướng mắc.")),
    ],
    "capital_initiative": [
        ("smart_city", ("Đề xuất lắp cảm biến cảnh báo ngập úng tại {p} và công bố dữ liệu trên"
                        " ứng dụng iHanoi.")),
    ],
}
KINDS = list(CONTENT)
KIND_WEIGHTS = [70, 8, 7, 7, 8]


class Horizon(Exception):
    """The next step would happen after the end of the history: the report stays open."""


class History:
    """Plays reports through the aggregates, from ``start`` to ``end``, and stores their
    events in business-time order: rejections, verifications, centre transfers, districts
    passing reports to a department (Điều 5.9), initiatives distributed by the centre (Điều 9),
    urgent / normal / complex handling, coordination asked with the acceptance (Điều 8.2.a),
    reports coordinated to a commune whose leader assigns the officer (Điều 8.1.b–c),
    extensions, rework, clarifications, ratings, violations, late stages, and reports still
    open at ``end``."""

    def __init__(self, app: IHanoi, directory: Directory, *, seed: int, start: datetime,
                 end: datetime, on_stored: Callable[[int], None] = lambda _n: None) -> None:
        assert directory.centre is not None and directory.districts, "a city to play in"
        self.app, self.d, self.rng = app, directory, random.Random(seed)
        self.start, self.end, self.on_stored = start, end, on_stored
        self.policy = DEFAULT_POLICY
        self.calendar = DEFAULT_POLICY.calendar
        self.reporters: list[Reporter] = []
        self.pending: list[tuple[datetime, int, Any]] = []
        self.last: dict[UUID, datetime] = {}  # per aggregate: events stay in version order
        self.seq = itertools.count()
        self.stored = 0

    def play(self, reports: int, *, first: int = 0, every: int = 1,
             progress: Callable[[int, int], None] = lambda _done, _total: None) -> None:
        """Reports ``first``, ``first + every``, … of ``reports`` spread evenly from start to
        end (``every`` > 1 splits one timeline between processes); ``progress(done, total)``
        after each."""
        span = (self.end - self.start).total_seconds()
        mine = range(first, reports, every)
        for n, i in enumerate(mine, 1):
            submitted = min(self.end, self.start + timedelta(
                seconds=min(i / reports, 0.999) * span + self.rng.uniform(0, 3600)))
            self.report(submitted)
            if n % 200 == 0:
                self.flush(until=submitted)
            progress(n, len(mine))
        self.flush()

    # -- storing

    def collect(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            for e in aggregate.collect_events():
                key = max(e.at, self.last.get(e.originator_id, e.at))
                self.last[e.originator_id] = key
                heapq.heappush(self.pending, (key, next(self.seq), e))

    def flush(self, until: datetime | None = None) -> None:
        """Store the pending events up to ``until`` (all when None), oldest first."""
        batch: list[Any] = []
        while self.pending and (until is None or self.pending[0][0] <= until):
            batch.append(heapq.heappop(self.pending)[2])
            if len(batch) == FLUSH_EVENTS:
                self._put(batch)
                batch = []
        if batch:
            self._put(batch)

    def _put(self, batch: list[Any]) -> None:
        self.app.events.put(batch)
        self.stored += len(batch)
        self.on_stored(len(batch))

    # -- time

    def work(self, at: datetime, median_hours: float, sigma: float = 0.8) -> datetime:
        """``at`` plus a log-normal number of working hours; past the horizon, stop."""
        later = self.calendar.add_hours(at, self.rng.lognormvariate(math.log(median_hours), sigma))
        return self.check(later)

    def check(self, at: datetime) -> datetime:
        if at > self.end:
            raise Horizon
        return at

    # -- reporters

    def register_reporters(self, count: int, first: int = 0) -> None:
        """Citizens ``first`` … ``first + count - 1``, registered up to two years before the
        start."""
        for i in range(first, first + count):
            at = self.start - timedelta(days=self.rng.uniform(1, 700))
            self.reporters.append(Reporter.register(
                f"Công dân {i}", f"09{i:08d}", f"citizen{i}@example.vn", f"001{i:09d}", at))
        self.collect(*self.reporters)

    # -- reports

    def report(self, submitted_at: datetime) -> None:
        """One report, submitted at ``submitted_at``, through a random part of its life."""
        rng, d = self.rng, self.d
        assert d.centre is not None
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        category, template = rng.choice(CONTENT[kind])
        place = f"số {rng.randint(1, 300)} {rng.choice(STREETS)}"
        district = rng.choice(d.districts)
        if kind == "capital_initiative":
            office = d.centre
        elif kind in ("waste_behaviour", "investor_enterprise") and d.departments:
            office = rng.choice(d.departments) if rng.random() < 0.5 else district
        else:
            office = rng.choice([d.centre] + [district] * 8 + d.departments)
        reporter = self._free_reporter(submitted_at)
        occurred_at = submitted_at - timedelta(hours=rng.uniform(0, 48))
        report = Report.submit(
            kind=kind, category=category, text=template.format(p=place),
            latitude=21.03 + rng.uniform(-0.08, 0.08), longitude=105.83 + rng.uniform(-0.1, 0.1),
            address=f"{place}, Hà Nội", occurred_at=occurred_at,
            media=[f"media/{rng.randint(10**6, 10**7)}.jpg" for _ in range(rng.randint(0, 3))],
            confidential=rng.random() < 0.15, reporter_id=reporter.id,
            reporter=dict(reporter.identity), receiving_unit_id=office.unit_id, at=submitted_at,
            policy=self.policy)
        try:
            self._lifecycle(report, reporter, kind, office, district, submitted_at)
        except Horizon:
            pass
        self.collect(report, reporter)

    def _free_reporter(self, at: datetime) -> Reporter:
        """A reporter whose account is not locked at ``at`` (Điều 27.3)."""
        while True:
            reporter = self.rng.choice(self.reporters)
            try:
                reporter.check_may_submit(at)
                return reporter
            except ReporterLocked:
                continue

    def _lifecycle(self, r: Report, reporter: Reporter, kind: str, office: Office,
                   district: Office, t: datetime) -> None:
        rng, p = self.rng, self.policy
        citizen = Actor(id=str(reporter.id), role=Role.CITIZEN)
        receiver = rng.choice(office.receivers)
        t = self.work(t, 2.0, 1.0)
        if office is self.d.centre and kind != "capital_initiative":  # Điều 7.2.c: passed on
            r.escalate(receiver, district.unit_id, False, "Thuộc thẩm quyền của quận", t, p)
            office, receiver = district, rng.choice(district.receivers)
            t = self.work(t, 2.0, 1.0)
        if office in self.d.districts and self.d.departments and rng.random() < 0.04:
            # Điều 5.9: in a department's field, the district passes it on, with its reason
            department = rng.choice(self.d.departments)
            r.escalate(receiver, department.unit_id, False, "Thuộc lĩnh vực quản lý của Sở, "
                       "đề xuất chuyển Sở xử lý theo thẩm quyền", t, p, to_unit_level="department")
            office, receiver = department, rng.choice(department.receivers)
            t = self.work(t, 2.0, 1.0)
        initiative = kind == "capital_initiative"  # Điều 9: no verification, no refusal
        if not initiative and rng.random() < 0.05:
            r.start_verification(receiver, t, p)
            t = self.work(t, 2.0)
            r.complete_verification(receiver, rng.random() < 0.8, "Đã xác minh tại hiện trường", t)
            t = self.work(t, 1.0)
        if not initiative and rng.random() < 0.07:
            reason = rng.choice(["a", "b", "c", "e", "đ"])
            r.reject(receiver, reason, "Không đủ điều kiện tiếp nhận theo Điều 6.2", t)
            if reason == "đ":  # Điều 27.2: untrue content counts against the reporter
                r.mark_violation(receiver, "Nội dung phản ánh không đúng sự thật", t)
                reporter.record_violation(r.id, t, p)
            return
        handling = office
        if initiative:
            handling = rng.choice(self.d.districts + self.d.departments)
        # Điều 8.2.a: a complex report's coordinating units are asked with the acceptance, by
        # the lead unit's head, among units of the same or equivalent level.
        peers = [o for o in self.d.districts + self.d.departments if o is not handling]
        helper = (rng.choice(peers) if kind in ("field", "administrative_regulation") and peers
                  and rng.random() < 0.06 else None)
        coordinated = helper is not None
        if helper is not None:
            r.accept(handling.head, handling.unit_id, t, p, coordinating_unit_ids=[helper.unit_id])
        else:
            r.accept(receiver, handling.unit_id, t, p)
        reporter.record_genuine_report(r.id, t)
        if initiative:  # Điều 9: answered within 30 working days
            t = self.work(t, 8 * 12, 0.6)
            r.respond_to_initiative(handling.head, "Cảm ơn sáng kiến, Thành phố ghi nhận và giao "
                                    "đơn vị chuyên môn nghiên cứu áp dụng.", [], t)
            return
        head = handling.head
        t = self.work(t, 1.5, 1.0)
        urgency = "complex" if coordinated else (
            rng.choices(["urgent", "normal", "complex"], [15, 70, 15])[0]
            if kind in ("field", "administrative_regulation")  # Điều 10.2, 11.2
            else rng.choices(["normal", "complex"], [85, 15])[0])
        r.classify(head, urgency, t, p)
        team = rng.choice(handling.teams)
        officer = rng.choice(team.officers)
        t = self.work(t, 0.5, 1.0)
        if team.leader is not None:  # Điều 8.1.b–c: to the commune, whose leader assigns
            r.coordinate_to_commune(head, team.unit_id, team.parent_id, "commune", t, p)
            t = self.work(t, 1.0, 1.0)
            r.assign_commune_officer(team.leader, officer, t)
        else:
            r.assign(head, team.unit_id, team.parent_id, officer, t, p)
        if urgency == "complex":
            if helper is not None:
                t = self.work(t, 24.0, 0.6)
                r.contribute(helper.head, "Đơn vị phối hợp đã kiểm tra và thống nhất "
                             "phương án xử lý.", ["phoi-hop.pdf"], t)
            if rng.random() < 0.3:
                try:
                    r.grant_extension(head, rng.randint(3, 10), "Chờ kết quả thẩm định theo "
                                      "quy định của pháp luật", t, p)
                except DomainError:
                    pass  # past the 30-working-day cap (Điều 8.5)
        median = {"urgent": 2.0, "normal": 24.0, "complex": 60.0}[urgency]
        if kind in ("waste_behaviour", "investor_enterprise"):
            median = 80.0
        t = self.work(t, median, 0.8)
        evidence = [f"bien-ban-{rng.randint(1, 9999)}.pdf", "anh-sau-xu-ly.jpg"]
        r.propose_result(officer, "Đã kiểm tra hiện trường, lập biên bản và xử lý dứt điểm; "
                         "đã khôi phục hiện trạng.", evidence, t, p)
        if rng.random() < 0.15:
            t = self.work(t, 3.0)
            r.return_result(head, "Bổ sung ảnh hiện trường sau khi xử lý", t, p)
            t = self.work(t, 4.0)
            r.propose_result(officer, "Đã bổ sung ảnh hiện trường sau khi xử lý xong.",
                             ["anh-bo-sung.jpg"], t, p)
        t = self.work(t, 3.0, 1.0)
        r.approve_result(head, t, p)  # Điều 12.1
        t = self.work(t, 2.0, 1.0)
        r.update_result(officer, None, [f"anh-hien-truong-{rng.randint(1, 9999)}.jpg"], t, p)
        t = self.work(t, 0.5 if rng.random() < 0.9 else 12.0, 1.0)  # Điều 12.3: 1 working day
        r.publish(head, t)
        if rng.random() < 0.05:
            t = self.check(t + timedelta(hours=rng.uniform(1, 40)))
            r.request_clarification(citizen, "Đề nghị làm rõ thời hạn khắc phục?", t, p)
            t = self.work(t, 8.0)
            r.answer_clarification(head, "Đơn vị đã hoàn thành khắc phục trong tuần.", t)
        if rng.random() < 0.75:
            t = self.check(t + timedelta(hours=rng.uniform(2, 100)))
            rating = rng.choices(["satisfied", "acceptable", "unsatisfied"], [60, 30, 10])[0]
            r.rate(citizen, rating, "" if rng.random() < 0.5 else "Cảm ơn cơ quan chức năng", t)

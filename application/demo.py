"""Sample data for the demo: a unit tree, its staff, citizens, and reports in every state.

The history is played with a simulated clock over the past weeks, through the same
application service as production, so every figure the read side shows comes from events.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from application.services import IHanoi
from domain.actors import Actor, Role
from domain.calendar import BUSINESS_TZ
from domain.errors import DomainError

ADMIN = Actor(id="demo-admin", role=Role.ADMINISTRATOR)

DISTRICTS = {
    "UBND quận Hoàn Kiếm": (21.0285, 105.8542, ["phường Hàng Bạc", "phường Tràng Tiền"]),
    "UBND quận Ba Đình": (21.0340, 105.8140, ["phường Điện Biên", "phường Kim Mã"]),
    "UBND quận Cầu Giấy": (21.0362, 105.7906, ["phường Dịch Vọng", "phường Nghĩa Đô"]),
}
CATEGORIES = {
    "field": [("urban_order", "Lấn chiếm vỉa hè bán hàng tại {place}"),
              ("environment", "Đổ trộm rác thải xây dựng tại {place}"),
              ("traffic", "Đèn tín hiệu giao thông hỏng tại {place}"),
              ("infrastructure", "Ổ gà lớn trên mặt đường tại {place}")],
    "waste_behaviour": [("public_spending", "Công trình bỏ hoang lãng phí tại {place}")],
    "investor_enterprise": [("permits", "Doanh nghiệp vướng thủ tục mặt bằng tại {place}")],
    "capital_initiative": [("smart_city", "Đề xuất lắp cảm biến ngập úng tại {place}")],
}


class SimulatedClock:
    """A clock the seeding moves; ``release()`` hands over to real time. It never runs past
    ``limit`` (the real time when seeding began): a step that would is not played."""

    def __init__(self, start: datetime) -> None:
        self.at: datetime | None = start
        self.start = start
        self.limit = datetime.now(BUSINESS_TZ)

    def __call__(self) -> datetime:
        return self.at if self.at is not None else datetime.now(BUSINESS_TZ)

    def advance(self, rng: random.Random, max_hours: float) -> bool:
        """Move forward up to ``max_hours``; False (and no move) past the limit."""
        assert self.at is not None
        at = self.at + timedelta(hours=rng.uniform(0.05, max_hours))
        if at > self.limit:
            return False
        self.at = at
        return True

    def release(self) -> None:
        self.at = None


@dataclass
class District:
    id: UUID
    head: Actor
    receiver: Actor
    division: UUID
    officer_id: UUID
    officer: Actor
    centre: tuple[float, float]
    wards: list[UUID] = field(default_factory=list)


@dataclass
class SampleCity:
    city: UUID
    centre: UUID
    centre_receiver: Actor
    districts: list[District]
    reporters: list[tuple[UUID, Actor]]


def seed_units(app: IHanoi) -> SampleCity:
    """The city, its service centre, two departments, three districts with a division and
    two wards each, and their staff."""
    def unit(name: str, level: str, parent: UUID | None) -> UUID:
        return app.create_unit(ADMIN, name, level, parent, code=name.lower()[:16]).aggregate_id

    def staff(name: str, unit_id: UUID, role: str) -> tuple[UUID, Actor]:
        officer_id = app.appoint_officer(ADMIN, name, unit_id, role).aggregate_id
        return officer_id, app.officer_actor(officer_id)

    city = unit("UBND Thành phố Hà Nội", "city", None)
    centre = unit("Trung tâm Phục vụ hành chính công Thành phố", "service_centre", city)
    _, centre_receiver = staff("Hoàng Văn Đức", centre, "receiving_officer")
    for department in ("Sở Xây dựng", "Sở Nông nghiệp và Môi trường"):
        staff(f"Giám đốc {department}", unit(department, "department", city), "unit_head")
    districts = []
    for n, (name, (lat, lon, wards)) in enumerate(DISTRICTS.items()):
        district_id = unit(name, "district", city)
        _, head = staff(f"Chủ tịch {name}", district_id, "unit_head")
        _, receiver = staff(f"Cán bộ tiếp nhận {n + 1}", district_id, "receiving_officer")
        division = unit(f"Phòng Quản lý đô thị - {name}", "division", district_id)
        officer_id, officer = staff(f"Cán bộ xử lý {n + 1}", division, "handling_officer")
        district = District(district_id, head, receiver, division, officer_id, officer,
                            (lat, lon))
        for ward in wards:
            ward_id = unit(f"UBND {ward}", "commune", district_id)
            staff(f"Cán bộ {ward}", ward_id, "handling_officer")
            district.wards.append(ward_id)
        districts.append(district)
    reporters = []
    for i in range(20):
        reporter_id = app.register_reporter(
            f"Công dân {i + 1}", phone=f"09{i:08d}", email=f"citizen{i + 1}@example.vn",
            national_id=f"0010990{i:05d}").aggregate_id
        reporters.append((reporter_id, app.citizen_actor(reporter_id)))
    return SampleCity(city, centre, centre_receiver, districts, reporters)


def seed_reports(app: IHanoi, city: SampleCity, clock: SimulatedClock, count: int,
                 rng: random.Random, log: Callable[[str], None] = lambda _: None,
                 progress: Callable[[int, int], None] = lambda _done, _total: None) -> int:
    """Play ``count`` reports, submitted at random instants between the clock's start and its
    limit (in order), each stopping at a random step of its life (some late, some open)."""
    span = (clock.limit - clock.start).total_seconds()
    starts = sorted(clock.start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    for done, start in enumerate(starts, 1):
        progress(done, count)
        clock.at = start
        district = rng.choice(city.districts)
        reporter_id, citizen = rng.choice(city.reporters)
        kind = rng.choices(list(CATEGORIES), weights=[14, 2, 2, 2])[0]
        category, template = rng.choice(CATEGORIES[kind])
        lat, lon = district.centre
        place = f"số {rng.randint(1, 200)} phố {rng.choice(['Hàng Bài', 'Kim Mã', 'Xuân Thủy'])}"
        try:
            report_id = app.submit_report(
                reporter_id, kind=kind, category=category, text=template.format(place=place),
                latitude=lat + rng.uniform(-0.01, 0.01), longitude=lon + rng.uniform(-0.01, 0.01),
                address=place, receiving_unit_id=city.centre if kind == "capital_initiative"
                else district.id, media=[f"media/{rng.randint(1000, 9999)}.jpg"],
                confidential=rng.random() < 0.2).aggregate_id
        except DomainError as error:  # a locked reporter, for instance
            log(f"refused: {error}")
            continue
        _play(app, city, district, citizen, report_id, kind, clock, rng)
    return count


def _play(app: IHanoi, city: SampleCity, district: District, citizen: Actor, report_id: UUID,
          kind: str, clock: SimulatedClock, rng: random.Random) -> None:
    """Advance one report through a random number of its steps; slow steps make it late."""
    def step(max_hours: float = 3.0) -> bool:
        moved = clock.advance(rng, max_hours * (6 if rng.random() < 0.15 else 1))
        return moved and rng.random() < 0.9

    if kind == "capital_initiative":
        if step():
            app.accept(city.centre_receiver, report_id, district.id)
            if step(40):
                app.respond_to_initiative(district.head, report_id,
                                          "Cảm ơn sáng kiến, Thành phố sẽ nghiên cứu áp dụng")
        return
    if not step():
        return
    if rng.random() < 0.08:
        app.reject(district.receiver, report_id, "a", "Thông tin địa điểm không rõ ràng")
        return
    app.accept(district.receiver, report_id)
    if not step():
        return
    app.classify(district.head, report_id, rng.choices(["urgent", "normal"], [1, 4])[0])
    app.assign(district.head, report_id, district.division, district.officer_id)
    if not step(20):
        return
    app.propose_result(district.officer, report_id, "Đã kiểm tra, xử lý dứt điểm vi phạm",
                       ["bien-ban-kiem-tra.pdf", "anh-hien-truong.jpg"])
    if rng.random() < 0.2 and step():
        app.return_result(district.head, report_id, "Bổ sung ảnh sau khi xử lý")
        step()
        app.propose_result(district.officer, report_id, "Đã xử lý, bổ sung ảnh hiện trường",
                           ["anh-sau-xu-ly.jpg"])
    if not step():
        return
    app.approve_result(district.head, report_id)
    app.publish(district.head, report_id)
    if step(8):
        app.rate(citizen, report_id, rng.choices(["satisfied", "acceptable", "unsatisfied"],
                                                 [6, 3, 1])[0], "Cảm ơn cơ quan chức năng")

"""A small Hà Nội for integration tests: a unit tree, officers, a reporter, a movable clock
(the simulation's :class:`~ihanoi.simulation.Clock` and :func:`~ihanoi.simulation.build_directory`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from application.commands import (
    Accept,
    AppointOfficer,
    ApproveResult,
    Assign,
    Classify,
    CreateUnit,
    ProposeResult,
    Publish,
    RegisterReporter,
    SubmitReport,
    UpdateResult,
)
from application.services import IHanoi
from domain.actors import Actor, Role
from domain.calendar import BUSINESS_TZ
from domain.policy import DEFAULT_CATEGORIES
from ihanoi.simulation import Clock, UnitPlan, build_directory
from projections.engine import Projector
from projections.registry import READ_MODELS

ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR)


@pytest.fixture
def clock() -> Clock:
    # Monday 2026-03-02 09:00, an ordinary working morning.
    return Clock(datetime(2026, 3, 2, 9, 0, tzinfo=BUSINESS_TZ))


@pytest.fixture
def app(es_env: dict[str, str], clock: Clock) -> Iterator[IHanoi]:
    application = IHanoi(env=es_env, clock=clock)
    yield application
    application.close()


@pytest.fixture
def projector(app: IHanoi, database_url: str, fresh_schema: str) -> Projector:
    projector = Projector(app, database_url, READ_MODELS, schema=fresh_schema)
    projector.ensure_tracking()
    return projector


@dataclass
class World:
    """City → district (with a division and a ward) and a department, with their staff."""

    app: IHanoi
    city: UUID
    centre: UUID
    district: UUID
    division: UUID
    ward: UUID
    other_district: UUID
    department: UUID
    head: Actor  # head of the district
    receiver: Actor  # receiving officer of the district
    officer: Actor  # handling officer of the district's division
    officer_id: UUID
    ward_officer_id: UUID
    other_head: Actor  # head of another district
    department_head: Actor
    centre_receiver: Actor
    reporter_id: UUID
    citizen: Actor

    def unit(self, name: str, level: str, parent: UUID | None) -> UUID:
        return self.app.handle(CreateUnit(name, level, parent), ADMIN).aggregate_id

    def staff(self, name: str, unit: UUID, role: str) -> tuple[UUID, Actor]:
        officer_id = self.app.handle(AppointOfficer(name, unit, role), ADMIN).aggregate_id
        return officer_id, self.app.officer_actor(officer_id)

    def submit(self, command_id: str | None = None, **overrides: Any) -> UUID:
        fields: dict[str, Any] = {
            "kind": "field", "category": "urban_order",
            "text": "Ổ gà lớn giữa phố Hàng Bài, rất nguy hiểm", "latitude": 21.0245,
            "longitude": 105.8532, "address": "12 Hàng Bài, Hoàn Kiếm",
            "receiving_unit_id": self.district, "media": ["photo-1.jpg"]}
        fields.update(overrides)
        if "category" not in overrides and fields["kind"] != "field":
            fields["category"] = next(iter(DEFAULT_CATEGORIES.get(fields["kind"], {"-": ""})))
        reporter_id = fields.pop("reporter_id", self.reporter_id)
        return self.app.handle(SubmitReport(reporter_id, **fields),
                               command_id=command_id).aggregate_id

    def attachment(self, actor: Actor, data: bytes | None = None, name: str = "anh.jpg"
                   ) -> str:
        """The id of a file ``actor`` uploaded (a photo taken with its GPS location by
        default): what the HTTP API takes as media and evidence (Điều 5.2, 12.2)."""
        source = io.BytesIO(data if data is not None else photo())
        return str(self.app.upload_attachment(source, actor, name).aggregate_id)

    def to_handling(self, report_id: UUID, urgency: str = "normal") -> None:
        self.app.handle(Accept(report_id), self.receiver)
        self.app.handle(Classify(report_id, urgency), self.head)
        self.app.handle(Assign(report_id, self.division, self.officer_id), self.head)

    def to_published(self, report_id: UUID) -> None:
        self.to_handling(report_id)
        self.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà, mặt đường an toàn",
                                      ["bien-ban.pdf"]), self.officer)
        self.app.handle(ApproveResult(report_id), self.head)
        self.app.handle(UpdateResult(report_id, ["anh-sau-khi-va.jpg"]), self.officer)
        self.app.handle(Publish(report_id), self.head)


#: Where the test photos were taken: Hoàn Kiếm lake (degrees, minutes, seconds).
PHOTO_GPS = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 51.0, 9.0)}


def photo(size: tuple[int, int] = (640, 480), gps: bool = True) -> bytes:
    """A JPEG as a phone takes it: with EXIF, its GPS location among it."""
    from PIL import Image

    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "Test Phone"  # Make
    if gps:
        exif[0x8825] = PHOTO_GPS  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


#: The world's units and staff, in the simulation's terms.
WORLD = UnitPlan("Thành phố Hà Nội", "city", units=(
    UnitPlan("Trung tâm Phục vụ hành chính công", "service_centre",
             staff=(("Hoàng Văn Đức", "receiving_officer"),)),
    UnitPlan("UBND quận Hoàn Kiếm", "district",
             staff=(("Nguyễn Văn Hùng", "unit_head"), ("Trần Thị Lan", "receiving_officer")),
             units=(UnitPlan("Phòng Quản lý đô thị", "division",
                             staff=(("Lê Văn Minh", "handling_officer"),)),
                    UnitPlan("UBND phường Tràng Tiền", "commune",
                             staff=(("Phạm Văn Nam", "handling_officer"),)))),
    UnitPlan("UBND quận Ba Đình", "district", staff=(("Đỗ Văn Tùng", "unit_head"),)),
    UnitPlan("Sở Xây dựng", "department", staff=(("Vũ Thị Hoa", "unit_head"),)),
))


def build_world(app: IHanoi) -> World:
    d = build_directory(app, WORLD, ADMIN)
    reporter_id = app.handle(RegisterReporter("Phạm Thị Dung", phone="0912345678",
                                              email="dung@example.vn",
                                              national_id="001099012345")).aggregate_id
    return World(
        app=app, city=d.unit("Thành phố Hà Nội"),
        centre=d.unit("Trung tâm Phục vụ hành chính công"),
        district=d.unit("UBND quận Hoàn Kiếm"), division=d.unit("Phòng Quản lý đô thị"),
        ward=d.unit("UBND phường Tràng Tiền"), other_district=d.unit("UBND quận Ba Đình"),
        department=d.unit("Sở Xây dựng"), head=d.officer("Nguyễn Văn Hùng"),
        receiver=d.officer("Trần Thị Lan"), officer=d.officer("Lê Văn Minh"),
        officer_id=d.officer_id("Lê Văn Minh"), ward_officer_id=d.officer_id("Phạm Văn Nam"),
        other_head=d.officer("Đỗ Văn Tùng"), department_head=d.officer("Vũ Thị Hoa"),
        centre_receiver=d.officer("Hoàng Văn Đức"), reporter_id=reporter_id,
        citizen=app.citizen_actor(reporter_id))


@pytest.fixture
def world(app: IHanoi) -> World:
    return build_world(app)


class Api:
    """The HTTP API over the test's runtime, with tokens for the world's actors."""

    def __init__(self, client: Any, world: World, projector: Projector, secret: str) -> None:
        self.client = client
        self.world = world
        self.projector = projector
        self.secret = secret
        self.overseers: dict[Role, Actor] = {}
        client.event_hooks["response"] = [self._conforms_to_its_response_model]

    def token(self, actor: Actor) -> dict[str, str]:
        """A bearer token for ``actor``. Every staff token is checked against the directory
        (Điều 25), so an in-process actor that is no officer of it (``ADMIN``, an inspector
        ``Actor(id="inspector-1", …)``) is first appointed at the city with its role, once
        per role and test."""
        from api.auth import mint

        if actor.role != Role.CITIZEN and not _is_uuid(actor.id):
            actor = self.overseer(actor.role)
        return {"Authorization": f"Bearer {mint(self.secret, actor.id, actor.role, actor.unit_id)}"}

    def overseer(self, role: Role) -> Actor:
        """The city's officer of ``role`` (an administrator, an inspector…), appointed once."""
        if role not in self.overseers:
            self.overseers[role] = self.world.staff(f"Cán bộ {role} thành phố", self.world.city,
                                                    str(role))[1]
        return self.overseers[role]

    def _conforms_to_its_response_model(self, response: Any) -> None:
        """Every JSON answer of a GET in the tests must be what its route's ``response_model``
        declares (``api.responses``: closed objects), so no test passes on an undocumented
        shape and no field appears that the OpenAPI document does not name."""
        from fastapi.routing import APIRoute, iter_route_contexts
        from pydantic import TypeAdapter
        from starlette.routing import Match

        request = response.request
        if request.method != "GET" or response.status_code != 200 \
                or response.headers.get("content-type") != "application/json":
            return
        scope = {"type": "http", "method": "GET", "path": request.url.path}
        for route in iter_route_contexts(self.client.app.routes):
            if isinstance(route.original_route, APIRoute) and route.matches(scope)[0] == Match.FULL:
                TypeAdapter(route.original_route.response_model).validate_json(response.read())
                return

    def sync(self) -> None:
        """Let the read side catch up (the API reads projections)."""
        self.projector.catch_up()


GENEROUS = "100000/minute"


def generous_settings(**overrides: Any) -> Any:
    """The environment's settings with rate limits no test reaches (every test client calls
    from one address), unless ``overrides`` (field names) say otherwise."""
    from application.settings import get_settings

    limits = {f"rate_limit_{name}": GENEROUS
              for name in ("anonymous", "registrations", "submissions", "auth_failures")}
    return get_settings().model_copy(update={**limits, **overrides})


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


@pytest.fixture
def api(world: World, projector: Projector, database_url: str, fresh_schema: str
        ) -> Iterator[Api]:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from projections.deployment import Deployment

    runtime = Deployment(url=database_url, schema=fresh_schema, app=world.app,
                         projector=projector)
    secret = "test-secret-of-32-bytes-or-more-" + fresh_schema
    with TestClient(create_app(runtime, secret, follow=False, settings=generous_settings()),
                    raise_server_exceptions=False) as client:
        yield Api(client, world, projector, secret)


@pytest.fixture
def conn(projector: Projector) -> Iterator[Any]:
    """A read connection on the test's read models (autocommit)."""
    with projector.connect() as connection:
        connection.autocommit = True
        connection.execute(f"SET search_path TO {projector.schema}")
        yield connection

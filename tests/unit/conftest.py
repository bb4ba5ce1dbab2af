"""The write side in memory: the same small Hà Nội as the integration tests, on the library's
in-memory event store (no PostgreSQL), for service tests that read no projection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from application.services import IHanoi
from domain.calendar import BUSINESS_TZ
from tests.integration.conftest import Clock, World, build_world


@pytest.fixture
def clock() -> Clock:
    # Monday 2026-03-02 09:00, an ordinary working morning.
    return Clock(datetime(2026, 3, 2, 9, 0, tzinfo=BUSINESS_TZ))


@pytest.fixture
def app(clock: Clock) -> Iterator[IHanoi]:
    application = IHanoi(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
    yield application
    application.close()


@pytest.fixture
def world(app: IHanoi) -> World:
    return build_world(app)

"""Alerts and broadcasts (Chương III, Điều 15–17): information and warnings to residents.

A unit drafts an alert for its own area (the city: everyone; a district: its residents; a
commune: its residents), edits it, approves it, then sends it. A lower level must not re-send
what a higher level already sent to its area (Điều 16.2, 17.2).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor, Role, UnitLevel
from domain.errors import InvalidInput, InvalidState, NotPermitted


class AlertCategory(StrEnum):
    INFORMATION = "information"  # thông tin tuyên truyền
    WARNING = "warning"  # cảnh báo


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


MAX_VALIDITY = timedelta(days=366)
ARTICLE_OF_LEVEL = {UnitLevel.CITY: "Điều 15", UnitLevel.DISTRICT: "Điều 16",
                    UnitLevel.COMMUNE: "Điều 17"}


class Alert(Aggregate):
    """One alert of a unit to the residents of its area."""

    class Drafted(Aggregate.Created):
        unit_id: UUID
        unit_level: str
        category: str
        severity: str
        title: str
        body: str
        valid_from: datetime
        valid_until: datetime
        resend_of: UUID | None
        by: dict[str, Any]
        at: datetime

    @event(Drafted)
    def __init__(self, unit_id: UUID, unit_level: str, category: str, severity: str,
                 title: str, body: str, valid_from: datetime, valid_until: datetime,
                 resend_of: UUID | None, by: dict[str, Any], at: datetime) -> None:
        self.unit_id = unit_id
        self.unit_level = UnitLevel(unit_level)
        self.category = category
        self.severity = severity
        self.title = title
        self.body = body
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.resend_of = resend_of
        self.status = "draft"

    @classmethod
    def draft(cls, by: Actor, category: str, severity: str, title: str, body: str,
              valid_from: datetime, valid_until: datetime, at: datetime,
              resend_of: Alert | None = None,
              higher_already_covers: bool = False) -> Alert:
        """A unit's officer drafts an alert for the unit's own area."""
        level = _check_author(by, "Điều 15–17")
        if resend_of is not None and higher_already_covers:
            raise InvalidState("Điều 16.2, 17.2", "a higher level already sent this alert to "
                               "the unit's area; it must not be sent again")
        _check_content(category, severity, title, body, valid_from, valid_until, at)
        assert by.unit_id is not None  # _check_author refuses an actor without a unit
        return cls(unit_id=by.unit_id, unit_level=level, category=category, severity=severity,
                   title=title.strip(), body=body.strip(), valid_from=valid_from,
                   valid_until=valid_until, resend_of=resend_of.id if resend_of else None,
                   by=by.ref(), at=at)

    def edit(self, by: Actor, title: str, body: str, severity: str, valid_from: datetime,
             valid_until: datetime, at: datetime) -> None:
        self._check_unit(by, Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD)
        if self.status != "draft":
            raise InvalidState(self._article, "only a draft can be edited")
        _check_content(self.category, severity, title, body, valid_from, valid_until, at)
        self._edited(by=by.ref(), at=at, title=title.strip(), body=body.strip(),
                     severity=severity, valid_from=valid_from, valid_until=valid_until)

    class Edited(Aggregate.Event):
        by: dict[str, Any]
        at: datetime
        title: str
        body: str
        severity: str
        valid_from: datetime
        valid_until: datetime

    @event(Edited)
    def _edited(self, by: dict[str, Any], at: datetime, title: str, body: str, severity: str,
                valid_from: datetime, valid_until: datetime) -> None:
        self.title, self.body, self.severity = title, body, severity
        self.valid_from, self.valid_until = valid_from, valid_until

    def approve(self, by: Actor, at: datetime) -> None:
        """The unit's head approves the alert before it goes out."""
        self._check_unit(by, Role.UNIT_HEAD)
        if self.status != "draft":
            raise InvalidState(self._article, "only a draft can be approved")
        self._approved(by=by.ref(), at=at)

    class Approved(Aggregate.Event):
        by: dict[str, Any]
        at: datetime

    @event(Approved)
    def _approved(self, by: dict[str, Any], at: datetime) -> None:
        self.status = "approved"

    def send(self, by: Actor, at: datetime) -> None:
        """Send the approved alert to the residents of the unit's area."""
        self._check_unit(by, Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD)
        if self.status != "approved":
            raise InvalidState(self._article, "an alert is sent only once approved by the "
                               "unit's head")
        if at > self.valid_until:
            raise InvalidState(self._article, "the alert's validity period is over")
        self._sent(by=by.ref(), at=at, area_unit_id=self.unit_id)

    class Sent(Aggregate.Event):
        by: dict[str, Any]
        at: datetime
        area_unit_id: UUID

    @event(Sent)
    def _sent(self, by: dict[str, Any], at: datetime, area_unit_id: UUID) -> None:
        self.status = "sent"

    @property
    def _article(self) -> str:
        return ARTICLE_OF_LEVEL.get(self.unit_level, "Điều 15–17")

    def _check_unit(self, by: Actor, *roles: Role) -> None:
        if not by.is_staff_of(self.unit_id, *roles):
            raise NotPermitted(self._article, "only the alert's own unit may do this")


def _check_author(by: Actor, rule: str) -> UnitLevel:
    if by.role not in (Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD) \
            or by.unit_id is None or by.unit_level not in ARTICLE_OF_LEVEL:
        raise NotPermitted(rule, "alerts are published by the city, district and commune "
                           "people's committees")
    return by.unit_level


def _check_content(category: str, severity: str, title: str, body: str, valid_from: datetime,
                   valid_until: datetime, at: datetime) -> None:
    if category not in set(AlertCategory):
        raise InvalidInput("Điều 15", "category must be information or warning")
    if severity not in set(Severity):
        raise InvalidInput("Điều 15", "severity must be low, medium or high")
    if not title or not title.strip() or len(title) > 200:
        raise InvalidInput("Điều 15", "a title of 1 to 200 characters is required")
    if not body or not body.strip() or len(body) > 10000:
        raise InvalidInput("Điều 15", "a body of 1 to 10000 characters is required")
    if valid_from.tzinfo is None or valid_until.tzinfo is None:
        raise InvalidInput("Điều 15", "the validity period needs timezone-aware instants")
    if valid_until <= valid_from:
        raise InvalidInput("Điều 15", "the validity period must end after it starts")
    if valid_until <= at or valid_until - valid_from > MAX_VALIDITY:
        raise InvalidInput("Điều 15", "the validity period must end in the future and last at "
                           "most a year")

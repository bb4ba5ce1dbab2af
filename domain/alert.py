"""Alerts and broadcasts (Chương III, Điều 15–17): information and warnings to residents.

Who sends: at city level the departments, boards and units under the city (sở, ban, ngành and
đơn vị trực thuộc — in the tree, departments and the public service centre, which is also the
channel's manager and focal unit, Điều 15.2–15.5) create, edit, approve and send alerts to all
the city's residents; a district's people's committee to its residents (Điều 16.1); a
commune's to its residents (Điều 17.1). The city's committee itself sends nothing: its
documents go out through the department that drafted them (Điều 15.4–15.5).

A district does not send what the city level created, and a commune neither that nor what its
district created (Điều 16.2, 17.2 "để tránh trùng lặp, trùng nội dung"): the ban is on the
content, declared (``resend_of``) or not — two alerts carry the same content when their
title and body are equal once normalised (:func:`content_key`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

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
#: Điều 15.4–15.5: the city-level authors, whose alerts reach every resident of the city.
CITY_WIDE_AUTHORS = frozenset({UnitLevel.DEPARTMENT, UnitLevel.SERVICE_CENTRE})
#: The levels that author alerts, and the article each acts under.
AUTHOR_LEVELS = {UnitLevel.DEPARTMENT: "Điều 15", UnitLevel.SERVICE_CENTRE: "Điều 15",
                 UnitLevel.DISTRICT: "Điều 16", UnitLevel.COMMUNE: "Điều 17"}
#: The article of an alert's unit level; alerts the city's committee drafted before the
#: authors were the departments' keep theirs.
ARTICLE_OF_LEVEL = {**AUTHOR_LEVELS, UnitLevel.CITY: "Điều 15"}
#: Điều 16.2, 17.2: the levels bound not to send what a higher level created.
BAN_OF_LEVEL = {UnitLevel.DISTRICT: "Điều 16.2", UnitLevel.COMMUNE: "Điều 17.2"}
#: The seed's "tối thiểu 03 ngày 01 tin" (seed 001 1.d, 8.b) binds the heads of departments,
#: districts and communes.
CADENCE_LEVELS = frozenset({UnitLevel.DEPARTMENT, UnitLevel.DISTRICT, UnitLevel.COMMUNE})


def content_key(title: str, body: str) -> str:
    """Điều 16.2, 17.2: what "the same content" means — title and body equal once
    normalised: Unicode NFC (Vietnamese diacritics kept, so "Bão" is not "Bao"), case folded,
    punctuation and symbols dropped, runs of spaces made one. A SHA-256, so the key names no
    text."""
    def normal(text: str) -> str:
        text = unicodedata.normalize("NFC", text).casefold()
        kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in text)
        return re.sub(r"\s+", " ", kept).strip()
    return hashlib.sha256(f"{normal(title)}\n{normal(body)}".encode()).hexdigest()


def is_higher(other: Alert, level: UnitLevel, ancestors: Collection[UUID]) -> bool:
    """Điều 16.2, 17.2: ``other`` was created by a level above an author of ``level`` whose
    unit's ancestors are ``ancestors``: the city level (departments, the service centre, the
    city) for a district or a commune, and the commune's own district for a commune."""
    if level not in BAN_OF_LEVEL:
        return False
    city_level = other.unit_level in CITY_WIDE_AUTHORS or other.unit_level == UnitLevel.CITY
    return city_level or other.unit_id in ancestors


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
              resend_of: Alert | None = None, ancestors: Collection[UUID] = (),
              same_content: Iterable[Alert] = ()) -> Alert:
        """A unit's officer drafts an alert for the unit's own area; ``ancestors``: the units
        above his; ``same_content``: the alerts whose content is this one's."""
        level = _check_author(by, "Điều 15–17")
        if resend_of is not None and is_higher(resend_of, level, ancestors):
            raise InvalidState("Điều 16.2, 17.2", "a higher level already sent this alert to "
                               "the unit's area; it must not be sent again")
        _check_content(category, severity, title, body, valid_from, valid_until, at)
        _check_not_higher_content(level, ancestors, same_content)
        assert by.unit_id is not None  # _check_author refuses an actor without a unit
        return cls(unit_id=by.unit_id, unit_level=level, category=category, severity=severity,
                   title=title.strip(), body=body.strip(), valid_from=valid_from,
                   valid_until=valid_until, resend_of=resend_of.id if resend_of else None,
                   by=by.ref(), at=at)

    @property
    def content_key(self) -> str:
        return content_key(self.title, self.body)

    def edit(self, by: Actor, title: str, body: str, severity: str, valid_from: datetime,
             valid_until: datetime, at: datetime, ancestors: Collection[UUID] = (),
             same_content: Iterable[Alert] = ()) -> None:
        """``same_content``: the alerts whose content is the edited one's."""
        self._check_unit(by, Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD)
        if self.status != "draft":
            raise InvalidState(self._article, "only a draft can be edited")
        _check_content(self.category, severity, title, body, valid_from, valid_until, at)
        _check_not_higher_content(self.unit_level, ancestors,
                                  (a for a in same_content if a.id != self.id))
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

    def send(self, by: Actor, at: datetime, city_id: UUID | None = None,
             ancestors: Collection[UUID] = (), same_content: Iterable[Alert] = ()) -> None:
        """Send the approved alert to the residents of the unit's area: a city-level author's
        to the whole city (``city_id``, the root of the tree), a district's or commune's to
        its own; refused when a higher level has created the same content meanwhile."""
        self._check_unit(by, Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD)
        if self.status != "approved":
            raise InvalidState(self._article, "an alert is sent only once approved by the "
                               "unit's head")
        if at > self.valid_until:
            raise InvalidState(self._article, "the alert's validity period is over")
        _check_not_higher_content(self.unit_level, ancestors,
                                  (a for a in same_content if a.id != self.id))
        area = city_id if self.unit_level in CITY_WIDE_AUTHORS and city_id else self.unit_id
        self._sent(by=by.ref(), at=at, area_unit_id=area)

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
            or by.unit_id is None or by.unit_level not in AUTHOR_LEVELS:
        raise NotPermitted(rule, "alerts are published by the departments and units under the "
                           "city (to the whole city) and by the district and commune people's "
                           "committees (to their residents)")
    return by.unit_level


def _check_not_higher_content(level: UnitLevel, ancestors: Collection[UUID],
                              same_content: Iterable[Alert]) -> None:
    """Điều 16.2, 17.2: no content that a higher level created, declared as a re-send or not."""
    rule = BAN_OF_LEVEL.get(level)
    if rule is None:
        return
    for other in same_content:
        if is_higher(other, level, ancestors):
            raise InvalidState(rule, "a higher level already created an alert with the same "
                               "title and body; it must not be sent again to avoid duplicate "
                               "content to residents")


class AlertContent(Aggregate):
    """The alerts drafted or edited to one content (:func:`content_key`), so that a command
    finds the alerts of the same content by id (Điều 16.2, 17.2). Its id derives from the key;
    an alert edited away from the content stays listed (callers compare current contents)."""

    class Registered(Aggregate.Created):
        key: str

    @event(Registered)
    def __init__(self, key: str) -> None:
        self.key = key
        self.alert_ids: list[UUID] = []

    @staticmethod
    def create_id(key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"ihanoi:alert-content:{key}")

    def add(self, alert_id: UUID, at: datetime) -> None:
        if alert_id not in self.alert_ids:
            self._used(alert_id=alert_id, at=at)

    class Used(Aggregate.Event):
        alert_id: UUID
        at: datetime

    @event(Used)
    def _used(self, alert_id: UUID, at: datetime) -> None:
        self.alert_ids.append(alert_id)


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

"""A partner application of the Open311 interface and its API key (Điều 28.1: the system's
administrator manages who may use it).

Only the key's SHA-256 is recorded (events are encrypted at rest besides); the key itself is
shown once to the administrator who issues it. A revoked key opens nothing any more.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput, InvalidState, NotPermitted


class PartnerApplication(Aggregate):
    """An application (a partner's app or website) sending service requests over Open311."""

    class Issued(Aggregate.Created):
        name: str
        key_hash: str
        issued_by: str
        at: datetime

    @event(Issued)
    def __init__(self, name: str, key_hash: str, issued_by: str, at: datetime) -> None:
        self.name = name
        self.key_hash = key_hash
        self.issued_by = issued_by
        self.issued_at = at
        self.revoked_at: datetime | None = None

    @classmethod
    def issue(cls, name: str, key_hash: str, issued_by: str, at: datetime) -> PartnerApplication:
        """Điều 28.1: the administrator issues a key to a named application."""
        name = (name or "").strip()
        if not name or len(name) > 200:
            raise InvalidInput("Điều 28.1", "a partner application needs a name (1 to 200 "
                               "characters)")
        if len(key_hash) != 64:
            raise InvalidInput("Điều 28.1", "the key's SHA-256 is 64 hexadecimal digits")
        return cls(name=name, key_hash=key_hash, issued_by=issued_by, at=at)

    def revoke(self, revoked_by: str, at: datetime) -> None:
        if self.revoked_at is not None:
            raise InvalidState("Điều 28.1", "this API key is already revoked")
        self._revoked(revoked_by=revoked_by, at=at)

    class Revoked(Aggregate.Event):
        revoked_by: str
        at: datetime

    @event(Revoked)
    def _revoked(self, revoked_by: str, at: datetime) -> None:
        self.revoked_at = at

    def check_key(self, key_hash: str) -> None:
        """The key opens the interface: it is this application's and not revoked."""
        if not hmac.compare_digest(self.key_hash, key_hash) or self.revoked_at is not None:
            raise NotPermitted("Open311 GeoReport v2", "invalid or revoked api_key")

"""The book of the service-level policy versions the city adopted (Điều 28.1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import DomainError
from domain.policy import SlaPolicy

POLICY_BOOK_ID = uuid5(NAMESPACE_URL, "ihanoi:policy-book")


class PolicyBook(Aggregate):
    """The versions of the service-level policy adopted by the city (administrator)."""

    @event("Opened")
    def __init__(self) -> None:
        self.current: dict[str, Any] | None = None

    @staticmethod
    def create_id() -> UUID:
        return POLICY_BOOK_ID

    def adopt(self, policy: SlaPolicy, by: Actor, at: datetime) -> None:
        if self.current is not None and self.current["version"] == policy.version:
            raise DomainError("Điều 28.1", f"policy version {policy.version!r} already adopted")
        self._adopted(policy=policy.to_dict(), by=by.ref(), at=at)

    class PolicyAdopted(Aggregate.Event):
        policy: dict[str, Any]
        by: dict[str, Any]
        at: datetime

    @event(PolicyAdopted)
    def _adopted(self, policy: dict[str, Any], by: dict[str, Any], at: datetime) -> None:
        self.current = policy

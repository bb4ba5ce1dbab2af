"""How a person wants to be told (issue 11.5): the channels of his notifications.

One :class:`NotificationPreferences` per recipient (a citizen or an officer), its id derived
from the recipient, so it is found without an index. The in-app notice (and its log line) is
always sent; e-mail and a signed webhook are the channels a recipient may add.
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput

CHANNELS = ("email", "webhook")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RULE = "Điều 8.3"  # the citizen is told of the result through the channel he uses


def preferences_id(recipient_kind: str, recipient_id: str) -> UUID:
    """The id of a recipient's preferences (``reporter`` or ``officer``, and his id)."""
    return uuid5(NAMESPACE_URL, f"ihanoi:notification-preferences:{recipient_kind}:{recipient_id}")


class NotificationPreferences(Aggregate):
    """The extra channels a recipient chose, with their addresses (encrypted at rest)."""

    class Created(Aggregate.Created):
        recipient_kind: str
        recipient_id: str

    @event(Created)
    def __init__(self, recipient_kind: str, recipient_id: str) -> None:
        self.recipient_kind = recipient_kind
        self.recipient_id = recipient_id
        self.channels: list[str] = []
        self.email: str | None = None
        self.webhook_url: str | None = None

    @classmethod
    def create_id(cls, recipient_kind: str, recipient_id: str) -> UUID:
        return preferences_id(recipient_kind, recipient_id)

    @classmethod
    def open(cls, recipient_kind: str, recipient_id: str) -> NotificationPreferences:
        if recipient_kind not in ("reporter", "officer"):
            raise InvalidInput(RULE, "preferences belong to a citizen or an officer")
        return cls(recipient_kind=recipient_kind, recipient_id=recipient_id)

    def choose(self, channels: list[str], email: str | None, webhook_url: str | None,
               at: datetime) -> None:
        """Pick the extra channels; each needs its address (a webhook URL over http(s))."""
        chosen = list(dict.fromkeys(channels))
        unknown = [c for c in chosen if c not in CHANNELS]
        if unknown:
            raise InvalidInput(RULE, f"unknown channels {unknown}; choose among {list(CHANNELS)}")
        email = (email or "").strip() or None
        webhook_url = (webhook_url or "").strip() or None
        if email is not None and not EMAIL.match(email):
            raise InvalidInput(RULE, "the e-mail address is not valid")
        if webhook_url is not None and not re.match(r"^https?://[^\s/]+", webhook_url):
            raise InvalidInput(RULE, "a webhook URL starts with http:// or https://")
        if "email" in chosen and email is None:
            raise InvalidInput(RULE, "the e-mail channel needs an e-mail address")
        if "webhook" in chosen and webhook_url is None:
            raise InvalidInput(RULE, "the webhook channel needs a URL")
        self._chosen(channels=chosen, email=email, webhook_url=webhook_url, at=at)

    class Chosen(Aggregate.Event):
        channels: list[str]
        email: str | None
        webhook_url: str | None
        at: datetime

    @event(Chosen)
    def _chosen(self, channels: list[str], email: str | None, webhook_url: str | None,
                at: datetime) -> None:
        self.channels, self.email, self.webhook_url = channels, email, webhook_url

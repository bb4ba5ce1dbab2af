"""Commands are messages: one handler each, and a command id stands for the message's
fingerprint (IETF httpapi "The Idempotency-Key HTTP Header Field")."""

from __future__ import annotations

import hashlib
import inspect
import json
from uuid import UUID, uuid4

import pytest

from application import commands as c
from application.services import HANDLERS, IHanoi
from domain.policy import DEFAULT_POLICY

REPORT = UUID("6f1c2a52-3f0e-4a6b-9d55-0b7f4c1e2d3a")


def _messages() -> list[type[c.Command]]:
    return [cls for _, cls in inspect.getmembers(c, inspect.isclass)
            if issubclass(cls, c.Command)
            and cls not in (c.Command, c.ReportCommand, c.AlertCommand)]


def test_every_command_has_one_handler() -> None:
    assert set(_messages()) == set(HANDLERS)


def test_a_message_is_frozen() -> None:
    with pytest.raises(AttributeError):
        c.Classify(REPORT, "normal").urgency = "urgent"  # type: ignore[misc]


def test_the_fingerprint_is_the_same_for_the_same_message_and_differs_for_another() -> None:
    assert c.fingerprint(c.Classify(REPORT, "normal")) == c.fingerprint(
        c.Classify(REPORT, "normal"))
    assert c.fingerprint(c.Classify(REPORT, "normal")) != c.fingerprint(
        c.Classify(REPORT, "urgent"))
    assert c.fingerprint(c.ReturnResult(REPORT, "Thiếu ảnh")) != c.fingerprint(
        c.UnmarkDuplicate(REPORT, "Thiếu ảnh"))


def test_the_fingerprint_is_the_one_receipts_were_stored_with_before_messages() -> None:
    """Receipts saved when commands were methods fingerprinted the method's name and its
    arguments (defaults included): a retry across the change is still a replay."""
    expected = hashlib.sha256(json.dumps(
        ["rate", {"report_id": str(REPORT), "rating": "satisfied", "comment": ""}],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    assert c.fingerprint(c.Rate(REPORT, "satisfied")) == expected


def test_every_message_has_a_canonical_fingerprint() -> None:
    assert len(c.fingerprint(c.AdoptPolicy(DEFAULT_POLICY))) == 64
    assert c.command_name(c.RerouteAfterMerger) == "reroute_after_merger"


def test_a_command_without_the_actor_who_sends_it_is_refused(app: IHanoi) -> None:
    with pytest.raises(TypeError, match="needs the actor"):
        app.handle(c.Accept(uuid4()))

"""The texts of notifications are data (``projections/notification_templates.toml``): each
entry names a step that exists (or one announced, ``ResultUpdated``), a known recipient, and
only placeholders its event fills."""

from __future__ import annotations

import string

from domain.report import Report
from domain.reporter import Reporter
from projections.notifications import GROUNDS, TEMPLATES, UNIT_FIELDS, Template

AGGREGATES = {"Report": Report, "Reporter": Reporter}
RECIPIENTS = {"reporter", "officer", "handling_head", "receiving_head", "coordinating_heads",
              "commune_head"}
ANNOUNCED: set[tuple[str, str]] = set()  # steps announced before their event exists
#: Entries the code renders itself, with the values it passes.
RENDERED_BY_CODE = {
    ("Report", "Published"): {"report", "duplicate", "at"},
    ("Report", "InitiativeAnswered"): {"report", "duplicate", "at"},
    ("Alert", "Sent"): {"category_name", "severity_name", "title", "body"},
    ("Deadline", "passed"): {"report", "due", "stage_name"},
    ("Deadline", "warning"): {"report", "due", "stage_name"},
    ("Alert", "cadence"): {"days"},
}


def _placeholders(template: Template) -> set[str]:
    return {name for text in (template.subject, template.body)
            for _, name, _, _ in string.Formatter().parse(text) if name}


def _fields(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        names |= set(getattr(klass, "__annotations__", {}))
    extra = {name.removesuffix("_id") + "_name" for name in names
             if name.endswith(UNIT_FIELDS)}
    return names | extra | {"report", "due", "ground"}


def test_every_template_names_a_step_its_recipients_and_the_fields_it_uses() -> None:
    for (aggregate, event), templates in TEMPLATES.items():
        if (aggregate, event) in RENDERED_BY_CODE:
            for template in templates.values():
                assert _placeholders(template) <= RENDERED_BY_CODE[aggregate, event], event
            continue
        assert aggregate in AGGREGATES, aggregate
        cls = getattr(AGGREGATES[aggregate], event, None)
        assert cls is not None or (aggregate, event) in ANNOUNCED, f"no event {event}"
        for recipient, template in templates.items():
            assert recipient in RECIPIENTS, (event, recipient)
            if cls is not None:
                assert _placeholders(template) <= _fields(cls), (event, recipient)


def test_a_rejection_names_its_ground_for_each_letter_of_dieu_6_2() -> None:
    from domain.report import RejectionReason

    assert set(GROUNDS) == {str(r) for r in RejectionReason}
    subject, body = TEMPLATES["Report", "Rejected"]["reporter"].render(
        {"report": "R1", "at": "09:00 02/03/2026", "reason": "a", "ground": GROUNDS["a"],
         "note": "Thiếu địa chỉ cụ thể"})
    assert "Lý do: thông tin phản ánh không đầy đủ hoặc không chính xác (Điều 6.2 điểm a)" in body
    assert subject == "Phản ánh của bạn không được tiếp nhận"

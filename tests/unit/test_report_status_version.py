"""The staff view of a report answers its version as ETag (issue 11 item 4), which a command's
If-Match is checked against (RFC 9110 §13.1.1): every event recorded on a report must move the
``version`` of ``report_status``, or an If-Match taken from a GET fails with 412."""

from __future__ import annotations

from eventsourcing.utils import get_topic

from domain.report import Report
from projections import report_status


def _report_events() -> list[type]:
    """The events a report records (``Created``, eventsourcing's default, is never: a report
    begins with ``Submitted``)."""
    return [value for name, value in vars(Report).items() if isinstance(value, type)
            and issubclass(value, Report.Event) and value is not Report.Event
            and name != "Created"]


def test_every_report_event_moves_the_report_status_version_rfc_9110_13_1_1() -> None:
    events = _report_events()
    assert len(events) >= 25
    missing = [cls.__name__ for cls in events
               if get_topic(cls) not in report_status.model.handlers]
    assert missing == []

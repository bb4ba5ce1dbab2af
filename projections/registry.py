"""Every read model, in one list: adding one means its file, its migration and a line here."""

from projections import audit_trail, monthly_statistics, unit_directory, unit_monthly_lateness  # noqa: I001
from projections import citizen_reports, overdue, public_results, report_status, work_queues
from projections import alerts, reporter_locks
from projections import duplicate_candidates, matters, repeat_dissatisfaction
from projections import report_timeline
from projections import periodic_reports
from projections import report_attachments
from projections import partner_applications
from projections import adoption_progress
from projections.engine import ReadModel

READ_MODELS: list[ReadModel] = [
    report_status.model,
    public_results.model, citizen_reports.model, work_queues.model, overdue.model,
    audit_trail.model, unit_directory.model, unit_monthly_lateness.model, monthly_statistics.model,
    reporter_locks.model, alerts.model,
    matters.model, duplicate_candidates.model, repeat_dissatisfaction.model,
    report_timeline.model,
    periodic_reports.model,
    report_attachments.model,
    partner_applications.model,
    adoption_progress.model,
]

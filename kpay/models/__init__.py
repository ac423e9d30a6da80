"""The core's tables: members, activity events, the points ledger, jobs, schedules, e-mails,
data exports."""

from kpay.models.audit import AuditEntry
from kpay.models.events import ActivityEvent
from kpay.models.jobs import Job, ScheduleRun
from kpay.models.mail import EmailMessage
from kpay.models.points import PointsEntry
from kpay.models.privacy import ExportRequest
from kpay.models.users import ROLES, User

__all__ = [
    "ROLES", "ActivityEvent", "AuditEntry", "EmailMessage", "ExportRequest", "Job", "PointsEntry",
    "ScheduleRun", "User",
]

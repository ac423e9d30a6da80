"""The core's tables: members, events, points, jobs, schedules, e-mails, audit,
notifications, data exports and commerce."""

from kpay.models import commerce  # noqa: F401 (its tables join the metadata)
from kpay.models.audit import AuditEntry
from kpay.models.events import ActivityEvent
from kpay.models.jobs import Job, ScheduleRun
from kpay.models.mail import EmailMessage
from kpay.models.notifications import DigestRun, Notification, NotificationPreference
from kpay.models.points import PointsBalance, PointsEntry
from kpay.models.privacy import ExportRequest
from kpay.models.users import ROLES, User

__all__ = [
    "ROLES", "ActivityEvent", "AuditEntry", "DigestRun", "EmailMessage", "ExportRequest", "Job",
    "Notification", "NotificationPreference", "PointsBalance", "PointsEntry", "ScheduleRun", "User",
]

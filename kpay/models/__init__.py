"""The core's tables: members, activity events, the points ledger, jobs and schedule runs."""

from kpay.models.events import ActivityEvent
from kpay.models.jobs import Job, ScheduleRun
from kpay.models.points import PointsEntry
from kpay.models.users import ROLES, User

__all__ = ["ROLES", "ActivityEvent", "Job", "PointsEntry", "ScheduleRun", "User"]

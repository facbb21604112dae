"""The daily reminder run: overdue work items alert the worker and the unit's supervisors once
a day, and case reviews falling due are put on the worker's list."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.core.models import Role
from socialdesk.core.services import notification_send

from ..models import WorkItem
from .casework import _unit_staff


def _overdue_title(item: WorkItem, subject: str) -> str:
    return _("Overdue: %(kind)s %(subject)s") % {
        "kind": item.get_kind_display(),
        "subject": subject,
    }


def _overdue_body(due: date) -> str:
    return _("It was due on %(date)s.") % {"date": due.isoformat()}


@transaction.atomic
def reminders_send(*, today: date | None = None) -> int:
    """Alert the assignee and the unit supervisors of every overdue work item not yet alerted
    today; returns how many items were alerted. Safe to run more than once a day."""
    today = today or timezone.localdate()
    overdue = (
        # Lock the items only: PostgreSQL refuses FOR UPDATE on the nullable side of the joins.
        WorkItem.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(done_at__isnull=True, due_on__lt=today)
        .exclude(overdue_alerted_on=today)
        .select_related("assignee", "case", "referral", "unit")
    )
    alerted = 0
    for item in overdue:
        recipients = list(_unit_staff(item.unit_id, Role.UNIT_SUPERVISOR))
        if item.assignee is not None and item.assignee not in recipients:
            recipients.append(item.assignee)
        subject = (
            item.case.number if item.case else item.referral.reference if item.referral else ""
        )
        notification_send(
            recipients=recipients,
            kind="overdue",
            title=partial(_overdue_title, item, subject),
            body=partial(_overdue_body, item.due_on),
            link="/cases/my-work/",
        )
        item.overdue_alerted_on = today
        item.save(update_fields=["overdue_alerted_on"])
        alerted += 1
    return alerted

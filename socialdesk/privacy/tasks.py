"""Background tasks of the privacy app."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.tasks import task
from django.utils import timezone

from socialdesk.core.access import Action
from socialdesk.core.jobs import job_progress, job_run

from .selectors import AuditFilter, audit_list_for

CSV_HEADER = [
    "id",
    "timestamp",
    "action",
    "user",
    "ip_address",
    "record_type",
    "record_id",
    "record",
    "changes",
    "details",
]


def _filters(params: dict[str, Any]) -> AuditFilter:
    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return AuditFilter(
        user=params.get("user", ""),
        model=params.get("model", ""),
        object_pk=params.get("object_pk", ""),
        action=params.get("action"),
        date_from=day(params.get("date_from")),
        date_to=day(params.get("date_to")),
    )


@task()
def export_audit_csv(job_id: int) -> None:
    """Write the audit entries matching the job's filters to a UTF-8 CSV (Excel opens it)."""

    def work(job: Any) -> tuple[str, bytes]:
        user = get_user_model().objects.get(pk=job.requested_by_id)
        entries = audit_list_for(user=user, filters=_filters(job.parameters), action=Action.EXPORT)
        total = entries.count() or 1
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADER)
        for n, entry in enumerate(entries.iterator(chunk_size=500), start=1):
            writer.writerow(
                [
                    entry.pk,
                    timezone.localtime(entry.timestamp).isoformat(),
                    entry.get_action_display(),
                    entry.actor.username if entry.actor else "",
                    entry.remote_addr or "",
                    f"{entry.content_type.app_label}.{entry.content_type.model}",
                    entry.object_pk,
                    entry.object_repr,
                    entry.changes_str if entry.changes else "",
                    entry.additional_data or "",
                ]
            )
            if n % 500 == 0:
                job_progress(job.pk, progress=int(n * 100 / total))
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        return f"audit-log-{stamp}.csv", ("\ufeff" + buffer.getvalue()).encode("utf-8")

    job_run(job_id, work)

"""Background jobs: start a task for a user and report its progress to the page that polls it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .models import BackgroundJob, JobStatus


def job_start(*, user: Any, kind: str, task: Any, parameters: dict[str, Any]) -> BackgroundJob:
    """Record a job and enqueue `task(job_id)` once the surrounding transaction commits."""
    job = BackgroundJob.objects.create(kind=kind, requested_by=user, parameters=parameters)

    def enqueue() -> None:
        result = task.enqueue(job.pk)
        BackgroundJob.objects.filter(pk=job.pk, task_result_id="").update(
            task_result_id=str(result.id)
        )

    transaction.on_commit(enqueue)
    return job


def job_progress(job_id: int, *, progress: int, message: str = "") -> None:
    """Update progress (0–100) as the task runs; pages polling the job see it at once."""
    BackgroundJob.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING, progress=max(0, min(100, progress)), message=message[:300]
    )


def job_run(job_id: int, work: Callable[[BackgroundJob], tuple[str, bytes]]) -> None:
    """Run `work(job)` → (file name, content), storing the file or the failure on the job."""
    job = BackgroundJob.objects.get(pk=job_id)
    if job.is_finished:  # tasks may be retried; a finished job is not redone
        return
    job_progress(job_id, progress=0)
    try:
        name, content = work(job)
    except Exception as exc:
        BackgroundJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, message=str(exc)[:300], finished_at=timezone.now()
        )
        raise
    job.refresh_from_db()
    job.result_file.save(name, ContentFile(content), save=False)
    job.result_name = name
    job.status = JobStatus.SUCCEEDED
    job.progress = 100
    job.finished_at = timezone.now()
    job.save(update_fields=["result_file", "result_name", "status", "progress", "finished_at"])

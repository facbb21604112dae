"""Background tasks of the API (Django's tasks API; the worker runs them)."""

from __future__ import annotations

from django.tasks import task

from .idempotency import idempotency_keys_expire


@task
def expire_idempotency_keys() -> int:
    """Delete idempotency keys older than 24 hours (the scheduler enqueues it every night)."""
    return idempotency_keys_expire()

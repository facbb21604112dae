"""Background tasks of the webhooks (Django's tasks API; the worker runs them): one delivery,
enqueued when its event's transaction commits, the periodic retry of those due again, and the
nightly clean-up of old deliveries."""

from __future__ import annotations

from django.tasks import task

from .webhooks import deliveries_due, delivery_attempt, webhook_deliveries_prune


@task
def webhook_deliver(delivery_id: int) -> str | None:
    """Send one delivery if it is still due; returns its status afterwards (None: not due, or
    another worker has it). Safe to run twice: a delivery is claimed before it is sent."""
    delivery = delivery_attempt(delivery_id)
    return None if delivery is None else delivery.status


@task
def webhook_deliveries_due() -> int:
    """Enqueue every delivery whose retry is due (`SOCIALDESK_SCHEDULE` runs it every five
    minutes); also picks up a delivery whose first enqueue was lost. Returns how many."""
    due = deliveries_due()
    for delivery_id in due:
        webhook_deliver.enqueue(delivery_id)
    return len(due)


@task
def prune_webhook_deliveries() -> int:
    """Delete delivered and given-up deliveries past their retention
    (`SOCIALDESK_WEBHOOK_RETENTION_DAYS`; `SOCIALDESK_SCHEDULE` runs it every night). Returns how
    many were deleted."""
    return webhook_deliveries_prune()

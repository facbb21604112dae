"""Performance events (a return submitted, returned, accepted or overdue; a unit below standard)
for the webhooks of subscribing systems. `performance_event` is called by the services inside
their transaction: it records one WebhookDelivery per subscribed endpoint in that transaction and
enqueues their delivery once it commits (`webhooks.py` signs and sends them)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialdesk.core.models import OrganisationKind

from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

SUBMITTED = "return.submitted"
RETURNED = "return.returned"
ACCEPTED = "return.accepted"
OVERDUE = "return.overdue"
BELOW_STANDARD = "unit.below_standard"
# Sent only by "Send a test event" on the endpoint's page; nobody subscribes to it.
TEST = "webhook.test"

EVENT_CHOICES = [
    (SUBMITTED, _("A return is submitted")),
    (RETURNED, _("A return is returned for correction")),
    (ACCEPTED, _("A return is accepted by SWD")),
    (OVERDUE, _("A return is overdue")),
    (BELOW_STANDARD, _("A unit falls below an agreed standard")),
]


def endpoints_subscribed(name: str, *, organisation_id: int) -> list[WebhookEndpoint]:
    """The active endpoints that receive `name` about a unit of the organisation: the
    organisation's own and SWD's (which hears of every unit); an empty `events` list is all."""
    endpoints = WebhookEndpoint.objects.filter(
        Q(organisation_id=organisation_id) | Q(organisation__kind=OrganisationKind.SWD),
        is_active=True,
        organisation__is_active=True,
    ).order_by("pk")
    # Filtered here, not with a JSON lookup: SQLite has no `contains` on JSON lists.
    return [endpoint for endpoint in endpoints if not endpoint.events or name in endpoint.events]


def deliveries_create(
    endpoints: Iterable[WebhookEndpoint], *, name: str, data: dict[str, Any]
) -> list[WebhookDelivery]:
    """One pending delivery of the event per endpoint (one event id for all of them), each
    enqueued for sending once the current transaction commits."""
    event_id = uuid.uuid4()
    envelope = {
        "id": str(event_id),
        "event": name,
        "created_at": timezone.now().isoformat(),
        "data": data,
    }
    # Stored as plain JSON (dates, decimals and enums as text): what is signed is what is stored.
    payload = json.loads(json.dumps(envelope, cls=DjangoJSONEncoder))
    now = timezone.now()
    deliveries = [
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=name,
            event_id=event_id,
            payload=payload,
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,  # the periodic retry sends it if the enqueue is lost
        )
        for endpoint in endpoints
    ]
    for delivery in deliveries:
        transaction.on_commit(partial(_enqueue, delivery.pk), robust=True)
    return deliveries


def _enqueue(delivery_id: int) -> None:
    from .tasks_webhooks import webhook_deliver

    webhook_deliver.enqueue(delivery_id)


def performance_event(name: str, *, organisation_id: int, payload: dict[str, Any]) -> None:
    """Record an event for delivery to the organisation's (and SWD's) webhooks."""
    endpoints = endpoints_subscribed(name, organisation_id=organisation_id)
    if endpoints:
        deliveries_create(endpoints, name=name, data=payload)


def performance_events(name: str, occurrences: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """`performance_event` for many occurrences of one event, each (organisation id, payload):
    the subscribed endpoints are looked up once (a whole quarter's alerts)."""
    occurrences = list(occurrences)
    if not occurrences:
        return
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True, organisation__is_active=True)
        .select_related("organisation")
        .order_by("pk")
        if not endpoint.events or name in endpoint.events
    ]
    if not endpoints:
        return
    swd = [e for e in endpoints if e.organisation.kind == OrganisationKind.SWD]
    for organisation_id, payload in occurrences:
        receivers = [e for e in endpoints if e.organisation_id == organisation_id or e in swd]
        if receivers:
            deliveries_create(receivers, name=name, data=payload)

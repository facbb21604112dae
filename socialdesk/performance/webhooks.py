"""Webhooks: endpoints (reads through WebhookEndpointPolicy, writes as services), signing, and
delivery with retries.

Each delivery is a POST of the event as JSON with the headers `X-SocialDesk-Event`,
`X-SocialDesk-Delivery` (the event id), `X-SocialDesk-Timestamp` (Unix seconds at sending) and
`X-SocialDesk-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the
endpoint's secret>`. A receiver recomputes the HMAC over the raw body, compares in constant time,
refuses timestamps more than REPLAY_WINDOW away from its clock, and drops event ids it has
already processed (`signature_verify` is the reference). A 2xx answer is delivered; anything else
is retried after 1 min, 5 min, 30 min, 2 h and 12 h, and given up after the sixth attempt.
Redirects are not followed; only http(s) addresses, never link-local or cloud-metadata ones."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.concurrency import update_versioned
from socialdesk.core.models import Organisation, Role

from .events import EVENT_CHOICES, TEST, deliveries_create
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

TIMEOUT = 10  # seconds, to connect and for each read
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed delivery is not picked up again for this long (a worker that died mid-send).
LEASE = timedelta(seconds=TIMEOUT * 6)
REPLAY_WINDOW = 300  # seconds a receiver should accept between our timestamp and its clock
USER_AGENT = "SocialDesk-Webhooks/1"
MAX_RESPONSE = 64 * 1024  # bytes of the answer read (and thrown away)
# Cloud metadata services outside the link-local ranges (AWS over IPv6, Alibaba Cloud).
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}
)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# --- Signing -------------------------------------------------------------------------------------


def secret_generate() -> str:
    """A new signing secret (shown once; stored encrypted)."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-SocialDesk-Signature value: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">."""
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_verify(
    *,
    secret: str,
    body: bytes,
    timestamp: str,
    signature_header: str,
    now: float | None = None,
    window: int = REPLAY_WINDOW,
) -> bool:
    """What a receiver does: the timestamp is recent and the signature matches the raw body."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > window:
        return False
    return hmac.compare_digest(signature(secret, sent, body), signature_header)


# --- Addresses -----------------------------------------------------------------------------------


class DeliveryRefused(Exception):
    """The endpoint's address may not be called (scheme, or a refused network address)."""


def address_refused(address: IPAddress) -> bool:
    """Link-local (169.254.0.0/16, fe80::/10: cloud metadata lives there), metadata, multicast
    and unspecified addresses are never called; loopback and private networks are allowed."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address in METADATA_ADDRESSES
    )


def webhook_url_validate(url: str) -> str:
    """The address cleaned, or ValidationError on "url": http(s) only, no credentials, no
    refused literal address (host names are checked again when a delivery is sent)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError as error:
        raise ValidationError({"url": _("Enter a valid address.")}) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": _("Enter an address starting with https:// or http://.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("Leave the user name and password out of the address.")})
    try:
        literal: IPAddress | None = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None and address_refused(literal):
        raise ValidationError(
            {"url": _("This address cannot receive webhooks (a link-local or metadata address).")}
        )
    return url


def _resolve(host: str, port: int) -> list[str]:
    """The addresses of `host` to connect to; refused if any of them is refused (the connection
    then goes only to these vetted addresses, so a second lookup cannot change them)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise DeliveryRefused(f"cannot resolve {host}: {error}") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if address_refused(ipaddress.ip_address(address)):
            raise DeliveryRefused(f"refused address {address} for {host}")
    if not addresses:
        raise DeliveryRefused(f"no address for {host}")
    return addresses


def _connect(addresses: list[str], port: int, timeout: float | None) -> socket.socket:
    """A connection to the first of the addresses that answers (as socket.create_connection
    tries each address of a name)."""
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error if error is not None else DeliveryRefused("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._addresses = addresses

    def connect(self) -> None:
        sock = _connect(self._addresses, self.port, self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url` and return the status code; redirects are not followed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryRefused(f"not an http(s) address: {url}")
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    addresses = _resolve(parts.hostname, port)
    connection_class = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, addresses=addresses, timeout=TIMEOUT)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE)
        return response.status
    finally:
        connection.close()


# --- Delivery ------------------------------------------------------------------------------------


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def delivery_attempt(delivery_id: int) -> WebhookDelivery | None:
    """Send a pending delivery that is due and record the outcome; None when it is not due, or
    another worker has just claimed it (so a delivery is never sent twice at once)."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = "endpoint deactivated; not sent"
        delivery.save(update_fields=["status", "next_attempt_at", "last_error", "updated_at"])
        return delivery
    body = delivery_body(delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-SocialDesk-Event": delivery.event,
        "X-SocialDesk-Delivery": str(delivery.event_id),
        "X-SocialDesk-Timestamp": timestamp,
        "X-SocialDesk-Signature": signature(endpoint.secret, timestamp, body),
    }
    status_code: int | None = None
    error = ""
    try:
        status_code = http_post(endpoint.url, body, headers)
    except DeliveryRefused as exc:
        error = str(exc)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # network, TLS, timeouts
        error = f"{type(exc).__name__}: {exc}"
    return _record(delivery, status_code=status_code, error=error)


def _record(delivery: WebhookDelivery, *, status_code: int | None, error: str) -> WebhookDelivery:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = error[:300]
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    delivery.save(
        update_fields=[
            "attempts",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
            "updated_at",
        ]
    )
    return delivery


def webhook_deliveries_prune(*, now: datetime | None = None, batch: int = 5000) -> int:
    """Delete delivered and given-up deliveries created more than
    `SOCIALDESK_WEBHOOK_RETENTION_DAYS` ago (0: keep them all); waiting ones stay whatever their
    age. Returns how many were deleted."""
    days = settings.SOCIALDESK_WEBHOOK_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = WebhookDelivery.objects.filter(
        status__in=(DeliveryStatus.DELIVERED, DeliveryStatus.FAILED), created_at__lt=cutoff
    )
    deleted = 0
    # In batches (each its own transaction when run by the worker): a large backlog is never
    # loaded or locked in one go.
    while ids := list(old.order_by("pk").values_list("pk", flat=True)[:batch]):
        count, _by_model = WebhookDelivery.objects.filter(pk__in=ids).delete()
        deleted += count
    return deleted


def deliveries_due(*, limit: int = 1000) -> list[int]:
    """Ids of the pending deliveries whose next attempt is due, oldest first."""
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- Reads ---------------------------------------------------------------------------------------


def webhook_organisations_for(*, user: Any) -> QuerySet[Organisation]:
    """Organisations the user may add endpoints for (as WebhookEndpointPolicy scopes them)."""
    actor = actor_for(user)
    organisations = Organisation.objects.filter(is_active=True)
    if actor.has_role(Role.SYSTEM_ADMIN):
        return organisations
    return organisations.filter(
        pk__in=actor.organisation_ids(Role.AGENCY_ADMIN, Role.SWD_SUBVENTIONS)
    )


def webhook_manager(*, user: Any) -> bool:
    """Whether the user manages any organisation's endpoints (the pages' gate)."""
    return policy_for(WebhookEndpoint).scope(actor_for(user), Action.VIEW) is not None


def webhook_endpoint_list_for(*, user: Any) -> QuerySet[WebhookEndpoint]:
    """The endpoints the user manages, with how many deliveries wait or were given up."""
    return (
        policy_for(WebhookEndpoint)
        .queryset(user)
        .select_related("organisation")
        .annotate(
            pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
            failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        )
        .order_by("organisation__kind", "organisation__code", "name", "pk")
    )


def webhook_endpoint_get_for(
    *, user: Any, endpoint_id: Any, action: Action = Action.VIEW
) -> WebhookEndpoint:
    return policy_for(WebhookEndpoint).get(user, endpoint_id, action)


def webhook_delivery_list_for(*, user: Any, endpoint_id: Any) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first."""
    endpoint = webhook_endpoint_get_for(user=user, endpoint_id=endpoint_id)
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")


# --- Writes --------------------------------------------------------------------------------------


def _events_clean(names: Iterable[str]) -> list[str]:
    known = [name for name, _label in EVENT_CHOICES]
    wanted = set(names)
    if wanted - set(known):
        raise ValidationError({"events": _("Choose events from the list.")})
    return [name for name in known if name in wanted]


@transaction.atomic
def webhook_endpoint_create(
    *,
    user: Any,
    organisation_id: Any,
    name: str,
    url: str,
    events: Iterable[str] = (),
    is_active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint for one of the user's organisations; returns it with its new secret,
    which is shown once and stored encrypted."""
    if not webhook_organisations_for(user=user).filter(pk=organisation_id).exists():
        raise PermissionDenied
    secret = secret_generate()
    endpoint = WebhookEndpoint(
        organisation_id=organisation_id,
        name=name.strip(),
        url=webhook_url_validate(url),
        events=_events_clean(events),
        is_active=is_active,
        secret=secret,
    )
    endpoint.full_clean()
    endpoint.save()
    policy_for(WebhookEndpoint).get(user, endpoint.pk, Action.ADD)
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(
    *,
    user: Any,
    endpoint_id: Any,
    expected_version: int,
    name: str,
    url: str,
    events: Iterable[str],
    is_active: bool,
) -> WebhookEndpoint:
    """Change an endpoint's name, address, events and whether it is active (version-checked)."""
    endpoint = webhook_endpoint_get_for(user=user, endpoint_id=endpoint_id, action=Action.CHANGE)
    return update_versioned(
        endpoint,
        expected_version=expected_version,
        changes={
            "name": name.strip(),
            "url": webhook_url_validate(url),
            "events": _events_clean(events),
            "is_active": is_active,
        },
    )


@transaction.atomic
def webhook_secret_rotate(*, user: Any, endpoint_id: Any) -> tuple[WebhookEndpoint, str]:
    """Replace the endpoint's secret at once (deliveries still waiting are signed with the new
    one); returns the new secret, shown once."""
    endpoint = webhook_endpoint_get_for(user=user, endpoint_id=endpoint_id, action=Action.CHANGE)
    secret = secret_generate()
    endpoint = update_versioned(
        endpoint, expected_version=endpoint.version, changes={"secret": secret}
    )
    return endpoint, secret


@transaction.atomic
def webhook_test_send(*, user: Any, endpoint_id: Any) -> WebhookDelivery:
    """Send the endpoint a signed `webhook.test` event (after commit), to check the receiver."""
    endpoint = webhook_endpoint_get_for(user=user, endpoint_id=endpoint_id, action=Action.CHANGE)
    if not endpoint.is_active:
        raise ValidationError(_("Make the endpoint active to send it a test event."))
    (delivery,) = deliveries_create(
        [endpoint],
        name=TEST,
        data={"endpoint": endpoint.name, "organisation": endpoint.organisation.code},
    )
    return delivery

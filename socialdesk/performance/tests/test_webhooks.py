"""Webhooks: performance events signed and delivered to a real HTTP server on 127.0.0.1, who
receives which event (the unit's organisation, SWD, not another NGO), retries with back-off,
giving up, refused addresses, and the pages by role in zh-Hant and English."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.forms import modelform_factory
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.core.crypto import decrypt
from socialdesk.core.models import Role
from socialdesk.core.tests.world import World
from socialdesk.performance import events, webhooks
from socialdesk.performance.models import (
    DeliveryStatus,
    ReturnValue,
    StatisticalReturn,
    WebhookDelivery,
    WebhookEndpoint,
)
from socialdesk.performance.services.attainment import (
    attainment_recompute,
    overdue_returns_check,
)
from socialdesk.performance.services.returns import (
    return_accept,
    return_endorse,
    return_get_or_create,
    return_save,
    return_send_back,
    return_submit,
)
from socialdesk.performance.tasks_webhooks import (
    prune_webhook_deliveries,
    webhook_deliveries_due,
)

from .conftest import Definition

GOOD = {
    ("cases_served", ""): "1200",
    ("cases_served", "sex:F"): "700",
    ("cases_served", "sex:M"): "500",
    ("new_cases", ""): "120",
    ("satisfied_pct", ""): "85.5",
}
HEADERS = (
    "Content-Type",
    "X-SocialDesk-Event",
    "X-SocialDesk-Delivery",
    "X-SocialDesk-Timestamp",
    "X-SocialDesk-Signature",
)


# --- A receiving system --------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server in a thread: records each POST and answers with the next code queued
    (200 when none is)."""

    server: HTTPServer
    scheme: str = "http"
    received: list[Received] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    always: int = 200

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.server.server_address[1]}{path}"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """A receiving system on 127.0.0.1 (a free port), over TLS with `tls`."""
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    state = Receiver(server=server, scheme="https" if tls else "http")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            code = state.codes.pop(0) if state.codes else state.always
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as state:
        yield state


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """`with on_commit():` runs what is scheduled after commit (the deliveries) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def endpoint_for(
    user: User, organisation_id: int, url: str, events: tuple[str, ...] = (), **extra: Any
) -> tuple[WebhookEndpoint, str]:
    return webhooks.webhook_endpoint_create(
        user=user,
        organisation_id=organisation_id,
        name=extra.pop("name", f"Hook {url}"),
        url=url,
        events=events,
        **extra,
    )


def signed_data(received: Received, secret: str, event: str) -> dict[str, Any]:
    """Check a request as a receiver would (the documented recipe, by hand) and return `data`."""
    headers = received.headers
    assert all(name in headers for name in HEADERS), headers
    assert headers["Content-Type"] == "application/json"
    assert headers["X-SocialDesk-Event"] == event
    timestamp = headers["X-SocialDesk-Timestamp"]
    assert abs(time.time() - int(timestamp)) < 60
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["X-SocialDesk-Signature"], f"sha256={expected}")
    assert webhooks.signature_verify(
        secret=secret,
        body=received.body,
        timestamp=timestamp,
        signature_header=headers["X-SocialDesk-Signature"],
    )
    payload = received.payload
    assert set(payload) == {"id", "event", "created_at", "data"}
    assert payload["id"] == headers["X-SocialDesk-Delivery"]
    assert payload["event"] == event
    assert datetime.fromisoformat(payload["created_at"]).tzinfo is not None
    return payload["data"]


def rewind(delivery: WebhookDelivery) -> None:
    """Make a waiting delivery's next attempt due now."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


# --- Signing -------------------------------------------------------------------------------------


def test_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    body = b'{"id":"x"}'
    assert webhooks.signature("s3cret", 1700000000, body) == (
        "sha256=" + hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    )


def test_verify_refuses_old_timestamps_and_changed_bodies() -> None:
    body, now = b'{"a":1}', 1_700_000_000
    good = webhooks.signature("k", now, body)
    verify = webhooks.signature_verify
    assert verify(secret="k", body=body, timestamp=str(now), signature_header=good, now=now + 299)
    assert not verify(
        secret="k", body=body, timestamp=str(now), signature_header=good, now=now + 301
    )
    assert not verify(secret="k", body=b'{"a":2}', timestamp=str(now), signature_header=good)
    assert not verify(secret="other", body=body, timestamp=str(now), signature_header=good)
    assert not verify(secret="k", body=body, timestamp="soon", signature_header=good, now=now)


# --- The five events, through the real services -------------------------------------------------


def test_return_submitted_returned_and_accepted_are_delivered_signed(
    world: World,
    definition: Definition,
    worker: User,
    supervisor: User,
    agency_admin: User,
    swd: User,
    receiver: Receiver,
    on_commit: Callable[[], Any],
) -> None:
    endpoint, secret = endpoint_for(agency_admin, world.ngo_a.pk, receiver.url())
    period = definition.periods[0]
    ret = return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=period)
    ret = return_save(user=worker, return_id=ret.pk, expected_version=ret.version, values=GOOD)

    def expected(ret: StatisticalReturn) -> dict[str, Any]:
        return {
            "return_id": ret.pk,
            "unit": "a-ifsc",
            "period": period.label,
            "status": ret.status,
            "version": ret.version,
        }

    with on_commit():
        ret = return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    assert signed_data(receiver.received[-1], secret, events.SUBMITTED) == expected(ret)
    assert expected(ret)["status"] == "submitted"

    with on_commit():
        ret = return_send_back(
            user=agency_admin, return_id=ret.pk, expected_version=ret.version, reason="Check"
        )
    assert signed_data(receiver.received[-1], secret, events.RETURNED) == expected(ret)

    ret = return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    ret = return_endorse(user=agency_admin, return_id=ret.pk, expected_version=ret.version)
    with on_commit():
        ret = return_accept(user=swd, return_id=ret.pk, expected_version=ret.version)
    assert signed_data(receiver.received[-1], secret, events.ACCEPTED) == expected(ret)
    assert expected(ret)["status"] == "accepted"

    # The submission made without on_commit running was recorded and is sent by the retry.
    assert [r.headers["X-SocialDesk-Event"] for r in receiver.received] == [
        events.SUBMITTED,
        events.RETURNED,
        events.ACCEPTED,
    ]
    waiting = WebhookDelivery.objects.get(endpoint=endpoint, status=DeliveryStatus.PENDING)
    assert waiting.event == events.SUBMITTED
    assert webhook_deliveries_due.enqueue().return_value == 1
    assert receiver.received[-1].headers["X-SocialDesk-Delivery"] == str(waiting.event_id)
    assert set(endpoint.deliveries.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_overdue_return_is_delivered(
    world: World,
    definition: Definition,
    worker: User,
    agency_admin: User,
    receiver: Receiver,
    on_commit: Callable[[], Any],
) -> None:
    _endpoint, secret = endpoint_for(agency_admin, world.ngo_a.pk, receiver.url())
    ret = return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=definition.periods[1])
    with on_commit():
        assert overdue_returns_check(today=ret.grace_until + timedelta(days=1)) == 1
    (received,) = receiver.received
    assert signed_data(received, secret, events.OVERDUE) == {
        "return_id": ret.pk,
        "unit": "a-ifsc",
        "period": definition.periods[1].label,
        "due_on": ret.due_on.isoformat(),
    }


def test_unit_below_standard_is_delivered(
    world: World,
    definition: Definition,
    worker: User,
    supervisor: User,
    agency_admin: User,
    receiver: Receiver,
    on_commit: Callable[[], Any],
) -> None:
    _endpoint, secret = endpoint_for(
        agency_admin, world.ngo_a.pk, receiver.url(), events=(events.BELOW_STANDARD,)
    )
    ret = return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=definition.periods[0])
    ret = return_save(user=worker, return_id=ret.pk, expected_version=ret.version, values=GOOD)
    with on_commit():
        return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    assert receiver.received == []  # subscribed to below-standard only; 85.5% meets 80%

    ReturnValue.objects.filter(
        statistical_return=ret, indicator__code="satisfied_pct", category=""
    ).update(value=Decimal("70"))
    with on_commit():
        attainment_recompute(unit_id=world.unit_a.pk, fiscal_year=2025)
    (received,) = receiver.received
    data = signed_data(received, secret, events.BELOW_STANDARD)
    assert data["unit"] == "a-ifsc"
    assert data["fiscal_year"] == 2025
    assert data["indicator"] == "satisfied_pct"
    assert Decimal(data["agreed"]) == 80
    assert Decimal(data["actual"]) == 70


# --- Who receives what ---------------------------------------------------------------------------


def test_swd_receives_every_ngos_events_and_another_ngo_none(
    world: World,
    definition: Definition,
    worker: User,
    supervisor: User,
    agency_admin: User,
    swd: User,
    admin_b: User,
    receiver: Receiver,
    on_commit: Callable[[], Any],
) -> None:
    _a, secret_a = endpoint_for(agency_admin, world.ngo_a.pk, receiver.url("/a"))
    endpoint_for(agency_admin, world.ngo_a.pk, receiver.url("/a-accepted"), (events.ACCEPTED,))
    endpoint_for(agency_admin, world.ngo_a.pk, receiver.url("/a-off"), is_active=False)
    _swd, secret_swd = endpoint_for(swd, world.swd.pk, receiver.url("/swd"))
    endpoint_for(admin_b, world.ngo_b.pk, receiver.url("/b"))

    ret = return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=definition.periods[0])
    ret = return_save(user=worker, return_id=ret.pk, expected_version=ret.version, values=GOOD)
    with on_commit():
        return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)

    assert sorted(r.path for r in receiver.received) == ["/a", "/swd"]
    (to_a,) = receiver.on("/a")
    (to_swd,) = receiver.on("/swd")
    assert signed_data(to_a, secret_a, events.SUBMITTED) == signed_data(
        to_swd, secret_swd, events.SUBMITTED
    )
    # One event, one id: a receiver that hears it twice can tell.
    assert to_a.payload["id"] == to_swd.payload["id"]
    # Each is signed with its own endpoint's secret only.
    assert to_a.headers["X-SocialDesk-Signature"] != to_swd.headers["X-SocialDesk-Signature"]


def test_a_deactivated_endpoint_gets_nothing_more(
    world: World, agency_admin: User, receiver: Receiver, on_commit: Callable[[], Any]
) -> None:
    endpoint, _secret = endpoint_for(agency_admin, world.ngo_a.pk, receiver.url())
    events.performance_event(events.OVERDUE, organisation_id=world.ngo_a.pk, payload={})
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    with on_commit():
        webhook_deliveries_due.enqueue()
    delivery.refresh_from_db()
    assert receiver.received == []
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 0


# --- Retries -------------------------------------------------------------------------------------


def test_a_failed_delivery_is_retried_after_a_minute_then_delivered(
    world: World, agency_admin: User, receiver: Receiver, on_commit: Callable[[], Any]
) -> None:
    endpoint, secret = endpoint_for(agency_admin, world.ngo_a.pk, receiver.url())
    receiver.codes = [500]
    with on_commit():
        delivery = webhooks.webhook_test_send(user=agency_admin, endpoint_id=endpoint.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at is not None
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(minutes=1)

    assert webhook_deliveries_due.enqueue().return_value == 0  # not due yet
    assert len(receiver.received) == 1

    rewind(delivery)
    assert webhook_deliveries_due.enqueue().return_value == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    first, second = receiver.received
    assert first.body == second.body  # the same event, signed afresh
    assert first.headers["X-SocialDesk-Delivery"] == second.headers["X-SocialDesk-Delivery"]
    assert signed_data(second, secret, events.TEST)["endpoint"] == endpoint.name
    assert webhook_deliveries_due.enqueue().return_value == 0


def test_a_delivery_is_given_up_after_six_attempts(
    world: World, agency_admin: User, receiver: Receiver, on_commit: Callable[[], Any]
) -> None:
    endpoint, _secret = endpoint_for(agency_admin, world.ngo_a.pk, receiver.url())
    receiver.always = 503
    with on_commit():
        events.performance_event(
            events.OVERDUE, organisation_id=world.ngo_a.pk, payload={"unit": "a-ifsc"}
        )
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    waits = []
    for _retry in range(5):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at
        waits.append(delivery.next_attempt_at - delivery.updated_at)
        rewind(delivery)
        webhook_deliveries_due.enqueue()
    delivery.refresh_from_db()
    assert [round(w.total_seconds() / 60) for w in waits] == [1, 5, 30, 120, 720]
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 6)
    assert delivery.next_attempt_at is None and delivery.last_status_code == 503
    assert len(receiver.received) == 6
    assert webhook_deliveries_due.enqueue().return_value == 0


def test_an_unreachable_receiver_is_recorded_and_retried(
    world: World, agency_admin: User, on_commit: Callable[[], Any]
) -> None:
    endpoint, _secret = endpoint_for(
        agency_admin, world.ngo_a.pk, f"http://127.0.0.1:{unused_port()}/hook"
    )
    with on_commit():
        events.performance_event(events.OVERDUE, organisation_id=world.ngo_a.pk, payload={})
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_status_code is None
    assert "ConnectionRefusedError" in delivery.last_error


def self_signed(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A TLS server context for "localhost" and the certificate a client must trust for it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


def test_https_checks_the_certificate_of_the_name(
    world: World,
    agency_admin: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    on_commit: Callable[[], Any],
) -> None:
    """Over https the connection goes to the vetted address, and the certificate is checked
    for the host name of the URL."""
    server_tls, cert_file = self_signed(tmp_path)
    with serving(server_tls) as tls_receiver:
        endpoint, secret = endpoint_for(
            agency_admin, world.ngo_a.pk, tls_receiver.url(host="localhost")
        )
        with on_commit():
            events.performance_event(events.OVERDUE, organisation_id=world.ngo_a.pk, payload={})
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error  # not trusted: not sent
        assert tls_receiver.received == []

        default_context = ssl.create_default_context
        monkeypatch.setattr(
            ssl, "create_default_context", lambda: default_context(cafile=str(cert_file))
        )
        rewind(delivery)
        webhook_deliveries_due.enqueue()
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.DELIVERED
        (received,) = tls_receiver.received
        assert received.headers["Host"] == f"localhost:{tls_receiver.server.server_address[1]}"
        signed_data(received, secret, events.OVERDUE)


def unused_port() -> int:
    """A local port nothing listens on (bound, read, closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- Addresses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://[::ffff:169.254.169.254]/hook",
        "http://[fd00:ec2::254]/hook",
        "http://user:password@example.org/hook",
        "http://example.org:port/hook",
    ],
)
def test_refused_addresses(url: str) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        webhooks.webhook_url_validate(url)
    assert "url" in exc.value.message_dict


@pytest.mark.parametrize(
    "url", ["https://hooks.example.org/socialdesk", "http://127.0.0.1:8080/h", "http://10.1.2.3/"]
)
def test_allowed_addresses(url: str) -> None:
    assert webhooks.webhook_url_validate(f" {url} ") == url


def test_a_name_resolving_to_a_link_local_address_is_not_called(
    world: World, agency_admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked again at sending: the name's addresses, not only a literal address."""
    endpoint, _secret = endpoint_for(agency_admin, world.ngo_a.pk, "http://metadata.test/x")

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    def connect(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no connection may be made")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", connect)
    (delivery,) = events.deliveries_create([endpoint], name=events.TEST, data={})
    delivery = webhooks.delivery_attempt(delivery.pk)
    assert delivery is not None
    assert delivery.attempts == 1 and delivery.status == DeliveryStatus.PENDING
    assert "refused address 169.254.169.254" in delivery.last_error


# --- Endpoints -----------------------------------------------------------------------------------


def test_the_secret_is_stored_encrypted(world: World, agency_admin: User) -> None:
    endpoint, secret = endpoint_for(agency_admin, world.ngo_a.pk, "https://hooks.example.org/a")
    assert secret.startswith("whsec_") and len(secret) > 40
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret FROM performance_webhookendpoint WHERE id = %s", [endpoint.pk]
        )
        (stored,) = cursor.fetchone()
    assert secret not in stored
    assert decrypt(stored) == secret


def test_endpoints_only_for_ones_own_organisation(
    world: World, agency_admin: User, swd: User
) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        endpoint_for(agency_admin, world.ngo_b.pk, "https://hooks.example.org/b")
    with pytest.raises(PermissionDenied):
        endpoint_for(swd, world.ngo_a.pk, "https://hooks.example.org/a")
    endpoint_for(world.roles[Role.SYSTEM_ADMIN], world.ngo_b.pk, "https://hooks.example.org/b")
    assert WebhookEndpoint.objects.count() == 1


def test_an_endpoint_with_no_events_chosen_gets_every_event(world: World) -> None:
    endpoint = WebhookEndpoint(
        organisation=world.ngo_a, name="All", url="https://hooks.example.org/all", secret="s"
    )
    endpoint.full_clean()
    assert endpoint.events == []
    form_class = modelform_factory(WebhookEndpoint, fields=["name", "url", "events"])
    form = form_class(data={"name": "All", "url": "https://hooks.example.org/all", "events": "[]"})
    assert form.is_valid(), form.errors


# --- Retention -----------------------------------------------------------------------------------


def test_old_delivered_and_failed_deliveries_are_deleted_and_waiting_ones_kept(
    world: World, agency_admin: User, settings: Any
) -> None:
    endpoint, _secret = endpoint_for(agency_admin, world.ngo_a.pk, "https://hooks.example.org/a")
    now = timezone.now()

    def delivery(status: str, age: timedelta) -> WebhookDelivery:
        made = WebhookDelivery.objects.create(
            endpoint=endpoint, event=events.TEST, event_id=uuid.uuid4(), payload={}, status=status
        )
        WebhookDelivery.objects.filter(pk=made.pk).update(created_at=now - age)
        return made

    old_delivered = delivery(DeliveryStatus.DELIVERED, timedelta(days=31))
    old_failed = delivery(DeliveryStatus.FAILED, timedelta(days=40))
    old_waiting = delivery(DeliveryStatus.PENDING, timedelta(days=90))
    recent = delivery(DeliveryStatus.DELIVERED, timedelta(days=29))
    settings.SOCIALDESK_WEBHOOK_RETENTION_DAYS = 30

    assert webhooks.webhook_deliveries_prune(now=now, batch=1) == 2
    kept = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert kept == {old_waiting.pk, recent.pk}
    assert not kept & {old_delivered.pk, old_failed.pk}
    assert webhooks.webhook_deliveries_prune(now=now) == 0  # nothing more to do

    settings.SOCIALDESK_WEBHOOK_RETENTION_DAYS = 0  # keep everything
    assert webhooks.webhook_deliveries_prune(now=now + timedelta(days=365)) == 0
    settings.SOCIALDESK_WEBHOOK_RETENTION_DAYS = 1
    assert prune_webhook_deliveries.enqueue().return_value == 1  # the nightly job
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [old_waiting.pk]


def test_the_retention_job_is_scheduled_nightly() -> None:
    from socialdesk.core.scheduling import schedule_entries

    (job,) = [job for job in schedule_entries() if job.name == "webhook_deliveries_prune"]
    assert job.task is prune_webhook_deliveries
    assert job.cron == "45 3 * * *"


# --- Pages ---------------------------------------------------------------------------------------


@pytest.fixture
def hooks(world: World, agency_admin: User, swd: User, admin_b: User) -> dict[str, Any]:
    """An endpoint of NGO A, of SWD and of NGO B (made directly: the pages are under test)."""

    def make(organisation: Any, name: str) -> WebhookEndpoint:
        return WebhookEndpoint.objects.create(
            organisation=organisation,
            name=name,
            url=f"https://hooks.example.org/{name.lower().replace(' ', '-')}",
            secret="whsec_test",
        )

    return {
        "a": make(world.ngo_a, "Alpha system"),
        "swd": make(world.swd, "SWD system"),
        "b": make(world.ngo_b, "Bravo system"),
    }


def english(user: User) -> User:
    User.objects.filter(pk=user.pk).update(preferred_language="en")
    return user


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_the_list_shows_each_manager_their_organisations_endpoints(
    world: World,
    hooks: dict[str, Any],
    signed_in: Callable[..., Client],
    language: str,
    django_assert_max_num_queries: Any,
) -> None:
    url = reverse("performance:webhook_list")
    seen = {
        Role.AGENCY_ADMIN: ["Alpha system"],
        Role.SWD_SUBVENTIONS: ["SWD system"],
        Role.SYSTEM_ADMIN: ["Alpha system", "Bravo system", "SWD system"],
    }
    for role, names in seen.items():
        user = world.roles[role]
        if language == "en":
            english(user)
        client = signed_in(user)
        with django_assert_max_num_queries(16):
            response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        shown = [e.name for e in hooks.values() if e.name in body]
        assert sorted(shown) == names, role
        if language == "en":
            assert 'lang="en"' in body and "Webhooks" in body and "Every event" in body
        else:
            assert 'lang="zh-Hant"' in body and "名稱" in body and "狀態" in body
    for role in (Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR, Role.AGENCY_FINANCE):
        assert signed_in(world.roles[role]).get(url).status_code == 403


def test_the_list_costs_the_same_queries_for_more_endpoints(
    world: World,
    hooks: dict[str, Any],
    signed_in: Callable[..., Client],
    django_assert_num_queries: Any,
) -> None:
    client = signed_in(world.roles[Role.SYSTEM_ADMIN])
    url = reverse("performance:webhook_list")
    client.get(url)
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(db) as few:
        client.get(url)
    for number in range(5):
        WebhookEndpoint.objects.create(
            organisation=world.ngo_b, name=f"More {number}", url="https://x.org/", secret="s"
        )
    with CaptureQueriesContext(db) as many:
        client.get(url)
    assert len(many) == len(few)


def test_adding_an_endpoint_shows_its_secret_once(
    world: World, agency_admin: User, signed_in: Callable[..., Client]
) -> None:
    client = signed_in(english(agency_admin))
    page = client.get(reverse("performance:webhook_create"))
    assert page.status_code == 200
    assert "Bravo" not in page.content.decode()  # only NGO A is offered
    response = client.post(
        reverse("performance:webhook_create"),
        {
            "organisation": world.ngo_a.pk,
            "name": "Case system",
            "url": "https://hooks.example.org/a",
            "events": [events.SUBMITTED, events.ACCEPTED],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.organisation == world.ngo_a
    assert endpoint.events == [events.SUBMITTED, events.ACCEPTED]
    body = response.content.decode()
    assert endpoint.secret in body and "it will not be shown again" in body
    detail = client.get(reverse("performance:webhook_detail", args=[endpoint.pk]))
    assert endpoint.secret not in detail.content.decode()


def test_adding_for_another_organisation_or_a_refused_address_fails(
    world: World, swd: User, signed_in: Callable[..., Client]
) -> None:
    client = signed_in(english(swd))
    url = reverse("performance:webhook_create")
    data = {"organisation": world.ngo_a.pk, "name": "X", "url": "https://hooks.example.org/"}
    response = client.post(url, data)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    data = {"organisation": world.swd.pk, "name": "X", "url": "http://169.254.169.254/"}
    response = client.post(url, data)
    assert "link-local" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_editing_is_version_checked(
    world: World, hooks: dict[str, Any], agency_admin: User, signed_in: Callable[..., Client]
) -> None:
    endpoint = hooks["a"]
    client = signed_in(english(agency_admin))
    url = reverse("performance:webhook_edit", args=[endpoint.pk])
    assert client.get(url).status_code == 200
    data = {
        "name": "Renamed",
        "url": "https://hooks.example.org/new",
        "events": [events.OVERDUE],
        "version": endpoint.version,
    }
    response = client.post(url, data)
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.events, endpoint.is_active) == (
        "Renamed",
        [events.OVERDUE],
        False,
    )
    response = client.post(url, {**data, "name": "Stale"})  # the version read before
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.name == "Renamed"
    assert signed_in(english(world.admin_b)).get(url).status_code == 404


def test_rotating_the_secret_shows_the_new_one_once(
    hooks: dict[str, Any], agency_admin: User, signed_in: Callable[..., Client]
) -> None:
    endpoint = hooks["a"]
    client = signed_in(english(agency_admin))
    url = reverse("performance:webhook_rotate", args=[endpoint.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    endpoint.refresh_from_db()
    assert endpoint.secret != "whsec_test"
    assert endpoint.secret in response.content.decode()


def test_the_test_event_and_the_delivery_log(
    world: World,
    agency_admin: User,
    receiver: Receiver,
    signed_in: Callable[..., Client],
    on_commit: Callable[[], Any],
) -> None:
    endpoint, secret = endpoint_for(agency_admin, world.ngo_a.pk, receiver.url())
    client = signed_in(english(agency_admin))
    receiver.codes = [502]
    with on_commit():
        response = client.post(reverse("performance:webhook_test", args=[endpoint.pk]))
    assert response.status_code == 302
    (received,) = receiver.received
    assert signed_data(received, secret, events.TEST)["organisation"] == "ngo-a"
    page = client.get(response["Location"]).content.decode()
    assert "A test event has been sent" in page
    assert events.TEST in page and "Waiting" in page and "502" in page

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    response = client.post(reverse("performance:webhook_test", args=[endpoint.pk]), follow=True)
    assert "Make the endpoint active" in response.content.decode()
    assert WebhookDelivery.objects.count() == 1


def test_pages_in_traditional_chinese(
    hooks: dict[str, Any], agency_admin: User, signed_in: Callable[..., Client]
) -> None:
    client = signed_in(agency_admin)  # the world's staff read Traditional Chinese
    endpoint = hooks["a"]
    for name in ("webhook_detail", "webhook_edit"):
        response = client.get(reverse(f"performance:{name}", args=[endpoint.pk]))
        body = response.content.decode()
        assert response.status_code == 200
        assert 'lang="zh-Hant"' in body and endpoint.name in body
    body = client.get(reverse("performance:webhook_edit", args=[endpoint.pk])).content.decode()
    assert "儲存" in body and "取消" in body  # Save, Cancel
    body = client.get(reverse("performance:webhook_create")).content.decode()
    assert "機構" in body  # Organisation

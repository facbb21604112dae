"""Audit: every create, update and delete of a domain record (django-auditlog, with changed fields
and old and new values), and every read of a record holding personal data (`record_read`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.http import HttpRequest

from .models import District, DistrictOffice, Membership, Organisation, ServiceType, ServiceUnit

auditlog.register(Organisation)
auditlog.register(ServiceUnit)
auditlog.register(District)
auditlog.register(DistrictOffice)
auditlog.register(ServiceType)
auditlog.register(Membership)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; X-Forwarded-For counts only behind the configured number of proxies."""
    proxies = getattr(settings, "SOCIALDESK_TRUSTED_PROXIES", 0)
    forwarded = request.headers.get("X-Forwarded-For", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware(AuditlogMiddleware):
    """auditlog's middleware, but the client address comes from `client_ip` (no spoofed headers)."""

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> int | None:
        return None


def record_read(
    *, obj: models.Model, user: Any = None, request: HttpRequest | None = None, purpose: str = ""
) -> LogEntry:
    """Record that `user` read `obj` (a record holding personal data). Views call this after the
    policy has allowed the read; the entry carries user, time, client address and object."""
    getter = getattr(obj, "get_additional_data", None)
    data: dict[str, Any] = dict((getter() if callable(getter) else None) or {})
    if purpose:
        data["purpose"] = purpose
    actor = user if user is not None and getattr(user, "is_authenticated", False) else None
    remote_addr = client_ip(request) if request is not None else None
    # Actor and address are given explicitly. Not wrapped in auditlog's set_actor(): nested inside
    # the middleware's, it replaces the request's audit context without restoring it, so every
    # change saved later in the same request would be logged without actor or address.
    entry = LogEntry.objects.log_create(
        obj,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        changes=None,
        additional_data=data or None,
        actor=actor,
        remote_addr=remote_addr,
        serialized_data=None,
    )
    assert entry is not None
    return entry


def record_reads(
    *,
    objs: Sequence[models.Model],
    user: Any = None,
    request: HttpRequest | None = None,
    purpose: str = "",
) -> int:
    """`record_read` for every record of a list the user was shown (search results): one entry
    each, written in one statement. Returns the number of entries."""
    from auditlog.cid import get_cid
    from django.contrib.contenttypes.models import ContentType

    if not objs:
        return 0
    actor = user if user is not None and getattr(user, "is_authenticated", False) else None
    remote_addr = client_ip(request) if request is not None else None
    cid = get_cid()
    entries = []
    for obj in objs:
        getter = getattr(obj, "get_additional_data", None)
        data: dict[str, Any] = dict((getter() if callable(getter) else None) or {})
        if purpose:
            data["purpose"] = purpose
        entries.append(
            LogEntry(
                content_type=ContentType.objects.get_for_model(obj),
                object_pk=str(obj.pk),
                object_id=obj.pk if isinstance(obj.pk, int) else None,
                object_repr=str(obj),
                action=LogEntry.Action.ACCESS,
                actor=actor,
                actor_email=getattr(actor, "email", None) or None,
                remote_addr=remote_addr,
                additional_data=data or None,
                cid=cid,
            )
        )
    LogEntry.objects.bulk_create(entries)
    return len(entries)

"""Case management API: referrals and transfers between units (inbox, outbox, answers), their
documents, and "my work"."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Status
from ninja.pagination import PageNumberPagination, paginate

from socialdesk.api.idempotency import idempotent
from socialdesk.core.models import ServiceUnit

from .. import selectors
from ..models import Attachment, Case, Intake, Referral
from ..schemas import (
    ReferralAcceptedOut,
    ReferralAcceptIn,
    ReferralIn,
    ReferralOut,
    ReferralReasonIn,
    WorkItemOut,
)
from ..services import referrals
from ..uploads import attachments_discard, attachments_store_all
from .common import PAGE_SIZE, caseworker, decoded_attachments, router, unit_for

# --- Referrals ---


def _referral_out(referral: Referral) -> Referral:
    return (
        Referral.objects.select_related("from_unit", "to_unit")
        .prefetch_related("attachments")
        .get(pk=referral.pk)
    )


@router.get("/referrals/inbox", response=list[ReferralOut], summary="Referrals to my units")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def referral_inbox(request: HttpRequest, status: str = "sent") -> Any:
    """`status`: sent (waiting for a reply, the default), accepted, declined, withdrawn; empty:
    all."""
    user = caseworker(request)
    return selectors.referral_inbox_for(user=user, status=status[:10]).prefetch_related(
        "attachments"
    )


@router.post(
    "/referrals",
    response={201: ReferralOut},
    summary="Refer a person to another unit",
    description="With the person's recorded consent (`consent_id`) or, exceptionally, the "
    "reason for referring without it (`consent_override_reason`, flagged in the audit).",
)
@idempotent
def referral_create(request: HttpRequest, payload: ReferralIn) -> Any:
    user = caseworker(request)
    from_unit = unit_for(user, payload.from_unit, field="from_unit")
    to_unit = ServiceUnit.objects.filter(code=payload.to_unit, is_active=True).first()
    if to_unit is None:
        raise ValidationError({"to_unit": _("There is no active service unit with this code.")})
    uploads = decoded_attachments(payload.attachments)
    saved: list[Attachment] = []
    try:
        with transaction.atomic():
            saved = attachments_store_all(uploads=uploads, user=user)
            referral = referrals.referral_send(
                user=user,
                person_id=payload.person_id,
                from_unit=from_unit,
                to_unit_id=to_unit.pk,
                reason=payload.reason,
                urgency=payload.urgency,
                consent_id=payload.consent_id,
                consent_override_reason=payload.consent_override_reason,
                case_id=payload.case_id,
                kind=payload.kind,
                attachments=saved,
            )
    except Exception:
        attachments_discard(saved)
        raise
    return Status(201, _referral_out(referral))


@router.post(
    "/referrals/{referral_id}/accept",
    response=ReferralAcceptedOut,
    summary="Accept a referral",
    description="Opens an intake in your unit (a transfer moves the case). An outside referral "
    "not matched yet needs `person_id` (one of its `matches`) or `register_new`.",
)
@idempotent
def referral_accept(request: HttpRequest, referral_id: int, payload: ReferralAcceptIn) -> Any:
    user = caseworker(request)
    result = referrals.referral_accept(
        user=user,
        referral_id=referral_id,
        expected_version=payload.version,
        person_id=payload.person_id,
        register_new=payload.register_new,
    )
    referral = _referral_out(Referral(pk=referral_id))
    return {
        "referral": referral,
        "intake_id": result.pk if isinstance(result, Intake) else None,
        "case_id": result.pk if isinstance(result, Case) else None,
    }


@router.post(
    "/referrals/{referral_id}/decline",
    response=ReferralOut,
    summary="Decline a referral",
    description="The reason is shown to the referrer.",
)
@idempotent
def referral_decline(request: HttpRequest, referral_id: int, payload: ReferralReasonIn) -> Any:
    user = caseworker(request)
    referral = referrals.referral_decline(
        user=user, referral_id=referral_id, expected_version=payload.version, reason=payload.reason
    )
    return _referral_out(referral)


@router.post(
    "/referrals/{referral_id}/withdraw",
    response=ReferralOut,
    summary="Withdraw a referral you sent",
)
@idempotent
def referral_withdraw(request: HttpRequest, referral_id: int, payload: ReferralReasonIn) -> Any:
    user = caseworker(request)
    referral = referrals.referral_withdraw(
        user=user, referral_id=referral_id, expected_version=payload.version, reason=payload.reason
    )
    return _referral_out(referral)


@router.get("/my-work", response=list[WorkItemOut], summary="My work: tasks and reminders")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def my_work(request: HttpRequest) -> Any:
    """Open work items: the caller's own, their unit's unassigned ones, and for supervisors the
    approvals of their units; earliest due first."""
    user = caseworker(request)
    today = timezone.localdate()
    items = list(selectors.work_items_for(user=user))
    for item in items:
        item.overdue = item.due_on < today  # type: ignore[attr-defined]
        item.assigned_to_me = item.assignee_id == user.pk  # type: ignore[attr-defined]
    return items


@router.get("/referrals/outbox", response=list[ReferralOut], summary="Referrals from my units")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def referral_outbox(request: HttpRequest) -> Any:
    """Referrals and transfers sent from the caller's units, newest first, with their answers."""
    user = caseworker(request)
    return selectors.referral_outbox_for(user=user).prefetch_related("attachments")


@router.get("/referrals/{referral_id}", response=ReferralOut, summary="One referral")
def referral_detail(request: HttpRequest, referral_id: int) -> Any:
    """A referral to or from the caller's units; the read is audited."""
    user = caseworker(request)
    referral = selectors.referral_get_for(user=user, referral_id=referral_id, request=request)
    return _referral_out(referral)


@router.get(
    "/attachments/{attachment_id}",
    response={200: None},
    summary="Download a document",
    description="A document of a referral, case or person the caller may see; the file as "
    "it was sent. The download is audited.",
)
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    user = caseworker(request)
    attachment = selectors.attachment_get_for(
        user=user, attachment_id=attachment_id, request=request
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )

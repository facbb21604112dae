"""Public referral pages, open without sign-in: a professional's referral (channel "web_form"),
a member of the public's application or enquiry ("public_application"), and the status look-up
by reference number and secret. CSRF-protected, and each address may submit only so often
(`ratelimit`). After a submission the page shows the reference and the secret once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .models import Attachment, Referral, ReferralChannel, ReferralStatus
from .public_forms import (
    MAX_FILES,
    ProfessionalReferralForm,
    PublicApplicationForm,
    StatusForm,
    SubmissionForm,
)
from .ratelimit import client_over_limit
from .services.attachments import max_upload_bytes
from .services.referrals import ereferral_status, ereferral_submit
from .uploads import attachments_discard, attachments_store_all

TEMPLATES = "cases/public/"
# Recorded with a public application as the evidence of consent (data, kept in both languages).
APPLICATION_CONSENT = "申請人在網上申請表上同意 / Agreed by the applicant on the online form"
# The service's field names → the application form's.
APPLICATION_FIELDS = {
    "referrer_name": "name_zh",
    "referrer_phone": "phone",
    "reason": "help_needed",
    "to_unit": "district",
}


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> Any:
    response = render(request, TEMPLATES + template, context, status=status)
    response["Cache-Control"] = "no-store"  # forms and secrets are not kept by the browser
    return response


def _too_many(request: HttpRequest) -> HttpResponse:
    return _page(request, "limited.html", {}, status=429)


def _request_too_large(request: HttpRequest) -> bool:
    """Refuse before reading the body when it cannot fit the files allowed (the size of each
    file is checked again when it is stored)."""
    allowed = MAX_FILES * max_upload_bytes() + 1024 * 1024
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > allowed
    except ValueError:
        return True


@never_cache
def landing(request: HttpRequest) -> HttpResponse:
    """Choose: a professional referring someone, or someone asking for help for themselves."""
    return _page(request, "landing.html", {})


def _submit(
    request: HttpRequest,
    form: SubmissionForm,
    *,
    channel: str,
    to_unit_id: int,
    person: dict[str, Any],
    reason: str,
    referrer: dict[str, str],
    consent_evidence: str,
    urgency: str,
    uploads: list[Any],
    field_names: dict[str, str],
) -> tuple[Referral, str] | None:
    """Store the uploads and the referral together, or nothing (errors go onto the form)."""
    saved: list[Attachment] = []
    try:
        with transaction.atomic():
            saved = attachments_store_all(uploads=uploads)
            referral, secret = ereferral_submit(
                to_unit_id=to_unit_id,
                channel=channel,
                person=person,
                reason=reason,
                referrer=referrer,
                consent_evidence=consent_evidence,
                urgency=urgency,
                attachments=saved,
                idempotency_key=form.idempotency_key(channel),
            )
            if not secret:  # the same page sent again: keep nothing of this copy
                transaction.set_rollback(True)
                attachments_discard(saved)
            return referral, secret
    except ValidationError as exc:
        attachments_discard(saved)
        names = {**field_names, **{f"attachments.{i}": "attachments" for i in range(MAX_FILES)}}
        form.add_service_errors(exc, names)
        return None


def _received(request: HttpRequest, referral: Referral, secret: str) -> HttpResponse:
    return _page(request, "received.html", {"referral": referral, "secret": secret})


@never_cache
@require_http_methods(["GET", "POST"])
def professional(request: HttpRequest) -> HttpResponse:
    """A referral from a professional outside SocialDesk, with documents."""
    if request.method != "POST":
        return _page(request, "professional.html", {"form": ProfessionalReferralForm()})
    if client_over_limit(request, "submit", scope="professional"):
        return _too_many(request)
    if _request_too_large(request):
        form = ProfessionalReferralForm()
        limit = filesizeformat(max_upload_bytes())
        message = _("The files are too large: at most %(count)s files of %(limit)s each.") % {
            "count": MAX_FILES,
            "limit": limit,
        }
        return _page(request, "professional.html", {"form": form, "too_large": message}, 413)
    form = ProfessionalReferralForm(request.POST, request.FILES)
    if form.is_valid():
        result = _submit(
            request,
            form,
            channel=ReferralChannel.WEB_FORM,
            to_unit_id=form.cleaned_data["to_unit"].pk,
            person=form.person_data(),
            reason=form.cleaned_data["reason"],
            referrer=form.referrer(),
            consent_evidence=form.cleaned_data["consent_evidence"],
            urgency=form.cleaned_data["urgency"],
            uploads=form.cleaned_data["attachments"],
            field_names={"to_unit": "to_unit"},
        )
        if result is not None:
            return _received(request, *result)
    return _page(request, "professional.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """An application or enquiry from a member of the public, to the unit of the service in
    their district; it arrives in that unit's referral inbox."""
    if request.method != "POST":
        return _page(request, "apply.html", {"form": PublicApplicationForm()})
    if client_over_limit(request, "submit", scope="apply"):
        return _too_many(request)
    form = PublicApplicationForm(request.POST)
    if form.is_valid() and form.receiving_unit is not None:
        result = _submit(
            request,
            form,
            channel=ReferralChannel.PUBLIC_APPLICATION,
            to_unit_id=form.receiving_unit.pk,
            person=form.person_data(),
            reason=form.cleaned_data["help_needed"],
            referrer=form.referrer(),
            consent_evidence=APPLICATION_CONSENT,
            urgency="routine",
            uploads=[],
            field_names=APPLICATION_FIELDS,
        )
        if result is not None:
            return _received(request, *result)
    return _page(request, "apply.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """The status of a referral or application, by its reference number and secret; the page
    shows the status only, never the person's details."""
    if request.method != "POST":
        return _page(request, "status.html", {"form": StatusForm()})
    if client_over_limit(request, "status"):
        return _too_many(request)
    form = StatusForm(request.POST)
    referral = None
    if form.is_valid():
        referral = ereferral_status(
            reference=form.cleaned_data["reference"], secret=form.cleaned_data["secret"]
        )
        if referral is None:
            form.add_error(None, _("No referral has this reference number and status code."))
    context = {"form": form, "referral": referral, "statuses": ReferralStatus}
    return _page(request, "status.html", context)

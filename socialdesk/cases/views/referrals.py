"""Referrals (轉介) and case transfers: sending one with the person's consent (or a recorded
reason to go without), the receiving unit's inbox, the sender's outbox, the referral page with
the shared snapshot, accepting (matching an outside referral to a record), declining,
withdrawing, and downloading attachments."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialdesk.core.access import Capability, capability_required
from socialdesk.core.concurrency import ConflictError

from .. import selectors
from ..forms import ReferralAcceptForm, ReferralDeclineForm, ReferralForm, ReferralWithdrawForm
from ..models import Case, Referral, ReferralKind, ReferralStatus
from ..services import attachments as attachment_services
from ..services import people as people_services
from ..services import referrals as referral_services
from ..services.search import DuplicateCandidate
from ._common import add_service_errors, posted, posted_files, rebase_version


@capability_required(Capability.CASEWORK)
def referral_new(request: HttpRequest, person_id: int) -> HttpResponse:
    """Refer the person to another unit; with ?case=<id>, transfer that case."""
    person = people_services.person_get_for_change(user=request.user, person_id=person_id)
    case: Case | None = None
    from_units = selectors.casework_units_for(user=request.user)
    if request.GET.get("case"):
        case = selectors.case_get_for_change(user=request.user, case_id=request.GET["case"])
        from_units = from_units.filter(pk=case.unit_id)
    consents = list(selectors.referral_consents_for(person=person))
    form = ReferralForm(
        posted(request),
        posted_files(request),
        from_units=from_units,
        to_units=selectors.referral_target_units(),
        consents=consents,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                files = [
                    attachment_services.attachment_create(
                        user=request.user, upload=upload, person=person
                    )
                    for upload in data["attachments"]
                ]
                referral = referral_services.referral_send(
                    user=request.user,
                    person_id=person.pk,
                    from_unit=data["from_unit"],
                    to_unit_id=data["to_unit"],
                    reason=data["reason"],
                    urgency=data["urgency"],
                    consent_id=data["consent"] or None,
                    consent_override_reason=(
                        data["consent_override_reason"] if data["without_consent"] else ""
                    ),
                    attachments=files,
                    case_id=case.pk if case else None,
                    kind=ReferralKind.TRANSFER if case else ReferralKind.REFERRAL,
                )
        except ValidationError as error:
            if hasattr(error, "error_dict") or not error.code or error.code not in FILE_CODES:
                add_service_errors(form, error)
            else:
                form.add_error("attachments", error)
        else:
            messages.success(
                request,
                _("Referral %(reference)s has been sent.") % {"reference": referral.reference},
            )
            return redirect("cases:referral_detail", referral_id=referral.pk)
    context = {"form": form, "person": person, "case": case, "consents": consents}
    return render(request, "cases/referral_new.html", context)


FILE_CODES = {"too_large", "empty", "file_type", "scan_failed", "infected"}


@capability_required(Capability.CASEWORK)
def referral_inbox(request: HttpRequest) -> HttpResponse:
    """Referrals to the user's units: those waiting for a reply, or those answered."""
    answered = request.GET.get("tab") == "answered"
    referrals = selectors.referral_inbox_for(
        user=request.user, status="" if answered else ReferralStatus.SENT
    )
    if answered:
        referrals = referrals.exclude(status=ReferralStatus.SENT)
    page = Paginator(referrals, 25).get_page(request.GET.get("page"))
    context = {"page_obj": page, "box": "inbox", "answered": answered}
    return render(request, "cases/referral_list.html", context)


@capability_required(Capability.CASEWORK)
def referral_outbox(request: HttpRequest) -> HttpResponse:
    referrals = selectors.referral_outbox_for(user=request.user)
    page = Paginator(referrals, 25).get_page(request.GET.get("page"))
    return render(request, "cases/referral_list.html", {"page_obj": page, "box": "outbox"})


def _candidates(referral: Referral) -> list[Any]:
    """Masked summaries of the records an outside referral may be about (found when it came)."""
    if referral.person_id is not None:
        return []
    matches = (referral.shared_data or {}).get("match") or []
    candidates = [
        DuplicateCandidate(int(m["person_id"]), int(m.get("score", 0)), list(m.get("reasons", [])))
        for m in matches
        if str(m.get("person_id", "")).isdigit()
    ]
    return selectors.duplicate_candidate_summaries(candidates=candidates)


def _referral_page(
    request: HttpRequest, referral: Referral, *, status: int = 200, **forms: Any
) -> HttpResponse:
    candidates = _candidates(referral)
    initial = {"version": referral.version}
    context: dict[str, Any] = {
        "referral": referral,
        "shared": selectors.referral_shared_view(referral=referral),
        "candidates": candidates,
        "attachments": list(referral.attachments.all()),
        **selectors.referral_actions_for(user=request.user, referral=referral),
        "accept_form": ReferralAcceptForm(initial=initial, candidates=candidates),
        "decline_form": ReferralDeclineForm(initial=initial),
        "withdraw_form": ReferralWithdrawForm(initial=initial),
    }
    context.update(forms)
    return render(request, "cases/referral_detail.html", context, status=status)


@capability_required(Capability.CASEWORK)
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = selectors.referral_get_for(
        user=request.user, referral_id=referral_id, request=request
    )
    return _referral_page(request, referral)


def _conflict(request: HttpRequest, form: Any, error: ConflictError, name: str) -> HttpResponse:
    form.add_error(None, str(error.message))
    rebase_version(form, error.current)
    return _referral_page(request, error.current, status=409, **{name: form})  # type: ignore[arg-type]


@require_POST
@capability_required(Capability.CASEWORK)
def referral_accept(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Accept: an intake opens in the receiving unit (a transfer moves the case there)."""
    referral = selectors.referral_get_for(user=request.user, referral_id=referral_id)
    if not selectors.referral_actions_for(user=request.user, referral=referral)["can_decide"]:
        raise PermissionDenied
    form = ReferralAcceptForm(request.POST, candidates=_candidates(referral))
    if form.is_valid():
        match = form.cleaned_data["match"]
        try:
            result = referral_services.referral_accept(
                user=request.user,
                referral_id=referral.pk,
                expected_version=form.cleaned_data["version"],
                person_id=int(match) if match.isdigit() else None,
                register_new=match == ReferralAcceptForm.NEW,
            )
        except ConflictError as error:
            return _conflict(request, form, error, "accept_form")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The referral has been accepted."))
            if isinstance(result, Case):
                return redirect("cases:case_detail", case_id=result.pk)
            return redirect("cases:intake_detail", intake_id=result.pk)
    return _referral_page(request, referral, accept_form=form)


@require_POST
@capability_required(Capability.CASEWORK)
def referral_decline(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = selectors.referral_get_for(user=request.user, referral_id=referral_id)
    if not selectors.referral_actions_for(user=request.user, referral=referral)["can_decide"]:
        raise PermissionDenied
    form = ReferralDeclineForm(request.POST)
    if form.is_valid():
        try:
            referral_services.referral_decline(
                user=request.user,
                referral_id=referral.pk,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["decline_reason"],
            )
        except ConflictError as error:
            return _conflict(request, form, error, "decline_form")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The referral has been declined."))
            return redirect("cases:referral_inbox")
    return _referral_page(request, referral, decline_form=form)


@require_POST
@capability_required(Capability.CASEWORK)
def referral_withdraw(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = selectors.referral_get_for(user=request.user, referral_id=referral_id)
    if not selectors.referral_actions_for(user=request.user, referral=referral)["can_withdraw"]:
        raise PermissionDenied
    form = ReferralWithdrawForm(request.POST)
    if form.is_valid():
        try:
            referral_services.referral_withdraw(
                user=request.user,
                referral_id=referral.pk,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["withdraw_reason"],
            )
        except ConflictError as error:
            return _conflict(request, form, error, "withdraw_form")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The referral has been withdrawn."))
            return redirect("cases:referral_outbox")
    return _referral_page(request, referral, withdraw_form=form)


@capability_required(Capability.CASEWORK)
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """An attachment, to those who may see the referral, case or person it belongs to."""
    attachment = selectors.attachment_get_for(
        user=request.user, attachment_id=attachment_id, request=request
    )
    return FileResponse(  # type: ignore[return-value]
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )

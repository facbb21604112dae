"""People: search, registration (with the duplicate check), the person's record and its parts,
the HKID reveal, merging, and the privacy officer's "who has seen this person"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialdesk.core.access import Action, Capability, capability_required, has_capability
from socialdesk.core.concurrency import ConflictError
from socialdesk.textsearch.identifiers import hkid_mask

from .. import selectors
from ..forms import (
    AliasForm,
    ConsentForm,
    ConsentWithdrawForm,
    EditPersonForm,
    HouseholdMemberForm,
    KeyContactForm,
    MergeForm,
    RegisterPersonForm,
    SearchForm,
    parse_int,
)
from ..services import attachments as attachment_services
from ..services import people as people_services
from ._common import add_service_errors, conflict, conflict_rows, is_htmx, posted, posted_files


def masked_hkid(person: Any) -> str:
    return hkid_mask(person.hkid) if person.hkid else ""


# --- Search -------------------------------------------------------------------------------------


@capability_required(Capability.CASEWORK)
def search(request: HttpRequest) -> HttpResponse:
    """One box for names, HKID, phone and case numbers, among the people the user may see;
    with HTMX the results refresh as the user types."""
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    rows: list[dict[str, Any]] = []
    if query:
        hits = selectors.people_search_for(user=request.user, query=query, request=request)
        counts = selectors.open_case_counts_for(
            user=request.user, person_ids=[hit.person.pk for hit in hits]
        )
        today = timezone.localdate()
        rows = [
            {
                "person": hit.person,
                "age": hit.person.age_on(today),
                "hkid": masked_hkid(hit.person),
                "open_cases": counts.get(hit.person.pk, 0),
            }
            for hit in hits
        ]
    context = {"form": form, "query": query, "rows": rows}
    template = "cases/partials/search_results.html" if is_htmx(request) else "cases/search.html"
    return render(request, template, context)


# --- Registration -------------------------------------------------------------------------------


def _register_page(
    request: HttpRequest, form: RegisterPersonForm, candidates: Any = None, status: int = 200
) -> HttpResponse:
    context = {"form": form, "candidates": candidates or []}
    if candidates:
        context["acknowledge"] = ",".join(str(c.person_id) for c in candidates)
    return render(request, "cases/person_register.html", context, status=status)


@capability_required(Capability.CASEWORK)
def person_register(request: HttpRequest) -> HttpResponse:
    """Register a person in one of the user's units and put them in its intake queue; records
    that may be the same person are shown (masked) before a new one is created."""
    units = selectors.casework_units_for(user=request.user)
    form = RegisterPersonForm(posted(request), units=units)
    if request.method == "POST" and form.is_valid():
        try:
            person = people_services.service_user_register(
                user=request.user,
                unit=form.cleaned_data["unit"],
                data=form.person_data(),
                presenting_problem=form.cleaned_data["presenting_problem"],
                acknowledged=form.acknowledged_ids(),
            )
        except people_services.PossibleDuplicate as duplicate:
            summaries = selectors.duplicate_candidate_summaries(candidates=duplicate.candidates)
            return _register_page(request, form, summaries)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s has been registered and is waiting for intake.")
                % {"name": person.display_name},
            )
            return redirect("cases:person_detail", person_id=person.pk)
    return _register_page(request, form)


@require_POST
@capability_required(Capability.CASEWORK)
def person_link(request: HttpRequest) -> HttpResponse:
    """ "Use this existing record": start an intake for a duplicate candidate instead of
    registering the person again (the registration form posts here with the candidate chosen)."""
    units = selectors.casework_units_for(user=request.user)
    form = RegisterPersonForm(request.POST, units=units)
    if form.is_valid():
        try:
            intake = people_services.service_user_link(
                user=request.user,
                unit=form.cleaned_data["unit"],
                person_id=parse_int(request.POST.get("person_id")) or 0,
                details=form.person_data(),
                presenting_problem=form.cleaned_data["presenting_problem"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The existing record is now in your intake queue."))
            return redirect("cases:intake_detail", intake_id=intake.pk)
    return _register_page(request, form)


# --- The person's record ------------------------------------------------------------------------


@capability_required(Capability.VIEW_CASE_RECORDS)
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    page = selectors.person_page_for(user=request.user, person_id=person_id, request=request)
    person = page["person"]
    context = {
        **page,
        "hkid_masked": masked_hkid(person),
        "age": person.age_on(timezone.localdate()),
        "can_casework": has_capability(request.user, Capability.CASEWORK),
        "can_merge": page["can_change"] and selectors.supervises(user=request.user),
        "can_see_access_log": has_capability(request.user, Capability.VIEW_AUDIT),
    }
    context["can_reveal"] = bool(person.hkid) and page["can_change"] and context["can_casework"]
    return render(request, "cases/person_detail.html", context)


PERSON_EDIT_FIELDS = (*EditPersonForm.IDENTITY_FIELDS,)


@capability_required(Capability.CASEWORK)
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = people_services.person_get_for_change(user=request.user, person_id=person_id)
    form = EditPersonForm(posted(request), person=person)
    context: dict[str, Any] = {"form": form, "person": person}
    if request.method == "POST" and form.is_valid():
        try:
            people_services.service_user_update(
                user=request.user,
                person_id=person.pk,
                expected_version=form.cleaned_data["version"],
                data=form.person_data(),
            )
        except ConflictError as error:
            current: Any = error.current
            shown = {
                "hkid": masked_hkid(current),
                "sex": current.get_sex_display(),
                "language": current.get_language_display(),
                "district": current.district,
                "flags": current.flag_labels(),
            }
            fields = [f for f in PERSON_EDIT_FIELDS if f != "hkid" or form.cleaned_data["hkid"]]
            rows = conflict_rows(form, current, fields, shown=shown)
            return conflict(
                request, "cases/person_edit.html", context, form=form, error=error, rows=rows
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The record has been saved."))
            return redirect("cases:person_detail", person_id=person.pk)
    return render(request, "cases/person_edit.html", context)


@require_POST
@capability_required(Capability.CASEWORK)
def person_hkid(request: HttpRequest, person_id: int) -> HttpResponse:
    """Show the full HKID to the person's own workers; every reveal is audited."""
    hkid = people_services.hkid_reveal(user=request.user, person_id=person_id, request=request)
    context = {"hkid": hkid, "person_id": person_id}
    if is_htmx(request):
        return render(request, "cases/partials/hkid_revealed.html", context)
    return render(request, "cases/person_hkid.html", context)


def _part_page(
    request: HttpRequest,
    person_id: int,
    *,
    form: Any,
    title: str,
    save: Any,
    saved_message: str,
    template: str = "cases/person_part_form.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """A small form adding one part to a person's record (household member, contact, name,
    consent): `save(cleaned_data)` calls the service."""
    person = people_services.person_get_for_change(user=request.user, person_id=person_id)
    if request.method == "POST" and form.is_valid():
        try:
            save(person, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, saved_message)
            next_url = request.POST.get("next", "")
            if next_url.startswith("/cases/") and "//" not in next_url:
                return redirect(next_url)
            return redirect("cases:person_detail", person_id=person.pk)
    context = {"form": form, "person": person, "title": title, **(extra or {})}
    context["next"] = request.GET.get("next") or request.POST.get("next", "")
    return render(request, template, context)


@capability_required(Capability.CASEWORK)
def household_add(request: HttpRequest, person_id: int) -> HttpResponse:
    return _part_page(
        request,
        person_id,
        form=HouseholdMemberForm(posted(request)),
        title=_("Add a household member"),
        save=lambda person, data: people_services.household_member_add(
            user=request.user, person_id=person.pk, data=data
        ),
        saved_message=_("The household member has been added."),
    )


@capability_required(Capability.CASEWORK)
def contact_add(request: HttpRequest, person_id: int) -> HttpResponse:
    return _part_page(
        request,
        person_id,
        form=KeyContactForm(posted(request)),
        title=_("Add a key contact"),
        save=lambda person, data: people_services.key_contact_add(
            user=request.user, person_id=person.pk, data=data
        ),
        saved_message=_("The key contact has been added."),
    )


@capability_required(Capability.CASEWORK)
def alias_add(request: HttpRequest, person_id: int) -> HttpResponse:
    return _part_page(
        request,
        person_id,
        form=AliasForm(posted(request)),
        title=_("Add another name"),
        save=lambda person, data: people_services.alias_add(
            user=request.user, person_id=person.pk, **data
        ),
        saved_message=_("The other name has been added; search finds the person by it too."),
    )


@capability_required(Capability.CASEWORK)
def consent_add(request: HttpRequest, person_id: int) -> HttpResponse:
    initial = {"purpose": request.GET.get("purpose", "")}
    form = ConsentForm(
        posted(request),
        posted_files(request),
        organisations=selectors.organisation_directory(),
        initial=initial,
    )

    def save(person: Any, data: dict[str, Any]) -> None:
        evidence = None
        if data.get("evidence_file"):
            try:
                evidence = attachment_services.attachment_create(
                    user=request.user, upload=data["evidence_file"], person=person
                )
            except ValidationError as error:
                raise ValidationError({"evidence_file": error.messages}) from error
        people_services.consent_record(
            user=request.user,
            person_id=person.pk,
            purpose=data["purpose"],
            scope=data["scope"],
            given_by=data["given_by"],
            given_on=data["given_on"],
            evidence=data["evidence"],
            recipient_organisation=data["recipient_organisation"],
            evidence_file=evidence,
        )

    return _part_page(
        request,
        person_id,
        form=form,
        title=_("Record a consent"),
        save=save,
        saved_message=_("The consent has been recorded."),
        template="cases/consent_form.html",
    )


@capability_required(Capability.CASEWORK)
def consent_withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    consent = selectors.consent_get_for(
        user=request.user, consent_id=consent_id, action=Action.CHANGE
    )
    form = ConsentWithdrawForm(posted(request), consent=consent)
    context: dict[str, Any] = {"form": form, "consent": consent, "person": consent.person}
    if request.method == "POST" and form.is_valid():
        try:
            people_services.consent_withdraw(
                user=request.user,
                consent_id=consent.pk,
                expected_version=form.cleaned_data["version"],
                withdrawn_on=form.cleaned_data["withdrawn_on"],
                note=form.cleaned_data["withdrawal_note"],
            )
        except ConflictError as error:
            return conflict(request, "cases/consent_withdraw.html", context, form=form, error=error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The withdrawal of the consent has been recorded."))
            return redirect("cases:person_detail", person_id=consent.person_id)
    return render(request, "cases/consent_withdraw.html", context)


# --- Merging ------------------------------------------------------------------------------------


@capability_required(Capability.CASEWORK)
def person_merge(request: HttpRequest, person_id: int) -> HttpResponse:
    """Merge another record of the same person into this one (supervisors): the reference and
    reason first, then a confirmation page listing what moves."""
    if not selectors.supervises(user=request.user):
        raise PermissionDenied
    target = people_services.person_get_for_change(user=request.user, person_id=person_id)
    form = MergeForm(posted(request))
    context: dict[str, Any] = {"form": form, "person": target}
    if request.method == "POST" and form.is_valid():
        source_id = selectors.person_reference_parse(form.cleaned_data["other_reference"])
        try:
            if source_id is None:
                raise ValidationError(
                    {"other_reference": _("Enter a reference number such as P0001234.")}
                )
            if not form.cleaned_data["confirmed"]:
                preview = selectors.person_merge_preview(
                    user=request.user, source_id=source_id, target_id=target.pk
                )
                context.update(preview=preview, confirm=True)
                return render(request, "cases/person_merge.html", context)
            merged = people_services.service_user_merge(
                user=request.user,
                source_id=source_id,
                target_id=target.pk,
                reason=form.cleaned_data["reason"],
            )
        except (Http404, PermissionDenied):
            form.add_error(
                "other_reference",
                _("No record with this number that you may change was found."),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The two records have been merged."))
            return redirect("cases:person_detail", person_id=merged.pk)
    return render(request, "cases/person_merge.html", context)


# --- Privacy officers ---------------------------------------------------------------------------


@capability_required(Capability.VIEW_AUDIT)
def person_access_log(request: HttpRequest, person_id: int) -> HttpResponse:
    """ "Who has seen this person": reads and changes of the person's records."""
    person = selectors.person_get_for(
        user=request.user, person_id=person_id, request=request, purpose="access_log"
    )
    entries = selectors.person_access_log_for(user=request.user, person=person)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "cases/person_access_log.html", {"person": person, "page_obj": page})

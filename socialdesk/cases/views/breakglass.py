"""Break-the-glass: emergency access to one person outside need-to-know (with a reason, for a
limited time, announced to the privacy officer), ending it early, and the privacy officer's
review of every such access."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialdesk.core.access import Capability, capability_required

from .. import selectors
from ..forms import BreakGlassForm, BreakGlassReviewForm
from ..services import breakglass
from ._common import add_service_errors, posted


@capability_required(Capability.CASEWORK)
def break_glass(request: HttpRequest) -> HttpResponse:
    """Find the person by their exact HKID and open time-limited access with a reason."""
    form = BreakGlassForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = breakglass.break_glass_find(hkid=data["hkid"])
            if person is None:
                raise ValidationError({"hkid": _("No person with this HKID number is registered.")})
            access = breakglass.break_glass_open(
                user=request.user,
                person=person,
                reason=data["reason"],
                minutes=int(data["minutes"]),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.warning(
                request,
                _(
                    "Break-the-glass access is open until %(time)s. The privacy officer has been "
                    "told."
                )
                % {"time": timezone.localtime(access.expires_at).strftime("%H:%M")},
            )
            return redirect("cases:person_detail", person_id=person.pk)
    return render(request, "cases/break_glass.html", {"form": form})


@require_POST
@capability_required(Capability.CASEWORK)
def break_glass_end(request: HttpRequest, access_id: int) -> HttpResponse:
    """End one's own break-the-glass access now."""
    breakglass.break_glass_end(user=request.user, access_id=access_id)
    messages.success(request, _("Your break-the-glass access has ended."))
    return redirect("cases:search")


@capability_required(Capability.VIEW_AUDIT)
def break_glass_list(request: HttpRequest) -> HttpResponse:
    """Every break-the-glass access by the organisation's staff, those not yet reviewed first."""
    accesses = selectors.break_glass_list_for(user=request.user).order_by(
        "reviewed_at", "-granted_at"
    )
    page = Paginator(accesses, 25).get_page(request.GET.get("page"))
    return render(request, "cases/break_glass_list.html", {"page_obj": page})


@capability_required(Capability.VIEW_AUDIT)
def break_glass_review(request: HttpRequest, access_id: int) -> HttpResponse:
    """One access with the reason given; the privacy officer records the outcome of the review."""
    access = selectors.break_glass_get_for(user=request.user, access_id=access_id)
    form = BreakGlassReviewForm(posted(request), initial={"review_note": access.review_note})
    if request.method == "POST" and form.is_valid():
        try:
            breakglass.break_glass_review(
                user=request.user, access_id=access.pk, note=form.cleaned_data["review_note"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your review has been recorded."))
            return redirect("cases:break_glass_list")
    return render(request, "cases/break_glass_review.html", {"form": form, "access": access})

"""Service performance pages: webhooks. The endpoints of the viewer's organisation (agency
administrators; SWD subventions officers for SWD; system administrators every one): adding one
(its secret is shown once), editing (version-checked), rotating the secret, sending a test
event, and each endpoint's delivery log."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from socialdesk.core.access import Action, Capability, capability_required
from socialdesk.core.concurrency import ConflictError
from socialdesk.core.models import Organisation

from .. import webhooks
from ..events import EVENT_CHOICES
from ..models import WebhookEndpoint

View = Callable[..., HttpResponse]


def manager_required(view: View) -> View:
    """Signed in, and managing some organisation's endpoints (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not webhooks.webhook_manager(user=request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return capability_required(Capability.MANAGE_WEBHOOKS)(wrapped)


# --- Forms ---------------------------------------------------------------------------------------


class WebhookEndpointForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    url = forms.URLField(
        label=gettext_lazy("Address (URL)"),
        max_length=500,
        help_text=gettext_lazy(
            "Where SocialDesk sends each event, e.g. https://example.org/hooks."
        ),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("None ticked: every event."),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                for item in errors:
                    self.add_error(name if name in self.fields else None, item)
        else:
            self.add_error(None, error)


class WebhookCreateForm(WebhookEndpointForm):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none(), empty_label=None
    )
    field_order = ["organisation", "name", "url", "events", "is_active"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["organisation"]
        field.queryset = webhooks.webhook_organisations_for(user=user).order_by("kind", "code")


class WebhookEditForm(WebhookEndpointForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @classmethod
    def for_endpoint(cls, endpoint: WebhookEndpoint) -> WebhookEditForm:
        return cls(
            initial={
                "name": endpoint.name,
                "url": endpoint.url,
                "events": endpoint.events,
                "is_active": endpoint.is_active,
                "version": endpoint.version,
            }
        )


# --- Pages ---------------------------------------------------------------------------------------


def _event_labels(endpoint: WebhookEndpoint) -> list[str]:
    """The endpoint's events as the page names them (none: every event)."""
    labels = dict(EVENT_CHOICES)
    return [str(labels.get(name, name)) for name in endpoint.events]


def _secret_page(request: HttpRequest, endpoint: WebhookEndpoint, secret: str) -> HttpResponse:
    """The one time the secret is shown; the browser is told not to keep the page."""
    response = render(
        request,
        "performance/webhooks/secret.html",
        {"endpoint": endpoint, "secret": secret, "replay_window": webhooks.REPLAY_WINDOW},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@manager_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    endpoints = webhooks.webhook_endpoint_list_for(user=request.user)
    page = Paginator(endpoints, 25).get_page(request.GET.get("page"))
    organisations = webhooks.webhook_organisations_for(user=request.user)
    return render(
        request,
        "performance/webhooks/list.html",
        {
            "page_obj": page,
            "rows": [(endpoint, _event_labels(endpoint)) for endpoint in page],
            "show_organisation": organisations.count() != 1,
        },
    )


@manager_required
def webhook_create(request: HttpRequest) -> HttpResponse:
    """Add an endpoint; the page after saving shows its secret once."""
    form = WebhookCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = webhooks.webhook_endpoint_create(
                user=request.user,
                organisation_id=data["organisation"].pk,
                name=data["name"],
                url=data["url"],
                events=data["events"],
                is_active=data["is_active"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _secret_page(request, endpoint, secret)
    return render(request, "performance/webhooks/form.html", {"form": form, "endpoint": None})


@require_GET
@manager_required
def webhook_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """The endpoint and its delivery log."""
    endpoint = webhooks.webhook_endpoint_get_for(user=request.user, endpoint_id=endpoint_id)
    deliveries = webhooks.webhook_delivery_list_for(user=request.user, endpoint_id=endpoint.pk)
    page = Paginator(deliveries, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "performance/webhooks/detail.html",
        {
            "endpoint": endpoint,
            "page_obj": page,
            "events": _event_labels(endpoint),
            "replay_window": webhooks.REPLAY_WINDOW,
        },
    )


@manager_required
def webhook_edit(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = webhooks.webhook_endpoint_get_for(
        user=request.user, endpoint_id=endpoint_id, action=Action.CHANGE
    )
    if request.method != "POST":
        form = WebhookEditForm.for_endpoint(endpoint)
        return render(
            request, "performance/webhooks/form.html", {"form": form, "endpoint": endpoint}
        )
    form = WebhookEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            webhooks.webhook_endpoint_update(
                user=request.user,
                endpoint_id=endpoint.pk,
                expected_version=data["version"],
                name=data["name"],
                url=data["url"],
                events=data["events"],
                is_active=data["is_active"],
            )
        except ConflictError as error:
            form.add_error(None, str(error.message))
            posted = form.data.copy()  # type: ignore[attr-defined]
            posted["version"] = str(error.current.version)  # type: ignore[attr-defined]
            form.data = posted
            context = {"form": form, "endpoint": endpoint, "current": error.current}
            return render(request, "performance/webhooks/form.html", context, status=409)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The webhook endpoint has been saved."))
            return redirect("performance:webhook_detail", endpoint_id=endpoint.pk)
    return render(request, "performance/webhooks/form.html", {"form": form, "endpoint": endpoint})


@require_POST
@manager_required
def webhook_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """A new secret replaces the old one at once; the receiver must be given it."""
    endpoint, secret = webhooks.webhook_secret_rotate(user=request.user, endpoint_id=endpoint_id)
    return _secret_page(request, endpoint, secret)


@require_POST
@manager_required
def webhook_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    try:
        webhooks.webhook_test_send(user=request.user, endpoint_id=endpoint_id)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("A test event has been sent. Its delivery is listed below."))
    return redirect("performance:webhook_detail", endpoint_id=endpoint_id)


urlpatterns: list[URLPattern] = [
    path("webhooks/", webhook_list, name="webhook_list"),
    path("webhooks/new/", webhook_create, name="webhook_create"),
    path("webhooks/<int:endpoint_id>/", webhook_detail, name="webhook_detail"),
    path("webhooks/<int:endpoint_id>/edit/", webhook_edit, name="webhook_edit"),
    path("webhooks/<int:endpoint_id>/rotate/", webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:endpoint_id>/test/", webhook_test, name="webhook_test"),
]

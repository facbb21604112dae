"""Public referral pages under /referral/ (no sign-in)."""

from django.urls import path

from . import public_views

app_name = "referral"

urlpatterns = [
    path("", public_views.landing, name="landing"),
    path("professional/", public_views.professional, name="professional"),
    path("apply/", public_views.apply, name="apply"),
    path("status/", public_views.status, name="status"),
]

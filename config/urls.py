"""URL map: each app's pages under its own prefix, the API under /api/."""

from django.contrib import admin
from django.urls import include, path

from socialdesk.api.api import api

urlpatterns = [
    path("", include("socialdesk.core.urls")),
    path("accounts/", include("socialdesk.accounts.urls")),
    path("privacy/", include("socialdesk.privacy.urls")),
    path("cases/", include("socialdesk.cases.urls")),
    path("referral/", include("socialdesk.cases.public_urls")),
    path("performance/", include("socialdesk.performance.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

handler400 = "socialdesk.core.errors.bad_request"
handler403 = "socialdesk.core.errors.permission_denied"
handler404 = "socialdesk.core.errors.page_not_found"
handler500 = "socialdesk.core.errors.server_error"

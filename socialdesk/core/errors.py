"""Error pages in the user's language; /api/ paths answer in the API's error shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    return HttpResponse(
        loader.render_to_string(template, {"request_path": request.path}, request), status=status
    )


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if _api(request):
        return _json(400, "bad_request", _("The request could not be understood."))
    return _page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if _api(request):
        return _json(403, "permission_denied", _("You do not have permission to do this."))
    return _page(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if _api(request):
        return _json(404, "not_found", _("The record does not exist or you may not see it."))
    return _page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return _json(
            500, "server_error", _("Something went wrong on the server. It has been logged.")
        )
    # No context processors: the failure may be in the database or a processor itself.
    return HttpResponse(loader.get_template("500.html").render({}), status=500)

"""One error shape for every API answer: {"error": {"code", "message", "details"}}, the message in
the caller's language."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from socialdesk.core.concurrency import ConflictError


class ApiError(Exception):
    """Raise from an endpoint to answer with a stable code."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return api.create_response(request, {"error": body}, status=status)


STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "too_many_requests",
}


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every exception into the one error shape."""

    @api.exception_handler(ApiError)
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(api, request, exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(NinjaValidationError)
    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", [])[1:]), "message": e.get("msg", "")}
            for e in exc.errors
        ]
        return error_response(
            api, request, 422, "validation_error", _("Some of the data sent is not valid."), details
        )

    @api.exception_handler(ValidationError)
    def on_model_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        details = (
            [
                {"field": f, "message": " ".join(str(m) for m in ms)}
                for f, ms in exc.message_dict.items()
            ]
            if hasattr(exc, "error_dict")
            else [{"field": "", "message": str(m)} for m in exc.messages]
        )
        return error_response(
            api, request, 422, "validation_error", _("Some of the data sent is not valid."), details
        )

    @api.exception_handler(RequestDataTooBig)
    def on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        from django.conf import settings
        from django.template.defaultfilters import filesizeformat

        limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return error_response(
            api,
            request,
            413,
            "payload_too_large",
            _("The request is too large: at most %(limit)s.") % {"limit": limit},
        )

    @api.exception_handler(AuthenticationError)
    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api,
            request,
            401,
            "not_authenticated",
            _("Sign in, or send a valid API token in the Authorization header."),
        )

    @api.exception_handler(PermissionDenied)
    def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(
            api, request, 403, "permission_denied", _("You do not have permission to do this.")
        )

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(
            api, request, 404, "not_found", _("The record does not exist or you may not see it.")
        )

    @api.exception_handler(ConflictError)
    def on_conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
        current = getattr(exc.current, "version", None)
        return error_response(
            api, request, 409, "conflict", str(exc.message), {"current_version": current}
        )

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = STATUS_CODES.get(exc.status_code, "error")
        # django-ninja raises these itself with English text (a body it cannot parse, a failed
        # CSRF check); answer in the caller's language like every other error.
        message = {
            400: _("The request could not be understood."),
            403: _("You do not have permission to do this."),
        }.get(exc.status_code, str(exc.message))
        return error_response(api, request, exc.status_code, code, message)

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        import logging

        logging.getLogger("socialdesk.api").exception("Unhandled API error")
        return error_response(
            api,
            request,
            500,
            "server_error",
            _("Something went wrong on the server. It has been logged."),
        )

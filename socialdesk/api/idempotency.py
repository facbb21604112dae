"""Idempotent API writes: a client that sends `Idempotency-Key: <key>` may repeat the request
(after a time-out, a lost connection) without doing the work twice.

- The same caller repeating the same request with the same key within 24 hours gets the first
  answer again (same status and body, header `Idempotent-Replayed: true`); nothing is created
  again.
- The same key with another request (other body, method or path) is refused: 422
  `idempotency_key_reused`.
- Only successful answers (2xx) are kept: a refused request changed nothing, so repeating it
  runs it again.

Keys are per caller (a staff member, or a referral partner), so two callers never collide.
Two repeats racing each other are settled by the unique (caller, key) constraint: the work and
the record are written in one transaction, and the loser's transaction is rolled back and
answered with the winner's response.

Use it under the router decorator of a write operation:

    @router.post("/things", response={201: ThingOut})
    @idempotent
    def thing_create(request, payload: ThingIn): ...

Expired keys are deleted on every write and by `manage.py idempotency_keys_expire`.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, models, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.decorators import decorate_view

from .errors import ApiError
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255
_PENDING = "_socialdesk_idempotency"


@dataclass(frozen=True)
class _Pending:
    caller: str
    key: str
    request_hash: str


def _cutoff() -> Any:
    return timezone.now() - KEY_LIFETIME


def caller_of(request: HttpRequest) -> str:
    """Who is calling, as stored with the key: the authenticated record ("accounts.user:7",
    "cases.referralpartner:3"), or "" for an anonymous call (whose keys are ignored)."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, models.Model) and auth.pk is not None:
        return f"{auth._meta.label_lower}:{auth.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"{user._meta.label_lower}:{user.pk}"
    return ""


def _key_from(request: HttpRequest) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ApiError(
            400,
            "bad_request",
            _("The Idempotency-Key header must be 1 to 255 visible ASCII characters."),
        )
    return key


def request_hash(request: HttpRequest) -> str:
    """A fingerprint of the request: method, path with query, and the body (JSON compared by
    value, so key order and spacing do not matter)."""
    body: bytes = request.body
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode("utf-8") + b"\n")
    digest.update(canonical)
    return digest.hexdigest()


def _earlier(caller: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        caller=caller, key=key, created_at__gte=_cutoff()
    ).first()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        record.response_body,
        status=record.response_status,
        content_type="application/json; charset=utf-8",
    )
    response[REPLAY_HEADER] = "true"
    return response


def _reused() -> ApiError:
    return ApiError(
        422,
        "idempotency_key_reused",
        _(
            "This Idempotency-Key was already used for a different request. "
            "Send a new key with a new request."
        ),
    )


def _answer_for(record: IdempotencyRecord, request_digest: str) -> HttpResponse:
    if record.request_hash != request_digest:
        raise _reused()
    return _replay(record)


def _store(pending: _Pending, request: HttpRequest, response: HttpResponse) -> None:
    IdempotencyRecord.objects.filter(created_at__lt=_cutoff()).delete()
    IdempotencyRecord.objects.create(
        caller=pending.caller,
        key=pending.key,
        method=(request.method or "")[:10],
        path=request.path[:500],
        request_hash=pending.request_hash,
        response_status=response.status_code,
        response_body=response.content.decode("utf-8"),
    )


def _recording(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wraps the operation's whole run (authentication, view, serialisation) so that the work
    and the record of its answer are committed together."""

    @functools.wraps(run)
    def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if HEADER not in request.headers:
            return run(request, **kwargs)
        try:
            with transaction.atomic():
                response = run(request, **kwargs)
                pending: _Pending | None = getattr(request, _PENDING, None)
                if pending is not None and 200 <= response.status_code < 300:
                    _store(pending, request, response)
                return response
        except IntegrityError:
            # A repeat running at the same time committed first: answer as it did.
            pending = getattr(request, _PENDING, None)
            record = _earlier(pending.caller, pending.key) if pending else None
            if pending is None or record is None:
                raise
            try:
                return _answer_for(record, pending.request_hash)
            except ApiError as exc:
                from .api import api
                from .errors import error_response

                return error_response(api, request, exc.status, exc.code, exc.message)

    return wrapped


def idempotent[F: Callable[..., Any]](view: F) -> F:
    """Make a ninja write operation honour `Idempotency-Key` (see the module docstring)."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = _key_from(request)
        caller = caller_of(request) if key else ""
        if key is None or not caller:
            return view(request, *args, **kwargs)
        digest = request_hash(request)
        record = _earlier(caller, key)
        if record is not None:
            return _answer_for(record, digest)
        setattr(request, _PENDING, _Pending(caller=caller, key=key, request_hash=digest))
        return view(request, *args, **kwargs)

    # ninja reads the parameters' types from the signature; resolve them in the view's module,
    # not this one (the view's annotations may be strings under `from __future__`).
    checked.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]
    decorate_view(_recording)(checked)
    return checked  # type: ignore[return-value]


def idempotency_keys_expire() -> int:
    """Delete the records of keys older than 24 hours; returns how many were deleted."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=_cutoff()).delete()
    return deleted

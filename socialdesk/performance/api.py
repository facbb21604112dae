"""Service performance API: statistical returns for agencies' own systems (idempotent writes),
their review by the agency and SWD, and units' attainment of their agreed standards. Reads are
scoped by the performance policies; every write goes through services.returns, as the pages do."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import PageNumberPagination, paginate

from socialdesk.api.errors import ApiError
from socialdesk.api.idempotency import idempotent
from socialdesk.core.access import Capability, actor_for, has_capability, policy_for
from socialdesk.core.concurrency import ConflictError
from socialdesk.core.models import ServiceUnit

from .models import (
    Agreement,
    Attainment,
    Channel,
    Frequency,
    ReportingPeriod,
    ReturnEvent,
    ReturnStatus,
    ReturnValue,
    StatisticalReturn,
)
from .periods import fiscal_year_of
from .policies import UNIT_ROLES
from .schemas import (
    AttainmentOut,
    FigureIn,
    ReturnBackIn,
    ReturnOut,
    ReturnPut,
    ReturnSummaryOut,
    UnlockIn,
    VersionIn,
)
from .services import returns

router = Router(tags=["performance"])
PAGE_SIZE = 50
# "2025-26 Q1", "Q1" or "1" (the quarter or half of any year, or of `fiscal_year`).
PERIOD = re.compile(r"^(?:(\d{4})-\d{2} ?)?([QH])?([1-4])$")
STATUS_FILTER = "^(" + "|".join(ReturnStatus.values) + ")?$"


def performance_user(request: HttpRequest) -> Any:
    """The caller, if their roles work with service performance at all; else 403. Which returns
    and units they see is the policies' answer, which step they may take the services'."""
    user = request.user
    if not has_capability(user, Capability.VIEW_PERFORMANCE):
        raise PermissionDenied
    return user


def fiscal_year_today() -> int:
    return fiscal_year_of(timezone.localdate())


def unit_for(user: Any, code: str) -> ServiceUnit:
    """A unit the caller may see, by code (404 otherwise)."""
    unit = policy_for(ServiceUnit).queryset(user).filter(code=code).first()
    if unit is None:
        raise Http404
    return unit


def return_detail_for(user: Any, return_id: int) -> StatisticalReturn:
    """The return with its figures, events and the checks' findings, if the caller may see it."""
    statistical_return = policy_for(StatisticalReturn).get(user, return_id)
    prefetch_related_objects(
        [statistical_return],
        "unit",
        "period",
        "template",
        Prefetch("values", queryset=ReturnValue.objects.select_related("indicator")),
        Prefetch("events", queryset=ReturnEvent.objects.select_related("actor")),
    )
    statistical_return.checked = returns.return_check(statistical_return)  # type: ignore[attr-defined]
    return statistical_return


def conflict(user: Any, exc: ConflictError) -> ApiError:
    """409 `conflict` with the return as it now stands (`details.current`)."""
    current = return_detail_for(user, exc.current.pk)
    return ApiError(
        409,
        "conflict",
        str(exc.message),
        {
            "current_version": current.version,
            # Rendered by the API like every answer (dates as GET gives them).
            "current": ReturnOut.from_orm(current).model_dump(),
        },
    )


def _versioned(user: Any, return_id: int, step: Callable[[], Any]) -> StatisticalReturn:
    try:
        step()
    except ConflictError as exc:
        raise conflict(user, exc) from exc
    return return_detail_for(user, return_id)


# --- Reading returns ---


@router.get("/returns", response=list[ReturnSummaryOut], summary="Returns the caller may see")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def return_list(
    request: HttpRequest,
    fiscal_year: int | None = None,
    period: str = Query(
        "", pattern=PERIOD.pattern, description='"2025-26 Q1", or "Q1" with `fiscal_year`.'
    ),
    status: str = Query("", pattern=STATUS_FILTER, description=" | ".join(ReturnStatus.values)),
    unit: str = Query("", description="Unit code."),
) -> QuerySet[StatisticalReturn]:
    """A unit's staff see its returns, an agency's administrators and finance officers those of
    its units, SWD every unit's; newest period first."""
    user = performance_user(request)
    found = policy_for(StatisticalReturn).queryset(user).select_related("unit", "period")
    if fiscal_year is not None:
        found = found.filter(period__fiscal_year=fiscal_year)
    if period:
        year, kind, number = PERIOD.match(period).groups()  # type: ignore[union-attr]
        found = found.filter(period__number=int(number))
        if year:
            found = found.filter(period__fiscal_year=int(year))
        if kind:
            frequency = Frequency.QUARTERLY if kind == "Q" else Frequency.HALF_YEARLY
            found = found.filter(period__frequency=frequency)
    if status:
        found = found.filter(status=status)
    if unit:
        found = found.filter(unit__code=unit)
    return found


@router.get("/returns/{return_id}", response=ReturnOut, summary="One return with its figures")
def return_detail(request: HttpRequest, return_id: int) -> StatisticalReturn:
    """Its figures, the issues the template's checks find (messages in the caller's language),
    status, `version`, due dates and review history."""
    return return_detail_for(performance_user(request), return_id)


# --- Filling in a return ---


def _figures_of(
    figures: list[FigureIn],
) -> tuple[dict[returns.Key, Any], dict[returns.Key, str]]:
    """The values and comments sent, keyed (code, category); a figure sent twice is refused."""
    values: dict[returns.Key, Any] = {}
    comments: dict[returns.Key, str] = {}
    seen: set[returns.Key] = set()
    for figure in figures:
        key = (figure.code, figure.category)
        if key in seen:
            label = returns.field_label(key)
            raise ValidationError({label: _("“%(name)s” is given twice.") % {"name": label}})
        seen.add(key)
        if "value" in figure.model_fields_set:
            values[key] = figure.value
        if figure.comment is not None:
            comments[key] = figure.comment
    return values, comments


def _period_of(user: Any, unit: ServiceUnit, fiscal_year: int, number: int) -> ReportingPeriod:
    """The period `number` of the year, in the frequency of the unit's FSA for that year."""
    agreement = (
        policy_for(Agreement)
        .queryset(user)
        .filter(unit=unit, fiscal_year=fiscal_year)
        .select_related("template")
        .first()
    )
    if agreement is None:
        raise ValidationError(_("This unit has no funding and service agreement for this year."))
    periods = returns.periods_ensure(fiscal_year, agreement.template.frequency)
    if not 1 <= number <= len(periods):
        raise ValidationError(
            {"period_number": _("This unit does not report for this kind of period.")}
        )
    return periods[number - 1]


@router.put(
    "/units/{unit_code}/returns/{fiscal_year}/{period_number}",
    response={200: ReturnOut, 201: ReturnOut},
    summary="Send a unit's figures for a period (create or update its return)",
    description="For systems that generate returns: one call creates the unit's return for the "
    "period (201) or updates it (200), stores the figures sent and, with `submit: true`, "
    "submits it (the unit's supervisors). The unit's frontline workers and supervisors only.\n\n"
    "- `version`: leave it out only to create the return; if the return exists, send the "
    "`version` you read. A stale or missing one is 409 `conflict` with the return as it now "
    "stands in `details.current`.\n"
    "- `figures`: `code`, `category` (a breakdown, `sex:F`; empty for the total), `value` (a "
    'JSON number or a string: `12`, `"12.5"`, `"1,200"`; null clears it; left out, the stored '
    "figure stays), `comment` (explains a warning). Only the figures sent change. After SWD "
    "returned the return, only the figures it reopened may change.\n"
    "- Refusals are 422 `validation_error` with one detail per figure, named `code` or "
    "`code[category]` (not a number, not on the template, not reopened; and with `submit`, "
    "every error of the checks and every warning without a comment).\n\n"
    "All or nothing: a refused request stores nothing (not even the figures when only the "
    "submission is refused). Send `Idempotency-Key` to repeat the request safely: a repeat "
    "gets the first answer (`Idempotent-Replayed: true`), not a 409 for the version the first "
    "call already used.",
)
@idempotent
def return_put(
    request: HttpRequest, unit_code: str, fiscal_year: int, period_number: int, payload: ReturnPut
) -> Any:
    user = performance_user(request)
    unit = unit_for(user, unit_code)
    if unit.pk not in actor_for(user).unit_ids(*UNIT_ROLES):
        raise PermissionDenied
    values, comments = _figures_of(payload.figures)
    try:
        with transaction.atomic():
            period = _period_of(user, unit, fiscal_year, period_number)
            existing = (
                policy_for(StatisticalReturn)
                .queryset(user)
                .filter(unit=unit, period=period)
                .first()
            )
            if existing is not None and payload.version is None:
                raise ConflictError(existing)
            statistical_return = returns.return_get_or_create(
                user=user, unit_id=unit.pk, period=period
            )
            statistical_return = returns.return_save(
                user=user,
                return_id=statistical_return.pk,
                expected_version=statistical_return.version
                if existing is None
                else int(payload.version or 0),
                values=values,
                comments=comments,
                channel=Channel.API,
            )
            if payload.submit:
                statistical_return = returns.return_submit(
                    user=user,
                    return_id=statistical_return.pk,
                    expected_version=statistical_return.version,
                    channel=Channel.API,
                )
    except ConflictError as exc:
        raise conflict(user, exc) from exc
    detail = return_detail_for(user, statistical_return.pk)
    return Status(201 if existing is None else 200, detail)


# --- The review steps ---


@router.post(
    "/returns/{return_id}/submit",
    response=ReturnOut,
    summary="Submit a return",
    description="The unit's supervisors. Every error of the checks blocks it and every warning "
    "needs a comment: 422 with one detail per figure (`code` or `code[category]`).",
)
@idempotent
def return_submit(request: HttpRequest, return_id: int, payload: VersionIn) -> Any:
    user = performance_user(request)
    return _versioned(
        user,
        return_id,
        lambda: returns.return_submit(
            user=user, return_id=return_id, expected_version=payload.version, channel=Channel.API
        ),
    )


@router.post(
    "/returns/{return_id}/endorse",
    response=ReturnOut,
    summary="Endorse a submitted return",
    description="The agency's administrators, for SWD.",
)
@idempotent
def return_endorse(request: HttpRequest, return_id: int, payload: VersionIn) -> Any:
    user = performance_user(request)
    return _versioned(
        user,
        return_id,
        lambda: returns.return_endorse(
            user=user, return_id=return_id, expected_version=payload.version, channel=Channel.API
        ),
    )


@router.post(
    "/returns/{return_id}/accept",
    response=ReturnOut,
    summary="Accept an endorsed return",
    description="SWD subventions officers; the return is locked.",
)
@idempotent
def return_accept(request: HttpRequest, return_id: int, payload: VersionIn) -> Any:
    user = performance_user(request)
    return _versioned(
        user,
        return_id,
        lambda: returns.return_accept(
            user=user, return_id=return_id, expected_version=payload.version, channel=Channel.API
        ),
    )


@router.post(
    "/returns/{return_id}/return",
    response=ReturnOut,
    summary="Return a return for correction",
    description="With the reason. The agency's administrators return a submitted return, SWD "
    "subventions officers an endorsed one. `fields` reopens only those figures (each with its "
    "own reason); none given reopens every figure.",
)
@idempotent
def return_send_back(request: HttpRequest, return_id: int, payload: ReturnBackIn) -> Any:
    user = performance_user(request)
    fields = {(field.code, field.category): field.reason for field in payload.fields}
    return _versioned(
        user,
        return_id,
        lambda: returns.return_send_back(
            user=user,
            return_id=return_id,
            expected_version=payload.version,
            reason=payload.reason,
            fields=fields,
            channel=Channel.API,
        ),
    )


@router.post(
    "/returns/{return_id}/unlock",
    response=ReturnOut,
    summary="Unlock an accepted return",
    description="SWD subventions officers, with the reason: every figure reopens for correction.",
)
@idempotent
def return_unlock(request: HttpRequest, return_id: int, payload: UnlockIn) -> Any:
    user = performance_user(request)
    return _versioned(
        user,
        return_id,
        lambda: returns.return_send_back(
            user=user,
            return_id=return_id,
            expected_version=payload.version,
            reason=payload.reason,
            unlock=True,
            channel=Channel.API,
        ),
    )


# --- Attainment ---


@router.get(
    "/units/{unit_code}/attainment",
    response=list[AttainmentOut],
    summary="A unit's attainment of its agreed standards",
)
def unit_attainment(
    request: HttpRequest, unit_code: str, fiscal_year: int | None = None
) -> QuerySet[Attainment]:
    """Year to date, for `fiscal_year` (the year starting in April; default: the current one):
    the agreed level, the figure so far, the pro-rated target, the year-end forecast and the
    status, from the returns submitted so far."""
    user = performance_user(request)
    unit = unit_for(user, unit_code)
    year = fiscal_year if fiscal_year is not None else fiscal_year_today()
    return (
        policy_for(Attainment)
        .queryset(user)
        .filter(unit=unit, fiscal_year=year)
        .select_related("indicator")
        .order_by("indicator__code")
    )

"""The statistical returns workflow (services/returns.py): periods, draft, save, checks, submit,
endorse, accept, return for correction, unlock, permissions and stale versions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils.translation import override

from socialdesk.accounts.models import User
from socialdesk.core.concurrency import ConflictError, update_versioned
from socialdesk.core.tests.world import World
from socialdesk.performance.models import (
    Frequency,
    ReturnStatus,
    ReturnValue,
    StatisticalReturn,
)
from socialdesk.performance.services import returns
from socialdesk.performance.services.returns import (
    period_bounds,
    periods_ensure,
    return_accept,
    return_endorse,
    return_get_or_create,
    return_save,
    return_send_back,
    return_submit,
    values_of,
)

from .conftest import NEW_CASES_MESSAGE, Definition

D = Decimal
SERVED, SERVED_F, SERVED_M = (
    ("cases_served", ""),
    ("cases_served", "sex:F"),
    ("cases_served", "sex:M"),
)
NEW, SATISFIED = ("new_cases", ""), ("satisfied_pct", "")
GOOD: dict[tuple[str, str], Any] = {
    SERVED: "1,200",
    SERVED_F: "700",
    SERVED_M: "500",
    NEW: "120",
    SATISFIED: "85.5",
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with override("en"):
        yield


def draft(world: World, worker: User, definition: Definition) -> StatisticalReturn:
    return return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=definition.periods[0])


def save(user: User, ret: StatisticalReturn, values: Any, **kwargs: Any) -> StatisticalReturn:
    return return_save(
        user=user, return_id=ret.pk, expected_version=ret.version, values=values, **kwargs
    )


def endorsed(world: World, definition: Definition, roles: dict[str, User]) -> StatisticalReturn:
    """unit_a's Q1 return, filled in with GOOD, submitted and endorsed."""
    ret = save(roles["worker"], draft(world, roles["worker"], definition), GOOD)
    ret = return_submit(user=roles["supervisor"], return_id=ret.pk, expected_version=ret.version)
    return return_endorse(user=roles["admin"], return_id=ret.pk, expected_version=ret.version)


@pytest.fixture
def roles(worker: User, supervisor: User, agency_admin: User, swd: User) -> dict[str, User]:
    return {"worker": worker, "supervisor": supervisor, "admin": agency_admin, "swd": swd}


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_period_bounds() -> None:
    """Quarters and halves of the financial year starting in April."""
    assert period_bounds(2025, Frequency.QUARTERLY, 1) == (date(2025, 4, 1), date(2025, 6, 30))
    assert period_bounds(2025, Frequency.QUARTERLY, 4) == (date(2026, 1, 1), date(2026, 3, 31))
    assert period_bounds(2025, Frequency.HALF_YEARLY, 2) == (date(2025, 10, 1), date(2026, 3, 31))


def test_happy_path(
    world: World, definition: Definition, roles: dict[str, User], worker: User
) -> None:
    """Draft → saved → submitted → endorsed → accepted, locked, with its events in order."""
    ret = draft(world, worker, definition)
    assert ret.status == ReturnStatus.DRAFT
    assert ret.template == definition.template
    assert ret.due_on == date(2025, 6, 30) + timedelta(days=definition.template.due_days)
    assert draft(world, worker, definition).pk == ret.pk  # get, not a second one

    ret = save(worker, ret, GOOD)
    assert values_of(ret) == {
        SERVED: D(1200),
        SERVED_F: D(700),
        SERVED_M: D(500),
        NEW: D(120),
        SATISFIED: D("85.5"),
    }
    ret = return_submit(user=roles["supervisor"], return_id=ret.pk, expected_version=ret.version)
    ret = return_endorse(user=roles["admin"], return_id=ret.pk, expected_version=ret.version)
    ret = return_accept(user=roles["swd"], return_id=ret.pk, expected_version=ret.version)

    ret.refresh_from_db()
    assert ret.status == ReturnStatus.ACCEPTED
    assert ret.locked and ret.accepted_at is not None
    assert list(ret.events.values_list("action", flat=True)) == [
        "saved",
        "submitted",
        "endorsed",
        "accepted",
    ]


def test_save_refuses_bad_figures(world: World, definition: Definition, worker: User) -> None:
    """Text in a number cell and a figure not on the template are named; nothing is stored."""
    ret = save(worker, draft(world, worker, definition), {SERVED: "100", NEW: "10"})
    with pytest.raises(ValidationError) as exc:
        save(
            worker,
            ret,
            {SERVED: "twelve", SERVED_F: "12 cases", ("new_cases", "sex:F"): "1", NEW: "20"},
        )
    assert messages(exc) == {
        "cases_served": ["Enter a number."],
        "cases_served[sex:F]": ["Enter a number."],
        "new_cases[sex:F]": ["This figure is not on the return."],
    }
    stored = StatisticalReturn.objects.get(pk=ret.pk)
    assert stored.version == ret.version
    assert values_of(stored) == {SERVED: D(100), NEW: D(10)}


def test_submit_blocked_by_errors_and_unexplained_warnings(
    world: World, definition: Definition, worker: User, supervisor: User
) -> None:
    """Errors block submission per field; an outlier against accepted history needs a comment."""
    ret = save(worker, draft(world, worker, definition), {SERVED: "100", NEW: "200"})
    with pytest.raises(ValidationError) as exc:
        return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    assert messages(exc) == {
        "new_cases": [NEW_CASES_MESSAGE],
        "satisfied_pct": ["Enter this figure (0 if there were none)."],
    }

    # Two earlier accepted returns (2024-25 Q3, Q4) with about 100 cases served.
    for period, served in zip(
        periods_ensure(2024, Frequency.QUARTERLY)[2:], (100, 110), strict=True
    ):
        earlier = StatisticalReturn.objects.create(
            unit=world.unit_a,
            period=period,
            template=definition.template,
            status=ReturnStatus.ACCEPTED,
            locked=True,
            due_on=period.ends_on,
            grace_until=period.ends_on,
        )
        ReturnValue.objects.create(
            statistical_return=earlier,
            indicator=definition.indicators["cases_served"],
            value=D(served),
        )
    ret = save(worker, ret, {SERVED: "500", NEW: "50", SATISFIED: "80"})
    with pytest.raises(ValidationError) as exc:
        return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    assert list(messages(exc)) == ["cases_served"]
    assert "Explain it in a comment to submit." in messages(exc)["cases_served"][0]

    ret = save(worker, ret, {}, comments={SERVED: "A new housing estate opened."})
    ret = return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    assert ret.status == ReturnStatus.SUBMITTED


def test_return_one_field_for_correction(
    world: World, definition: Definition, roles: dict[str, User]
) -> None:
    """Only the returned figure reopens; the resubmission records exactly its change."""
    ret = endorsed(world, definition, roles)
    ret = return_send_back(
        user=roles["swd"],
        return_id=ret.pk,
        expected_version=ret.version,
        reason="Please check the new cases.",
        fields={NEW: "Does not match the case records."},
    )
    assert ret.status == ReturnStatus.RETURNED
    reopened = ReturnValue.objects.filter(statistical_return=ret, reopened=True)
    assert [(v.indicator.code, v.category) for v in reopened] == [NEW]

    with pytest.raises(ValidationError) as exc:
        save(roles["worker"], ret, {SERVED: "1,300"})
    assert messages(exc) == {
        "cases_served": ["Only the figures returned for correction can be changed."]
    }
    ret = save(roles["worker"], ret, {NEW: "110"})
    ret = return_submit(user=roles["supervisor"], return_id=ret.pk, expected_version=ret.version)

    assert ret.status == ReturnStatus.SUBMITTED
    assert values_of(ret)[SERVED] == D(1200)
    resubmitted = ret.events.filter(action="submitted").last()
    assert resubmitted is not None
    assert resubmitted.changes == [{"field": "new_cases", "old": "120", "new": "110"}]


def test_permissions(
    world: World,
    definition: Definition,
    roles: dict[str, User],
    staff_b: User,
    admin_b: User,
) -> None:
    """Each step is refused to those not entitled to it."""
    ret = save(roles["worker"], draft(world, roles["worker"], definition), GOOD)
    with pytest.raises(PermissionDenied):
        return_submit(user=roles["worker"], return_id=ret.pk, expected_version=ret.version)
    with pytest.raises(Http404):
        save(staff_b, ret, {NEW: "1"})
    with pytest.raises(Http404):
        return_submit(user=staff_b, return_id=ret.pk, expected_version=ret.version)

    ret = return_submit(user=roles["supervisor"], return_id=ret.pk, expected_version=ret.version)
    with pytest.raises(Http404):  # NGO A's returns are not in NGO B's administrator's scope
        return_endorse(user=admin_b, return_id=ret.pk, expected_version=ret.version)
    ret = return_endorse(user=roles["admin"], return_id=ret.pk, expected_version=ret.version)
    with pytest.raises(PermissionDenied):
        return_accept(user=roles["supervisor"], return_id=ret.pk, expected_version=ret.version)
    assert StatisticalReturn.objects.get(pk=ret.pk).status == ReturnStatus.ENDORSED


def test_unlock_accepted_return(
    world: World, definition: Definition, roles: dict[str, User]
) -> None:
    """SWD unlocks an accepted return only with a reason."""
    ret = endorsed(world, definition, roles)
    ret = return_accept(user=roles["swd"], return_id=ret.pk, expected_version=ret.version)
    with pytest.raises(ValidationError) as exc:
        return_send_back(
            user=roles["swd"],
            return_id=ret.pk,
            expected_version=ret.version,
            reason=" ",
            unlock=True,
        )
    assert messages(exc) == {"reason": ["Give the reason for returning it."]}
    assert StatisticalReturn.objects.get(pk=ret.pk).locked

    ret = return_send_back(
        user=roles["swd"],
        return_id=ret.pk,
        expected_version=ret.version,
        reason="Audit found a counting error.",
        unlock=True,
    )
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RETURNED
    assert not ret.locked
    last = ret.events.last()
    assert last is not None
    assert (last.action, last.reason) == ("unlocked", "Audit found a counting error.")


def test_stale_version_conflicts(world: World, definition: Definition, worker: User) -> None:
    """Saving on a version someone else has moved on from changes nothing."""
    stale = save(worker, draft(world, worker, definition), {SERVED: "100"})
    current = save(worker, stale, {SERVED: "150"})
    with pytest.raises(ConflictError):
        save(worker, stale, {SERVED: "999", NEW: "5"})
    stored = StatisticalReturn.objects.get(pk=current.pk)
    assert stored.version == current.version
    assert values_of(stored) == {SERVED: D(150)}
    assert stored.events.count() == 2


def test_save_moves_the_version_inside_its_own_transaction(
    world: World, definition: Definition, worker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The return page calls the service outside any transaction: the service must open its own,
    or PostgreSQL refuses the row lock taken to move the version (SQLite ignores that lock)."""
    draft = return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=definition.periods[0])
    outside = len(connection.savepoint_ids)
    depths: list[int] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        depths.append(len(connection.savepoint_ids))
        return update_versioned(*args, **kwargs)

    monkeypatch.setattr(returns, "update_versioned", recording)
    saved = return_save(
        user=worker, return_id=draft.pk, expected_version=draft.version, values=GOOD
    )
    assert depths and depths[0] > outside
    assert saved.version == draft.version + 1

"""A whole period's returns at once (services/ingest.py `period_ingest`): the accepted units'
returns stored and submitted with their history, attainment and alerts; a unit with problems
refused with them and nothing of it stored while the others go in; comments for warnings; units
without an agreement, returns past the draft stage, permissions, and ingesting over a draft."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override

from socialdesk.accounts.models import User
from socialdesk.core.access import forget_actor
from socialdesk.core.models import Role, ServiceUnit
from socialdesk.core.tests.factories import MembershipFactory, ServiceUnitFactory
from socialdesk.core.tests.world import World
from socialdesk.performance.models import (
    AgreedLevel,
    Agreement,
    Alert,
    AlertKind,
    AlertStatus,
    Attainment,
    AttainmentStatus,
    Channel,
    Frequency,
    ReportingPeriod,
    ReturnEvent,
    ReturnStatus,
    ReturnValue,
    StatisticalReturn,
    WebhookDelivery,
    WebhookEndpoint,
)
from socialdesk.performance.services.ingest import period_ingest
from socialdesk.performance.services.returns import (
    periods_ensure,
    return_get_or_create,
    return_save,
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
# Behind on every standard: cases served and new cases forecast to miss, satisfaction below.
BEHIND: dict[tuple[str, str], Any] = {SERVED: 90, NEW: 10, SATISFIED: "70"}
NO_AGREEMENT = "This unit has no funding and service agreement for this year."
CLOSED = "This return can no longer be changed."


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with override("en"):
        yield


@pytest.fixture
def unit_a2(world: World, definition: Definition, supervisor: User) -> ServiceUnit:
    """A second unit of NGO A, also supervised by unit_a's supervisor, with its 2025 FSA on the
    same template and the same agreed levels."""
    unit = ServiceUnitFactory(
        organisation=world.ngo_a,
        district=world.district,
        service_type=world.service_type,
        code="a-ifsc-2",
        name_zh="甲第二中心",
        name_en="Agency A Second Centre",
    )
    MembershipFactory(
        user=supervisor, organisation=world.ngo_a, role=Role.UNIT_SUPERVISOR, service_unit=unit
    )
    forget_actor(supervisor)
    agreement = Agreement.objects.create(
        unit=unit, fiscal_year=2025, template=definition.template, reference="FSA-A2-2025"
    )
    AgreedLevel.objects.bulk_create(
        AgreedLevel(agreement=agreement, indicator=level.indicator, level=level.level)
        for level in definition.agreement.levels.all()
    )
    return unit


def q1(definition: Definition) -> ReportingPeriod:
    return definition.periods[0]


def stored_returns(unit: ServiceUnit) -> int:
    return StatisticalReturn.objects.filter(unit=unit).count()


def _return(
    unit: ServiceUnit,
    period: ReportingPeriod,
    definition: Definition,
    *,
    status: str = ReturnStatus.DRAFT,
    locked: bool = False,
    served: int | None = None,
) -> StatisticalReturn:
    """A return made directly in the database (with a cases-served figure when given)."""
    statistical_return = StatisticalReturn.objects.create(
        unit=unit,
        period=period,
        template=definition.template,
        status=status,
        locked=locked,
        due_on=period.ends_on + timedelta(days=30),
        grace_until=period.ends_on + timedelta(days=44),
    )
    if served is not None:
        ReturnValue.objects.create(
            statistical_return=statistical_return,
            indicator=definition.indicators["cases_served"],
            value=D(served),
            submitted_value=D(served),
        )
    return statistical_return


# --- Accepted units ------------------------------------------------------------------------


def test_accepted_units_are_stored_and_submitted_with_their_history(
    world: World, definition: Definition, supervisor: User, unit_a2: ServiceUnit
) -> None:
    period = q1(definition)
    result = period_ingest(
        period=period, figures={world.unit_a.pk: GOOD, unit_a2.pk: BEHIND}, user=supervisor
    )

    assert result.refused == {}
    assert set(result.submitted) == {world.unit_a.pk, unit_a2.pk}
    assert result.figures == len(GOOD) + len(BEHIND)
    ret = StatisticalReturn.objects.get(pk=result.submitted[world.unit_a.pk])
    assert (ret.unit, ret.period, ret.template) == (world.unit_a, period, definition.template)
    assert ret.status == ReturnStatus.SUBMITTED
    assert ret.submitted_at is not None and ret.last_submitted_at == ret.submitted_at
    assert ret.due_on == period.ends_on + timedelta(days=definition.template.due_days)
    assert ret.grace_until == ret.due_on + timedelta(days=definition.template.grace_days)
    assert values_of(ret) == {
        SERVED: D(1200),
        SERVED_F: D(700),
        SERVED_M: D(500),
        NEW: D(120),
        SATISFIED: D("85.5"),
    }
    # Submitted as they are: the reviewer's diff of a later resubmission starts from these.
    for value, submitted in ReturnValue.objects.filter(statistical_return=ret).values_list(
        "value", "submitted_value"
    ):
        assert submitted == value

    events = list(ret.events.order_by("pk"))
    assert [(e.action, e.actor, e.channel) for e in events] == [
        ("saved", supervisor, Channel.API),
        ("submitted", supervisor, Channel.API),
    ]
    assert {change["field"]: D(change["new"]) for change in events[0].changes} == {
        "cases_served": D(1200),
        "cases_served[sex:F]": D(700),
        "cases_served[sex:M]": D(500),
        "new_cases": D(120),
        "satisfied_pct": D("85.5"),
    }
    other = StatisticalReturn.objects.get(pk=result.submitted[unit_a2.pk])
    assert other.status == ReturnStatus.SUBMITTED
    assert values_of(other) == {SERVED: D(90), NEW: D(10), SATISFIED: D(70)}


def test_attainment_and_alerts_follow_the_ingested_figures(
    world: World, definition: Definition, supervisor: User, unit_a2: ServiceUnit
) -> None:
    """The year's attainment of every agreed standard is stored for each accepted unit; a unit
    behind its standards gets the alerts (its supervisor hears of them)."""
    period_ingest(
        period=q1(definition), figures={world.unit_a.pk: GOOD, unit_a2.pk: BEHIND}, user=None
    )

    def statuses(unit: ServiceUnit) -> dict[str, str]:
        return dict(
            Attainment.objects.filter(unit=unit, fiscal_year=2025).values_list(
                "indicator__code", "status"
            )
        )

    assert statuses(world.unit_a) == {
        "cases_served": AttainmentStatus.MET,  # 1,200 of the year's 400 already
        "new_cases": AttainmentStatus.MET,
        "satisfied_pct": AttainmentStatus.ON_TRACK,
    }
    assert statuses(unit_a2) == {
        "cases_served": AttainmentStatus.AT_RISK,  # 90 a quarter: 360 of 400 by year end
        "new_cases": AttainmentStatus.AT_RISK,
        "satisfied_pct": AttainmentStatus.BELOW,
    }
    served = Attainment.objects.get(unit=world.unit_a, indicator__code="cases_served")
    assert (served.actual, served.periods_reported) == (D(1200), 1)
    assert not Alert.objects.filter(unit=world.unit_a).exists()
    assert set(
        Alert.objects.filter(unit=unit_a2, status=AlertStatus.OPEN).values_list("subject", "kind")
    ) == {
        ("cases_served", AlertKind.FORECAST_MISS),
        ("new_cases", AlertKind.FORECAST_MISS),
        ("satisfied_pct", AlertKind.BELOW_STANDARD),
    }
    assert supervisor.notifications.filter(kind__startswith="performance.").count() == 3


def test_submitted_returns_are_sent_to_subscribed_webhooks(
    world: World, definition: Definition, unit_a2: ServiceUnit
) -> None:
    WebhookEndpoint.objects.create(
        organisation=world.ngo_a,
        name="Agency A system",
        url="https://hooks.example.invalid/a",
        secret="whsec_a",
        events=["return.submitted"],
    )
    result = period_ingest(
        period=q1(definition), figures={world.unit_a.pk: GOOD, unit_a2.pk: GOOD}, user=None
    )
    deliveries = WebhookDelivery.objects.filter(event="return.submitted")
    assert sorted(d.payload["data"]["return_id"] for d in deliveries) == sorted(
        result.submitted.values()
    )


def test_the_number_of_queries_does_not_grow_with_the_units(
    world: World, definition: Definition, unit_a2: ServiceUnit
) -> None:
    """Checked, stored, submitted and recomputed in bulk (no alert is raised here: raising one
    costs its own queries)."""
    with CaptureQueriesContext(connection) as one:
        period_ingest(period=definition.periods[0], figures={world.unit_a.pk: GOOD})
    with CaptureQueriesContext(connection) as two:
        period_ingest(
            period=definition.periods[1], figures={world.unit_a.pk: GOOD, unit_a2.pk: GOOD}
        )
    assert StatisticalReturn.objects.filter(status=ReturnStatus.SUBMITTED).count() == 3
    assert len(two) == len(one)


# --- Refused units -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({NEW: "twelve"}, "new_cases", "Enter a number."),
        ({NEW: "1,300"}, "new_cases", NEW_CASES_MESSAGE),
        (
            {SERVED_F: "600"},
            "cases_served",
            "The breakdown adds up to 1100, not to the total 1200.",
        ),
        ({SATISFIED: None}, "satisfied_pct", "Enter this figure (0 if there were none)."),
        ({("home_visits", ""): "5"}, "home_visits", "This figure is not on the return."),
        ({("cases_served", "age:child"): 5}, "cases_served[age:child]", "This figure is not on "),
    ],
    ids=["text", "new-more-than-served", "breakdown", "missing", "not-on-template", "category"],
)
def test_a_unit_with_an_error_is_refused_and_the_others_go_in(
    world: World,
    definition: Definition,
    supervisor: User,
    unit_a2: ServiceUnit,
    change: dict[tuple[str, str], Any],
    field: str,
    message: str,
) -> None:
    result = period_ingest(
        period=q1(definition),
        figures={world.unit_a.pk: {**GOOD, **change}, unit_a2.pk: GOOD},
        user=supervisor,
    )

    assert list(result.refused) == [world.unit_a.pk]
    problems = result.refused[world.unit_a.pk]
    assert list(problems) == [field]
    assert len(problems[field]) == 1 and problems[field][0].startswith(message)
    # Nothing of the refused unit is stored: no return, figures, history or attainment.
    assert stored_returns(world.unit_a) == 0
    assert not ReturnValue.objects.filter(statistical_return__unit=world.unit_a).exists()
    assert not ReturnEvent.objects.filter(statistical_return__unit=world.unit_a).exists()
    assert not Attainment.objects.filter(unit=world.unit_a).exists()
    assert list(result.submitted) == [unit_a2.pk]
    assert StatisticalReturn.objects.get(unit=unit_a2).status == ReturnStatus.SUBMITTED
    assert result.figures == len(GOOD)


def test_a_refused_draft_keeps_what_it_had(
    world: World, definition: Definition, supervisor: User
) -> None:
    draft = _return(world.unit_a, q1(definition), definition, served=300)
    result = period_ingest(
        period=q1(definition), figures={world.unit_a.pk: {**GOOD, NEW: "abc"}}, user=supervisor
    )
    assert result.refused == {world.unit_a.pk: {"new_cases": ["Enter a number."]}}
    assert result.submitted == {}
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (ReturnStatus.DRAFT, 1)
    assert values_of(draft) == {SERVED: D(300)}
    assert not draft.events.exists()


def test_every_problem_of_a_unit_is_named(world: World, definition: Definition) -> None:
    figures = {**GOOD, NEW: "1300", SATISFIED: "120", SERVED_M: None}
    result = period_ingest(period=q1(definition), figures={world.unit_a.pk: figures})
    problems = result.refused[world.unit_a.pk]
    assert set(problems) == {"cases_served[sex:M]", "new_cases", "satisfied_pct"}
    assert problems["new_cases"] == [NEW_CASES_MESSAGE]
    assert problems["satisfied_pct"] == ["A percentage cannot be more than 100."]


# --- Warnings need comments ----------------------------------------------------------------


@pytest.fixture
def usual_history(world: World, definition: Definition) -> None:
    """unit_a's accepted returns of the last two quarters of 2024-25: 100 cases served each,
    so 1,200 is an outlier (the rule's factor is 2)."""
    for period in periods_ensure(2024, Frequency.QUARTERLY)[2:]:
        _return(
            world.unit_a,
            period,
            definition,
            status=ReturnStatus.ACCEPTED,
            locked=True,
            served=100,
        )


@pytest.mark.usefixtures("usual_history")
@pytest.mark.parametrize("comment", [None, "", "   "])
def test_a_warning_without_a_comment_is_refused(
    world: World, definition: Definition, comment: str | None
) -> None:
    comments = {} if comment is None else {world.unit_a.pk: {SERVED: comment}}
    result = period_ingest(
        period=q1(definition), figures={world.unit_a.pk: GOOD}, comments=comments
    )
    problems = result.refused[world.unit_a.pk]
    assert list(problems) == ["cases_served"]
    [text] = problems["cases_served"]
    assert "median 100" in text
    assert text.endswith("Explain it in a comment to submit.")
    assert not StatisticalReturn.objects.filter(unit=world.unit_a, period=q1(definition)).exists()


@pytest.mark.usefixtures("usual_history")
def test_a_warning_explained_in_a_comment_goes_in_with_the_comment(
    world: World, definition: Definition
) -> None:
    explained = "A new public housing estate opened in the district."
    result = period_ingest(
        period=q1(definition),
        figures={world.unit_a.pk: GOOD},
        comments={world.unit_a.pk: {SERVED: explained}},
    )
    assert result.refused == {}
    ret = StatisticalReturn.objects.get(pk=result.submitted[world.unit_a.pk])
    comments = dict(
        ReturnValue.objects.filter(statistical_return=ret, category="").values_list(
            "indicator__code", "comment"
        )
    )
    assert comments == {"cases_served": explained, "new_cases": "", "satisfied_pct": ""}


# --- Agreements, closed returns, permissions ---------------------------------------------


def test_a_unit_without_an_agreement_is_refused(
    world: World, definition: Definition, supervisor: User
) -> None:
    """unit_b (NGO B) has no FSA for 2025-26: refused, unit_a goes in (by the system)."""
    result = period_ingest(
        period=q1(definition), figures={world.unit_a.pk: GOOD, world.unit_b.pk: GOOD}
    )
    assert result.refused == {world.unit_b.pk: {"unit": [NO_AGREEMENT]}}
    assert list(result.submitted) == [world.unit_a.pk]
    assert stored_returns(world.unit_b) == 0


def test_a_unit_agreed_for_another_kind_of_period_is_refused(
    world: World, definition: Definition
) -> None:
    """unit_a reports quarterly: a half-year's figures are refused."""
    half = periods_ensure(2025, Frequency.HALF_YEARLY)[0]
    result = period_ingest(period=half, figures={world.unit_a.pk: GOOD})
    assert result.refused == {world.unit_a.pk: {"unit": [NO_AGREEMENT]}}
    assert stored_returns(world.unit_a) == 0


def test_a_unit_agreed_for_another_year_only_is_refused(
    world: World, definition: Definition
) -> None:
    next_year = periods_ensure(2026, Frequency.QUARTERLY)[0]
    result = period_ingest(period=next_year, figures={world.unit_a.pk: GOOD})
    assert result.refused == {world.unit_a.pk: {"unit": [NO_AGREEMENT]}}


@pytest.mark.parametrize(
    ("status", "locked"),
    [
        (ReturnStatus.SUBMITTED, False),
        (ReturnStatus.ENDORSED, False),
        (ReturnStatus.RETURNED, False),
        (ReturnStatus.ACCEPTED, True),
        (ReturnStatus.DRAFT, True),
    ],
    ids=["submitted", "endorsed", "returned", "accepted", "locked-draft"],
)
def test_a_return_past_the_draft_is_refused_and_left_as_it_was(
    world: World, definition: Definition, unit_a2: ServiceUnit, status: str, locked: bool
) -> None:
    existing = _return(
        world.unit_a, q1(definition), definition, status=status, locked=locked, served=300
    )
    result = period_ingest(period=q1(definition), figures={world.unit_a.pk: GOOD, unit_a2.pk: GOOD})
    assert result.refused == {world.unit_a.pk: {"return": [CLOSED]}}
    assert list(result.submitted) == [unit_a2.pk]
    existing.refresh_from_db()
    assert (existing.status, existing.locked, existing.version) == (status, locked, 1)
    assert values_of(existing) == {SERVED: D(300)}
    assert not existing.events.exists()


@pytest.mark.parametrize(
    ("username", "units"),
    [
        ("supervisor", ("unit_a", "unit_b")),  # supervises unit_a, not unit_b
        ("worker", ("unit_a",)),  # a frontline worker of unit_a does not submit
        ("agency_admin", ("unit_a",)),
        ("swd", ("unit_a",)),
        ("staff_b", ("unit_b",)),
    ],
)
def test_a_user_who_does_not_supervise_every_unit_is_refused_outright(
    world: World,
    definition: Definition,
    request: pytest.FixtureRequest,
    username: str,
    units: tuple[str, ...],
) -> None:
    user = request.getfixturevalue(username)
    figures = {getattr(world, unit).pk: GOOD for unit in units}
    with pytest.raises(PermissionDenied):
        period_ingest(period=q1(definition), figures=figures, user=user)
    assert not StatisticalReturn.objects.exists()
    assert not Attainment.objects.exists()


# --- Ingesting over a draft ----------------------------------------------------------------


def test_ingesting_over_a_draft_replaces_its_figures(
    world: World, definition: Definition, worker: User, supervisor: User
) -> None:
    """The draft filled in on the web is the one submitted, with the ingested figures only (its
    breakdown, not sent again, is gone) and the ingest's comments."""
    draft = return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=q1(definition))
    draft = return_save(
        user=worker,
        return_id=draft.pk,
        expected_version=draft.version,
        values=GOOD,
        comments={NEW: "Typed on the web."},
    )
    figures = {SERVED: "900", NEW: "80", SATISFIED: "90"}
    result = period_ingest(
        period=q1(definition),
        figures={world.unit_a.pk: figures},
        comments={world.unit_a.pk: {SATISFIED: "From the agency's system."}},
        user=supervisor,
    )

    assert result.submitted == {world.unit_a.pk: draft.pk}
    assert stored_returns(world.unit_a) == 1
    ret = StatisticalReturn.objects.get(pk=draft.pk)
    assert ret.status == ReturnStatus.SUBMITTED
    assert ret.version == draft.version + 1
    assert values_of(ret) == {SERVED: D(900), NEW: D(80), SATISFIED: D(90)}
    comments = dict(
        ReturnValue.objects.filter(statistical_return=ret).values_list("indicator__code", "comment")
    )
    assert comments == {
        "cases_served": "",
        "new_cases": "",
        "satisfied_pct": "From the agency's system.",
    }
    assert [(e.action, e.actor, e.channel) for e in ret.events.order_by("pk")] == [
        ("saved", worker, Channel.WEB),
        ("saved", supervisor, Channel.API),
        ("submitted", supervisor, Channel.API),
    ]
    served = Attainment.objects.get(unit=world.unit_a, indicator__code="cases_served")
    assert served.actual == D(900)

"""SWD's records (services/records.py, selectors/records.py, views/records.py): field assessments
and their follow-up, complaints and their outcome, agencies' financial figures with the LSG
reserve against its 25 % cap beside their units' attainment — permissions, validation by field,
stale versions, scoping, the pages in both languages and their query budgets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from socialdesk.accounts.models import User
from socialdesk.core.concurrency import ConflictError
from socialdesk.core.models import Role
from socialdesk.core.tests.factories import MembershipFactory, ServiceUnitFactory
from socialdesk.core.tests.world import World
from socialdesk.performance.models import (
    Attainment,
    AttainmentStatus,
    Complaint,
    ComplaintStatus,
    FieldAssessment,
    FinancialYearFigures,
)
from socialdesk.performance.selectors.records import (
    agency_year_summary,
    finance_organisation_list_for,
    unit_records_for,
)
from socialdesk.performance.services.records import (
    complaint_conclude,
    complaint_record,
    complaint_update,
    field_assessment_follow_up_done,
    field_assessment_record,
    field_assessment_update,
    financial_figures_enter,
    financial_figures_update,
)

from .conftest import Definition

D = Decimal
SignedIn = Callable[..., Client]
VISIT = date(2026, 5, 20)
FIGURES: dict[str, Any] = {
    "lsg_income": D("40000000"),
    "other_subvention_income": D("2500000"),
    "lotteries_fund_income": D("800000"),
    "fees_income": D("1200000.50"),
    "donations_income": D("650000"),
    "operating_expenditure": D("42000000"),
    "lsg_reserve": D("9000000"),
    "notes": "",
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with override("en"):
        yield


@pytest.fixture
def finance_officer(world: World) -> User:
    """NGO A's agency finance officer."""
    return world.roles[Role.AGENCY_FINANCE]


@pytest.fixture
def sysadmin(world: World) -> User:
    return world.roles[Role.SYSTEM_ADMIN]


def _errors(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def _assessment(world: World, swd: User, **extra: Any) -> FieldAssessment:
    values: dict[str, Any] = {
        "visited_on": VISIT,
        "assessor": "SWD Subventions Section",
        "outcome": "partly",
        "findings": "Fire drill records incomplete.",
        "follow_up": "Keep a log of every drill.",
        "follow_up_due_on": VISIT + timedelta(days=60),
    }
    return field_assessment_record(user=swd, unit_id=world.unit_a.pk, **(values | extra))


def _complaint(world: World, swd: User, unit: Any = None) -> Complaint:
    return complaint_record(
        user=swd,
        unit_id=(unit or world.unit_a).pk,
        received_on=date(2026, 6, 2),
        subject="Long waiting time for counselling",
        channel="1823",
    )


def _figures(
    world: World, user: User, *, organisation: Any = None, year: int = 2025, **extra: Any
) -> FinancialYearFigures:
    return financial_figures_enter(
        user=user,
        organisation_id=(organisation or world.ngo_a).pk,
        fiscal_year=year,
        data=FIGURES | extra,
    )


def _attainment(unit: Any, year: int, indicator: Any, status: str) -> Attainment:
    return Attainment.objects.create(
        unit=unit,
        fiscal_year=year,
        indicator=indicator,
        agreed=D(100),
        direction="at_least",
        status=status,
    )


# --- Field assessments ------------------------------------------------------------------------


def test_swd_records_a_field_assessment(world: World, swd: User) -> None:
    assessment = _assessment(world, swd)
    assert assessment.unit == world.unit_a
    assert assessment.recorded_by == swd
    assert assessment.version == 1
    assert assessment.follow_up_done_on is None


@pytest.mark.parametrize(
    "role", [Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR, Role.AGENCY_ADMIN, Role.SYSTEM_ADMIN]
)
def test_only_swd_records_field_assessments(world: World, role: str) -> None:
    with pytest.raises(PermissionDenied):
        _assessment(world, world.roles[role])
    assert not FieldAssessment.objects.exists()


def test_a_unit_another_agency_cannot_see_is_not_found(world: World, admin_b: User) -> None:
    with pytest.raises(Http404):
        _assessment(world, admin_b)


def test_field_assessment_errors_name_their_fields(world: World, swd: User) -> None:
    with pytest.raises(ValidationError) as error:
        _assessment(
            world,
            swd,
            visited_on=timezone.localdate() + timedelta(days=1),
            follow_up_due_on=timezone.localdate() + timedelta(days=30),
            assessor=" ",
            findings="",
            outcome="excellent",
        )
    assert set(_errors(error)) == {"visited_on", "assessor", "findings", "outcome"}
    with pytest.raises(ValidationError) as error:
        _assessment(world, swd, follow_up="")
    assert _errors(error) == {"follow_up": ["Say what the unit must do to follow up."]}
    with pytest.raises(ValidationError) as error:
        _assessment(world, swd, follow_up_due_on=VISIT - timedelta(days=1))
    assert _errors(error) == {"follow_up_due_on": ["The follow-up cannot be due before the visit."]}


def test_an_assessment_that_met_the_requirements_needs_no_follow_up(
    world: World, swd: User
) -> None:
    assessment = _assessment(world, swd, outcome="met", follow_up="", follow_up_due_on=None)
    assert assessment.follow_up == ""


def test_field_assessment_update_takes_only_its_fields(world: World, swd: User) -> None:
    assessment = _assessment(world, swd)
    updated = field_assessment_update(
        user=swd,
        assessment_id=assessment.pk,
        expected_version=1,
        data={"findings": "Drill records now complete.", "unit_id": world.unit_b.pk},
    )
    assert updated.findings == "Drill records now complete."
    assert updated.unit_id == world.unit_a.pk
    assert updated.version == 2


def test_a_stale_field_assessment_update_conflicts(world: World, swd: User) -> None:
    assessment = _assessment(world, swd)
    field_assessment_update(
        user=swd, assessment_id=assessment.pk, expected_version=1, data={"assessor": "Team B"}
    )
    with pytest.raises(ConflictError) as conflict:
        field_assessment_update(
            user=swd, assessment_id=assessment.pk, expected_version=1, data={"assessor": "X"}
        )
    assert conflict.value.current.assessor == "Team B"  # type: ignore[attr-defined]


def test_agency_staff_may_not_correct_an_assessment(
    world: World, swd: User, agency_admin: User
) -> None:
    assessment = _assessment(world, swd)
    with pytest.raises(PermissionDenied):
        field_assessment_update(
            user=agency_admin, assessment_id=assessment.pk, expected_version=1, data={}
        )


def test_follow_up_is_marked_done_once(world: World, swd: User) -> None:
    assessment = _assessment(world, swd)
    done = field_assessment_follow_up_done(
        user=swd, assessment_id=assessment.pk, expected_version=1
    )
    assert done.follow_up_done_on == timezone.localdate()
    with pytest.raises(ValidationError, match="already marked as done"):
        field_assessment_follow_up_done(user=swd, assessment_id=assessment.pk, expected_version=2)


def test_follow_up_cannot_be_done_before_the_visit_or_without_follow_up(
    world: World, swd: User
) -> None:
    assessment = _assessment(world, swd)
    with pytest.raises(ValidationError) as error:
        field_assessment_follow_up_done(
            user=swd,
            assessment_id=assessment.pk,
            expected_version=1,
            done_on=VISIT - timedelta(days=1),
        )
    assert set(_errors(error)) == {"follow_up_done_on"}
    met = _assessment(world, swd, outcome="met", follow_up="", follow_up_due_on=None)
    with pytest.raises(ValidationError, match="asks for no follow-up"):
        field_assessment_follow_up_done(user=swd, assessment_id=met.pk, expected_version=1)


def test_a_stale_follow_up_conflicts(world: World, swd: User) -> None:
    assessment = _assessment(world, swd)
    field_assessment_update(user=swd, assessment_id=assessment.pk, expected_version=1, data={})
    with pytest.raises(ConflictError):
        field_assessment_follow_up_done(user=swd, assessment_id=assessment.pk, expected_version=1)


# --- Complaints -----------------------------------------------------------------------------


def test_swd_records_and_concludes_a_complaint(world: World, swd: User) -> None:
    complaint = _complaint(world, swd)
    assert complaint.status == ComplaintStatus.OPEN
    concluded = complaint_conclude(
        user=swd,
        complaint_id=complaint.pk,
        expected_version=1,
        status=ComplaintStatus.PARTLY,
        concluded_on=date(2026, 7, 15),
        improvement="Extra evening sessions.",
    )
    assert concluded.status == ComplaintStatus.PARTLY
    assert concluded.version == 2
    with pytest.raises(ValidationError, match="already been concluded"):
        complaint_conclude(
            user=swd,
            complaint_id=complaint.pk,
            expected_version=2,
            status=ComplaintStatus.WITHDRAWN,
            concluded_on=date(2026, 7, 16),
        )


def test_only_swd_records_complaints(world: World, agency_admin: User, supervisor: User) -> None:
    for user in (agency_admin, supervisor):
        with pytest.raises(PermissionDenied):
            _complaint(world, user)


def test_complaint_outcome_errors_name_their_fields(world: World, swd: User) -> None:
    complaint = _complaint(world, swd)
    with pytest.raises(ValidationError) as error:
        complaint_conclude(
            user=swd,
            complaint_id=complaint.pk,
            expected_version=1,
            status=ComplaintStatus.SUBSTANTIATED,
            concluded_on=date(2026, 6, 1),
        )
    assert set(_errors(error)) == {"concluded_on", "improvement"}
    with pytest.raises(ValidationError) as error:
        complaint_conclude(
            user=swd,
            complaint_id=complaint.pk,
            expected_version=1,
            status=ComplaintStatus.OPEN,
            concluded_on=None,
        )
    assert set(_errors(error)) == {"status", "concluded_on"}


def test_complaint_needs_a_subject_and_a_past_date(world: World, swd: User) -> None:
    with pytest.raises(ValidationError) as error:
        complaint_record(
            user=swd,
            unit_id=world.unit_a.pk,
            received_on=timezone.localdate() + timedelta(days=3),
            subject="  ",
        )
    assert set(_errors(error)) == {"received_on", "subject"}


def test_a_stale_complaint_update_conflicts(world: World, swd: User) -> None:
    complaint = _complaint(world, swd)
    complaint_update(
        user=swd, complaint_id=complaint.pk, expected_version=1, data={"channel": "Letter"}
    )
    with pytest.raises(ConflictError):
        complaint_update(
            user=swd, complaint_id=complaint.pk, expected_version=1, data={"subject": "X"}
        )
    with pytest.raises(ConflictError):
        complaint_conclude(
            user=swd,
            complaint_id=complaint.pk,
            expected_version=1,
            status=ComplaintStatus.UNSUBSTANTIATED,
            concluded_on=date(2026, 7, 1),
        )


# --- Financial figures ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENCY_FINANCE, Role.AGENCY_ADMIN, Role.SWD_SUBVENTIONS])
def test_finance_officers_administrators_and_swd_enter_figures(world: World, role: str) -> None:
    figures = _figures(world, world.roles[role])
    assert figures.organisation == world.ngo_a
    assert figures.total_income == D("45150000.50")
    assert figures.reserve_cap == D("10500000.00")
    assert figures.reserve_over_cap == 0


@pytest.mark.parametrize("role", [Role.FRONTLINE_WORKER, Role.SYSTEM_ADMIN])
def test_other_roles_may_not_enter_figures(world: World, role: str) -> None:
    with pytest.raises(PermissionDenied):
        _figures(world, world.roles[role])


def test_an_agency_enters_only_its_own_figures(
    world: World, finance_officer: User, admin_b: User, swd: User
) -> None:
    with pytest.raises(Http404):
        _figures(world, finance_officer, organisation=world.ngo_b)
    with pytest.raises(Http404):
        _figures(world, admin_b, organisation=world.ngo_a)
    assert _figures(world, swd, organisation=world.ngo_b).organisation == world.ngo_b
    with pytest.raises(PermissionDenied):  # SWD itself is not a subvented agency
        _figures(world, swd, organisation=world.swd)


def test_negative_and_implausible_figures_are_refused_by_field(
    world: World, finance_officer: User
) -> None:
    with pytest.raises(ValidationError) as error:
        _figures(
            world,
            finance_officer,
            fees_income=D("-1"),
            lsg_reserve=D("10000000000.01"),
            operating_expenditure=None,
            donations_income="12,5x",
            lotteries_fund_income=D("1.005"),
        )
    errors = _errors(error)
    assert errors["fees_income"] == ["A figure cannot be negative."]
    assert errors["lsg_reserve"] == [
        "More than HK$10,000,000,000: check this figure for a typing error."
    ]
    assert errors["operating_expenditure"] == ["Enter this figure (0 if there is none)."]
    assert set(errors) == {
        "fees_income",
        "lsg_reserve",
        "operating_expenditure",
        "donations_income",
        "lotteries_fund_income",
    }
    assert not FinancialYearFigures.objects.exists()


def test_exactly_ten_billion_and_missing_other_income_are_accepted(
    world: World, finance_officer: User
) -> None:
    figures = _figures(world, finance_officer, lsg_reserve=D("10000000000"), donations_income=None)
    assert figures.donations_income == 0


def test_a_year_is_entered_once_and_not_in_the_future(world: World, finance_officer: User) -> None:
    _figures(world, finance_officer, year=2024)
    with pytest.raises(ValidationError) as error:
        _figures(world, finance_officer, year=2024)
    assert set(_errors(error)) == {"fiscal_year"}
    with pytest.raises(ValidationError) as error:
        _figures(world, finance_officer, year=timezone.localdate().year + 1)
    assert set(_errors(error)) == {"fiscal_year"}


def test_figures_update_checks_the_version_and_the_values(
    world: World, finance_officer: User, swd: User
) -> None:
    figures = _figures(world, finance_officer)
    updated = financial_figures_update(
        user=swd,
        figures_id=figures.pk,
        expected_version=1,
        data={"lsg_reserve": D("12000000"), "fiscal_year": 2019},
    )
    assert updated.reserve_over_cap == D("1500000.00")
    assert updated.fiscal_year == 2025
    with pytest.raises(ConflictError):
        financial_figures_update(
            user=finance_officer, figures_id=figures.pk, expected_version=1, data={}
        )
    with pytest.raises(ValidationError) as error:
        financial_figures_update(
            user=finance_officer,
            figures_id=figures.pk,
            expected_version=2,
            data={"lsg_income": D("-5")},
        )
    assert set(_errors(error)) == {"lsg_income"}


def test_system_administrators_see_but_do_not_correct_figures(
    world: World, finance_officer: User, sysadmin: User
) -> None:
    figures = _figures(world, finance_officer)
    with pytest.raises(PermissionDenied):
        financial_figures_update(user=sysadmin, figures_id=figures.pk, expected_version=1, data={})


# --- Selectors --------------------------------------------------------------------------------


@pytest.fixture
def agency_years(world: World, definition: Definition, swd: User) -> None:
    """Figures of NGO A for 2024 (reserve over the cap) and 2025, of NGO B for 2025; attainment
    of unit_a in 2024 and 2025 and of unit_b in 2025."""
    _figures(world, swd, year=2024, lsg_reserve=D("12000000"))
    _figures(world, swd, year=2025)
    _figures(world, swd, organisation=world.ngo_b, year=2025, notes="SENTINEL-BRAVO notes")
    served, new, satisfied = definition.indicators.values()
    _attainment(world.unit_a, 2025, served, AttainmentStatus.MET)
    _attainment(world.unit_a, 2025, new, AttainmentStatus.BELOW)
    _attainment(world.unit_a, 2025, satisfied, AttainmentStatus.AT_RISK)
    _attainment(world.unit_a, 2024, served, AttainmentStatus.MET)
    _attainment(world.unit_b, 2025, served, AttainmentStatus.BELOW)


@pytest.mark.usefixtures("agency_years")
def test_agency_year_summary_puts_figures_beside_attainment(
    world: World, finance_officer: User
) -> None:
    years = agency_year_summary(finance_officer, world.ngo_a.pk)
    assert [y.fiscal_year for y in years] == [2025, 2024]
    latest, earlier = years
    assert latest.label == "2025-26"
    assert latest.figures is not None and latest.figures.fiscal_year == 2025
    assert latest.attainment == {"met": 1, "below": 1, "at_risk": 1}
    assert [(s, n) for s, _label, n in latest.attainment_rows] == [
        ("met", 1),
        ("on_track", 0),
        ("at_risk", 1),
        ("below", 1),
    ]
    assert earlier.figures is not None
    assert earlier.figures.reserve_over_cap == D("1500000.00")
    assert earlier.attainment == {"met": 1}


@pytest.mark.usefixtures("agency_years")
def test_an_agency_sees_only_its_own_summary(
    world: World, agency_admin: User, finance_officer: User, worker: User, admin_b: User
) -> None:
    for user in (agency_admin, finance_officer):
        with pytest.raises(Http404):
            agency_year_summary(user, world.ngo_b.pk)
    with pytest.raises(PermissionDenied):  # sees the agency, not its figures
        agency_year_summary(worker, world.ngo_a.pk)
    (only,) = agency_year_summary(admin_b, world.ngo_b.pk)
    assert only.attainment == {"below": 1}
    assert only.figures is not None and only.figures.notes == "SENTINEL-BRAVO notes"


@pytest.mark.usefixtures("agency_years")
def test_swd_sees_every_agencys_summary(world: World, swd: User, sysadmin: User) -> None:
    for user in (swd, sysadmin):
        assert len(agency_year_summary(user, world.ngo_a.pk)) == 2
        assert len(agency_year_summary(user, world.ngo_b.pk)) == 1


def test_agency_year_summary_takes_a_fixed_number_of_queries(
    world: World, definition: Definition, swd: User, finance_officer: User
) -> None:
    def queries() -> int:
        forget = finance_officer.__dict__.pop("_socialdesk_actor", None)
        del forget
        with CaptureQueriesContext(connection) as captured:
            agency_year_summary(finance_officer, world.ngo_a.pk)
        return len(captured)

    _figures(world, swd, year=2025)
    few = queries()
    other_unit = ServiceUnitFactory(organisation=world.ngo_a)
    for year in (2021, 2022, 2023, 2024):
        _figures(world, swd, year=year)
        for unit in (world.unit_a, other_unit):
            for indicator in definition.indicators.values():
                _attainment(unit, year, indicator, AttainmentStatus.ON_TRACK)
    assert queries() == few


def test_finance_agencies_are_the_users_own_or_every_ngo(
    world: World, finance_officer: User, swd: User, worker: User
) -> None:
    assert list(finance_organisation_list_for(user=finance_officer)) == [world.ngo_a]
    assert set(finance_organisation_list_for(user=swd)) == {world.ngo_a, world.ngo_b}
    assert not finance_organisation_list_for(user=worker).exists()


def test_unit_records_are_scoped_to_the_units_a_user_may_see(
    world: World, swd: User, worker: User, staff_b: User
) -> None:
    _assessment(world, swd)
    _complaint(world, swd)
    _complaint(world, swd, unit=world.unit_b)
    records = unit_records_for(user=worker, unit_id=world.unit_a.pk)
    assert len(records.assessments) == 1 and len(records.complaints) == 1
    assert not records.can_record
    assert unit_records_for(user=swd, unit_id=world.unit_b.pk).can_record
    with pytest.raises(Http404):
        unit_records_for(user=staff_b, unit_id=world.unit_a.pk)
    # A unit of the worker's own agency, not their own unit: seen, its records not.
    sister = ServiceUnitFactory(organisation=world.ngo_a)
    with pytest.raises(PermissionDenied):
        unit_records_for(user=worker, unit_id=sister.pk)


# --- Pages ------------------------------------------------------------------------------------


def _english_user(user: User) -> User:
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    return user


def test_unit_records_page_in_traditional_chinese(
    world: World, signed_in: SignedIn, swd: User
) -> None:
    _assessment(world, swd)
    response = signed_in(swd).get(reverse("performance:unit_records", args=[world.unit_a.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hant">' in body
    assert world.unit_a.name_zh in body
    assert world.ngo_a.name_zh in body
    assert "Fire drill records incomplete." in body
    assert reverse("performance:field_assessment_add", args=[world.unit_a.pk]) in body


def test_unit_records_page_in_english_without_forms_for_unit_staff(
    world: World, signed_in: SignedIn, swd: User, worker: User
) -> None:
    _assessment(world, swd)
    _complaint(world, swd)
    client = signed_in(_english_user(worker))
    body = client.get(reverse("performance:unit_records", args=[world.unit_a.pk])).content.decode()
    assert '<html lang="en">' in body
    assert "Field assessments and complaints" in body
    assert world.unit_a.name_en in body
    assert "Long waiting time for counselling" in body
    assert "Keep a log of every drill." in body
    assert 'name="findings"' not in body
    assert reverse("performance:field_assessment_add", args=[world.unit_a.pk]) not in body


def test_a_units_pages_link_its_records_and_its_agencys_finance(
    world: World, signed_in: SignedIn, agency_admin: User, worker: User
) -> None:
    records = reverse("performance:unit_records", args=[world.unit_a.pk])
    finance = f"{reverse('performance:finance')}?organisation={world.ngo_a.pk}"
    back = f"{reverse('performance:dashboard')}?view=unit&amp;unit={world.unit_a.pk}"
    unit_dashboard = {"view": "unit", "unit": world.unit_a.pk}
    admin = signed_in(agency_admin)
    body = admin.get(reverse("performance:dashboard"), unit_dashboard).content.decode()
    assert records in body and finance in body
    body = admin.get(records).content.decode()
    assert back in body and finance in body
    staff = signed_in(worker)  # sees the unit's records, not the agency's figures
    body = staff.get(reverse("performance:dashboard"), unit_dashboard).content.decode()
    assert records in body and reverse("performance:finance") not in body
    body = staff.get(records).content.decode()
    assert back in body and reverse("performance:finance") not in body


def test_swd_records_an_assessment_through_the_page(
    world: World, signed_in: SignedIn, swd: User
) -> None:
    client = signed_in(_english_user(swd))
    url = reverse("performance:field_assessment_add", args=[world.unit_a.pk])
    response = client.post(
        url, {"visited_on": "2026-05-20", "assessor": "SWD", "outcome": "partly"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"findings"}
    response = client.post(
        url,
        {"visited_on": "2026-05-20", "assessor": "SWD", "outcome": "partly", "findings": "X"},
    )
    assert response.context["form"].errors == {
        "follow_up": ["Say what the unit must do to follow up."]
    }
    response = client.post(
        url,
        {
            "visited_on": "2026-05-20",
            "assessor": "SWD",
            "outcome": "partly",
            "findings": "Records incomplete.",
            "follow_up": "Complete them.",
            "follow_up_due_on": "2026-07-31",
        },
    )
    assessment = FieldAssessment.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#assessment-{assessment.pk}")
    done_url = reverse("performance:field_assessment_follow_up_done", args=[assessment.pk])
    client.post(done_url, {"version": 1, "follow_up_done_on": "2026-07-01"})
    assessment.refresh_from_db()
    assert assessment.follow_up_done_on == date(2026, 7, 1)


def test_a_stale_edit_answers_409_with_the_differences(
    world: World, signed_in: SignedIn, swd: User
) -> None:
    assessment = _assessment(world, swd)
    field_assessment_update(
        user=swd, assessment_id=assessment.pk, expected_version=1, data={"assessor": "Team B"}
    )
    client = signed_in(_english_user(swd))
    url = reverse("performance:field_assessment_edit", args=[assessment.pk])
    data = {
        "version": 1,
        "visited_on": "2026-05-20",
        "assessor": "Team C",
        "outcome": "partly",
        "findings": assessment.findings,
        "follow_up": assessment.follow_up,
        "follow_up_due_on": assessment.follow_up_due_on.isoformat(),  # type: ignore[union-attr]
    }
    response = client.post(url, data)
    assert response.status_code == 409
    assert ("Assessor", "Team C", "Team B") in response.context["conflict_rows"]
    assert 'name="version" value="2"' in response.content.decode()
    assert client.post(url, {**data, "version": 2}).status_code == 302
    assessment.refresh_from_db()
    assert assessment.assessor == "Team C"


def test_swd_concludes_a_complaint_through_the_page(
    world: World, signed_in: SignedIn, swd: User
) -> None:
    complaint = _complaint(world, swd)
    client = signed_in(_english_user(swd))
    url = reverse("performance:complaint_conclude", args=[complaint.pk])
    response = client.post(
        url, {"version": 1, "status": "substantiated", "concluded_on": "2026-07-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["improvement"] == ["Say what the unit has improved."]
    client.post(
        url,
        {
            "version": 1,
            "status": "substantiated",
            "concluded_on": "2026-07-01",
            "improvement": "Evening sessions added.",
        },
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.SUBSTANTIATED


@pytest.mark.usefixtures("agency_years")
def test_finance_page_warns_when_the_reserve_is_over_its_cap(
    world: World, signed_in: SignedIn, finance_officer: User
) -> None:
    client = signed_in(_english_user(finance_officer))
    response = client.get(reverse("performance:finance"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in body
    assert "Financial year 2024-25" in body
    assert "The LSG reserve is HK$1,500,000 over its cap." in body
    assert body.count("over its cap") == 1  # 2025-26 is within it
    assert "Within the cap" in body
    assert "40,000,000" in body  # thousands separators
    assert "28.6\u00a0%" in body  # 12,000,000 / 42,000,000
    assert "SENTINEL-BRAVO" not in body
    assert "Forecast to miss" in body  # the attainment beside it


@pytest.mark.usefixtures("agency_years")
def test_finance_page_in_traditional_chinese(
    world: World, signed_in: SignedIn, agency_admin: User
) -> None:
    body = signed_in(agency_admin).get(reverse("performance:finance")).content.decode()
    assert '<html lang="zh-Hant">' in body
    assert world.ngo_a.name_zh in body
    assert "達標" in body  # "Meets the standard"
    assert "1,500,000" in body


@pytest.mark.usefixtures("agency_years")
def test_swd_chooses_the_agency_and_agencies_cannot(
    world: World, signed_in: SignedIn, swd: User, agency_admin: User
) -> None:
    client = signed_in(_english_user(swd))
    body = client.get(reverse("performance:finance")).content.decode()
    assert 'name="organisation"' in body and "Financial year" not in body
    url = f"{reverse('performance:finance')}?organisation={world.ngo_b.pk}"
    assert "SENTINEL-BRAVO notes" in client.get(url).content.decode()
    other = signed_in(agency_admin).get(url)
    assert other.status_code == 200
    assert "SENTINEL-BRAVO" not in other.content.decode()
    assert other.context["organisation"] is None


def test_finance_page_is_refused_to_unit_staff(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    assert signed_in(worker).get(reverse("performance:finance")).status_code == 403


def test_finance_officer_enters_figures_through_the_page(
    world: World, signed_in: SignedIn, finance_officer: User
) -> None:
    client = signed_in(_english_user(finance_officer))
    url = reverse("performance:finance_add")
    form = client.get(url).context["form"]
    assert list(form.fields["organisation"].queryset) == [world.ngo_a]
    data = {
        "organisation": world.ngo_a.pk,
        "fiscal_year": 2025,
        **{k: str(v) for k, v in FIGURES.items()},
    }
    response = client.post(url, {**data, "fees_income": "-3"})
    assert response.status_code == 200
    assert response.context["form"].errors["fees_income"] == ["A figure cannot be negative."]
    response = client.post(url, data)
    assert response.status_code == 302
    figures = FinancialYearFigures.objects.get()
    assert figures.fees_income == D("1200000.50")
    edit = reverse("performance:finance_edit", args=[figures.pk])
    edited = {k: str(v) for k, v in FIGURES.items()} | {"version": 1, "lsg_reserve": "11000000"}
    assert client.post(edit, edited).status_code == 302
    again = client.post(edit, {**edited, "notes": "Audited."})  # the same page sent again
    assert again.status_code == 409
    assert again.context["conflict_rows"] == [("Notes", "Audited.", "—")]
    figures.refresh_from_db()
    assert figures.reserve_over_cap == D("500000.00")


def test_finance_pages_are_refused_to_those_who_may_not_enter(
    world: World, signed_in: SignedIn, finance_officer: User, sysadmin: User, admin_b: User
) -> None:
    figures = _figures(world, finance_officer)
    edit = reverse("performance:finance_edit", args=[figures.pk])
    assert signed_in(sysadmin).get(edit).status_code == 403
    assert signed_in(sysadmin).get(reverse("performance:finance_add")).status_code == 403
    assert signed_in(admin_b).get(edit).status_code == 404


# --- Query budgets ----------------------------------------------------------------------------


def _count_queries(client: Client, url: str) -> int:
    client.get(url)  # the session's first use of the page is not what is counted
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_unit_records_page_takes_a_fixed_number_of_queries(
    world: World, signed_in: SignedIn, swd: User
) -> None:
    client = signed_in(swd)
    url = reverse("performance:unit_records", args=[world.unit_a.pk])
    _assessment(world, swd)
    _complaint(world, swd)
    few = _count_queries(client, url)
    for _n in range(5):
        _assessment(world, swd)
        _complaint(world, swd)
    assert _count_queries(client, url) == few


def test_finance_page_takes_a_fixed_number_of_queries(
    world: World, definition: Definition, signed_in: SignedIn, agency_admin: User, swd: User
) -> None:
    client = signed_in(agency_admin)
    url = reverse("performance:finance")
    _figures(world, swd, year=2025)
    few = _count_queries(client, url)
    for year in (2021, 2022, 2023, 2024):
        _figures(world, swd, year=year, lsg_reserve=D("20000000"))
        for indicator in definition.indicators.values():
            _attainment(world.unit_a, year, indicator, AttainmentStatus.MET)
    assert _count_queries(client, url) == few


def test_a_second_agency_role_adds_the_chooser(
    world: World, signed_in: SignedIn, finance_officer: User
) -> None:
    MembershipFactory(user=finance_officer, organisation=world.ngo_b, role=Role.AGENCY_FINANCE)
    body = signed_in(_english_user(finance_officer)).get(reverse("performance:finance"))
    assert 'name="organisation"' in body.content.decode()

"""The performance demo data: SWD's records (field assessments, complaints, agencies' financial
figures) beside the FSAs and returns, entered as the demo SWD officer, valid and idempotent."""

from __future__ import annotations

import pytest
from django.utils import timezone

from socialdesk.core.demo import load_demo_data
from socialdesk.core.models import Membership, Organisation, OrganisationKind, Role
from socialdesk.performance.demo import load_performance_demo_data
from socialdesk.performance.models import (
    Complaint,
    ComplaintStatus,
    FieldAssessment,
    FinancialYearFigures,
)
from socialdesk.performance.periods import fiscal_year_of


@pytest.mark.django_db
def test_demo_records_are_valid_varied_and_loaded_once() -> None:
    today = timezone.localdate()
    load_demo_data(password="Demo-password-2026")
    first = load_performance_demo_data(today=today)
    assert first.created and first.agreements and first.returns

    assessments = list(FieldAssessment.objects.select_related("recorded_by"))
    complaints = list(Complaint.objects.all())
    figures = list(FinancialYearFigures.objects.select_related("organisation"))
    assert (first.assessments, first.complaints, first.financial_years) == (
        len(assessments),
        len(complaints),
        len(figures),
    )
    for record in (*assessments, *complaints, *figures):
        record.full_clean()
    assert {a.recorded_by.username for a in assessments} == {"swdofficer"}

    follow_ups = [a for a in assessments if a.follow_up]
    assert any(a.follow_up_done_on for a in follow_ups)
    assert any(not a.follow_up_done_on and a.follow_up_due_on < today for a in follow_ups)
    assert any(not a.follow_up_done_on and a.follow_up_due_on >= today for a in follow_ups)
    statuses = {c.status for c in complaints}
    assert ComplaintStatus.OPEN in statuses and ComplaintStatus.SUBSTANTIATED in statuses
    assert all(c.improvement for c in complaints if c.status == ComplaintStatus.SUBSTANTIATED)

    ngos = Organisation.objects.filter(kind=OrganisationKind.NGO)
    assert {f.organisation for f in figures} == set(ngos)
    last_year = fiscal_year_of(today) - 1  # the last completed financial year
    assert {f.fiscal_year for f in figures} == {last_year - 1, last_year}
    over = [f for f in figures if f.reserve_over_cap]
    assert len(over) == 1 and over[0].fiscal_year == last_year
    assert all(f.total_income > f.lsg_income > 0 for f in figures)

    again = load_performance_demo_data(today=today)
    assert not again.created
    assert (again.assessments, again.complaints, again.financial_years) == (
        first.assessments,
        first.complaints,
        first.financial_years,
    )
    assert FieldAssessment.objects.count() == len(assessments)
    assert FinancialYearFigures.objects.count() == len(figures)


@pytest.mark.django_db
def test_records_are_added_to_a_demo_loaded_before_them() -> None:
    load_demo_data(password="Demo-password-2026")
    officer = Membership.objects.filter(role=Role.SWD_SUBVENTIONS)
    officer.update(is_active=False)  # no SWD officer to record them: FSAs and returns only
    before = load_performance_demo_data()
    assert before.created and before.returns
    assert (before.assessments, before.complaints, before.financial_years) == (0, 0, 0)

    officer.update(is_active=True)
    after = load_performance_demo_data()
    assert after.created and after.returns == before.returns
    assert after.assessments and after.complaints and after.financial_years

"""Reads of SWD's records through their policies: a unit's field assessments and complaints, the
agencies whose financial figures a user may see or enter, and an agency's years side by side —
its figures and its units' attainment of their standards (`agency_year_summary`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, QuerySet

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.models import Organisation, OrganisationKind, Role, ServiceUnit

from ..models import (
    Attainment,
    AttainmentStatus,
    Complaint,
    ComplaintStatus,
    FieldAssessment,
    FinancialYearFigures,
)
from ..periods import year_label

# The attainment statuses an agency's year shows, in this order.
ATTAINMENT_ORDER = (
    AttainmentStatus.MET,
    AttainmentStatus.ON_TRACK,
    AttainmentStatus.AT_RISK,
    AttainmentStatus.BELOW,
    AttainmentStatus.NO_DATA,
)


# --- Units' records -------------------------------------------------------------------------


def performance_unit_list_for(*, user: Any) -> QuerySet[ServiceUnit]:
    """The units whose records the user may see. The records' policy scopes by `unit_id`; read
    on the unit itself, that is the unit's primary key."""
    condition = policy_for(FieldAssessment).scope(actor_for(user), Action.VIEW)
    if condition is None:
        return ServiceUnit.objects.none()
    return policy_for(ServiceUnit).queryset(user).alias(unit_id=F("pk")).filter(condition)


@dataclass(frozen=True)
class UnitRecords:
    unit: ServiceUnit
    assessments: list[FieldAssessment]
    complaints: list[Complaint]
    can_record: bool  # may record and correct assessments and complaints (SWD)

    @property
    def open_follow_ups(self) -> int:
        return sum(1 for a in self.assessments if a.follow_up and not a.follow_up_done_on)

    @property
    def open_complaints(self) -> int:
        return sum(1 for c in self.complaints if c.status == ComplaintStatus.OPEN)


def unit_records_for(*, user: Any, unit_id: Any) -> UnitRecords:
    """A unit's field assessments and complaints, newest first: 404 if the user may not see the
    unit, 403 if they may see it but not its performance records."""
    unit = policy_for(ServiceUnit).get(user, unit_id)
    if not performance_unit_list_for(user=user).filter(pk=unit.pk).exists():
        raise PermissionDenied
    assessments = list(
        policy_for(FieldAssessment)
        .queryset(user)
        .filter(unit=unit)
        .select_related("recorded_by")
        .order_by("-visited_on", "-pk")
    )
    complaints = list(
        policy_for(Complaint).queryset(user).filter(unit=unit).order_by("-received_on", "-pk")
    )
    actor = actor_for(user)
    can_record = policy_for(FieldAssessment).scope(actor, Action.CHANGE) is not None
    return UnitRecords(
        unit=unit, assessments=assessments, complaints=complaints, can_record=can_record
    )


def field_assessment_get_for(
    *, user: Any, assessment_id: Any, action: Action = Action.VIEW
) -> FieldAssessment:
    return policy_for(FieldAssessment).get(user, assessment_id, action)


def complaint_get_for(*, user: Any, complaint_id: Any, action: Action = Action.VIEW) -> Complaint:
    return policy_for(Complaint).get(user, complaint_id, action)


# --- Agencies' financial figures ------------------------------------------------------------


def finance_organisation_list_for(
    *, user: Any, action: Action = Action.VIEW
) -> QuerySet[Organisation]:
    """The agencies (NGOs) whose figures the user may see (VIEW) or enter (ADD, CHANGE). The
    figures' policy scopes by `organisation_id`; read on the organisation, its primary key."""
    condition = policy_for(FinancialYearFigures).scope(actor_for(user), action)
    if condition is None:
        return Organisation.objects.none()
    return (
        policy_for(Organisation)
        .queryset(user)
        .filter(kind=OrganisationKind.NGO)
        .alias(organisation_id=F("pk"))
        .filter(condition)
        .order_by("code")
    )


def finance_visible(*, user: Any) -> bool:
    """Whether the user may see any agency's figures at all (the finance page)."""
    return policy_for(FinancialYearFigures).scope(actor_for(user), Action.VIEW) is not None


def finance_may_view(*, user: Any, organisation_id: Any) -> bool:
    """Whether the user may see that agency's figures (links to its finance page)."""
    return finance_organisation_list_for(user=user).filter(pk=organisation_id).exists()


def finance_may_enter(*, user: Any, organisation_id: Any = None) -> bool:
    """Whether the user may enter figures: for that agency, or (without one) for any."""
    if organisation_id is None:
        return policy_for(FinancialYearFigures).scope(actor_for(user), Action.ADD) is not None
    agencies = finance_organisation_list_for(user=user, action=Action.ADD)
    return agencies.filter(pk=organisation_id).exists()


def finance_chooses_agency(*, user: Any) -> bool:
    """SWD and system administrators look at any agency, so they choose one."""
    return actor_for(user).has_role(Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN)


def financial_figures_get_for(
    *, user: Any, figures_id: Any, action: Action = Action.VIEW
) -> FinancialYearFigures:
    return policy_for(FinancialYearFigures).get(user, figures_id, action)


@dataclass
class YearSummary:
    """One financial year of an agency: its figures (None if not entered) and how many of its
    units' agreed standards are met, on track, at risk or below."""

    fiscal_year: int
    figures: FinancialYearFigures | None = None
    attainment: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return year_label(self.fiscal_year)

    @property
    def standards(self) -> int:
        return sum(self.attainment.values())

    def count(self, status: str) -> int:
        return self.attainment.get(status, 0)

    @property
    def attainment_rows(self) -> list[tuple[str, str, int]]:
        """(status, label, count) in the dashboard's order; "no figures yet" only if any."""
        return [
            (status.value, str(status.label), self.count(status))
            for status in ATTAINMENT_ORDER
            if status != AttainmentStatus.NO_DATA or self.count(status)
        ]


def agency_year_summary(user: Any, organisation_id: Any) -> list[YearSummary]:
    """Each year of an agency, newest first: its financial figures and its units' attainment
    counts (a fixed number of queries, however many years and units). 404 if the user may not
    see the agency, 403 if they may see it but not its figures."""
    organisation = policy_for(Organisation).get(user, organisation_id)
    if not finance_organisation_list_for(user=user).filter(pk=organisation.pk).exists():
        raise PermissionDenied
    years: dict[int, YearSummary] = {}
    figures = policy_for(FinancialYearFigures).queryset(user).filter(organisation=organisation)
    for row in figures:
        years[row.fiscal_year] = YearSummary(fiscal_year=row.fiscal_year, figures=row)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    attainment = (
        policy_for(Attainment)
        .queryset(user)
        .filter(unit__organisation=organisation)
        .values("fiscal_year", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for count in attainment:
        counts[count["fiscal_year"]][count["status"]] = count["n"]
    for year, by_status in counts.items():
        years.setdefault(year, YearSummary(fiscal_year=year)).attainment = by_status
    return [years[year] for year in sorted(years, reverse=True)]

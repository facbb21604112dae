"""Demo performance data: the shipped definitions, an FSA for every demo NGO unit whose service
type has a return template (last financial year and this one), and their returns — last year
accepted, this year in every state of the review, one unit behind its standards — with attainment
and alerts computed; and SWD's records beside them, entered through the records services as the
demo SWD subventions officer: field assessments (follow-ups done, due and overdue), complaints
(open and concluded) and each demo NGO's financial figures for the last two completed years (one
agency's LSG reserve above its 25 % cap). Figures and texts are synthetic. Idempotent: FSAs and
returns are added only when none exist, a unit's records only when it has none, an agency's
figures only for years not yet entered."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from socialdesk.core.models import Membership, Organisation, OrganisationKind, Role, ServiceUnit

from .models import (
    Aggregation,
    AgreedLevel,
    Agreement,
    AssessmentOutcome,
    Complaint,
    ComplaintStatus,
    FieldAssessment,
    FinancialYearFigures,
    Indicator,
    Measure,
    ReportingPeriod,
    ReturnAction,
    ReturnEvent,
    ReturnStatus,
    ReturnTemplate,
    ReturnValue,
    StatisticalReturn,
)
from .periods import fiscal_year_of
from .services.attainment import overdue_returns_check, units_recompute
from .services.definitions import definitions_load_shipped, shipped_levels, template_for
from .services.records import (
    complaint_conclude,
    complaint_record,
    field_assessment_follow_up_done,
    field_assessment_record,
    financial_figures_enter,
)
from .services.returns import periods_ensure

if TYPE_CHECKING:
    from socialdesk.accounts.models import User

BEHIND_UNIT_INDEX = 1  # the second demo unit (by code) falls behind this year


@dataclass
class PerformanceDemo:
    agreements: int
    returns: int
    created: bool
    assessments: int = 0
    complaints: int = 0
    financial_years: int = 0


def _round(value: float, places: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _figures(
    template: ReturnTemplate,
    levels: dict[str, Decimal],
    periods_in_year: int,
    pace: float,
    rng: random.Random,
) -> dict[tuple[str, str], Decimal]:
    """One period's figures that pass the template's rules."""
    values: dict[tuple[str, str], Decimal] = {}
    items = list(
        template.items.select_related("indicator").prefetch_related("indicator__disaggregations")
    )
    for item in items:
        indicator = item.indicator
        level = float(levels.get(indicator.code, 0) or 0)
        if indicator.measure == Measure.PERCENT:
            base = level or 85.0
            value = min(99.0, base * (0.97 + rng.random() * 0.06) * (0.93 if pace < 1 else 1))
            values[(indicator.code, "")] = _round(value, indicator.decimal_places)
        elif indicator.aggregation == Aggregation.LATEST:
            values[(indicator.code, "")] = _round(
                (level or 100) * pace * (0.95 + rng.random() * 0.1), 0
            )
        else:
            per_period = (level or 40 * periods_in_year) / periods_in_year
            values[(indicator.code, "")] = _round(per_period * pace * (0.9 + rng.random() * 0.2), 0)
        for disaggregation in indicator.disaggregations.all():
            total = values[(indicator.code, "")]
            codes = disaggregation.category_codes()
            remaining = total
            for index, code in enumerate(codes):
                if index == len(codes) - 1:
                    part = remaining
                else:
                    part = (
                        total * Decimal(str(0.35 + rng.random() * 0.3)) / (len(codes) - 1)
                    ).quantize(Decimal(1))
                    part = min(part, remaining)
                values[(indicator.code, f"{disaggregation.code}:{code}")] = part
                remaining -= part
    # Keep the cross-figure rules true.
    for left, right in (
        ("ifsc_new_cases", "ifsc_cases_served"),
        ("decc_attendance_rate", "decc_enrolment_rate"),
    ):
        if (left, "") in values and (right, "") in values:
            values[(left, "")] = min(values[(left, "")], values[(right, "")])
    if ("ifsc_survey_respondents", "") in values:
        respondents = Decimal(40 + rng.randint(0, 40))
        values[("ifsc_survey_respondents", "")] = respondents
        share = Decimal(str(0.78 + rng.random() * 0.15)) * Decimal(str(min(pace, 1)))
        values[("ifsc_survey_satisfied", "")] = (respondents * share).quantize(Decimal(1))
    return values


def _return_with(
    *,
    unit: ServiceUnit,
    period: ReportingPeriod,
    template: ReturnTemplate,
    status: str,
    figures: dict[tuple[str, str], Decimal],
) -> StatisticalReturn:
    indicators = {
        item.indicator.code: item.indicator for item in template.items.select_related("indicator")
    }
    ends_on = period.ends_on
    due = ends_on + timedelta(days=template.due_days)
    submitted_at = timezone.make_aware(datetime.combine(due - timedelta(days=5), time(9, 30)))
    statistical_return = StatisticalReturn.objects.create(
        unit=unit,
        period=period,
        template=template,
        status=status,
        due_on=due,
        grace_until=due + timedelta(days=template.grace_days),
        submitted_at=None if status == ReturnStatus.DRAFT else submitted_at,
        last_submitted_at=None if status == ReturnStatus.DRAFT else submitted_at,
        accepted_at=submitted_at + timedelta(days=10) if status == ReturnStatus.ACCEPTED else None,
        locked=status == ReturnStatus.ACCEPTED,
    )
    ReturnValue.objects.bulk_create(
        ReturnValue(
            statistical_return=statistical_return,
            indicator=indicators[code],
            category=category,
            value=value,
            submitted_value=None if status == ReturnStatus.DRAFT else value,
        )
        for (code, category), value in figures.items()
    )
    all_steps: dict[str, list[str]] = {
        ReturnStatus.DRAFT: [ReturnAction.SAVED],
        ReturnStatus.SUBMITTED: [ReturnAction.SAVED, ReturnAction.SUBMITTED],
        ReturnStatus.ENDORSED: [ReturnAction.SAVED, ReturnAction.SUBMITTED, ReturnAction.ENDORSED],
        ReturnStatus.ACCEPTED: [
            ReturnAction.SAVED,
            ReturnAction.SUBMITTED,
            ReturnAction.ENDORSED,
            ReturnAction.ACCEPTED,
        ],
    }
    for action in all_steps[status]:
        ReturnEvent.objects.create(statistical_return=statistical_return, action=action)
    return statistical_return


@transaction.atomic
def load_performance_demo_data(today: date | None = None) -> PerformanceDemo:
    definitions_load_shipped()
    today = today or timezone.localdate()
    units = list(
        ServiceUnit.objects.filter(organisation__kind=OrganisationKind.NGO, is_active=True)
        .select_related("service_type")
        .order_by("code")
    )
    if Agreement.objects.filter(unit__in=units).exists():
        added = _records_load(units, today)
        return _summary(
            units, Agreement.objects.count(), StatisticalReturn.objects.count(), created=added
        )
    levels = shipped_levels()
    this_year = fiscal_year_of(today)
    agreements = returns = 0
    for index, unit in enumerate(units):
        rng = random.Random(unit.code)  # noqa: S311 (synthetic demo figures)
        for year in (this_year - 1, this_year):
            template = template_for(unit.service_type_id, year)
            if template is None:
                continue
            scale = Decimal(str(0.8 + rng.random() * 0.4))
            agreement = Agreement.objects.create(
                unit=unit, fiscal_year=year, template=template, reference=f"FSA-{unit.code}-{year}"
            )
            agreements += 1
            on_template = set(template.items.values_list("indicator_id", flat=True))
            for indicator in Indicator.objects.filter(code__in=levels):
                if indicator.pk not in on_template and indicator.numerator_id not in on_template:
                    continue
                level = levels[indicator.code]
                if indicator.measure != Measure.PERCENT:
                    level = (level * scale).quantize(Decimal(1))
                AgreedLevel.objects.create(agreement=agreement, indicator=indicator, level=level)
            agreed = {
                lv.indicator.code: lv.level for lv in agreement.levels.select_related("indicator")
            }
            periods = periods_ensure(year, template.frequency)
            behind = year == this_year and index == BEHIND_UNIT_INDEX
            for number, period in enumerate(periods, start=1):
                if period.ends_on >= today:
                    break
                if year < this_year or number == 1:
                    status = ReturnStatus.ACCEPTED
                else:  # the latest period of this year: every state of the review
                    status = (
                        ReturnStatus.SUBMITTED,
                        ReturnStatus.ENDORSED,
                        ReturnStatus.DRAFT,
                        ReturnStatus.ACCEPTED,
                    )[index % 4]
                figures = _figures(template, agreed, len(periods), 0.6 if behind else 1.0, rng)
                _return_with(
                    unit=unit, period=period, template=template, status=status, figures=figures
                )
                returns += 1
    for year in (this_year - 1, this_year):
        units_recompute(fiscal_year=year)
    overdue_returns_check(today=today)
    _records_load(units, today)
    return _summary(units, agreements, returns, created=True)


def _summary(
    units: list[ServiceUnit], agreements: int, returns: int, *, created: bool
) -> PerformanceDemo:
    """What the demo holds; SWD's records counted on the demo units and their agencies."""
    return PerformanceDemo(
        agreements,
        returns,
        created=created,
        assessments=FieldAssessment.objects.filter(unit__in=units).count(),
        complaints=Complaint.objects.filter(unit__in=units).count(),
        financial_years=FinancialYearFigures.objects.filter(
            organisation__in={unit.organisation_id for unit in units}
        ).count(),
    )


# --- SWD's records: field assessments, complaints, agencies' financial figures ------------------

ASSESSORS = ("社署服務表現組 吳浩然", "社署服務表現組 何家明")

# (outcome, findings, follow-up required) — what an SWD visit typically finds against the
# Service Quality Standards (SQS).
VISITS: tuple[tuple[str, str, str], ...] = (
    (
        AssessmentOutcome.MET,
        "抽查服務紀錄、職員督導紀錄及服務使用者意見，各項服務質素標準均已符合；"
        "統計報表數字與活動及個案紀錄相符。",
        "",
    ),
    (
        AssessmentOutcome.PARTLY,
        "走火警演習紀錄不完整：最近兩次演習未有記錄參與人數及所需時間。其餘服務質素標準均已符合。",
        "補回演習紀錄，並訂立每季演習及記錄的程序，由單位主管核簽。",
    ),
    (
        AssessmentOutcome.PARTLY,
        "投訴處理程序未有張貼於單位當眼處，部分前線職員不清楚回覆投訴的時限（SQS 標準 10）。",
        "張貼投訴處理程序，並為前線職員舉行簡介會，提交出席紀錄。",
    ),
    (
        AssessmentOutcome.NOT_MET,
        "未能提供過去半年的職員專業督導紀錄（SQS 標準 11）；個案檔案櫃未有上鎖。",
        "兩個月內恢復定期督導並提交紀錄副本；檔案櫃即時加鎖並設鎖匙保管紀錄。",
    ),
)

# (channel, subject, summary, outcome, improvement made) — about the service, never the person.
COMPLAINTS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "電話",
        "輔導服務輪候時間過長",
        "投訴指由申請至首次面談需輪候約兩個月。",
        ComplaintStatus.PARTLY,
        "增設兩節晚間輔導時段，平均輪候時間由八星期縮短至五星期。",
    ),
    (
        "電郵",
        "服務時間與公布不符",
        "投訴指星期六下午提早停止接待，與網頁公布的服務時間不同。",
        ComplaintStatus.SUBSTANTIATED,
        "更正網頁及單位告示的服務時間，並由單位主管每月核對一次。",
    ),
    (
        "1823",
        "職員接聽查詢時態度欠佳",
        "投訴指致電查詢活動報名時，職員回答草率。",
        ComplaintStatus.UNSUBSTANTIATED,
        "",
    ),
    (
        "書面",
        "活動收費資料不清晰",
        "投訴指活動單張未有列明會員及非會員收費。",
        "",  # still being handled
        "",
    ),
)


def _swd_officer() -> User | None:
    """The demo SWD subventions officer, who records SWD's records (None: no such login)."""
    membership = (
        Membership.objects.filter(
            role=Role.SWD_SUBVENTIONS,
            is_active=True,
            organisation__kind=OrganisationKind.SWD,
            organisation__is_active=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return None if membership is None else membership.user


def _records_load(units: list[ServiceUnit], today: date) -> bool:
    """SWD's records on the demo NGO units and agencies, through the records services (so they
    pass the same checks as the pages), added only where there are none yet; whether any were
    added. Nothing without the demo SWD subventions officer."""
    officer = _swd_officer()
    if officer is None:
        return False
    added = 0
    day = min(today, timezone.localdate())  # the services refuse dates in the future
    assessed = set(FieldAssessment.objects.filter(unit__in=units).values_list("unit_id", flat=True))
    complained = set(Complaint.objects.filter(unit__in=units).values_list("unit_id", flat=True))
    for index, unit in enumerate(units):
        if unit.pk not in assessed:
            added += _assessments_load(officer, unit, index, day)
        if unit.pk not in complained:
            added += _complaints_load(officer, unit, index, day)
    organisations = Organisation.objects.filter(
        pk__in={unit.organisation_id for unit in units}
    ).order_by("code")
    for index, organisation in enumerate(organisations):
        added += _figures_load(officer, organisation, index, day)
    return added > 0


def _assessments_load(officer: User, unit: ServiceUnit, index: int, day: date) -> int:
    """A routine visit about a year ago (requirements met) and a recent one whose follow-up is
    done, due or overdue — the unit behind its standards has the overdue one."""
    outcome, findings, _no_follow_up = VISITS[0]
    field_assessment_record(
        user=officer,
        unit_id=unit.pk,
        visited_on=day - timedelta(days=330 + index * 7),
        assessor=ASSESSORS[index % 2],
        outcome=outcome,
        findings=findings,
    )
    outcome, findings, follow_up = VISITS[index % len(VISITS)]
    visited_on = day - timedelta(days=20 + (index % 5) * 15)
    due_on = visited_on + timedelta(days=60)
    if index == BEHIND_UNIT_INDEX:
        visited_on = day - timedelta(days=75)
        due_on = visited_on + timedelta(days=30)  # overdue, not done
    recent = field_assessment_record(
        user=officer,
        unit_id=unit.pk,
        visited_on=visited_on,
        assessor=ASSESSORS[(index + 1) % 2],
        outcome=outcome,
        findings=findings,
        follow_up=follow_up,
        follow_up_due_on=due_on if follow_up else None,
    )
    if follow_up and index != BEHIND_UNIT_INDEX and index % 3 == 0:
        field_assessment_follow_up_done(
            user=officer,
            assessment_id=recent.pk,
            expected_version=recent.version,
            done_on=min(day, visited_on + timedelta(days=14)),
        )
    return 2


def _complaints_load(officer: User, unit: ServiceUnit, index: int, day: date) -> int:
    """Every other unit has a complaint from the last months: most concluded, some open."""
    if index % 2:
        return 0
    channel, subject, summary, outcome, improvement = COMPLAINTS[(index // 2) % len(COMPLAINTS)]
    received_on = day - timedelta(days=45 + index * 9)
    complaint = complaint_record(
        user=officer,
        unit_id=unit.pk,
        received_on=received_on,
        channel=channel,
        subject=subject,
        summary=summary,
    )
    if outcome:
        complaint_conclude(
            user=officer,
            complaint_id=complaint.pk,
            expected_version=complaint.version,
            status=outcome,
            concluded_on=min(day, received_on + timedelta(days=28)),
            improvement=improvement,
        )
    return 1


OVER_CAP_AGENCY_INDEX = 3  # the fourth demo NGO (by code) kept too large an LSG reserve last year


def _figures_load(officer: User, organisation: Organisation, index: int, day: date) -> int:
    """The agency's annual financial report figures for the last two completed financial years:
    income by source scaled to its number of units, expenditure close to income, and an LSG
    reserve of 12-22 % of expenditure (above the 25 % cap for one agency, last year)."""
    rng = random.Random(f"finance-{organisation.code}")  # noqa: S311 (synthetic demo figures)
    units = ServiceUnit.objects.filter(organisation=organisation, is_active=True).count() or 1
    base = Decimal(units * rng.randint(13_000_000, 18_000_000))  # a year's LSG, before growth
    last_year = fiscal_year_of(day) - 1
    entered = set(
        FinancialYearFigures.objects.filter(organisation=organisation).values_list(
            "fiscal_year", flat=True
        )
    )
    added = 0
    for year in (last_year - 1, last_year):
        if year in entered:
            continue
        growth = Decimal("1.03") ** (year - last_year + 1)
        lsg = base * growth
        expenditure = lsg * Decimal(str(round(1.08 + rng.random() * 0.1, 3)))
        reserve_share = 0.12 + rng.random() * 0.1
        over_cap = index == OVER_CAP_AGENCY_INDEX and year == last_year
        if over_cap:
            reserve_share = 0.28
        figures = {
            "lsg_income": lsg,
            "other_subvention_income": lsg * Decimal(str(round(0.08 + rng.random() * 0.1, 3))),
            "lotteries_fund_income": lsg * Decimal(str(round(0.01 + rng.random() * 0.02, 3))),
            "fees_income": lsg * Decimal(str(round(0.03 + rng.random() * 0.05, 3))),
            "donations_income": lsg * Decimal(str(round(0.02 + rng.random() * 0.04, 3))),
            "operating_expenditure": expenditure,
            "lsg_reserve": expenditure * Decimal(str(round(reserve_share, 3))),
        }
        data: dict[str, object] = {
            name: amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
            for name, amount in figures.items()
        }
        data["notes"] = (
            "經審計周年財務報告。儲備超出上限的款額須退還社署。"
            if over_cap
            else "經審計周年財務報告。"
        )
        financial_figures_enter(
            user=officer, organisation_id=organisation.pk, fiscal_year=year, data=data
        )
        added += 1
    return added

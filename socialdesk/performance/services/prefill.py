"""Returns pre-filled from case data: for a unit that uses SocialDesk's case management, the
indicators whose definition names a case source ("cases_served", "cases_opened",
"cases_closed") get the count for the period as a *suggested* value, which the unit confirms by
entering it (the suggestion never becomes the figure by itself)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from socialdesk.cases.selectors import CASE_COUNTS, case_counts_for_unit

from ..models import ReturnValue, StatisticalReturn


@transaction.atomic
def return_prefill(statistical_return: StatisticalReturn) -> dict[str, int]:
    """Store the suggested value of each case-sourced indicator of the return (and return them
    by indicator code). Units with no case in the system get no suggestion."""
    period = statistical_return.period
    counts = case_counts_for_unit(
        unit_id=statistical_return.unit_id, starts_on=period.starts_on, ends_on=period.ends_on
    )
    if not any(counts.values()):
        return {}
    suggested: dict[str, int] = {}
    items = statistical_return.template.items.select_related("indicator").filter(
        indicator__case_source__in=CASE_COUNTS
    )
    for item in items:
        count = counts[item.indicator.case_source]
        figure, _created = ReturnValue.objects.get_or_create(
            statistical_return=statistical_return, indicator=item.indicator, category=""
        )
        if figure.suggested != Decimal(count):
            figure.suggested = Decimal(count)
            figure.save(update_fields=["suggested"])
        suggested[item.indicator.code] = count
    return suggested

"""What is reported, defined as data: indicators (Output and Outcome Standards and other
statistics), how each aggregates over a year, their disaggregations, the return templates of a
service type (versioned) and the validation rules of a template."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from socialdesk.core.models import BilingualNamed, ServiceType, TimeStampedModel


class IndicatorKind(models.TextChoices):
    OUTPUT = "OS", _("Output standard")
    OUTCOME = "OC", _("Outcome standard")
    STATISTIC = "ST", _("Other statistic")


class Measure(models.TextChoices):
    COUNT = "count", _("Number")
    PERCENT = "percent", _("Percentage")
    HOURS = "hours", _("Hours")
    DAYS = "days", _("Days")
    AMOUNT = "amount", _("Amount (HK$)")


class Aggregation(models.TextChoices):
    """How the figures of a year's periods make the year's figure."""

    SUM = "sum", _("Sum of the periods")
    LATEST = "latest", _("Latest period")
    AVERAGE = "average", _("Average of the periods")
    RATIO = "ratio", _("Ratio of two indicators (year totals)")


class Disaggregation(BilingualNamed, TimeStampedModel):
    """A way to break a figure down (sex, age group): its categories, each with a code and both
    names, e.g. [{"code": "F", "name_zh": "女", "name_en": "Female"}, …]."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    categories = models.JSONField(_("categories"), default=list)

    class Meta:
        ordering = ["code"]
        verbose_name = _("disaggregation")
        verbose_name_plural = _("disaggregations")

    def __str__(self) -> str:
        return self.name

    def category_codes(self) -> list[str]:
        return [str(category["code"]) for category in self.categories]


class Indicator(BilingualNamed, TimeStampedModel):
    """One figure a unit reports (e.g. IFSC OS1 "number of cases served")."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=2, choices=IndicatorKind.choices)
    measure = models.CharField(_("unit of measure"), max_length=10, choices=Measure.choices)
    aggregation = models.CharField(
        _("aggregation over a year"), max_length=10, choices=Aggregation.choices
    )
    numerator = models.ForeignKey(
        "self",
        verbose_name=_("numerator"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    denominator = models.ForeignKey(
        "self",
        verbose_name=_("denominator"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    disaggregations = models.ManyToManyField(
        Disaggregation, verbose_name=_("disaggregations"), blank=True
    )
    decimal_places = models.PositiveSmallIntegerField(_("decimal places"), default=0)
    definition_zh = models.TextField(_("definition (Chinese)"), blank=True)
    definition_en = models.TextField(_("definition (English)"), blank=True)
    case_source = models.CharField(
        _("computed from case data"),
        max_length=40,
        blank=True,
        help_text=_("For units using case management: how the suggested value is computed."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Frequency(models.TextChoices):
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Half-yearly")


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ReturnTemplate(BilingualNamed, TimeStampedModel):
    """The statistical return of a service type, in one version: which indicators, how often,
    when due. Returns keep the version they were made on."""

    code = models.SlugField(_("code"), max_length=40)
    number = models.PositiveSmallIntegerField(_("version"), default=1)
    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("service type"), on_delete=models.PROTECT
    )
    frequency = models.CharField(_("frequency"), max_length=12, choices=Frequency.choices)
    due_days = models.PositiveSmallIntegerField(_("due (days after the period ends)"), default=30)
    grace_days = models.PositiveSmallIntegerField(_("grace period (days)"), default=14)
    status = models.CharField(
        _("status"), max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    first_year = models.PositiveSmallIntegerField(
        _("first financial year"), help_text=_("The year starting in April, e.g. 2025 for 2025-26.")
    )

    class Meta:
        ordering = ["code", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["code", "number"], name="performance_template_version")
        ]
        verbose_name = _("return template")
        verbose_name_plural = _("return templates")

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class TemplateItem(models.Model):
    """An indicator on a template, in order, with the checks that belong to the figure itself."""

    template = models.ForeignKey(
        ReturnTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="items"
    )
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    section_zh = models.CharField(_("section (Chinese)"), max_length=100, blank=True)
    section_en = models.CharField(_("section (English)"), max_length=100, blank=True)
    required = models.BooleanField(_("required"), default=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=14, decimal_places=4, null=True, blank=True
    )

    class Meta:
        ordering = ["template", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["template", "indicator"], name="performance_item_once")
        ]
        verbose_name = _("template item")
        verbose_name_plural = _("template items")

    def __str__(self) -> str:
        return f"{self.template} · {self.indicator.code}"


class RuleKind(models.TextChoices):
    COMPARE = "compare", _("Compare two figures")
    OUTLIER = "outlier", _("Outlier against the unit's history")


class Severity(models.TextChoices):
    ERROR = "error", _("Error (blocks submission)")
    WARNING = "warning", _("Warning (needs a comment)")


class Operator(models.TextChoices):
    LE = "<=", "≤"
    LT = "<", "<"
    GE = ">=", "≥"
    GT = ">", ">"
    EQ = "==", "="


class ValidationRule(TimeStampedModel):
    """A check across figures of a return: `left op right` (right: another indicator, optionally
    times a factor, or a constant), or an outlier test of one figure against the same unit's
    earlier periods (more than `factor` times, or less than 1/`factor` of, their median)."""

    template = models.ForeignKey(
        ReturnTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="rules"
    )
    code = models.SlugField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    left = models.ForeignKey(
        Indicator, verbose_name=_("figure"), on_delete=models.PROTECT, related_name="+"
    )
    operator = models.CharField(_("operator"), max_length=2, choices=Operator.choices, blank=True)
    right = models.ForeignKey(
        Indicator,
        verbose_name=_("compared with"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    constant = models.DecimalField(
        _("constant"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    factor = models.DecimalField(_("factor"), max_digits=8, decimal_places=4, default=1)
    message_zh = models.CharField(_("message (Chinese)"), max_length=300)
    message_en = models.CharField(_("message (English)"), max_length=300)

    class Meta:
        ordering = ["template", "code"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="performance_rule_code")
        ]
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")

    def __str__(self) -> str:
        return f"{self.template} · {self.code}"

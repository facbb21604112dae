"""Form definitions as data: a definition, its numbered versions and the fields of each version.

Answers are stored by the apps that collect them (an assessment keeps a foreign key to the
`FormVersion` it was answered on); a published version's `schema` is frozen, so old answers keep
the exact questions they answered.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from socialdesk.core.models import BilingualNamed, TimeStampedModel, VersionedModel

FIELD_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,59}$"
field_key_validator = RegexValidator(
    FIELD_KEY_PATTERN,
    _("Use 1–60 lower-case letters, digits and underscores, starting with a letter."),
)


def pick_language(zh: str, en: str) -> str:
    """The Chinese or English text by the active language, falling back to the other one."""
    language = (get_language() or settings.LANGUAGE_CODE).lower()
    if language.startswith("en"):
        return en or zh
    return zh or en


class FormPurpose(models.TextChoices):
    INTAKE = "intake", _("Intake")
    ASSESSMENT = "assessment", _("Assessment")
    SCREENING = "screening", _("Screening")
    STATISTICAL_RETURN = "statistical_return", _("Statistical return")
    OTHER = "other", _("Other")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class FieldType(models.TextChoices):
    TEXT = "text", _("Short text")
    TEXTAREA = "textarea", _("Long text")
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes / no")
    CHOICE = "choice", _("One choice")
    MULTICHOICE = "multichoice", _("Multiple choices")
    SCALE = "scale", _("Rating scale")


class FormDefinition(BilingualNamed, VersionedModel):
    """A form (intake, assessment, screening, statistical return) identified by its code."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    purpose = models.CharField(_("purpose"), max_length=30, choices=FormPurpose.choices)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive forms are not offered for new answers; old answers stay readable."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("form definition")
        verbose_name_plural = _("form definitions")

    @property
    def description(self) -> str:
        return pick_language(self.description_zh, self.description_en)


class FormVersion(TimeStampedModel):
    """One numbered version of a form: a draft being edited, or a published, frozen schema."""

    definition = models.ForeignKey(
        FormDefinition,
        verbose_name=_("form definition"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version number"))
    status = models.CharField(
        _("status"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    schema = models.JSONField(
        _("frozen fields"),
        default=list,
        blank=True,
        help_text=_("The fields as published; answers on this version are read against it."),
    )
    scoring = models.JSONField(
        _("scoring rules"),
        default=dict,
        blank=True,
        help_text=_("Optional totals over numeric and choice fields, with bands."),
    )

    class Meta:
        ordering = ["definition__code", "-number"]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "number"], name="forms_version_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition.code} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class FormField(models.Model):
    """One question of a form version: type, bilingual label and help, limits, skip condition."""

    version = models.ForeignKey(
        FormVersion,
        verbose_name=_("form version"),
        on_delete=models.CASCADE,
        related_name="fields",
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    key = models.SlugField(
        _("key"), max_length=60, db_index=False, validators=[field_key_validator]
    )
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    label_zh = models.CharField(_("label (Chinese)"), max_length=300)
    label_en = models.CharField(_("label (English)"), max_length=300)
    help_zh = models.TextField(_("help text (Chinese)"), blank=True)
    help_en = models.TextField(_("help text (English)"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    min_value = models.DecimalField(
        _("minimum"), max_digits=21, decimal_places=6, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=21, decimal_places=6, null=True, blank=True
    )
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_('A list of {"value", "label_zh", "label_en", "score"} items.'),
    )
    show_if = models.JSONField(
        _("show only if"),
        null=True,
        blank=True,
        help_text=_('A condition on an earlier field: {"field", "op", "value"}.'),
    )
    section_zh = models.CharField(_("section (Chinese)"), max_length=200, blank=True)
    section_en = models.CharField(_("section (English)"), max_length=200, blank=True)

    class Meta:
        ordering = ["version", "order", "pk"]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="forms_field_unique_key"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def label(self) -> str:
        return pick_language(self.label_zh, self.label_en)

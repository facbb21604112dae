"""Service users (服務使用者), their households, key contacts, other names and consents."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from socialdesk.core.crypto import EncryptedTextField
from socialdesk.core.models import District, TimeStampedModel, VersionedModel


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    UNKNOWN = "U", _("Not stated")


class Language(models.TextChoices):
    CANTONESE = "yue", _("Cantonese")
    MANDARIN = "cmn", _("Mandarin")
    ENGLISH = "en", _("English")
    OTHER_CHINESE = "zh_other", _("Other Chinese dialect")
    URDU = "ur", _("Urdu")
    HINDI = "hi", _("Hindi")
    NEPALI = "ne", _("Nepali")
    TAGALOG = "tl", _("Tagalog")
    BAHASA_INDONESIA = "id", _("Bahasa Indonesia")
    OTHER = "other", _("Other language")


class ServiceUserFlag(models.TextChoices):
    """Alerts every worker should see first when opening the person."""

    RISK = "risk", _("Risk to self or others")
    LANGUAGE_NEED = "language_need", _("Needs an interpreter")
    DISABILITY = "disability", _("Disability")
    CHILD_PROTECTION = "child_protection", _("Child protection concern")
    DOMESTIC_VIOLENCE = "domestic_violence", _("Domestic violence concern")
    ELDER_ABUSE = "elder_abuse", _("Elder abuse concern")
    HOSTILE = "hostile", _("Safety alert for staff visits")


class ServiceUser(VersionedModel):
    """A person served by one or more units; one record per person across the system."""

    name_zh = models.CharField(_("Chinese name"), max_length=50, blank=True)
    name_en = models.CharField(
        _("English name"), max_length=120, blank=True, help_text=_("As on the identity card.")
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    date_of_birth_estimated = models.BooleanField(
        _("date of birth estimated"),
        default=False,
        help_text=_("Only the age was known; the date of birth was worked out from it."),
    )
    hkid = EncryptedTextField(_("HKID number"), blank=True)
    hkid_hash = models.CharField(_("HKID lookup hash"), max_length=64, blank=True, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_alt = models.CharField(_("other phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    language = models.CharField(
        _("preferred language"), max_length=10, choices=Language.choices, default=Language.CANTONESE
    )
    flags = models.JSONField(_("flags"), default=list, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    registered_unit = models.ForeignKey(
        "core.ServiceUnit",
        verbose_name=_("registered in unit"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        related_name="merged_records",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("service user")
        verbose_name_plural = _("service users")
        indexes = [models.Index(fields=["hkid_hash"], name="serviceuser_hkid_hash")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def reference(self) -> str:
        """The person's number as staff quote it (P0001234)."""
        return f"P{self.pk:07d}" if self.pk else ""

    @property
    def display_name(self) -> str:
        if self.name_zh and self.name_en:
            return f"{self.name_zh} {self.name_en}"
        return self.name_zh or self.name_en or self.reference

    def age_on(self, day: date) -> int | None:
        born = self.date_of_birth
        if born is None:
            return None
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def flag_labels(self) -> list[str]:
        labels = dict(ServiceUserFlag.choices)
        return [str(labels[f]) for f in self.flags if f in labels]

    def get_additional_data(self) -> dict[str, Any] | None:
        """auditlog hook: the organisation that registered the person (its privacy officer sees
        the entry); entries also carry the person so "who has seen this person" finds them."""
        data: dict[str, Any] = {"service_user": self.pk}
        if self.registered_unit is not None:
            data["organisation"] = self.registered_unit.organisation_id
        return data


class ServiceUserAlias(TimeStampedModel):
    """Another name the person is known by (other spelling, former name, a merged record's)."""

    person = models.ForeignKey(
        ServiceUser,
        verbose_name=_("service user"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )
    name_zh = models.CharField(_("Chinese name"), max_length=50, blank=True)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("other name")
        verbose_name_plural = _("other names")

    def __str__(self) -> str:
        return " ".join(n for n in (self.name_zh, self.name_en) if n)

    def get_additional_data(self) -> dict[str, Any]:
        return {"service_user": self.person_id}


class Relationship(models.TextChoices):
    SPOUSE = "spouse", _("Spouse or partner")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    GRANDPARENT = "grandparent", _("Grandparent")
    GRANDCHILD = "grandchild", _("Grandchild")
    RELATIVE = "relative", _("Other relative")
    CARER = "carer", _("Carer")
    DOMESTIC_HELPER = "domestic_helper", _("Domestic helper")
    GUARDIAN = "guardian", _("Guardian")
    FRIEND = "friend", _("Friend or neighbour")
    OTHER = "other", _("Other")


class HouseholdMember(TimeStampedModel):
    """Someone the person lives with or is family to; may be a registered service user."""

    person = models.ForeignKey(
        ServiceUser,
        verbose_name=_("service user"),
        on_delete=models.CASCADE,
        related_name="household",
    )
    related_person = models.ForeignKey(
        ServiceUser,
        verbose_name=_("registered as"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=120)
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    lives_together = models.BooleanField(_("lives in the same household"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("household member")
        verbose_name_plural = _("household members")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relationship_display()})"

    def get_additional_data(self) -> dict[str, Any]:
        return {"service_user": self.person_id}


class KeyContact(TimeStampedModel):
    """A person or professional to contact about the service user (emergency contact, doctor…)."""

    person = models.ForeignKey(
        ServiceUser,
        verbose_name=_("service user"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=120)
    relationship = models.CharField(_("relationship or role"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    is_emergency_contact = models.BooleanField(_("emergency contact"), default=False)

    class Meta:
        ordering = ["-is_emergency_contact", "pk"]
        verbose_name = _("key contact")
        verbose_name_plural = _("key contacts")

    def __str__(self) -> str:
        return self.name

    def get_additional_data(self) -> dict[str, Any]:
        return {"service_user": self.person_id}


class ConsentPurpose(models.TextChoices):
    REFERRAL = "referral", _("Referral to another service")
    INFORMATION_SHARING = "information_sharing", _("Sharing information with other services")
    SERVICE = "service", _("Receiving the service and keeping records")
    RESEARCH = "research", _("Anonymised research and statistics")


class Consent(VersionedModel):
    """The person's recorded consent to use or share their data for one purpose (PDPO DPP3)."""

    person = models.ForeignKey(
        ServiceUser,
        verbose_name=_("service user"),
        on_delete=models.CASCADE,
        related_name="consents",
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=ConsentPurpose.choices)
    scope = models.CharField(
        _("scope"),
        max_length=300,
        help_text=_("What may be shared and with whom, in the words explained to the person."),
    )
    recipient_organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("recipient organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Leave empty when the consent covers any service the person is referred to."),
    )
    given_by = models.CharField(
        _("given by"),
        max_length=120,
        help_text=_("The person themself, or the name and role of a parent or guardian."),
    )
    given_on = models.DateField(_("given on"))
    evidence = models.CharField(
        _("evidence"),
        max_length=200,
        help_text=_("E.g. signed form filed, verbal consent witnessed by a colleague."),
    )
    evidence_file = models.ForeignKey(
        "cases.Attachment",
        verbose_name=_("evidence file"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_note = models.CharField(_("withdrawal note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-given_on", "-pk"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.given_on:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None

    def covers(self, *, purpose: str, organisation_id: int | None) -> bool:
        """Whether this consent allows `purpose` towards `organisation_id`."""
        if not self.is_active or self.purpose != purpose:
            return False
        return self.recipient_organisation_id in (None, organisation_id)

    def get_additional_data(self) -> dict[str, Any]:
        return {"service_user": self.person_id}

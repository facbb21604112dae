"""factory_boy factories for case records: people, intakes, cases, notes, plans, consents,
referrals, work items and break-the-glass accesses. They write rows directly (no policy checks,
no audit reads); tests of a service call the service itself."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import factory
from django.utils import timezone

from socialdesk.cases.models import (
    BreakGlassAccess,
    Case,
    CaseNote,
    CasePlan,
    CaseWorker,
    Consent,
    ConsentPurpose,
    Intake,
    IntakeSource,
    IntakeStatus,
    NoteKind,
    Referral,
    ServiceUser,
    Team,
    WorkItem,
    WorkItemKind,
)
from socialdesk.core.crypto import lookup_hash
from socialdesk.textsearch.identifiers import hkid_check_digit


def valid_hkid(body: str) -> str:
    """A canonical HKID with the right check digit for `body` ("A123456" → "A1234563")."""
    return body + hkid_check_digit(body)


# Names made from these do not repeat (see _name_parts) and avoid the names the tests register
# (陳大文 CHAN TAI MAN…), so factory-made people are not taken for duplicates of them.
_SURNAMES = "趙錢孫李周吳鄭王馮褚衞蔣沈韓楊朱秦尤許何呂施張孔曹嚴華金魏陶"
_GIVEN = "春夏秋冬梅蘭竹菊松柏山河星月雲雪晴朗寧靜安康德仁"
_SURNAMES_EN = (
    "CHEUNG LAU LAM NG LEUNG TSANG YEUNG KWOK TANG FUNG MAK CHOW TSUI KO YIP LO KAM SHEK POON "
    "LUI SO TAM CHU YU CHOI LUK KONG TO FAN SIN"
).split()
_GIVEN_EN = (
    "KA WING FAI KIN YAN CHUN HUNG KWAN YIU SHING TING PUI SUK WAI CHI HOI KEUNG NGA LOK HEI "
    "BING CHEUK TSZ YAU"
).split()


def _name_parts(n: int) -> tuple[int, int, int]:
    """Surname and given-name indexes of the n-th person: the first 2,880 people differ."""
    return n % 30, n % 24, (n // 24 + 1 + n) % 24


def _name_zh(n: int) -> str:
    surname, first, second = _name_parts(n)
    return _SURNAMES[surname] + _GIVEN[first] + _GIVEN[second]


def _name_en(n: int) -> str:
    surname, first, second = _name_parts(n)
    return f"{_SURNAMES_EN[surname]} {_GIVEN_EN[first]} {_GIVEN_EN[second]}"


class ServiceUserFactory(factory.django.DjangoModelFactory):
    """A registered person with their search keys built (`index=False` to skip the keys)."""

    class Meta:
        model = ServiceUser
        skip_postgeneration_save = True

    name_zh = factory.Sequence(_name_zh)
    name_en = factory.Sequence(_name_en)
    sex = "F"
    date_of_birth = factory.Sequence(
        lambda n: date(1940, 1, 1) + timedelta(days=(97 * n) % 25_000)  # born 1940–2008
    )
    phone = factory.Sequence(lambda n: f"6{n % 10000000:07d}")
    hkid = ""
    hkid_hash = factory.LazyAttribute(lambda o: lookup_hash(o.hkid) if o.hkid else "")

    @factory.post_generation
    def index(obj: ServiceUser, create: bool, extracted: Any, **kwargs: Any) -> None:  # type: ignore[misc]
        if create and extracted is not False:
            from socialdesk.cases.services.search import search_keys_rebuild

            search_keys_rebuild(obj)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name_zh = factory.Sequence(lambda n: f"小組{n}")
    name_en = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(obj: Team, create: bool, extracted: Any, **kwargs: Any) -> None:  # type: ignore[misc]
        if create and extracted:
            obj.members.add(*extracted)


class IntakeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intake

    person = factory.SubFactory(ServiceUserFactory)
    source = IntakeSource.WALK_IN
    status = IntakeStatus.PENDING
    presenting_problem = "Needs support at home."
    created_by = factory.SelfAttribute("assigned_worker")


class CaseFactory(factory.django.DjangoModelFactory):
    """An open case; `workers=[user, …]` assigns them, the first one responsible."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"T-2000-{n:06d}")
    person = factory.SubFactory(ServiceUserFactory)
    opened_on = factory.LazyFunction(timezone.localdate)

    @factory.post_generation
    def workers(obj: Case, create: bool, extracted: Any, **kwargs: Any) -> None:  # type: ignore[misc]
        for i, user in enumerate(extracted or ()):
            CaseWorker.objects.create(case=obj, user=user, is_primary=i == 0)


class CaseNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseNote

    kind = NoteKind.HOME_VISIT
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    body = "Visited at home; the family is coping."


class CasePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CasePlan

    summary = "Support the carer."
    review_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=90))


class ConsentFactory(factory.django.DjangoModelFactory):
    """An active consent to referral to any organisation."""

    class Meta:
        model = Consent

    purpose = ConsentPurpose.REFERRAL
    scope = "Name, contact details and the reason for referral, to the receiving service."
    given_by = "The person themself"
    given_on = factory.LazyFunction(timezone.localdate)
    evidence = "Signed consent form filed"


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    reference = factory.Sequence(lambda n: f"T-R-{n:06d}")
    reason = "Needs carer support."
    shared_data = factory.LazyAttribute(
        lambda o: {"name_zh": o.person.name_zh, "name_en": o.person.name_en} if o.person else {}
    )


class WorkItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkItem

    kind = WorkItemKind.FOLLOW_UP
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


class BreakGlassAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BreakGlassAccess

    reason = "Urgent: the person is at the hospital emergency room."
    granted_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))

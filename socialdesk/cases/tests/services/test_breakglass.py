"""Break-the-glass: emergency access outside need-to-know (services/breakglass.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.cases import selectors
from socialdesk.cases.models import BreakGlassAccess, Case, ServiceUser
from socialdesk.cases.services.breakglass import (
    MAX_MINUTES,
    break_glass_end,
    break_glass_find,
    break_glass_open,
    break_glass_review,
)
from socialdesk.core.access import Action, policy_for
from socialdesk.core.crypto import lookup_hash
from socialdesk.core.models import Notification, Role
from socialdesk.core.tests.world import World

from ..factories import BreakGlassAccessFactory, CaseFactory, ServiceUserFactory, valid_hkid

REASON = "Found unconscious at home; hospital asks for the emergency contact."


@pytest.fixture
def person(open_case: Case) -> ServiceUser:
    """A person of NGO A (the worker's open case in unit_a)."""
    ServiceUser.objects.filter(pk=open_case.person_id).update(registered_unit=open_case.unit)
    open_case.person.refresh_from_db()
    return open_case.person


def open_glass(user: User, person: ServiceUser, minutes: int = 60) -> BreakGlassAccess:
    return break_glass_open(user=user, person=person, reason=REASON, minutes=minutes)


def test_without_break_the_glass_a_worker_of_another_agency_cannot_open_the_person(
    staff_b: User, person: ServiceUser, open_case: Case
) -> None:
    with pytest.raises(Http404):
        selectors.person_get_for(user=staff_b, person_id=person.pk)
    with pytest.raises(Http404):
        selectors.case_get_for(user=staff_b, case_id=open_case.pk)


def test_break_the_glass_gives_read_access_to_the_person_and_their_cases(
    staff_b: User, person: ServiceUser, open_case: Case
) -> None:
    access = open_glass(staff_b, person)

    assert access.is_active
    assert access.expires_at - access.granted_at == timedelta(minutes=60)
    assert selectors.person_get_for(user=staff_b, person_id=person.pk) == person
    assert selectors.case_get_for(user=staff_b, case_id=open_case.pk) == open_case
    assert not policy_for(Case).allows(staff_b, open_case, Action.CHANGE)


def test_break_the_glass_needs_a_reason_of_ten_characters(
    staff_b: User, person: ServiceUser
) -> None:
    for reason in ("", "urgent", "   123456789   "):
        with pytest.raises(ValidationError) as error:
            break_glass_open(user=staff_b, person=person, reason=reason)
        assert "reason" in error.value.message_dict
    assert not BreakGlassAccess.objects.exists()

    access = break_glass_open(user=staff_b, person=person, reason=" 1234567890 ")
    assert access.reason == "1234567890"


@pytest.mark.parametrize("minutes", [0, 4, MAX_MINUTES + 1])
def test_break_the_glass_is_time_limited(staff_b: User, person: ServiceUser, minutes: int) -> None:
    with pytest.raises(ValidationError) as error:
        open_glass(staff_b, person, minutes=minutes)

    assert "minutes" in error.value.message_dict


def test_expired_break_the_glass_gives_no_access(staff_b: User, person: ServiceUser) -> None:
    access = open_glass(staff_b, person)
    BreakGlassAccess.objects.filter(pk=access.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    with pytest.raises(Http404):
        selectors.person_get_for(user=staff_b, person_id=person.pk)
    access.refresh_from_db()
    assert not access.is_active


def test_ended_break_the_glass_gives_no_access(staff_b: User, person: ServiceUser) -> None:
    access = open_glass(staff_b, person)

    ended = break_glass_end(user=staff_b, access_id=access.pk)

    assert ended.ended_at is not None and not ended.is_active
    with pytest.raises(Http404):
        selectors.person_get_for(user=staff_b, person_id=person.pk)


def test_only_the_holder_ends_their_access(
    world: World, staff_b: User, person: ServiceUser
) -> None:
    access = open_glass(staff_b, person)

    with pytest.raises(Http404):
        break_glass_end(user=world.roles[Role.FRONTLINE_WORKER], access_id=access.pk)
    with pytest.raises(PermissionDenied):
        break_glass_end(user=world.privacy_b, access_id=access.pk)


def test_break_the_glass_gives_access_to_that_person_only(
    staff_b: User, person: ServiceUser, worker: User, world: World
) -> None:
    other = CaseFactory(unit=world.unit_a, opened_by=worker, workers=[worker]).person

    open_glass(staff_b, person)

    with pytest.raises(Http404):
        selectors.person_get_for(user=staff_b, person_id=other.pk)


def test_break_the_glass_alerts_the_privacy_officers_of_the_users_organisation(
    world: World, staff_b: User, privacy: User, person: ServiceUser
) -> None:
    access = open_glass(staff_b, person)

    [alert] = Notification.objects.filter(recipient=world.privacy_b)
    assert alert.kind == "break_glass" and REASON in alert.body
    assert alert.link.endswith(f"/{access.pk}/")
    assert not Notification.objects.filter(recipient=privacy).exists()


@pytest.mark.parametrize(
    "role",
    [
        Role.AGENCY_ADMIN,
        Role.AGENCY_FINANCE,
        Role.PRIVACY_OFFICER,
        Role.SWD_SUBVENTIONS,
        Role.SYSTEM_ADMIN,
    ],
)
def test_only_caseworkers_may_break_the_glass(world: World, person: ServiceUser, role: str) -> None:
    with pytest.raises(PermissionDenied):
        open_glass(world.roles[role], person)


def test_break_the_glass_and_the_reads_under_it_are_audited(
    staff_b: User, person: ServiceUser
) -> None:
    access = open_glass(staff_b, person)
    selectors.person_get_for(user=staff_b, person_id=person.pk)

    created = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(BreakGlassAccess),
        object_pk=str(access.pk),
        action=LogEntry.Action.CREATE,
    )
    assert created.additional_data["break_glass"] is True
    assert created.additional_data["service_user"] == person.pk
    read = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(ServiceUser),
        object_pk=str(person.pk),
        action=LogEntry.Action.ACCESS,
    )
    assert read.actor == staff_b


def test_break_the_glass_finds_a_person_by_exact_hkid_only(staff_b: User) -> None:
    hkid = valid_hkid("K654321")
    person = ServiceUserFactory(hkid=hkid)

    assert break_glass_find(hkid=f"{hkid[:-1].lower()} ({hkid[-1]})") == person
    assert break_glass_find(hkid=valid_hkid("K654322")) is None
    with pytest.raises(ValidationError):
        break_glass_find(hkid=hkid[:-1] + ("0" if hkid[-1] != "0" else "1"))
    ServiceUser.objects.filter(pk=person.pk).update(merged_into=ServiceUserFactory())
    assert break_glass_find(hkid=hkid) is None
    assert lookup_hash(hkid) == person.hkid_hash


def test_privacy_officer_of_the_users_organisation_reviews_the_access(
    world: World, staff_b: User, privacy: User, person: ServiceUser
) -> None:
    access = open_glass(staff_b, person)

    with pytest.raises(Http404):
        break_glass_review(user=privacy, access_id=access.pk, note="Checked")
    with pytest.raises(PermissionDenied):
        break_glass_review(user=staff_b, access_id=access.pk, note="Fine by me")
    with pytest.raises(ValidationError):
        break_glass_review(user=world.privacy_b, access_id=access.pk, note=" ")
    reviewed = break_glass_review(
        user=world.privacy_b, access_id=access.pk, note="Confirmed with the hospital."
    )

    assert reviewed.reviewed_by == world.privacy_b and reviewed.reviewed_at is not None


def test_break_the_glass_list_shows_ones_own_and_to_privacy_officers_their_staffs(
    world: World, worker: User, staff_b: User, privacy: User, person: ServiceUser
) -> None:
    by_b = open_glass(staff_b, person)
    by_a = BreakGlassAccessFactory(user=worker, person=ServiceUserFactory())

    assert list(selectors.break_glass_list_for(user=staff_b)) == [by_b]
    assert list(selectors.break_glass_list_for(user=world.privacy_b)) == [by_b]
    assert list(selectors.break_glass_list_for(user=privacy)) == [by_a]
    assert list(selectors.break_glass_list_for(user=world.roles[Role.AGENCY_ADMIN])) == []

"""Referrals and transfers between units, and e-referrals from outside (services/referrals.py)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.cases import selectors
from socialdesk.cases.models import (
    Case,
    CaseStatus,
    ConsentPurpose,
    Intake,
    IntakeSource,
    Referral,
    ReferralChannel,
    ReferralKind,
    ReferralStatus,
    ServiceUser,
    Urgency,
    WorkItem,
    WorkItemKind,
)
from socialdesk.cases.services.people import consent_withdraw
from socialdesk.cases.services.referrals import (
    ereferral_status,
    ereferral_submit,
    referral_accept,
    referral_decline,
    referral_send,
    referral_withdraw,
)
from socialdesk.core.crypto import decrypt, lookup_hash
from socialdesk.core.models import Notification
from socialdesk.core.tests.world import World

from ..factories import ConsentFactory, IntakeFactory, ServiceUserFactory, valid_hkid


@pytest.fixture
def person(open_case: Case) -> ServiceUser:
    """The person of the worker's open case in unit_a."""
    return open_case.person


def send(user: User, person: ServiceUser, world: World, **kwargs: Any) -> Referral:
    return referral_send(
        user=user,
        person_id=person.pk,
        from_unit=kwargs.pop("from_unit", world.unit_a),
        to_unit_id=kwargs.pop("to_unit_id", world.unit_b.pk),
        reason=kwargs.pop("reason", "Needs day care for his mother."),
        **kwargs,
    )


@pytest.fixture
def referral(world: World, worker: User, person: ServiceUser) -> Referral:
    """A referral from the worker (unit_a) to unit_b, with consent to any organisation."""
    consent = ConsentFactory(person=person, recorded_by=worker)
    return send(worker, person, world, consent_id=consent.pk)


def accept(user: User, referral: Referral, **kwargs: Any) -> Any:
    referral.refresh_from_db()
    return referral_accept(
        user=user, referral_id=referral.pk, expected_version=referral.version, **kwargs
    )


# --- Consent ---


def test_referral_without_consent_or_override_is_refused(
    world: World, worker: User, person: ServiceUser
) -> None:
    with pytest.raises(ValidationError) as error:
        send(worker, person, world)

    assert "consent" in error.value.message_dict
    assert not Referral.objects.exists()


def test_consent_for_another_organisation_does_not_cover_the_referral(
    world: World, worker: User, person: ServiceUser
) -> None:
    consent = ConsentFactory(person=person, recorded_by=worker, recipient_organisation=world.swd)

    with pytest.raises(ValidationError) as error:
        send(worker, person, world, consent_id=consent.pk)

    assert "consent" in error.value.message_dict


def test_consent_for_another_purpose_does_not_cover_the_referral(
    world: World, worker: User, person: ServiceUser
) -> None:
    consent = ConsentFactory(person=person, recorded_by=worker, purpose=ConsentPurpose.SERVICE)

    with pytest.raises(ValidationError):
        send(worker, person, world, consent_id=consent.pk)


def test_consent_of_another_person_does_not_cover_the_referral(
    world: World, worker: User, person: ServiceUser
) -> None:
    consent = ConsentFactory(person=ServiceUserFactory(), recorded_by=worker)

    with pytest.raises(ValidationError):
        send(worker, person, world, consent_id=consent.pk)


def test_consent_to_the_receiving_organisation_covers_the_referral(
    world: World, worker: User, person: ServiceUser
) -> None:
    consent = ConsentFactory(person=person, recorded_by=worker, recipient_organisation=world.ngo_b)

    referral = send(worker, person, world, consent_id=consent.pk)

    assert referral.consent == consent and referral.consent_override_reason == ""


def test_withdrawn_consent_cannot_be_used(world: World, worker: User, person: ServiceUser) -> None:
    consent = ConsentFactory(person=person, recorded_by=worker)
    consent_withdraw(
        user=worker,
        consent_id=consent.pk,
        expected_version=consent.version,
        withdrawn_on=timezone.localdate(),
        note="Phoned to withdraw.",
    )

    with pytest.raises(ValidationError) as error:
        send(worker, person, world, consent_id=consent.pk)

    assert "consent" in error.value.message_dict


def test_referral_with_an_override_reason_is_sent_and_flagged_in_the_audit(
    world: World, worker: User, person: ServiceUser
) -> None:
    referral = send(
        worker, person, world, consent_override_reason="Risk to life: threatened suicide."
    )

    assert referral.consent is None
    assert referral.consent_override_reason == "Risk to life: threatened suicide."
    entry = LogEntry.objects.get(additional_data__consent_override=True)
    assert entry.actor == worker
    assert (entry.content_type.model, entry.object_pk) == ("referral", str(referral.pk))
    assert entry.additional_data["reason"] == "Risk to life: threatened suicide."
    assert entry.additional_data["service_user"] == person.pk


# --- Sending ---


def test_sent_referral_shares_a_snapshot_without_the_hkid(
    world: World, worker: User, open_case: Case
) -> None:
    person = open_case.person
    ServiceUser.objects.filter(pk=person.pk).update(
        hkid=valid_hkid("A123456"), hkid_hash=lookup_hash(valid_hkid("A123456"))
    )
    consent = ConsentFactory(person=person, recorded_by=worker)

    referral = send(worker, person, world, consent_id=consent.pk, urgency=Urgency.URGENT)

    assert referral.status == ReferralStatus.SENT and referral.from_user == worker
    assert referral.shared_data["name_zh"] == person.name_zh
    assert referral.shared_data["person_reference"] == person.reference
    assert "123456" not in json.dumps(referral.shared_data)
    assert referral.respond_by == timezone.localdate() + timedelta(days=1)


def test_sent_referral_waits_in_the_receiving_units_queue(
    world: World, staff_b: User, referral: Referral
) -> None:
    [item] = WorkItem.objects.filter(referral=referral)
    assert (item.kind, item.unit, item.assignee) == (
        WorkItemKind.REFERRAL_RESPONSE,
        world.unit_b,
        None,
    )
    assert Notification.objects.filter(recipient=staff_b, kind="referral_received").exists()


def test_receiving_unit_sees_the_referral_in_its_inbox_and_the_sender_in_the_outbox(
    world: World, worker: User, colleague: User, supervisor: User, staff_b: User, referral: Referral
) -> None:
    assert list(selectors.referral_inbox_for(user=staff_b)) == [referral]
    assert list(selectors.referral_inbox_for(user=worker)) == []
    assert list(selectors.referral_outbox_for(user=worker)) == [referral]
    assert list(selectors.referral_outbox_for(user=supervisor)) == [referral]
    assert list(selectors.referral_outbox_for(user=colleague)) == []
    assert list(selectors.referral_outbox_for(user=staff_b)) == []
    assert selectors.referral_get_for(user=staff_b, referral_id=referral.pk) == referral


def test_receiving_worker_does_not_see_the_person_before_accepting(
    staff_b: User, referral: Referral
) -> None:
    with pytest.raises(Http404):
        selectors.person_get_for(user=staff_b, person_id=referral.person_id)


def test_a_second_referral_to_the_same_unit_is_refused_while_one_waits(
    world: World, worker: User, referral: Referral
) -> None:
    with pytest.raises(ValidationError):
        send(worker, referral.person, world, consent_id=referral.consent_id)


def test_referral_from_a_unit_one_does_not_work_in_is_refused(
    world: World, worker: User, person: ServiceUser
) -> None:
    with pytest.raises(PermissionDenied):
        send(worker, person, world, from_unit=world.unit_b, to_unit_id=world.unit_swd.pk)


def test_referral_to_ones_own_unit_is_refused(
    world: World, worker: User, person: ServiceUser
) -> None:
    with pytest.raises(ValidationError) as error:
        send(worker, person, world, to_unit_id=world.unit_a.pk, consent_override_reason="x")
    assert "to_unit" in error.value.message_dict


def test_referral_of_a_person_one_may_not_see_is_not_found(
    world: World, colleague: User, person: ServiceUser
) -> None:
    with pytest.raises(Http404):
        send(colleague, person, world, consent_override_reason="Risk to life.")


# --- Answering ---


def test_accepting_opens_an_intake_in_the_receiving_unit(
    world: World, staff_b: User, referral: Referral
) -> None:
    intake = accept(staff_b, referral)

    assert isinstance(intake, Intake)
    assert (intake.person_id, intake.unit, intake.referral) == (
        referral.person_id,
        world.unit_b,
        referral,
    )
    assert intake.source == IntakeSource.REFERRAL and intake.assigned_worker == staff_b
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.decided_by == staff_b
    assert not WorkItem.objects.filter(referral=referral, done_at__isnull=True).exists()


def test_accepting_brings_the_person_into_the_receiving_workers_need_to_know(
    staff_b: User, referral: Referral
) -> None:
    accept(staff_b, referral)

    assert selectors.person_get_for(user=staff_b, person_id=referral.person_id) == referral.person


def test_accepting_notifies_the_referrer(worker: User, staff_b: User, referral: Referral) -> None:
    accept(staff_b, referral)

    [note] = Notification.objects.filter(recipient=worker, kind="referral_answered")
    assert referral.reference in note.title and note.link.endswith(f"/{referral.pk}/")


def test_the_sending_unit_cannot_accept_its_own_referral(
    supervisor: User, referral: Referral
) -> None:
    with pytest.raises(PermissionDenied):
        accept(supervisor, referral)


def test_declining_needs_a_reason_and_notifies_the_referrer(
    worker: User, staff_b: User, referral: Referral
) -> None:
    with pytest.raises(ValidationError) as error:
        referral_decline(user=staff_b, referral_id=referral.pk, expected_version=1, reason=" ")
    assert "decline_reason" in error.value.message_dict

    declined = referral_decline(
        user=staff_b, referral_id=referral.pk, expected_version=1, reason="Out of our district."
    )

    assert declined.status == ReferralStatus.DECLINED
    assert declined.decline_reason == "Out of our district."
    assert Notification.objects.filter(recipient=worker, kind="referral_answered").exists()
    with pytest.raises(Http404):
        selectors.person_get_for(user=staff_b, person_id=referral.person_id)
    with pytest.raises(ValidationError):
        accept(staff_b, referral)


def test_the_sender_withdraws_a_waiting_referral(
    worker: User, colleague: User, staff_b: User, referral: Referral
) -> None:
    with pytest.raises(Http404):  # a colleague does not see another worker's referrals
        referral_withdraw(user=colleague, referral_id=referral.pk, expected_version=1, reason="x")
    with pytest.raises(PermissionDenied):
        referral_withdraw(user=staff_b, referral_id=referral.pk, expected_version=1, reason="x")
    with pytest.raises(ValidationError):
        referral_withdraw(user=worker, referral_id=referral.pk, expected_version=1, reason=" ")

    withdrawn = referral_withdraw(
        user=worker, referral_id=referral.pk, expected_version=1, reason="Family moved."
    )

    assert withdrawn.status == ReferralStatus.WITHDRAWN
    assert not WorkItem.objects.filter(referral=referral, done_at__isnull=True).exists()
    with pytest.raises(ValidationError):
        accept(staff_b, referral)


def test_the_sending_supervisor_may_withdraw(supervisor: User, referral: Referral) -> None:
    withdrawn = referral_withdraw(
        user=supervisor, referral_id=referral.pk, expected_version=1, reason="Sent by mistake."
    )

    assert withdrawn.status == ReferralStatus.WITHDRAWN


def test_an_answered_referral_cannot_be_withdrawn(
    worker: User, staff_b: User, referral: Referral
) -> None:
    accept(staff_b, referral)
    referral.refresh_from_db()

    with pytest.raises(ValidationError):
        referral_withdraw(
            user=worker, referral_id=referral.pk, expected_version=referral.version, reason="x"
        )


# --- Transfers ---


@pytest.fixture
def transfer(world: World, worker: User, open_case: Case) -> Referral:
    consent = ConsentFactory(person=open_case.person, recorded_by=worker)
    return send(
        worker,
        open_case.person,
        world,
        consent_id=consent.pk,
        kind=ReferralKind.TRANSFER,
        case_id=open_case.pk,
    )


def test_transfer_moves_the_case_to_the_receiving_unit(
    world: World, staff_b: User, open_case: Case, transfer: Referral
) -> None:
    moved = accept(staff_b, transfer)

    assert isinstance(moved, Case) and moved.pk == open_case.pk
    assert moved.unit == world.unit_b and moved.status == CaseStatus.OPEN
    assert list(moved.workers.values_list("user", "is_primary")) == [(staff_b.pk, True)]
    assert selectors.case_get_for(user=staff_b, case_id=moved.pk) == moved
    transfer.refresh_from_db()
    assert transfer.status == ReferralStatus.ACCEPTED


def test_transfer_takes_the_case_out_of_the_old_units_need_to_know(
    worker: User, supervisor: User, staff_b: User, open_case: Case, transfer: Referral
) -> None:
    WorkItem.objects.create(
        kind=WorkItemKind.CASE_REVIEW,
        unit=open_case.unit,
        assignee=worker,
        case=open_case,
        due_on=timezone.localdate() + timedelta(days=30),
    )

    accept(staff_b, transfer)

    for user in (worker, supervisor):
        with pytest.raises(Http404):
            selectors.case_get_for(user=user, case_id=open_case.pk)
        with pytest.raises(Http404):
            selectors.person_get_for(user=user, person_id=open_case.person_id)
    assert not selectors.work_items_for(user=worker).filter(case=open_case).exists()
    [item] = selectors.work_items_for(user=staff_b).filter(case=open_case)
    assert item.unit_id == transfer.to_unit_id


def test_transfer_needs_an_open_case(world: World, worker: User, open_case: Case) -> None:
    Case.objects.filter(pk=open_case.pk).update(status=CaseStatus.CLOSURE_PENDING)

    with pytest.raises(ValidationError):
        send(
            worker,
            open_case.person,
            world,
            consent_override_reason="Moving to Sha Tin.",
            kind=ReferralKind.TRANSFER,
            case_id=open_case.pk,
        )


def test_transfer_of_another_persons_case_is_refused(
    world: World, worker: User, open_case: Case
) -> None:
    other = IntakeFactory(unit=world.unit_a, assigned_worker=worker).person

    with pytest.raises(ValidationError):
        send(
            worker,
            other,
            world,
            consent_override_reason="Moving to Sha Tin.",
            kind=ReferralKind.TRANSFER,
            case_id=open_case.pk,
        )


# --- E-referrals ---


REFERRER = {"organisation": "Kwong Wah Hospital", "name": "Ms Ho", "email": "ho@example.invalid"}


def submit(world: World, person: dict[str, Any], **kwargs: Any) -> tuple[Referral, str]:
    return ereferral_submit(
        to_unit_id=kwargs.pop("to_unit_id", world.unit_a.pk),
        channel=kwargs.pop("channel", ReferralChannel.API),
        person=person,
        reason=kwargs.pop("reason", "Discharged; lives alone; needs home care."),
        referrer=kwargs.pop("referrer", REFERRER),
        consent_evidence=kwargs.pop("consent_evidence", "Signed hospital consent form"),
        **kwargs,
    )


HO = {"name_zh": "何美華", "name_en": "HO MEI WAH", "phone": "98765432", "hkid": "A123456(3)"}


def test_ereferral_never_stores_the_hkid_in_clear(world: World) -> None:
    referral, _secret = submit(world, HO)

    stored = Referral.objects.get(pk=referral.pk).shared_data
    text = json.dumps(stored)
    assert "A1234563" not in text and "123456(3)" not in text
    assert decrypt(stored["hkid_encrypted"]) == "A1234563"
    assert stored["hkid_hash"] == lookup_hash("A1234563")
    assert stored["hkid_masked"] == "A123***(*)"
    assert referral.channel == ReferralChannel.API and referral.from_user is None
    for entry in LogEntry.objects.all():
        assert "A1234563" not in json.dumps([entry.changes, entry.additional_data])


def test_ereferral_with_an_exact_hkid_match_is_linked_to_the_person(world: World) -> None:
    known = ServiceUserFactory(name_zh="何美華", hkid="A1234563")

    referral, _secret = submit(world, {**HO, "name_zh": "何美花"})

    assert referral.person == known


def test_ereferral_without_an_exact_match_lists_the_candidates(world: World) -> None:
    known = ServiceUserFactory(name_zh="何美華", name_en="HO MEI WAH", phone="98765432")

    referral, _secret = submit(world, {k: v for k, v in HO.items() if k != "hkid"})

    assert referral.person is None
    assert [m["person_id"] for m in referral.shared_data["match"]] == [known.pk]


def test_ereferral_status_needs_the_right_secret(world: World) -> None:
    referral, secret = submit(world, HO)

    assert secret and ereferral_status(reference=referral.reference, secret=secret) == referral
    assert ereferral_status(reference=referral.reference.lower(), secret=f" {secret} ") == referral
    assert ereferral_status(reference=referral.reference, secret=secret + "x") is None
    assert ereferral_status(reference="R-1999-000001", secret=secret) is None


def test_ereferral_with_the_same_idempotency_key_returns_the_first_referral(world: World) -> None:
    first, secret = submit(world, HO, idempotency_key="hosp-42")

    again, again_secret = submit(world, HO, idempotency_key="hosp-42")

    assert again == first and again_secret == ""
    assert Referral.objects.count() == 1
    assert ereferral_status(reference=first.reference, secret=secret) == first


def test_ereferral_is_validated(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        submit(
            world,
            {"name_zh": "何美華", "hkid": "A123456(4)"},
            consent_evidence=" ",
            referrer={"name": "", "organisation": ""},
            reason="",
        )

    assert {
        "hkid",
        "consent_evidence",
        "referrer_organisation",
        "referrer_name",
        "referrer_phone",
        "reason",
    } <= set(error.value.message_dict)


def test_public_application_needs_no_organisation_or_consent_evidence(world: World) -> None:
    referral, _secret = submit(
        world,
        {"name_zh": "何美華"},
        channel=ReferralChannel.PUBLIC_APPLICATION,
        consent_evidence="",
        referrer={"name": "何美華", "phone": "98765432"},
    )

    assert referral.status == ReferralStatus.SENT


def test_ereferral_arrives_in_the_units_inbox(world: World, worker: User, supervisor: User) -> None:
    referral, _secret = submit(world, HO)

    assert list(selectors.referral_inbox_for(user=worker)) == [referral]
    assert Notification.objects.filter(recipient=supervisor, kind="referral_received").exists()


def test_accepting_an_ereferral_registers_a_new_person_with_the_hkid(
    world: World, worker: User
) -> None:
    referral, _secret = submit(world, HO)

    intake = accept(worker, referral, register_new=True)

    person = intake.person
    assert (person.name_zh, person.hkid, person.phone) == ("何美華", "A1234563", "98765432")
    assert intake.source == IntakeSource.E_REFERRAL and intake.referral == referral
    assert Intake.objects.filter(person=person).count() == 1
    referral.refresh_from_db()
    assert referral.person == person


def test_accepting_an_ereferral_links_a_listed_candidate(world: World, worker: User) -> None:
    known = ServiceUserFactory(name_zh="何美華", name_en="HO MEI WAH", phone="98765432")
    referral, _secret = submit(world, {k: v for k, v in HO.items() if k != "hkid"})
    stranger = ServiceUserFactory()

    with pytest.raises(ValidationError):
        accept(worker, referral, person_id=stranger.pk)
    with pytest.raises(ValidationError):
        accept(worker, referral)
    intake = accept(worker, referral, person_id=known.pk)

    assert intake.person == known and intake.unit == world.unit_a
    assert selectors.person_get_for(user=worker, person_id=known.pk) == known

"""Registering, changing and merging service users (services/people.py)."""

from __future__ import annotations

import string
from datetime import date, timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialdesk.accounts.models import User
from socialdesk.cases.models import (
    Case,
    Consent,
    HouseholdMember,
    Intake,
    IntakeSource,
    IntakeStatus,
    KeyContact,
    Relationship,
    SearchKey,
    ServiceUser,
)
from socialdesk.cases.services.people import (
    PossibleDuplicate,
    clean_person_data,
    service_user_merge,
    service_user_register,
    service_user_update,
)
from socialdesk.cases.services.search import person_keys, search_people
from socialdesk.core.concurrency import ConflictError
from socialdesk.core.crypto import decrypt, lookup_hash
from socialdesk.core.models import Role, ServiceUnit
from socialdesk.core.tests.world import World
from socialdesk.textsearch.identifiers import hkid_check_digit

from ..factories import (
    CaseFactory,
    ConsentFactory,
    IntakeFactory,
    ServiceUserFactory,
    valid_hkid,
)

CHAN = {
    "name_zh": "陳大文",
    "name_en": "Chan  Tai Man",
    "sex": "M",
    "date_of_birth": date(1961, 5, 4),
    "phone": "+852 9123-4567",
    "hkid": "a123456(3)",
}


def register(
    user: User, unit: ServiceUnit, *, acknowledged: tuple[int, ...] | list[int] = (), **data: Any
) -> ServiceUser:
    return service_user_register(
        user=user,
        unit=unit,
        data=data,
        presenting_problem="Carer stress; asks for respite.",
        acknowledged=acknowledged,
    )


def _raw_row(person: ServiceUser) -> tuple[str, str]:
    table = ServiceUser._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT hkid, hkid_hash FROM {table} WHERE id = %s", [person.pk])  # noqa: S608
        return cursor.fetchone()  # type: ignore[return-value]


# --- Registration ---


def test_registration_stores_the_hkid_encrypted_with_its_lookup_hash(
    world: World, worker: User
) -> None:
    person = register(worker, world.unit_a, **CHAN)

    raw, stored_hash = _raw_row(person)
    assert raw and "A1234563" not in raw.upper() and "123456" not in raw
    assert decrypt(raw) == "A1234563"
    assert stored_hash == lookup_hash("A1234563")
    assert ServiceUser.objects.get(pk=person.pk).hkid == "A1234563"


def test_registration_normalises_names_and_phone(world: World, worker: User) -> None:
    person = register(worker, world.unit_a, **CHAN)

    assert (person.name_en, person.phone) == ("CHAN TAI MAN", "91234567")
    assert person.registered_by == worker and person.registered_unit == world.unit_a


def test_registration_keeps_the_hkid_out_of_the_audit_log(world: World, worker: User) -> None:
    register(worker, world.unit_a, **CHAN)

    for entry in LogEntry.objects.all():
        assert "A1234563" not in str(entry.changes) + str(entry.additional_data)


def test_registration_opens_a_pending_intake_assigned_to_the_registering_worker(
    world: World, worker: User
) -> None:
    person = register(worker, world.unit_a, **CHAN)

    intake = Intake.objects.get(person=person)
    assert intake.unit == world.unit_a
    assert intake.status == IntakeStatus.PENDING
    assert intake.source == IntakeSource.WALK_IN
    assert intake.assigned_worker == worker and intake.created_by == worker
    assert intake.presenting_problem == "Carer stress; asks for respite."


def test_registration_by_the_units_supervisor_is_allowed(world: World, supervisor: User) -> None:
    person = register(supervisor, world.unit_a, **CHAN)

    assert Intake.objects.get(person=person).assigned_worker == supervisor


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
def test_registration_by_staff_without_case_work_is_refused(world: World, role: str) -> None:
    with pytest.raises(PermissionDenied):
        register(world.roles[role], world.unit_a, **CHAN)
    assert not ServiceUser.objects.exists()


def test_registration_in_another_unit_is_refused(world: World, worker: User) -> None:
    with pytest.raises(PermissionDenied):
        register(worker, world.unit_b, **CHAN)
    with pytest.raises(PermissionDenied):
        register(world.staff_b, world.unit_a, **CHAN)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hkid", "A123456(4)"),  # wrong check digit
        ("hkid", "123456(3)"),  # no letter
        ("hkid", "A12345(3)"),  # five digits
        ("phone", "1234 5678"),  # no HK number starts with 1
        ("phone", "9123 456"),  # seven digits
        ("phone_alt", "+44 20 7946 0000"),
        ("date_of_birth", timezone.localdate() + timedelta(days=1)),
    ],
)
def test_registration_rejects_an_invalid_identity_field(
    world: World, worker: User, field: str, value: Any
) -> None:
    with pytest.raises(ValidationError) as error:
        register(worker, world.unit_a, **{**CHAN, field: value})

    assert field in error.value.message_dict
    assert not ServiceUser.objects.exists() and not Intake.objects.exists()


def test_registration_needs_a_chinese_or_english_name(world: World, worker: User) -> None:
    with pytest.raises(ValidationError) as error:
        register(worker, world.unit_a, **{**CHAN, "name_zh": " ", "name_en": ""})

    assert "name_zh" in error.value.message_dict


def test_registration_lists_every_invalid_field_at_once(world: World, worker: User) -> None:
    with pytest.raises(ValidationError) as error:
        register(worker, world.unit_a, **{**CHAN, "hkid": "A123456(4)", "phone": "12"})

    assert {"hkid", "phone"} <= set(error.value.message_dict)


_letters = st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=2)
_digits = st.text(alphabet=string.digits, min_size=6, max_size=6)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(letters=_letters, digits=_digits, check=st.sampled_from("0123456789A"))
def test_registration_rejects_any_hkid_with_a_wrong_check_digit(
    world: World, worker: User, letters: str, digits: str, check: str
) -> None:
    body = letters + digits
    if hkid_check_digit(body) == check:
        check = "A" if check == "0" else "0"
    typed = f"{body}({check})"

    with pytest.raises(ValidationError) as error:
        register(worker, world.unit_a, **{**CHAN, "hkid": typed})

    assert "hkid" in error.value.message_dict


@given(
    letters=_letters,
    digits=_digits,
    lower=st.booleans(),
    brackets=st.booleans(),
    spaces=st.booleans(),
)
def test_any_hkid_with_the_right_check_digit_is_accepted_in_canonical_form(
    letters: str, digits: str, lower: bool, brackets: bool, spaces: bool
) -> None:
    canonical = valid_hkid(letters + digits)
    typed = f"{canonical[:-1]}({canonical[-1]})" if brackets else canonical
    typed = typed.lower() if lower else typed
    typed = " ".join(typed) if spaces else typed

    cleaned = clean_person_data({"name_zh": "陳大文", "hkid": typed})

    assert cleaned["hkid"] == canonical


# --- Duplicates ---


@pytest.fixture
def chan(world: World, worker: User) -> ServiceUser:
    """陳大文 CHAN TAI MAN, registered in unit_a."""
    return register(worker, world.unit_a, **CHAN)


def _duplicate_reasons(error: pytest.ExceptionInfo[PossibleDuplicate], person_id: int) -> set[str]:
    found = {c.person_id: c for c in error.value.candidates}
    assert person_id in found, error.value.candidates
    return set(found[person_id].reasons)


def test_same_date_of_birth_and_similar_chinese_name_is_a_possible_duplicate(
    world: World, colleague: User, chan: ServiceUser
) -> None:
    near = {"name_zh": "陳大民", "date_of_birth": date(1961, 5, 4)}

    with pytest.raises(PossibleDuplicate) as error:
        register(colleague, world.unit_a, **near)

    assert _duplicate_reasons(error, chan.pk) == {"similar_zh_name", "same_dob"}
    assert ServiceUser.objects.count() == 1


def test_same_romanised_name_in_another_spelling_is_a_possible_duplicate(
    world: World, colleague: User, chan: ServiceUser
) -> None:
    near = {"name_en": "CHEN TAI MAN", "date_of_birth": date(1961, 5, 4)}

    with pytest.raises(PossibleDuplicate) as error:
        register(colleague, world.unit_a, **near)

    assert "en_name_variant" in _duplicate_reasons(error, chan.pk)


def test_same_phone_is_a_possible_duplicate(
    world: World, colleague: User, chan: ServiceUser
) -> None:
    near = {"name_en": "WONG SIU MING", "phone": "91234567", "date_of_birth": date(1961, 5, 4)}

    with pytest.raises(PossibleDuplicate) as error:
        register(colleague, world.unit_a, **near)

    assert "same_phone" in _duplicate_reasons(error, chan.pk)


def test_same_english_name_alone_is_a_possible_duplicate(
    world: World, colleague: User, chan: ServiceUser
) -> None:
    with pytest.raises(PossibleDuplicate) as error:
        register(colleague, world.unit_a, name_en="chan tai man")

    assert _duplicate_reasons(error, chan.pk) == {"same_en_name"}


def test_an_acknowledged_possible_duplicate_is_registered_as_a_new_person(
    world: World, colleague: User, chan: ServiceUser
) -> None:
    near = {"name_zh": "陳大民", "date_of_birth": date(1961, 5, 4)}

    person = register(colleague, world.unit_a, **near, acknowledged=[chan.pk])

    assert person.pk != chan.pk
    assert ServiceUser.objects.count() == 2


def test_acknowledging_one_candidate_does_not_cover_another(
    world: World, colleague: User, chan: ServiceUser
) -> None:
    other = ServiceUserFactory(name_zh="陳大民", date_of_birth=date(1961, 5, 4), phone="")
    near = {"name_zh": "陳大民", "date_of_birth": date(1961, 5, 4)}

    with pytest.raises(PossibleDuplicate):
        register(colleague, world.unit_a, **near, acknowledged=[chan.pk])
    person = register(colleague, world.unit_a, **near, acknowledged=[chan.pk, other.pk])

    assert person.pk not in (chan.pk, other.pk)


def test_an_unrelated_person_is_not_a_duplicate(
    world: World, colleague: User, chan: ServiceUser
) -> None:
    person = register(
        colleague,
        world.unit_a,
        name_zh="李美玲",
        name_en="LEE MEI LING",
        date_of_birth=date(1990, 1, 2),
        phone="23456789",
    )

    assert person.pk != chan.pk


def test_the_same_hkid_is_always_refused_even_when_acknowledged(
    world: World, colleague: User, staff_b: User, chan: ServiceUser
) -> None:
    other = {"name_zh": "黃小明", "hkid": "A1234563"}

    for user, unit in ((colleague, world.unit_a), (staff_b, world.unit_b)):
        with pytest.raises(ValidationError) as error:
            register(user, unit, **other, acknowledged=[chan.pk])
        assert "hkid" in error.value.message_dict
    assert ServiceUser.objects.count() == 1


def test_a_merged_record_is_not_offered_as_a_duplicate(
    world: World, supervisor: User, chan: ServiceUser
) -> None:
    target = register(
        supervisor, world.unit_a, name_zh="陳大文", name_en="CHAN TAI MAN", acknowledged=[chan.pk]
    )
    service_user_merge(user=supervisor, source_id=chan.pk, target_id=target.pk, reason="Same man")

    with pytest.raises(PossibleDuplicate) as error:
        register(supervisor, world.unit_a, name_zh="陳大文")

    assert [c.person_id for c in error.value.candidates] == [target.pk]


# --- Update ---


def test_update_from_a_stale_copy_is_refused(world: World, worker: User, chan: ServiceUser) -> None:
    service_user_update(
        user=worker, person_id=chan.pk, expected_version=chan.version, data={"address": "1 Road"}
    )

    with pytest.raises(ConflictError):
        service_user_update(
            user=worker,
            person_id=chan.pk,
            expected_version=chan.version,
            data={"address": "2 Road"},
        )
    chan.refresh_from_db()
    assert (chan.address, chan.version) == ("1 Road", 2)


def test_update_of_the_hkid_hashes_the_new_number(
    world: World, worker: User, chan: ServiceUser
) -> None:
    new = valid_hkid("B987654")

    person = service_user_update(
        user=worker, person_id=chan.pk, expected_version=chan.version, data={"hkid": new}
    )

    assert _raw_row(person)[1] == lookup_hash(new)
    assert decrypt(_raw_row(person)[0]) == new
    assert not SearchKey.objects.filter(person=chan, key__contains=lookup_hash("A1234563")).exists()


def test_update_to_another_records_hkid_is_refused(
    world: World, worker: User, chan: ServiceUser
) -> None:
    other = register(worker, world.unit_a, name_zh="黃小明", hkid=valid_hkid("B987654"))

    with pytest.raises(ValidationError) as error:
        service_user_update(
            user=worker, person_id=other.pk, expected_version=1, data={"hkid": "A123456(3)"}
        )

    assert "hkid" in error.value.message_dict


def test_update_validates_like_registration(world: World, worker: User, chan: ServiceUser) -> None:
    with pytest.raises(ValidationError) as error:
        service_user_update(
            user=worker, person_id=chan.pk, expected_version=1, data={"phone": "1234"}
        )

    assert "phone" in error.value.message_dict


def test_update_rebuilds_the_search_keys(world: World, worker: User, chan: ServiceUser) -> None:
    assert [h.person for h in search_people(user=worker, query="陳大文")] == [chan]

    person = service_user_update(
        user=worker,
        person_id=chan.pk,
        expected_version=chan.version,
        data={"name_zh": "黃大仙", "name_en": "WONG TAI SIN", "phone": "23456789"},
    )

    stored = set(SearchKey.objects.filter(person=person).values_list("key", flat=True))
    assert stored == person_keys(person)
    assert search_people(user=worker, query="陳大文") == []
    assert [h.person for h in search_people(user=worker, query="黃大仙")] == [person]
    assert [h.person for h in search_people(user=worker, query="2345 6789")] == [person]


def test_update_by_a_worker_of_another_unit_is_refused(
    world: World, staff_b: User, chan: ServiceUser
) -> None:
    with pytest.raises(Http404):
        service_user_update(user=staff_b, person_id=chan.pk, expected_version=1, data={})


def test_privacy_officer_cannot_update(world: World, privacy: User, chan: ServiceUser) -> None:
    with pytest.raises(PermissionDenied):
        service_user_update(user=privacy, person_id=chan.pk, expected_version=1, data={})


# --- Merge ---


@pytest.fixture
def pair(world: World, worker: User) -> tuple[ServiceUser, ServiceUser]:
    """Two records of one person in unit_a; the source has a case, consent, family, contacts."""
    source = ServiceUserFactory(
        name_zh="陳大文", name_en="CHAN TAI MAN", hkid=valid_hkid("A123456"), phone="91234567"
    )
    target = ServiceUserFactory(name_zh="陳大文", name_en="CHAN TAI-MAN", phone="", flags=["risk"])
    IntakeFactory(person=source, unit=world.unit_a, assigned_worker=worker)
    IntakeFactory(person=target, unit=world.unit_a, assigned_worker=worker)
    CaseFactory(person=source, unit=world.unit_a, opened_by=worker, workers=[worker])
    ConsentFactory(person=source, recorded_by=worker)
    HouseholdMember.objects.create(person=source, name="陳太", relationship=Relationship.SPOUSE)
    KeyContact.objects.create(person=source, name="Dr Lee", relationship="Family doctor")
    return source, target


def test_merge_moves_everything_to_the_target_and_keeps_the_source_marked(
    supervisor: User, pair: tuple[ServiceUser, ServiceUser]
) -> None:
    source, target = pair

    merged = service_user_merge(
        user=supervisor, source_id=source.pk, target_id=target.pk, reason="Registered twice."
    )

    assert merged.pk == target.pk
    assert Intake.objects.filter(person=target).count() == 2
    for model in (Intake, Case, Consent, HouseholdMember, KeyContact):
        assert not model.objects.filter(person=source).exists(), model
        assert model.objects.filter(person=target).exists(), model
    source.refresh_from_db()
    assert source.merged_into == merged
    assert source.hkid == "" and source.hkid_hash == ""
    assert not SearchKey.objects.filter(person=source).exists()
    assert merged.hkid == valid_hkid("A123456")
    assert merged.hkid_hash == lookup_hash(valid_hkid("A123456"))
    assert merged.phone == "91234567"
    assert merged.flags == ["risk"]


def test_merge_keeps_the_sources_name_as_another_name_of_the_target(
    worker: User, supervisor: User, pair: tuple[ServiceUser, ServiceUser]
) -> None:
    source, target = pair

    merged = service_user_merge(
        user=supervisor, source_id=source.pk, target_id=target.pk, reason="Registered twice."
    )

    alias = merged.aliases.get()
    assert (alias.name_zh, alias.name_en) == ("陳大文", "CHAN TAI MAN")
    assert source.reference in alias.note
    assert [h.person for h in search_people(user=supervisor, query="CHAN TAI MAN")] == [merged]


def test_merge_is_audited_with_the_merged_record(
    supervisor: User, pair: tuple[ServiceUser, ServiceUser]
) -> None:
    source, target = pair

    service_user_merge(
        user=supervisor, source_id=source.pk, target_id=target.pk, reason="Registered twice."
    )

    entries = [
        e
        for e in LogEntry.objects.get_for_object(target)
        if e.changes and "merged_from" in e.changes
    ]
    assert len(entries) == 1
    entry = entries[0]
    assert entry.actor == supervisor
    assert entry.changes["merged_from"] == [None, source.reference]
    assert entry.additional_data["reason"] == "Registered twice."
    assert entry.additional_data["service_user"] == target.pk


def test_merge_of_records_with_different_hkids_is_refused(
    supervisor: User, pair: tuple[ServiceUser, ServiceUser]
) -> None:
    source, target = pair
    ServiceUser.objects.filter(pk=target.pk).update(
        hkid=valid_hkid("B987654"), hkid_hash=lookup_hash(valid_hkid("B987654"))
    )

    with pytest.raises(ValidationError):
        service_user_merge(user=supervisor, source_id=source.pk, target_id=target.pk, reason="x")
    assert Case.objects.filter(person=source).exists()


def test_merge_needs_a_supervisor(
    worker: User, privacy: User, pair: tuple[ServiceUser, ServiceUser]
) -> None:
    source, target = pair

    for user in (worker, privacy):
        with pytest.raises(PermissionDenied):
            service_user_merge(user=user, source_id=source.pk, target_id=target.pk, reason="x")


def test_merge_needs_access_to_both_records(
    world: World, supervisor: User, supervisor_b: User, pair: tuple[ServiceUser, ServiceUser]
) -> None:
    source, _target = pair
    elsewhere = ServiceUserFactory(name_zh="陳大文")
    IntakeFactory(person=elsewhere, unit=world.unit_b, assigned_worker=world.staff_b)

    with pytest.raises(Http404):
        service_user_merge(user=supervisor, source_id=elsewhere.pk, target_id=source.pk, reason="x")
    with pytest.raises(Http404):
        service_user_merge(
            user=supervisor_b, source_id=elsewhere.pk, target_id=source.pk, reason="x"
        )
    assert ServiceUser.objects.filter(merged_into__isnull=False).count() == 0


def test_merge_needs_a_reason_and_two_records(
    supervisor: User, pair: tuple[ServiceUser, ServiceUser]
) -> None:
    source, target = pair

    with pytest.raises(ValidationError):
        service_user_merge(user=supervisor, source_id=source.pk, target_id=target.pk, reason=" ")
    with pytest.raises(ValidationError):
        service_user_merge(user=supervisor, source_id=source.pk, target_id=source.pk, reason="x")


def test_an_already_merged_record_cannot_be_merged_again(
    world: World, worker: User, supervisor: User, pair: tuple[ServiceUser, ServiceUser]
) -> None:
    source, target = pair
    third = ServiceUserFactory(name_zh="陳大文")
    IntakeFactory(person=third, unit=world.unit_a, assigned_worker=worker)
    service_user_merge(user=supervisor, source_id=source.pk, target_id=target.pk, reason="x")

    with pytest.raises(Http404):  # the merged record left everyone's need-to-know with its work
        service_user_merge(user=supervisor, source_id=source.pk, target_id=third.pk, reason="x")

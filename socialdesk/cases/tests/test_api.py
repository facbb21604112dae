"""The case management API (socialdesk/cases/api.py): people, cases, intakes, referrals, my work,
e-referrals from referral partners, the one error shape, and idempotent writes."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.cache import cache
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone, translation

from socialdesk.accounts.models import User
from socialdesk.accounts.tests.factories import make_token
from socialdesk.api.models import IdempotencyRecord
from socialdesk.cases.models import (
    Attachment,
    Case,
    CaseNote,
    CaseStatus,
    Consent,
    Intake,
    IntakeStatus,
    PartnerKind,
    Referral,
    ReferralChannel,
    ReferralPartner,
    ServiceUser,
)
from socialdesk.cases.services.partners import referral_partner_token_issue
from socialdesk.core.models import Role
from socialdesk.core.tests.world import World, build_world

from .factories import CaseFactory, ConsentFactory, IntakeFactory, valid_hkid

HKID = valid_hkid("A123456")  # A1234563
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
# The error for data the server refuses: 422 `validation_error` with one detail per field, the
# status every SocialDesk endpoint uses for it (socialdesk/api/errors.py).
INVALID = 422


@pytest.fixture
def world(db: None) -> World:
    """The shared world without its case records: these tests make the records they look at
    (and count what lands in inboxes and lists)."""
    return build_world(with_cases=False)


@pytest.fixture(autouse=True)
def _fresh_language_and_limits() -> Iterator[None]:
    previous = translation.get_language()
    cache.clear()
    yield
    cache.clear()
    translation.activate(previous)


class Api:
    """A JSON client for one caller: a staff member's personal token or a partner's token."""

    def __init__(self, raw_token: str = "", language: str = "en") -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.headers: dict[str, str] = {"HTTP_ACCEPT_LANGUAGE": language}
        if raw_token:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {raw_token}"

    def get(self, path: str, **headers: str) -> HttpResponse:
        return self.client.get("/api/v1" + path, **self.headers, **headers)  # type: ignore[return-value]

    def post(self, path: str, body: Any, *, key: str = "", **headers: str) -> HttpResponse:
        if key:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        return self.client.post(  # type: ignore[return-value]
            "/api/v1" + path,
            data=json.dumps(body, default=str),
            content_type="application/json",
            **self.headers,
            **headers,
        )

    def patch(self, path: str, body: Any) -> HttpResponse:
        return self.client.patch(  # type: ignore[return-value]
            "/api/v1" + path,
            data=json.dumps(body, default=str),
            content_type="application/json",
            **self.headers,
        )


def as_user(user: User, language: str = "en") -> Api:
    _token, raw = make_token(user)
    return Api(raw, language)


def error_of(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """The response is the one error shape with this status and code; returns the error."""
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["error"]
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


def fields_of(error: dict[str, Any]) -> dict[str, str]:
    return {d["field"]: d["message"] for d in error.get("details") or []}


@pytest.fixture
def person(open_case: Case) -> ServiceUser:
    """The person of the worker's open case in unit_a, with an HKID on record."""
    person = open_case.person
    ServiceUser.objects.filter(pk=person.pk).update(hkid=HKID)
    person.refresh_from_db()
    from socialdesk.core.crypto import lookup_hash

    ServiceUser.objects.filter(pk=person.pk).update(hkid_hash=lookup_hash(HKID))
    from socialdesk.cases.services.search import search_keys_rebuild

    person.refresh_from_db()
    search_keys_rebuild(person)
    return person


@pytest.fixture
def case_b(world: World, staff_b: User) -> Case:
    """An open case of NGO B's worker, in unit_b."""
    return CaseFactory(unit=world.unit_b, opened_by=staff_b, workers=[staff_b])


@pytest.fixture
def intake(world: World, worker: User) -> Intake:
    """A pending intake in unit_a assigned to the worker."""
    return IntakeFactory(unit=world.unit_a, assigned_worker=worker)


def new_person_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name_zh": "歐陽美玲",
        "name_en": "Au Yeung Mei Ling",
        "sex": "F",
        "date_of_birth": "1961-03-04",
        "hkid": valid_hkid("Z765432"),
        "phone": "9123 4567",
        "district": "sha-tin",
        "presenting_problem": "Caring for her husband after a stroke.",
    }
    return {**body, **overrides}


# --- Authentication and roles ---


def test_without_credentials_every_endpoint_answers_401(world: World) -> None:
    error_of(Api().get("/people?q=x"), 401, "not_authenticated")
    error_of(Api().post("/people", new_person_body()), 401, "not_authenticated")


@pytest.mark.parametrize(
    "role", [Role.AGENCY_ADMIN, Role.AGENCY_FINANCE, Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN]
)
def test_staff_who_do_no_case_work_are_refused(world: World, role: str) -> None:
    api = as_user(world.roles[role])
    error_of(api.get("/people?q=陳"), 403, "permission_denied")
    error_of(api.get("/cases"), 403, "permission_denied")
    error_of(api.post("/people", new_person_body()), 403, "permission_denied")
    assert not ServiceUser.objects.filter(name_zh="歐陽美玲").exists()


def test_a_signed_in_session_works_too(world: World, worker: User, signed_in: Any) -> None:
    response = signed_in(worker).get("/api/v1/my-work")
    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0}


# --- People ---


def test_search_finds_only_people_the_caller_may_see(
    world: World, worker: User, person: ServiceUser, case_b: Case
) -> None:
    api = as_user(worker)
    mine = api.get(f"/people?q={person.name_zh}").json()
    assert [p["id"] for p in mine["items"]] == [person.pk]
    assert mine["items"][0]["hkid_masked"] == "A123***(*)"
    other = api.get(f"/people?q={case_b.person.name_zh}").json()
    assert other == {"items": [], "count": 0}
    by_hkid = api.get("/people?q=A123456(3)")
    assert [p["id"] for p in by_hkid.json()["items"]] == [person.pk]
    assert HKID not in by_hkid.content.decode() and "A123456" not in by_hkid.content.decode()


def test_register_creates_the_person_and_an_intake(world: World, worker: User) -> None:
    response = as_user(worker).post("/people", new_person_body())
    assert response.status_code == 201, response.content
    body = response.json()
    person = ServiceUser.objects.get(pk=body["id"])
    assert body["hkid_masked"] == "Z765***(*)" and "hkid" not in body
    assert body["phone"] == "91234567" and body["district"] == "sha-tin"
    assert body["registered_unit"] == "a-ifsc" and body["version"] == 1
    intake = Intake.objects.get(pk=body["intake_id"])
    assert intake.person == person and intake.unit == world.unit_a
    assert intake.assigned_worker == worker and intake.status == IntakeStatus.PENDING
    assert valid_hkid("Z765432") not in response.content.decode()


def test_register_refuses_invalid_data_with_a_detail_per_field(world: World, worker: User) -> None:
    body = new_person_body(hkid="A123456(4)", phone="12345", date_of_birth="2999-01-01")
    error = error_of(as_user(worker).post("/people", body), INVALID, "validation_error")
    assert error["message"] == "Some of the data sent is not valid."
    fields = fields_of(error)
    assert set(fields) == {"hkid", "phone", "date_of_birth"}
    assert fields["hkid"].startswith("This is not a valid HKID number")
    assert not ServiceUser.objects.filter(name_zh="歐陽美玲").exists()


def test_register_refuses_a_malformed_body_with_the_field(world: World, worker: User) -> None:
    error = error_of(
        as_user(worker).post("/people", new_person_body(sex="X")), 422, "validation_error"
    )
    assert "payload.sex" in fields_of(error) or "sex" in fields_of(error)


def test_the_error_message_follows_accept_language(world: World, worker: User) -> None:
    body = new_person_body(hkid="A123456(4)")
    english = error_of(as_user(worker, "en").post("/people", body), INVALID, "validation_error")
    chinese = error_of(
        as_user(worker, "zh-hant").post("/people", body), INVALID, "validation_error"
    )
    assert english["message"] == "Some of the data sent is not valid."
    assert chinese["message"] == "提交的部分資料無效。"
    assert set(fields_of(chinese)) == set(fields_of(english)) == {"hkid"}


def test_a_possible_duplicate_answers_409_with_masked_candidates(
    world: World, worker: User, case_b: Case
) -> None:
    other = case_b.person  # registered in NGO B: the worker may not see the record
    body = new_person_body(
        name_zh=other.name_zh,
        name_en=other.name_en,
        date_of_birth=other.date_of_birth.isoformat(),  # type: ignore[union-attr]
        hkid="",
        phone="",
    )
    api = as_user(worker)
    error = error_of(api.post("/people", body), 409, "possible_duplicate")
    [candidate] = error["details"]["candidates"]
    assert candidate["id"] == other.pk and candidate["score"] >= 40
    assert "same_zh_name" in candidate["reasons"] and "same_dob" in candidate["reasons"]
    assert "Same Chinese name" in candidate["reason_labels"]
    summary = candidate["summary"]
    assert summary["name_zh"] == other.name_zh[0] + "○○"
    assert summary["birth_year"] == other.date_of_birth.year  # type: ignore[union-attr]
    text = json.dumps(error, ensure_ascii=False)
    assert other.name_zh not in text and other.phone not in text
    assert other.date_of_birth.isoformat() not in text  # type: ignore[union-attr]

    acknowledged = api.post("/people", {**body, "acknowledged": [other.pk]})
    assert acknowledged.status_code == 201, acknowledged.content
    assert acknowledged.json()["id"] != other.pk


def test_the_same_hkid_as_a_registered_person_is_refused(
    world: World, worker: User, person: ServiceUser
) -> None:
    error = error_of(
        as_user(worker).post("/people", new_person_body(hkid="a123456(3)")),
        INVALID,
        "validation_error",
    )
    assert "already registered" in fields_of(error)["hkid"]


def test_registering_in_another_agencys_unit_is_403(world: World, worker: User) -> None:
    response = as_user(worker).post("/people", new_person_body(unit="b-ifsc"))
    error_of(response, 403, "permission_denied")
    assert not ServiceUser.objects.filter(name_zh="歐陽美玲").exists()


def test_person_detail_is_audited_and_hidden_from_other_units(
    world: World, worker: User, staff_b: User, person: ServiceUser
) -> None:
    response = as_user(worker).get(f"/people/{person.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == person.reference and body["hkid_masked"] == "A123***(*)"
    assert HKID not in response.content.decode()
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(person.pk), actor=worker
    ).exists()
    error_of(as_user(staff_b).get(f"/people/{person.pk}"), 404, "not_found")


def test_patch_changes_the_person_with_the_version_read(
    world: World, worker: User, person: ServiceUser
) -> None:
    response = as_user(worker).patch(
        f"/people/{person.pk}", {"version": person.version, "phone": "2111 2222"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "21112222"
    assert response.json()["version"] == person.version + 1


def test_patch_with_a_stale_version_is_409_with_the_current_record(
    world: World, worker: User, person: ServiceUser
) -> None:
    api = as_user(worker)
    stale = person.version
    first = api.patch(f"/people/{person.pk}", {"version": stale, "address": "1 A St"})
    assert first.status_code == 200
    error = error_of(
        api.patch(f"/people/{person.pk}", {"version": stale, "address": "2 B St"}), 409, "conflict"
    )
    assert error["details"]["current_version"] == stale + 1
    current = error["details"]["current"]
    assert current["address"] == "1 A St" and current["hkid_masked"] == "A123***(*)"
    assert "hkid" not in current
    person.refresh_from_db()
    assert person.address == "1 A St"


def test_patch_needs_the_version(world: World, worker: User, person: ServiceUser) -> None:
    error = error_of(
        as_user(worker).patch(f"/people/{person.pk}", {"phone": "21112222"}),
        422,
        "validation_error",
    )
    assert any("version" in field for field in fields_of(error))


def test_patch_refuses_invalid_values_and_other_units(
    world: World, worker: User, staff_b: User, person: ServiceUser
) -> None:
    body = {"version": person.version, "phone": "000"}
    error = error_of(
        as_user(worker).patch(f"/people/{person.pk}", body), INVALID, "validation_error"
    )
    assert set(fields_of(error)) == {"phone"}
    error_of(as_user(staff_b).patch(f"/people/{person.pk}", body), 404, "not_found")


def test_timeline_lists_the_persons_events(
    world: World, worker: User, staff_b: User, person: ServiceUser, open_case: Case
) -> None:
    CaseNote.objects.create(
        case=open_case,
        kind="phone",
        occurred_at=timezone.now() - timedelta(hours=2),
        body="Called the daughter.",
        author=worker,
    )
    response = as_user(worker).get(f"/people/{person.pk}/timeline")
    assert response.status_code == 200
    kinds = [entry["kind"] for entry in response.json()]
    assert "note" in kinds and "case_opened" in kinds
    note = next(e for e in response.json() if e["kind"] == "note")
    assert note["text"] == "Called the daughter." and note["case_number"] == open_case.number
    error_of(as_user(staff_b).get(f"/people/{person.pk}/timeline"), 404, "not_found")


def test_consent_is_recorded(
    world: World, worker: User, staff_b: User, person: ServiceUser
) -> None:
    body = {
        "purpose": "referral",
        "scope": "Name, phone and the reason, to the day centre.",
        "given_by": "The person themself",
        "given_on": timezone.localdate().isoformat(),
        "evidence": "Signed form filed",
        "recipient_organisation": "ngo-b",
    }
    response = as_user(worker).post(f"/people/{person.pk}/consents", body)
    assert response.status_code == 201, response.content
    consent = Consent.objects.get(pk=response.json()["id"])
    assert consent.recipient_organisation == world.ngo_b and consent.recorded_by == worker
    assert response.json()["recipient_organisation"] == "ngo-b"
    future = {**body, "given_on": (timezone.localdate() + timedelta(days=3)).isoformat()}
    error = error_of(
        as_user(worker).post(f"/people/{person.pk}/consents", future), INVALID, "validation_error"
    )
    assert set(fields_of(error)) == {"given_on"}
    error_of(as_user(staff_b).post(f"/people/{person.pk}/consents", body), 404, "not_found")
    assert Consent.objects.filter(person=person).count() == 1


# --- Cases and intakes ---


def test_case_list_is_scoped_and_filtered(
    world: World, worker: User, supervisor: User, open_case: Case, case_b: Case
) -> None:
    closed = CaseFactory(unit=world.unit_a, opened_by=supervisor, status=CaseStatus.CLOSED)
    worker_list = as_user(worker).get("/cases").json()
    assert [c["id"] for c in worker_list["items"]] == [open_case.pk]
    assert worker_list["items"][0]["person_reference"] == open_case.person.reference
    supervisor_api = as_user(supervisor)
    assert {c["id"] for c in supervisor_api.get("/cases").json()["items"]} == {
        open_case.pk,
        closed.pk,
    }
    assert [c["id"] for c in supervisor_api.get("/cases?status=closed").json()["items"]] == [
        closed.pk
    ]
    assert [c["id"] for c in supervisor_api.get("/cases?status=open").json()["items"]] == [
        open_case.pk
    ]


def test_case_detail_shows_the_case_and_is_hidden_from_other_units(
    world: World, worker: User, staff_b: User, colleague: User, open_case: Case
) -> None:
    response = as_user(worker).get(f"/cases/{open_case.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == open_case.number and body["unit"] == "a-ifsc"
    assert body["workers"] == [
        {"username": "worker", "display_name": worker.display_name, "is_primary": True}
    ]
    error_of(as_user(staff_b).get(f"/cases/{open_case.pk}"), 404, "not_found")
    error_of(as_user(colleague).get(f"/cases/{open_case.pk}"), 404, "not_found")  # not assigned


def test_opening_a_case_from_an_intake(
    world: World, worker: User, staff_b: User, intake: Intake
) -> None:
    error_of(
        as_user(staff_b).post(f"/intakes/{intake.pk}/open-case", {"version": intake.version}),
        404,
        "not_found",
    )
    response = as_user(worker).post(
        f"/intakes/{intake.pk}/open-case", {"version": intake.version, "summary": "Carer stress"}
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert case.intake == intake and case.summary == "Carer stress"
    assert response.json()["workers"][0]["username"] == "worker"
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.CASE_OPENED


def test_opening_a_case_with_a_stale_intake_version_is_409(
    world: World, worker: User, intake: Intake
) -> None:
    error = error_of(
        as_user(worker).post(f"/intakes/{intake.pk}/open-case", {"version": intake.version + 7}),
        409,
        "conflict",
    )
    assert error["details"]["current_version"] == intake.version
    assert not Case.objects.filter(intake=intake).exists()


def test_writing_a_case_note(world: World, worker: User, staff_b: User, open_case: Case) -> None:
    body = {"kind": "home_visit", "occurred_at": timezone.now().isoformat(), "body": "Visited."}
    response = as_user(worker).post(f"/cases/{open_case.pk}/notes", body)
    assert response.status_code == 201, response.content
    note = CaseNote.objects.get(pk=response.json()["id"])
    assert note.author == worker and note.body == "Visited."
    assert response.json()["author"] == worker.display_name
    error = error_of(
        as_user(worker).post(f"/cases/{open_case.pk}/notes", {**body, "body": "  ", "kind": "x"}),
        INVALID,
        "validation_error",
    )
    assert set(fields_of(error)) == {"kind"}
    error_of(as_user(staff_b).post(f"/cases/{open_case.pk}/notes", body), 404, "not_found")
    assert CaseNote.objects.filter(case=open_case).count() == 1


def test_closing_a_case_waits_for_the_supervisor_where_required(
    world: World, worker: User, supervisor: User, staff_b: User, open_case: Case
) -> None:
    body = {"version": open_case.version, "reason": "goals_achieved"}
    error_of(as_user(staff_b).post(f"/cases/{open_case.pk}/close", body), 404, "not_found")
    error = error_of(
        as_user(worker).post(f"/cases/{open_case.pk}/close", {**body, "reason": "bored"}),
        INVALID,
        "validation_error",
    )
    assert set(fields_of(error)) == {"closure_reason"}
    stale = {**body, "version": open_case.version + 1}
    error_of(as_user(worker).post(f"/cases/{open_case.pk}/close", stale), 409, "conflict")
    response = as_user(worker).post(f"/cases/{open_case.pk}/close", body)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == CaseStatus.CLOSURE_PENDING
    again = error_of(
        as_user(worker).post(f"/cases/{open_case.pk}/close", body), INVALID, "validation_error"
    )
    assert fields_of(again) == {"": "Only an open case can be closed."}


# --- Referrals ---


@pytest.fixture
def consent(person: ServiceUser, worker: User) -> Consent:
    return ConsentFactory(person=person, recorded_by=worker)  # type: ignore[no-any-return]


def referral_body(person: ServiceUser, **overrides: Any) -> dict[str, Any]:
    body = {"person_id": person.pk, "to_unit": "b-ifsc", "reason": "Needs day care."}
    return {**body, **overrides}


def test_an_internal_referral_needs_consent_or_a_reason(
    world: World, worker: User, person: ServiceUser
) -> None:
    error = error_of(
        as_user(worker).post("/referrals", referral_body(person)), INVALID, "validation_error"
    )
    assert set(fields_of(error)) == {"consent"}
    response = as_user(worker).post(
        "/referrals",
        referral_body(person, consent_override_reason="Risk to life: she lives alone."),
    )
    assert response.status_code == 201, response.content
    assert response.json()["consent_overridden"] is True


def test_a_referral_with_consent_arrives_in_the_receiving_inbox(
    world: World, worker: User, staff_b: User, person: ServiceUser, consent: Consent
) -> None:
    response = as_user(worker).post("/referrals", referral_body(person, consent_id=consent.pk))
    assert response.status_code == 201, response.content
    sent = response.json()
    assert sent["from_unit"] == "a-ifsc" and sent["to_unit"] == "b-ifsc"
    assert sent["status"] == "sent" and sent["channel"] == "internal"
    inbox = as_user(staff_b).get("/referrals/inbox").json()
    assert [r["reference"] for r in inbox["items"]] == [sent["reference"]]
    subject = inbox["items"][0]["subject"]
    assert subject["name_zh"] == person.name_zh and subject["summary"] == "Needs day care."
    assert HKID not in json.dumps(inbox) and "hkid_hash" not in json.dumps(inbox)
    assert as_user(worker).get("/referrals/inbox").json()["count"] == 0


def test_referring_to_an_unknown_unit_is_422(
    world: World, worker: User, person: ServiceUser, consent: Consent
) -> None:
    error = error_of(
        as_user(worker).post("/referrals", referral_body(person, to_unit="nowhere")),
        INVALID,
        "validation_error",
    )
    assert set(fields_of(error)) == {"to_unit"}


def test_referring_a_person_the_caller_may_not_see_is_404(
    world: World, worker: User, case_b: Case
) -> None:
    body = referral_body(case_b.person, to_unit="swd-ifsc", consent_override_reason="x")
    error_of(as_user(worker).post("/referrals", body), 404, "not_found")


@pytest.fixture
def sent_referral(world: World, worker: User, person: ServiceUser, consent: Consent) -> Referral:
    response = as_user(worker).post("/referrals", referral_body(person, consent_id=consent.pk))
    return Referral.objects.get(pk=response.json()["id"])


def test_the_receiving_unit_accepts_and_an_intake_opens(
    world: World, worker: User, staff_b: User, sent_referral: Referral
) -> None:
    path = f"/referrals/{sent_referral.pk}/accept"
    error_of(
        as_user(worker).post(path, {"version": sent_referral.version}), 403, "permission_denied"
    )
    response = as_user(staff_b).post(path, {"version": sent_referral.version})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["referral"]["status"] == "accepted" and body["case_id"] is None
    intake = Intake.objects.get(pk=body["intake_id"])
    assert intake.unit == world.unit_b and intake.person_id == sent_referral.person_id
    error_of(
        as_user(staff_b).post(path, {"version": sent_referral.version}), INVALID, "validation_error"
    )


def test_declining_needs_a_reason_and_a_current_version(
    world: World, staff_b: User, sent_referral: Referral
) -> None:
    path = f"/referrals/{sent_referral.pk}/decline"
    api = as_user(staff_b)
    error = error_of(api.post(path, {"version": 1, "reason": " "}), INVALID, "validation_error")
    assert set(fields_of(error)) == {"decline_reason"}
    error_of(api.post(path, {"version": 99, "reason": "Full."}), 409, "conflict")
    response = api.post(path, {"version": sent_referral.version, "reason": "Full."})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "declined" and response.json()["decline_reason"] == "Full."


def test_only_the_sender_withdraws(
    world: World, worker: User, colleague: User, staff_b: User, sent_referral: Referral
) -> None:
    path = f"/referrals/{sent_referral.pk}/withdraw"
    body = {"version": sent_referral.version, "reason": "Family moved."}
    error_of(as_user(colleague).post(path, body), 404, "not_found")
    error_of(as_user(staff_b).post(path, body), 403, "permission_denied")
    response = as_user(worker).post(path, body)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"


def test_my_work_lists_the_callers_open_items(
    world: World, worker: User, staff_b: User, intake: Intake, sent_referral: Referral
) -> None:
    from .factories import WorkItemFactory

    WorkItemFactory(unit=world.unit_a, assignee=worker, intake=intake, kind="intake")
    WorkItemFactory(
        unit=world.unit_a,
        assignee=worker,
        due_on=timezone.localdate() - timedelta(days=1),
        kind="follow_up",
    )
    items = as_user(worker).get("/my-work").json()["items"]
    assert [i["kind"] for i in items] == ["follow_up", "intake"]
    assert items[0]["overdue"] is True and items[0]["assigned_to_me"] is True
    assert items[1]["person_name"] == intake.person.display_name
    inbox_item = as_user(staff_b).get("/my-work").json()["items"]
    assert [i["referral_reference"] for i in inbox_item] == [sent_referral.reference]
    assert inbox_item[0]["kind_label"] == "Referral to answer"


# --- Idempotency ---


def test_a_repeat_with_the_same_key_returns_the_first_answer(world: World, worker: User) -> None:
    api = as_user(worker)
    first = api.post("/people", new_person_body(), key="register-7f3a")
    again = api.post("/people", new_person_body(), key="register-7f3a")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ServiceUser.objects.filter(name_zh="歐陽美玲").count() == 1
    assert Intake.objects.filter(person__name_zh="歐陽美玲").count() == 1


def test_the_same_body_in_another_key_order_is_the_same_request(
    world: World, worker: User, open_case: Case
) -> None:
    api = as_user(worker)
    body = {"kind": "phone", "occurred_at": timezone.now().isoformat(), "body": "Called."}
    first = api.post(f"/cases/{open_case.pk}/notes", body, key="n-1")
    again = api.post(f"/cases/{open_case.pk}/notes", dict(reversed(body.items())), key="n-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert CaseNote.objects.filter(case=open_case).count() == 1


def test_the_same_key_with_another_body_is_refused(
    world: World, worker: User, open_case: Case
) -> None:
    api = as_user(worker)
    body = {"kind": "phone", "occurred_at": timezone.now().isoformat(), "body": "Called."}
    assert api.post(f"/cases/{open_case.pk}/notes", body, key="n-2").status_code == 201
    changed = {**body, "body": "Called twice."}
    error = error_of(
        api.post(f"/cases/{open_case.pk}/notes", changed, key="n-2"),
        422,
        "idempotency_key_reused",
    )
    assert "already used for a different request" in error["message"]
    other_path = api.post("/people", new_person_body(), key="n-2")
    error_of(other_path, 422, "idempotency_key_reused")
    assert CaseNote.objects.filter(case=open_case).count() == 1


def test_keys_belong_to_one_caller(
    world: World, worker: User, supervisor: User, open_case: Case
) -> None:
    body = {"kind": "phone", "occurred_at": timezone.now().isoformat(), "body": "Called."}
    assert as_user(worker).post(f"/cases/{open_case.pk}/notes", body, key="k").status_code == 201
    response = as_user(supervisor).post(f"/cases/{open_case.pk}/notes", body, key="k")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert CaseNote.objects.filter(case=open_case).count() == 2


def test_a_refused_request_is_not_remembered(world: World, worker: User) -> None:
    api = as_user(worker)
    error_of(
        api.post("/people", new_person_body(phone="1"), key="r-1"), INVALID, "validation_error"
    )
    assert api.post("/people", new_person_body(phone="1"), key="r-1").status_code == INVALID
    assert api.post("/people", new_person_body(), key="r-1").status_code == 201


def test_keys_expire_after_24_hours(world: World, worker: User, open_case: Case) -> None:
    api = as_user(worker)
    body = {"kind": "phone", "occurred_at": timezone.now().isoformat(), "body": "Called."}
    assert api.post(f"/cases/{open_case.pk}/notes", body, key="old").status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = api.post(f"/cases/{open_case.pk}/notes", body, key="old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert CaseNote.objects.filter(case=open_case).count() == 2
    assert IdempotencyRecord.objects.count() == 1  # the expired one was cleared on write
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    call_command("idempotency_keys_expire", stdout=io.StringIO())
    assert IdempotencyRecord.objects.count() == 0


def test_the_kept_answer_is_encrypted_at_rest(world: World, worker: User) -> None:
    from django.db import connection

    as_user(worker).post("/people", new_person_body(), key="enc-1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT response_body FROM api_idempotencyrecord")
        [(stored,)] = cursor.fetchall()
    assert "歐陽美玲" not in stored and "AU YEUNG" not in stored


def test_an_unusable_key_is_400(world: World, worker: User) -> None:
    error = error_of(
        as_user(worker).post("/people", new_person_body(), key="x" * 300), 400, "bad_request"
    )
    assert "Idempotency-Key" in error["message"]
    assert not ServiceUser.objects.filter(name_zh="歐陽美玲").exists()


# --- E-referrals from referral partners ---


@pytest.fixture
def partner() -> tuple[ReferralPartner, str]:
    """A hospital with an API token."""
    partner = ReferralPartner.objects.create(
        name_zh="威爾斯親王醫院",
        name_en="Prince of Wales Hospital",
        kind=PartnerKind.HOSPITAL,
        contact_email="mss@pwh.invalid",
    )
    return partner, referral_partner_token_issue(partner=partner)


def ereferral_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "to_unit": "a-ifsc",
        "person": {
            "name_zh": "陳大文",
            "name_en": "Chan Tai Man",
            "sex": "M",
            "date_of_birth": "1948-05-06",
            "hkid": "A123456(3)",
            "phone": "+852 6123 4567",
        },
        "reason": "Discharged after a fall; lives alone and needs home support.",
        "urgency": "priority",
        "referrer": {"name": "Ms Wong (MSW)", "phone": "35050000", "department": "MSS"},
        "consent_evidence": "Written consent signed on the ward, copy attached.",
    }
    return {**body, **overrides}


def test_an_outside_referral_reaches_the_inbox_matched_and_its_status_is_visible(
    world: World, worker: User, person: ServiceUser, partner: tuple[ReferralPartner, str]
) -> None:
    """Acceptance: an outside referral sent through the API appears in the right inbox matched
    to the existing person, and the referrer sees its status by reference number; a worker of
    the receiving unit accepts it through the staff API and the status becomes accepted."""
    hospital = Api(partner[1])
    sent = hospital.post("/e-referrals", ereferral_body(), key="pwh-2026-0001")
    assert sent.status_code == 201, sent.content
    receipt = sent.json()
    assert set(receipt) == {"reference", "status_secret", "status_url"}
    assert receipt["status_url"].endswith(f"/api/v1/e-referrals/{receipt['reference']}/status")

    inbox = as_user(worker).get("/referrals/inbox").json()["items"]
    [arrived] = [r for r in inbox if r["reference"] == receipt["reference"]]
    assert arrived["channel"] == ReferralChannel.API and arrived["to_unit"] == "a-ifsc"
    assert arrived["person_id"] == person.pk  # matched by the HKID
    assert arrived["referrer_organisation"] == "威爾斯親王醫院 Prince of Wales Hospital · MSS"
    assert arrived["subject"]["hkid_masked"] == "A123***(*)"
    assert arrived["matches"][0]["person_id"] == person.pk
    assert HKID not in json.dumps(inbox)

    secret = {"HTTP_X_REFERRAL_SECRET": receipt["status_secret"]}
    status = Api().get(f"/e-referrals/{receipt['reference']}/status", **secret)
    assert status.status_code == 200
    assert status.json() == {
        "reference": receipt["reference"],
        "status": "sent",
        "decided_at": None,
        "decline_reason": "",
    }

    accepted = as_user(worker).post(
        f"/referrals/{arrived['id']}/accept", {"version": arrived["version"]}
    )
    assert accepted.status_code == 200, accepted.content
    intake = Intake.objects.get(pk=accepted.json()["intake_id"])
    assert intake.person == person and intake.unit == world.unit_a

    status = Api().get(f"/e-referrals/{receipt['reference']}/status", **secret).json()
    assert status["status"] == "accepted" and status["decided_at"] is not None
    assert set(status) == {"reference", "status", "decided_at", "decline_reason"}


def test_the_status_needs_the_right_secret(
    world: World, partner: tuple[ReferralPartner, str]
) -> None:
    receipt = Api(partner[1]).post("/e-referrals", ereferral_body()).json()
    path = f"/e-referrals/{receipt['reference']}/status"
    error_of(Api().get(path, HTTP_X_REFERRAL_SECRET="guess"), 404, "not_found")
    error_of(Api().get(path), 404, "not_found")
    error_of(
        Api().get("/e-referrals/R-2000-000001/status", HTTP_X_REFERRAL_SECRET="x"),
        404,
        "not_found",
    )


def test_status_lookups_are_rate_limited(
    world: World, partner: tuple[ReferralPartner, str], settings: Any
) -> None:
    settings.SOCIALDESK_PUBLIC_RATE_LIMITS = {"status": (3, 600)}
    receipt = Api(partner[1]).post("/e-referrals", ereferral_body()).json()
    path = f"/e-referrals/{receipt['reference']}/status"
    for _ in range(3):
        Api().get(path, HTTP_X_REFERRAL_SECRET="guess")
    response = Api().get(path, HTTP_X_REFERRAL_SECRET=receipt["status_secret"])
    error_of(response, 429, "too_many_requests")


def test_e_referrals_need_a_partner_token(
    world: World, worker: User, signed_in: Any, partner: tuple[ReferralPartner, str]
) -> None:
    error_of(Api().post("/e-referrals", ereferral_body()), 401, "not_authenticated")
    error_of(as_user(worker).post("/e-referrals", ereferral_body()), 401, "not_authenticated")
    session = signed_in(worker).post(
        "/api/v1/e-referrals", data=json.dumps(ereferral_body()), content_type="application/json"
    )
    error_of(session, 403, "permission_denied")
    ReferralPartner.objects.filter(pk=partner[0].pk).update(is_active=False)
    error_of(Api(partner[1]).post("/e-referrals", ereferral_body()), 401, "not_authenticated")
    assert not Referral.objects.exists()


def test_a_reissued_token_replaces_the_old_one(
    world: World, partner: tuple[ReferralPartner, str]
) -> None:
    old = partner[1]
    new = referral_partner_token_issue(partner=partner[0])
    error_of(Api(old).post("/e-referrals", ereferral_body()), 401, "not_authenticated")
    assert Api(new).post("/e-referrals", ereferral_body()).status_code == 201


def test_an_e_referral_with_invalid_data_names_the_fields(
    world: World, partner: tuple[ReferralPartner, str]
) -> None:
    body = ereferral_body(
        to_unit="a-ifsc",
        person={"name_zh": "", "name_en": "", "hkid": "A123456(4)"},
        consent_evidence=" ",
        referrer={"name": " ", "email": "not-an-email"},
    )
    error = error_of(Api(partner[1]).post("/e-referrals", body), INVALID, "validation_error")
    assert set(fields_of(error)) == {"referrer.email"}
    body["referrer"] = {"name": " "}
    error = error_of(Api(partner[1]).post("/e-referrals", body), INVALID, "validation_error")
    assert set(fields_of(error)) == {
        "person.name_zh",
        "person.hkid",
        "consent_evidence",
        "referrer.name",
        "referrer.phone",
    }
    assert not Referral.objects.exists()


def test_a_partner_limited_to_some_units_may_refer_only_there(
    world: World, partner: tuple[ReferralPartner, str]
) -> None:
    partner[0].allowed_units.add(world.unit_b)
    error = error_of(
        Api(partner[1]).post("/e-referrals", ereferral_body()), INVALID, "validation_error"
    )
    assert set(fields_of(error)) == {"to_unit"}
    assert Api(partner[1]).post("/e-referrals", ereferral_body(to_unit="b-ifsc")).status_code == 201


def test_e_referral_attachments_are_checked_and_kept(
    world: World, partner: tuple[ReferralPartner, str]
) -> None:
    good = {"filename": "discharge.pdf", "content_base64": base64.b64encode(PDF).decode()}
    response = Api(partner[1]).post("/e-referrals", ereferral_body(attachments=[good]))
    assert response.status_code == 201, response.content
    referral = Referral.objects.get(reference=response.json()["reference"])
    [attachment] = referral.attachments.all()
    assert attachment.original_name == "discharge.pdf"
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)


@pytest.mark.parametrize(
    ("attachment", "message"),
    [
        (
            {"filename": "a.exe", "content_base64": base64.b64encode(b"MZ\x90\x00" * 40).decode()},
            "Only PDF, JPEG, PNG",
        ),
        ({"filename": "a.pdf", "content_base64": "%%%not base64%%%"}, "not valid base64"),
        (
            {"filename": "big.pdf", "content_base64": base64.b64encode(PDF + b"0" * 200).decode()},
            "too large",
        ),
    ],
    ids=["wrong type", "not base64", "too big"],
)
def test_a_refused_attachment_refuses_the_whole_referral(
    world: World,
    partner: tuple[ReferralPartner, str],
    settings: Any,
    attachment: dict[str, str],
    message: str,
) -> None:
    settings.SOCIALDESK_UPLOAD_MAX_BYTES = len(PDF) + 100
    good = {"filename": "ok.pdf", "content_base64": base64.b64encode(PDF).decode()}
    body = ereferral_body(attachments=[good, attachment])
    files_before = stored_files(settings.MEDIA_ROOT)
    error = error_of(Api(partner[1]).post("/e-referrals", body), INVALID, "validation_error")
    [(field, text)] = fields_of(error).items()
    assert field.startswith("attachments.1") and message in text
    assert not Referral.objects.exists() and not Attachment.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == files_before


def stored_files(media_root: Any) -> set[str]:
    return {str(p) for p in Path(media_root).rglob("*") if p.is_file()}


def test_a_partner_retry_with_the_same_key_refers_once(
    world: World, partner: tuple[ReferralPartner, str]
) -> None:
    hospital = Api(partner[1])
    first = hospital.post("/e-referrals", ereferral_body(), key="pwh-42")
    again = hospital.post("/e-referrals", ereferral_body(), key="pwh-42")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Referral.objects.count() == 1
    error_of(
        hospital.post("/e-referrals", ereferral_body(reason="Other"), key="pwh-42"),
        422,
        "idempotency_key_reused",
    )


def test_after_the_key_expired_a_retry_still_refers_once(
    world: World, partner: tuple[ReferralPartner, str], settings: Any
) -> None:
    hospital = Api(partner[1])
    document = {"filename": "discharge.pdf", "content_base64": base64.b64encode(PDF).decode()}
    body = ereferral_body(attachments=[document])
    first = hospital.post("/e-referrals", body, key="pwh-43").json()
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=2))
    files = stored_files(settings.MEDIA_ROOT)
    again = hospital.post("/e-referrals", body, key="pwh-43")
    assert Attachment.objects.count() == 1 and stored_files(settings.MEDIA_ROOT) == files
    assert again.status_code == 200
    assert again.json()["reference"] == first["reference"]
    assert again.json()["status_secret"] is None
    assert Referral.objects.count() == 1


def test_two_partners_may_use_the_same_key(
    world: World, partner: tuple[ReferralPartner, str]
) -> None:
    school = ReferralPartner.objects.create(
        name_zh="沙田小學", name_en="Sha Tin School", kind=PartnerKind.SCHOOL, contact_email="a@b.c"
    )
    school_token = referral_partner_token_issue(partner=school)
    assert Api(partner[1]).post("/e-referrals", ereferral_body(), key="1").status_code == 201
    assert Api(school_token).post("/e-referrals", ereferral_body(), key="1").status_code == 201
    assert Referral.objects.count() == 2


def test_no_response_schema_exposes_the_hkid(world: World) -> None:
    schema = Client().get("/api/openapi.json").json()
    responses = json.dumps(
        {
            name: component
            for name, component in schema["components"]["schemas"].items()
            if name.endswith("Out")
        }
    )
    assert '"hkid"' not in responses and '"hkid_masked"' in responses


def test_the_date_of_birth_is_a_date(world: World, worker: User) -> None:
    response = as_user(worker).post("/people", new_person_body())
    assert date.fromisoformat(response.json()["date_of_birth"]) == date(1961, 3, 4)


def test_a_request_over_the_size_limit_is_413(
    world: World, partner: tuple[ReferralPartner, str], settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    big = {"filename": "scan.pdf", "content_base64": base64.b64encode(PDF * 60).decode()}
    response = Api(partner[1]).post("/e-referrals", ereferral_body(attachments=[big]))
    error = error_of(response, 413, "payload_too_large")
    assert error["message"] == "The request is too large: at most 2.0\xa0KB."
    assert not Referral.objects.exists()


def test_a_system_administrator_issues_a_partner_token_shown_once(
    world: World, signed_in: Any
) -> None:
    admin = signed_in(world.roles[Role.SYSTEM_ADMIN])
    response = admin.post(
        "/admin/cases/referralpartner/add/",
        {
            "name_zh": "沙田小學",
            "name_en": "Sha Tin School",
            "kind": "school",
            "contact_email": "office@school.invalid",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [token] = re.findall(r"<code>(rp_[\w-]+)</code>", response.content.decode())
    partner = ReferralPartner.objects.get(name_en="Sha Tin School")
    assert partner.token_hash and token not in partner.token_hash
    assert partner.token_prefix == token[:9]
    assert Api(token).post("/e-referrals", ereferral_body()).status_code == 201
    assert (
        token
        not in admin.get(f"/admin/cases/referralpartner/{partner.pk}/change/").content.decode()
    )

    reissued = admin.post(
        "/admin/cases/referralpartner/",
        {"action": "issue_token", "_selected_action": [str(partner.pk)]},
    )
    [new_token] = re.findall(r"<code>(rp_[\w-]+)</code>", reissued.content.decode())
    assert new_token != token
    error_of(Api(token).post("/e-referrals", ereferral_body()), 401, "not_authenticated")


def test_staff_other_than_system_administrators_cannot_manage_partners(
    world: World, signed_in: Any
) -> None:
    for role in (Role.AGENCY_ADMIN, Role.UNIT_SUPERVISOR, Role.PRIVACY_OFFICER):
        response = signed_in(world.roles[role]).get("/admin/cases/referralpartner/")
        assert response.status_code == 403

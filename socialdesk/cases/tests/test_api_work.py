"""The case work API (socialdesk/cases/api/): a case's whole course through HTTP only (intake
interview on the intake form, assessment, plan approval, review, closure approval, re-opening),
a person's whole record, linking, merging, break-the-glass, referral documents; with version
conflicts, field-by-field refusals in both languages, need-to-know and audited reads."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import models
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.cases.models import (
    Assessment,
    Attachment,
    BreakGlassAccess,
    Case,
    CaseNote,
    CasePlan,
    CaseReview,
    CaseStatus,
    Consent,
    HouseholdMember,
    Intake,
    IntakeStatus,
    PlanStatus,
    Referral,
    SearchKey,
    ServiceUser,
    ServiceUserAlias,
    WorkItem,
    WorkItemKind,
)
from socialdesk.core.models import Notification
from socialdesk.core.tests.world import World

from .factories import (
    CaseFactory,
    CaseNoteFactory,
    ConsentFactory,
    IntakeFactory,
    ServiceUserFactory,
    valid_hkid,
)
from .services.test_casework import answers_for
from .test_api import (
    HKID,
    INVALID,
    PDF,
    _fresh_language_and_limits,  # noqa: F401  (autouse: cache and language)
    as_user,
    error_of,
    fields_of,
    new_person_body,
    stored_files,
)

OTHER_HKID = valid_hkid("B987654")  # B9876540, of a person in NGO B


def today() -> date:
    return timezone.localdate()


def made(factory: Any, **fields: Any) -> Any:
    """What a factory_boy factory makes (the factories are untyped)."""
    return factory(**fields)


def new_person(**fields: Any) -> ServiceUser:
    return made(ServiceUserFactory, **fields)


def new_case(**fields: Any) -> Case:
    return made(CaseFactory, **fields)


def new_intake(**fields: Any) -> Intake:
    return made(IntakeFactory, **fields)


def new_note(**fields: Any) -> CaseNote:
    return made(CaseNoteFactory, **fields)


@pytest.fixture
def world(module_world: World, db: None) -> World:
    """The case world (no case records), built once for the module: each test makes its own
    records and they are rolled back after it."""
    return module_world


@pytest.fixture
def forms(module_shipped_forms: dict[str, Any], db: None) -> dict[str, Any]:
    """The shipped forms (intake, carer_stress, risk_screening), published: {code: version}."""
    return module_shipped_forms


@pytest.fixture
def open_case(world: World, worker: User) -> Case:
    """An open case in unit_a, the worker responsible; its person has an HKID."""
    return new_case(
        unit=world.unit_a,
        opened_by=worker,
        workers=[worker],
        person=new_person(hkid=HKID),
    )


@pytest.fixture
def person(open_case: Case) -> ServiceUser:
    """The person of the worker's open case in unit_a, with an HKID on record."""
    return open_case.person


@pytest.fixture
def case_b(world: World, staff_b: User) -> Case:
    """An open case of NGO B's worker in unit_b; its person has an HKID."""
    return new_case(
        unit=world.unit_b,
        opened_by=staff_b,
        workers=[staff_b],
        person=new_person(hkid=OTHER_HKID),
    )


@pytest.fixture
def consent(person: ServiceUser, worker: User) -> Consent:
    """The person's consent to referral to any organisation."""
    return made(ConsentFactory, person=person, recorded_by=worker)


def plan_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "summary": "Relieve the carer.",
        "review_on": today() + timedelta(days=60),
        "goals": [
            {
                "description": "Day care three times a week",
                "target_on": today() + timedelta(days=30),
            },
            {"description": "Carer joins a support group"},
        ],
    }
    return {**body, **overrides}


def carer_stress_answers(forms: dict[str, Any], points: int = 2) -> dict[str, Any]:
    """Valid answers to the shipped carer stress screening, every strain item at `points`."""
    schema = forms["carer_stress"].schema
    answers = answers_for(schema)
    answers.update({f["key"]: points for f in schema if f["key"].startswith("cs_")})
    return answers


def assessment_body(forms: dict[str, Any]) -> dict[str, Any]:
    """A carer stress screening of today, every strain item at 2 (a total of 20)."""
    return {"form": "carer_stress", "assessed_on": today(), "answers": carer_stress_answers(forms)}


def attachment_body(data: bytes = PDF, filename: str = "report.pdf") -> dict[str, str]:
    return {"filename": filename, "content_base64": base64.b64encode(data).decode()}


def created(response: Any, status: int = 201) -> dict[str, Any]:
    """The body of a response that has this status."""
    assert response.status_code == status, response.content
    return response.json()


def ok(response: Any) -> dict[str, Any]:
    return created(response, 200)


def error_in(response: Any) -> dict[str, Any]:
    """The error a refusal answers with, whatever its status."""
    assert response.status_code >= 400, response.content
    return response.json()["error"]


def audited_reads(obj: models.Model, user: User) -> int:
    """How many reads of `obj` by `user` the audit log holds."""
    return (
        LogEntry.objects.get_for_object(obj)
        .filter(action=LogEntry.Action.ACCESS, actor=user)
        .count()
    )


# --- A case's whole course ---


def test_a_case_runs_its_whole_course_through_the_api(
    world: World, worker: User, supervisor: User, forms: dict[str, Any]
) -> None:
    """Acceptance: register → intake interview on the shipped intake form → case → assessment
    with its score → plan submitted, returned, resubmitted, approved → review → closure
    rejected, requested again, approved → re-opened; every step through the API, each
    approval waiting in the supervisor's work."""
    mine, boss = as_user(worker), as_user(supervisor)

    registered = created(mine.post("/people", new_person_body()))
    intake_id = registered["intake_id"]
    assert [i["id"] for i in ok(mine.get("/intakes"))["items"]] == [intake_id]
    intake = ok(mine.get(f"/intakes/{intake_id}"))
    assert intake["status"] == IntakeStatus.PENDING and intake["assigned_worker"] == "worker"

    answers = answers_for(forms["intake"].schema)
    interviewed = ok(
        mine.post(
            f"/intakes/{intake_id}/interview",
            {
                "version": intake["version"],
                "presenting_problem": " Carer exhausted. ",
                "interviewed_on": today(),
                "answers": answers,
            },
        )
    )
    assert interviewed["status"] == IntakeStatus.IN_PROGRESS and interviewed["form"] == "intake"
    assert interviewed["presenting_problem"] == "Carer exhausted."
    assert interviewed["answers"]["problem_description"] == answers["problem_description"]
    assert set(interviewed["answers"]) < set(answers)  # questions skipped by the form dropped
    assert Intake.objects.get(pk=intake_id).form_version == forms["intake"]

    case = created(
        mine.post(f"/intakes/{intake_id}/open-case", {"version": interviewed["version"]})
    )
    case_id = case["id"]
    assert case["person_id"] == registered["id"] and case["status"] == CaseStatus.OPEN

    assessment = created(mine.post(f"/cases/{case_id}/assessments", assessment_body(forms)))
    assert assessment["form_code"] == "carer_stress"
    assert assessment["form_version"] == forms["carer_stress"].number
    total = assessment["score"]["total"]
    assert total["total"] == "20" and total["band"] == "Moderate strain"
    assert total["answered"] == total["items"] == 10
    assert ok(mine.get(f"/assessments/{assessment['id']}")) == assessment

    plan = created(mine.post(f"/cases/{case_id}/plans", plan_body()))
    assert plan["status"] == PlanStatus.DRAFT and plan["case_id"] == case_id
    assert plan["goals"] == ["Day care three times a week", "Carer joins a support group"]
    plan = ok(mine.post(f"/plans/{plan['id']}/submit", {"version": plan["version"]}))
    assert plan["status"] == PlanStatus.PENDING_APPROVAL
    waiting = [i for i in ok(boss.get("/my-work"))["items"] if i["kind"] == "plan_approval"]
    assert [(i["case_id"], i["for_supervisor"]) for i in waiting] == [(case_id, True)]
    assert "plan_approval" not in {i["kind"] for i in ok(mine.get("/my-work"))["items"]}

    plan = ok(
        boss.post(
            f"/plans/{plan['id']}/return",
            {"version": plan["version"], "note": "Add a goal for the night-time care."},
        )
    )
    assert plan["status"] == PlanStatus.DRAFT
    assert plan["return_note"] == "Add a goal for the night-time care."
    assert "plan_approval" not in {i["kind"] for i in ok(boss.get("/my-work"))["items"]}

    plan = ok(mine.post(f"/plans/{plan['id']}/submit", {"version": plan["version"]}))
    assert plan["status"] == PlanStatus.PENDING_APPROVAL and plan["return_note"] == ""
    plan = ok(boss.post(f"/plans/{plan['id']}/approve", {"version": plan["version"]}))
    assert plan["status"] == PlanStatus.APPROVED and plan["approved_at"] is not None
    assert ok(mine.get(f"/plans/{plan['id']}")) == plan
    assert "plan_review" in {i["kind"] for i in ok(mine.get("/my-work"))["items"]}

    next_review = today() + timedelta(days=60)
    review = created(
        mine.post(
            f"/cases/{case_id}/reviews",
            {"reviewed_on": today(), "summary": "Day care started.", "next_review_on": next_review},
        )
    )
    assert review["next_review_on"] == next_review.isoformat()
    case = ok(mine.get(f"/cases/{case_id}"))
    assert case["next_review_on"] == next_review.isoformat()
    assert [r["id"] for r in case["reviews"]] == [review["id"]]
    assert [a["id"] for a in case["assessments"]] == [assessment["id"]]
    assert [p["status"] for p in case["plans"]] == [PlanStatus.APPROVED]

    close = {"version": case["version"], "reason": "goals_achieved", "note": "Coping well."}
    case = ok(mine.post(f"/cases/{case_id}/close", close))
    assert case["status"] == CaseStatus.CLOSURE_PENDING
    assert "closure_approval" in {i["kind"] for i in ok(boss.get("/my-work"))["items"]}
    case = ok(
        boss.post(
            f"/cases/{case_id}/close/reject",
            {"version": case["version"], "note": "Wait for the next review first."},
        )
    )
    assert case["status"] == CaseStatus.OPEN and case["closed_on"] is None

    case = ok(mine.post(f"/cases/{case_id}/close", {**close, "version": case["version"]}))
    assert case["status"] == CaseStatus.CLOSURE_PENDING
    case = ok(boss.post(f"/cases/{case_id}/close/approve", {"version": case["version"]}))
    assert case["status"] == CaseStatus.CLOSED and case["closed_on"] == today().isoformat()
    assert not WorkItem.objects.filter(case_id=case_id, done_at__isnull=True).exists()

    case = ok(
        boss.post(
            f"/cases/{case_id}/reopen",
            {"version": case["version"], "reason": "Her husband fell again."},
        )
    )
    assert case["status"] == CaseStatus.OPEN and case["closed_on"] is None
    detail = ok(mine.get(f"/cases/{case_id}"))  # the worker's case again
    assert detail["reopened_count"] == 1 and detail["closure_reason"] == ""
    # Written in the record language (zh-Hant), whoever re-opened it in whatever language.
    assert "個案已重開：Her husband fell again." in [n["body"] for n in detail["notes"]]


# --- Version conflicts ---


def test_a_note_corrected_from_a_stale_copy_is_409_and_unchanged(
    world: World, worker: User, open_case: Case
) -> None:
    """PATCH /notes/{id} with the version read: saved; again with that same (now stale)
    version: 409 `conflict` with the current version, and the first correction stays."""
    api = as_user(worker)
    body = {"kind": "phone", "occurred_at": timezone.now(), "body": "Called the daughter."}
    note = created(api.post(f"/cases/{open_case.pk}/notes", body))
    first = ok(api.patch(f"/notes/{note['id']}", {"version": note["version"], "body": "Called."}))
    assert first["body"] == "Called." and first["version"] == note["version"] + 1

    error = error_of(
        api.patch(f"/notes/{note['id']}", {"version": note["version"], "body": "Visited."}),
        409,
        "conflict",
    )
    assert error["details"] == {"current_version": first["version"]}
    stored = CaseNote.objects.get(pk=note["id"])
    assert stored.body == "Called." and stored.version == first["version"]


def test_a_plan_submitted_from_a_stale_copy_is_409_and_stays_a_draft(
    world: World, worker: User, supervisor: User, open_case: Case
) -> None:
    """Submitting with a version other than the plan's: 409 `conflict`; the plan is still a
    draft and nothing waits for the supervisor."""
    api = as_user(worker)
    plan = created(api.post(f"/cases/{open_case.pk}/plans", plan_body()))
    error = error_of(
        api.post(f"/plans/{plan['id']}/submit", {"version": plan["version"] + 1}), 409, "conflict"
    )
    assert error["details"]["current_version"] == plan["version"]
    stored = CasePlan.objects.get(pk=plan["id"])
    assert stored.status == PlanStatus.DRAFT and stored.version == plan["version"]
    assert not WorkItem.objects.filter(kind=WorkItemKind.PLAN_APPROVAL).exists()


def test_a_consent_withdrawn_from_a_stale_copy_is_409(
    world: World, worker: User, consent: Consent
) -> None:
    """POST /consents/{id}/withdraw needs the consent's current version."""
    body = {"version": consent.version + 1, "withdrawn_on": today(), "note": "By phone."}
    error_of(as_user(worker).post(f"/consents/{consent.pk}/withdraw", body), 409, "conflict")
    consent.refresh_from_db()
    assert consent.withdrawn_on is None and consent.is_active


def test_a_note_cannot_be_corrected_into_the_future(
    world: World, worker: User, open_case: Case
) -> None:
    """A corrected note keeps the rule of a new one: it did not happen in the future."""
    note = new_note(case=open_case, author=worker)
    body = {"version": note.version, "occurred_at": timezone.now() + timedelta(days=30)}
    error = error_of(as_user(worker).patch(f"/notes/{note.pk}", body), INVALID, "validation_error")
    assert set(fields_of(error)) == {"occurred_at"}


def test_a_consent_cannot_be_withdrawn_from_a_future_date(
    world: World, worker: User, consent: Consent
) -> None:
    """Like the date a consent is given, the date it is withdrawn is not in the future."""
    later = today() + timedelta(days=30)
    body = {"version": consent.version, "withdrawn_on": later, "note": "By letter."}
    error_of(
        as_user(worker).post(f"/consents/{consent.pk}/withdraw", body), INVALID, "validation_error"
    )
    consent.refresh_from_db()
    assert consent.is_active


# --- Refusals, field by field, in the caller's language ---


@pytest.mark.parametrize(
    ("language", "message", "goal"),
    [
        ("en", "A plan needs at least one goal.", None),
        ("zh-hant", "計劃須最少有一個目標。", None),
        ("en", "A plan needs at least one goal.", {"description": "   "}),
    ],
    ids=["no goals, English", "no goals, Chinese", "only a blank goal"],
)
def test_a_plan_needs_a_goal(
    world: World,
    worker: User,
    open_case: Case,
    language: str,
    message: str,
    goal: dict[str, str] | None,
) -> None:
    """A plan without a (non-blank) goal: 422 naming `goals`, in the caller's language."""
    body = plan_body(goals=[goal] if goal else [])
    error = error_of(
        as_user(worker, language).post(f"/cases/{open_case.pk}/plans", body),
        INVALID,
        "validation_error",
    )
    assert fields_of(error) == {"goals": message}
    assert error["message"] == (
        "提交的部分資料無效。" if language == "zh-hant" else "Some of the data sent is not valid."
    )
    assert not CasePlan.objects.exists()


@pytest.mark.parametrize(
    ("language", "out_of_range", "required"),
    [
        ("en", "Choose a point from 0 to 4.", "This question is required."),
        ("zh-hant", "請選擇 0 至 4 之間的分值。", "此問題必須回答。"),
    ],
)
def test_assessment_answers_are_checked_against_the_form(
    world: World,
    worker: User,
    open_case: Case,
    forms: dict[str, Any],
    language: str,
    out_of_range: str,
    required: str,
) -> None:
    """An answer out of the scale's range and a required answer missing: 422 naming both
    questions, in the caller's language; no assessment is recorded."""
    answers = carer_stress_answers(forms)
    answers["cs_sleep"] = 9
    del answers["care_hours_per_week"]
    body = {"form": "carer_stress", "assessed_on": today(), "answers": answers}
    error = error_of(
        as_user(worker, language).post(f"/cases/{open_case.pk}/assessments", body),
        INVALID,
        "validation_error",
    )
    assert fields_of(error) == {"cs_sleep": out_of_range, "care_hours_per_week": required}
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ("no_such_form", "There is no published form with this code."),
        ("intake", "This form is not an assessment or screening form."),
    ],
)
def test_an_assessment_needs_a_published_assessment_form(
    world: World, worker: User, open_case: Case, forms: dict[str, Any], form: str, message: str
) -> None:
    """An unknown form code, or a form that is no assessment: 422 naming `form`."""
    body = {"form": form, "assessed_on": today(), "answers": {}}
    error = error_of(
        as_user(worker).post(f"/cases/{open_case.pk}/assessments", body),
        INVALID,
        "validation_error",
    )
    assert fields_of(error) == {"form": message}
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("assessments", {"form": "no_such_form", "assessed_on": "2020-01-01", "answers": {}}),
        ("assessments", {"form": "intake", "assessed_on": "2020-01-01", "answers": {}}),
        ("break-glass", {"hkid": "C123456(9)", "reason": "Emergency at the hospital."}),
    ],
    ids=["unknown form", "not an assessment form", "unknown HKID"],
)
def test_the_new_refusals_are_in_chinese_too(
    world: World,
    worker: User,
    open_case: Case,
    forms: dict[str, Any],
    path: str,
    body: dict[str, Any],
) -> None:
    """Every refusal of the new endpoints reads in Chinese for a zh-Hant caller."""
    url = "/break-glass" if path == "break-glass" else f"/cases/{open_case.pk}/{path}"
    english = error_in(as_user(worker, "en").post(url, body))
    chinese = error_in(as_user(worker, "zh-hant").post(url, body))
    assert english["code"] == chinese["code"]
    english_texts = [english["message"], *fields_of(english).values()]
    chinese_texts = [chinese["message"], *fields_of(chinese).values()]
    assert not set(english_texts) & set(chinese_texts), chinese


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The next review must be after this one."),
        ("zh-hant", "下次檢討必須在今次檢討之後。"),
    ],
)
def test_the_next_review_must_come_after_the_review(
    world: World, worker: User, open_case: Case, language: str, message: str
) -> None:
    """A next review date before the review's own: 422 naming `next_review_on`; no review is
    recorded and the case keeps its review date."""
    body = {
        "reviewed_on": today(),
        "summary": "Reviewed with the family.",
        "next_review_on": today() - timedelta(days=1),
    }
    error = error_of(
        as_user(worker, language).post(f"/cases/{open_case.pk}/reviews", body),
        INVALID,
        "validation_error",
    )
    assert fields_of(error) == {"next_review_on": message}
    assert not CaseReview.objects.exists()
    assert Case.objects.get(pk=open_case.pk).version == open_case.version


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Some of the data sent is not valid."), ("zh-hant", "提交的部分資料無效。")],
)
def test_a_household_member_needs_a_known_relationship(
    world: World, worker: User, person: ServiceUser, language: str, message: str
) -> None:
    """An unknown relationship: 422 naming `payload.relationship` (the choices are listed);
    nothing is added to the household."""
    body = {"name": "Chan Siu Ming", "relationship": "landlord"}
    error = error_of(
        as_user(worker, language).post(f"/people/{person.pk}/household", body),
        INVALID,
        "validation_error",
    )
    assert error["message"] == message
    [(field, text)] = fields_of(error).items()
    assert field == "payload.relationship" and "'spouse'" in text
    assert not HouseholdMember.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Enter the Chinese or the English name."), ("zh-hant", "請輸入中文或英文姓名。")],
)
def test_another_name_needs_a_name(
    world: World, worker: User, person: ServiceUser, language: str, message: str
) -> None:
    """An alias with neither a Chinese nor an English name: 422; nothing is added."""
    body = {"name_zh": " ", "name_en": "", "note": "Name at church"}
    error = error_of(
        as_user(worker, language).post(f"/people/{person.pk}/aliases", body),
        INVALID,
        "validation_error",
    )
    assert list(fields_of(error).values()) == [message]
    assert not ServiceUserAlias.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Explain why you need this record now (at least 10 characters)."),
        ("zh-hant", "請說明你現在需要此紀錄的原因（最少 10 個字元）。"),
    ],
)
def test_break_the_glass_needs_a_real_reason(
    world: World, worker: User, case_b: Case, language: str, message: str
) -> None:
    """A reason under 10 characters: 422 naming `reason`; no access, no alert."""
    body = {"hkid": "B987654(0)", "reason": "urgent  "}
    error = error_of(
        as_user(worker, language).post("/break-glass", body), INVALID, "validation_error"
    )
    assert fields_of(error) == {"reason": message}
    assert not BreakGlassAccess.objects.exists()
    assert not Notification.objects.filter(kind="break_glass").exists()


# --- Who may do what ---


def test_a_worker_cannot_approve_plans_or_closures_nor_reopen(
    world: World, worker: User, supervisor: User, open_case: Case
) -> None:
    """Approving or returning a plan, approving or rejecting a closure and adding workers are
    for supervisors: 403 for the worker, and nothing changes. A closed case is out of the
    worker's need-to-know, so their re-opening is 404; the supervisor re-opens it."""
    api = as_user(worker)
    plan = created(api.post(f"/cases/{open_case.pk}/plans", plan_body()))
    plan = ok(api.post(f"/plans/{plan['id']}/submit", {"version": plan["version"]}))
    version = {"version": plan["version"]}
    error_of(api.post(f"/plans/{plan['id']}/approve", version), 403, "permission_denied")
    error_of(
        api.post(f"/plans/{plan['id']}/return", {**version, "note": "Fine by me."}),
        403,
        "permission_denied",
    )
    assert CasePlan.objects.get(pk=plan["id"]).status == PlanStatus.PENDING_APPROVAL

    case = ok(
        api.post(
            f"/cases/{open_case.pk}/close",
            {"version": open_case.version, "reason": "goals_achieved"},
        )
    )
    version = {"version": case["version"]}
    error_of(api.post(f"/cases/{open_case.pk}/close/approve", version), 403, "permission_denied")
    error_of(
        api.post(f"/cases/{open_case.pk}/close/reject", {**version, "note": "No."}),
        403,
        "permission_denied",
    )
    error_of(
        api.post(f"/cases/{open_case.pk}/workers", {"worker_id": world.colleague_a.pk}),
        403,
        "permission_denied",
    )
    assert Case.objects.get(pk=open_case.pk).status == CaseStatus.CLOSURE_PENDING

    closed = ok(as_user(supervisor).post(f"/cases/{open_case.pk}/close/approve", version))
    reopen = {"version": closed["version"], "reason": "She asked for help again."}
    error_of(api.post(f"/cases/{open_case.pk}/reopen", reopen), 404, "not_found")
    assert Case.objects.get(pk=open_case.pk).status == CaseStatus.CLOSED
    assert ok(as_user(supervisor).post(f"/cases/{open_case.pk}/reopen", reopen))["status"] == (
        CaseStatus.OPEN
    )


def test_a_supervisor_adds_a_worker_who_then_sees_the_case(
    world: World, supervisor: User, colleague: User, open_case: Case
) -> None:
    """POST /cases/{id}/workers: the colleague joins the case (responsible with `primary`)."""
    error_of(as_user(colleague).get(f"/cases/{open_case.pk}"), 404, "not_found")
    added = created(
        as_user(supervisor).post(
            f"/cases/{open_case.pk}/workers", {"worker_id": colleague.pk, "primary": True}
        )
    )
    assert added == {
        "username": "colleague",
        "display_name": colleague.display_name,
        "is_primary": True,
    }
    workers = ok(as_user(colleague).get(f"/cases/{open_case.pk}"))["workers"]
    assert {(w["username"], w["is_primary"]) for w in workers} == {
        ("worker", False),
        ("colleague", True),
    }
    outsider = {"worker_id": world.staff_b.pk}
    error = error_of(
        as_user(supervisor).post(f"/cases/{open_case.pk}/workers", outsider),
        INVALID,
        "validation_error",
    )
    assert set(fields_of(error)) == {"worker"}


def test_another_agencys_worker_gets_404_for_the_units_records(
    world: World,
    worker: User,
    staff_b: User,
    open_case: Case,
    consent: Consent,
    forms: dict[str, Any],
) -> None:
    """Intakes, plans, assessments, referrals, documents and notes of unit_a do not exist for
    NGO B's worker, to read or to change: 404 every time, and nothing changes."""
    api = as_user(worker)
    intake = new_intake(unit=world.unit_a, assigned_worker=worker)
    plan = created(api.post(f"/cases/{open_case.pk}/plans", plan_body()))
    assessment = created(api.post(f"/cases/{open_case.pk}/assessments", assessment_body(forms)))
    referral = created(
        api.post(
            "/referrals",
            {
                "person_id": open_case.person_id,
                "to_unit": "swd-ifsc",
                "reason": "Needs day care.",
                "consent_id": consent.pk,
                "attachments": [attachment_body()],
            },
        )
    )
    note = new_note(case=open_case, author=worker)
    other = as_user(staff_b)
    for path in (
        f"/intakes/{intake.pk}",
        f"/plans/{plan['id']}",
        f"/assessments/{assessment['id']}",
        f"/referrals/{referral['id']}",
        f"/attachments/{referral['attachments'][0]['id']}",
        f"/people/{open_case.person_id}",
    ):
        error_of(other.get(path), 404, "not_found")
    writes = [
        (f"/intakes/{intake.pk}/interview", {"version": 1, "presenting_problem": "x"}),
        (f"/intakes/{intake.pk}/assign", {"version": 1, "worker_id": staff_b.pk}),
        (f"/intakes/{intake.pk}/close", {"version": 1, "outcome_note": "x"}),
        (f"/plans/{plan['id']}/submit", {"version": plan["version"]}),
        (f"/cases/{open_case.pk}/plans", plan_body()),
        (f"/cases/{open_case.pk}/reviews", {"reviewed_on": today(), "summary": "x"}),
        (f"/people/{open_case.person_id}/household", {"name": "X", "relationship": "child"}),
        (f"/consents/{consent.pk}/withdraw", {"version": 1, "withdrawn_on": today(), "note": "x"}),
    ]
    for path, body in writes:
        error_of(other.post(path, body), 404, "not_found")
    error_of(other.patch(f"/notes/{note.pk}", {"version": 1, "body": "x"}), 404, "not_found")
    intake.refresh_from_db()
    assert intake.version == 1 and intake.assigned_worker == worker
    assert CasePlan.objects.get().status == PlanStatus.DRAFT
    assert not HouseholdMember.objects.exists() and not CaseReview.objects.exists()
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is None
    assert ok(other.get("/intakes")) == {"items": [], "count": 0}
    assert ok(other.get("/referrals/outbox")) == {"items": [], "count": 0}


def test_only_the_author_corrects_a_note(
    world: World, worker: User, colleague: User, supervisor: User, open_case: Case
) -> None:
    """A co-worker on the case and the unit's supervisor see the note but may not change it
    (403); its author may."""
    note = new_note(case=open_case, author=worker, body="Visited at home.")
    created(as_user(supervisor).post(f"/cases/{open_case.pk}/workers", {"worker_id": colleague.pk}))
    for other in (colleague, supervisor):
        error_of(
            as_user(other).patch(f"/notes/{note.pk}", {"version": 1, "body": "Rewritten."}),
            403,
            "permission_denied",
        )
    note.refresh_from_db()
    assert note.body == "Visited at home." and note.version == 1
    corrected = ok(as_user(worker).patch(f"/notes/{note.pk}", {"version": 1, "kind": "phone"}))
    assert corrected["kind"] == "phone" and corrected["body"] == "Visited at home."


# --- Intakes ---


def test_intakes_are_listed_assigned_and_closed_without_a_case(
    world: World, worker: User, colleague: User, supervisor: User, staff_b: User
) -> None:
    """GET /intakes: the worker's own and the unit's waiting ones; a supervisor gives one to a
    colleague (a worker may only take one); one ends with no case and leaves the open list."""
    mine = new_intake(unit=world.unit_a, assigned_worker=worker)
    queue = new_intake(unit=world.unit_a, assigned_worker=None, created_by=supervisor)
    new_intake(unit=world.unit_a, assigned_worker=colleague)
    new_intake(unit=world.unit_b, assigned_worker=staff_b)
    api = as_user(worker)
    assert {i["id"] for i in ok(api.get("/intakes"))["items"]} == {mine.pk, queue.pk}

    give = {"version": queue.version, "worker_id": colleague.pk}
    error_of(api.post(f"/intakes/{queue.pk}/assign", give), 403, "permission_denied")
    taken = ok(api.post(f"/intakes/{queue.pk}/assign", {**give, "worker_id": worker.pk}))
    assert taken["assigned_worker"] == "worker"
    given = ok(
        as_user(supervisor).post(
            f"/intakes/{queue.pk}/assign", {**give, "version": taken["version"]}
        )
    )
    assert given["assigned_worker"] == "colleague"
    error_of(api.get(f"/intakes/{queue.pk}"), 404, "not_found")  # no longer the worker's

    error = error_of(
        api.post(f"/intakes/{mine.pk}/close", {"version": mine.version, "outcome_note": " "}),
        INVALID,
        "validation_error",
    )
    assert set(fields_of(error)) == {"outcome_note"}
    closed = ok(
        api.post(
            f"/intakes/{mine.pk}/close",
            {"version": mine.version, "outcome_note": "Information given."},
        )
    )
    assert closed["status"] == IntakeStatus.NO_CASE
    assert closed["outcome_note"] == "Information given."
    assert ok(api.get("/intakes")) == {"items": [], "count": 0}
    everything = ok(as_user(supervisor).get("/intakes?open_only=false"))["items"]
    assert mine.pk in {i["id"] for i in everything}
    error = error_of(
        as_user(supervisor).post(
            f"/intakes/{mine.pk}/interview",
            {"version": closed["version"], "presenting_problem": "x"},
        ),
        INVALID,
        "validation_error",
    )
    assert fields_of(error) == {"": "This intake is finished and can no longer be changed."}


def test_intake_answers_are_checked_against_the_intake_form(
    world: World, worker: User, forms: dict[str, Any]
) -> None:
    """Answers the intake form does not accept: 422 naming each question; the intake is not
    changed."""
    intake = new_intake(unit=world.unit_a, assigned_worker=worker)
    body = {
        "version": intake.version,
        "presenting_problem": "Money worries.",
        "answers": {"no_such_question": "1", "household_size": 99},
    }
    error = error_of(
        as_user(worker).post(f"/intakes/{intake.pk}/interview", body), INVALID, "validation_error"
    )
    fields = fields_of(error)
    assert fields["no_such_question"] == "This question is not on the form."
    assert fields["referral_source"] == "This question is required."
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.PENDING and intake.answers == {}
    assert intake.version == 1 and intake.presenting_problem != "Money worries."


# --- A person's record ---


def test_the_persons_record_shows_household_contacts_names_and_consents(
    world: World, worker: User, person: ServiceUser, consent: Consent
) -> None:
    """What POST /people/{id}/household, /contacts and /aliases add, and a withdrawn consent,
    are in GET /people/{id}; the other name is found by the search."""
    api = as_user(worker)
    member = created(
        api.post(
            f"/people/{person.pk}/household",
            {"name": "Chan Siu Ming", "relationship": "child", "date_of_birth": "1990-02-03"},
        )
    )
    contact = created(
        api.post(
            f"/people/{person.pk}/contacts",
            {
                "name": "Dr Lee",
                "relationship": "Family doctor",
                "phone": "2345 6789",
                "is_emergency_contact": True,
            },
        )
    )
    assert contact["phone"] == "23456789"
    alias = created(
        api.post(f"/people/{person.pk}/aliases", {"name_zh": "何美儀", "note": "Maiden name"})
    )
    withdrawn = ok(
        api.post(
            f"/consents/{consent.pk}/withdraw",
            {"version": consent.version, "withdrawn_on": today(), "note": "By phone."},
        )
    )
    assert withdrawn["withdrawn_on"] == today().isoformat() and withdrawn["is_active"] is False

    record = ok(api.get(f"/people/{person.pk}"))
    assert record["hkid_masked"] == "A123***(*)" and HKID not in str(record)
    assert record["household"] == [
        {
            "id": member["id"],
            "name": "Chan Siu Ming",
            "relationship": "child",
            "date_of_birth": "1990-02-03",
            "lives_together": True,
            "note": "",
            "related_person_id": None,
        }
    ]
    assert record["contacts"] == [contact] and record["aliases"] == [alias]
    assert record["consents"] == [withdrawn] and record["attachments"] == []
    found = ok(api.get("/people?q=何美儀"))["items"]
    assert [p["id"] for p in found] == [person.pk]


def test_a_key_contact_needs_a_hong_kong_phone_number(
    world: World, worker: User, person: ServiceUser
) -> None:
    """A key contact's phone that is no Hong Kong number: 422 naming `phone`."""
    body = {"name": "Dr Lee", "relationship": "Family doctor", "phone": "123"}
    error = error_of(
        as_user(worker).post(f"/people/{person.pk}/contacts", body), INVALID, "validation_error"
    )
    assert set(fields_of(error)) == {"phone"}


def test_the_duplicate_check_ranks_masked_candidates_and_changes_nothing(
    world: World, worker: User, staff_b: User
) -> None:
    """POST /people/duplicate-check: the people who may be the one described, best first, with
    their reasons, each masked (also those of another agency); no row is written."""
    born = date(1948, 5, 6)
    twin = new_person(name_zh="陳大文", name_en="CHAN TAI MAN", date_of_birth=born)
    new_case(unit=world.unit_b, opened_by=staff_b, workers=[staff_b], person=twin)
    near = new_person(name_zh="陳大民", name_en="CHAN TAI MAN", date_of_birth=date(1950, 1, 1))
    same_phone = new_person(phone="61234567")
    new_person(name_zh="黃小明", name_en="WONG SIU MING")  # nothing in common
    api = as_user(worker)
    counts = {
        model: model.objects.count()
        for model in (ServiceUser, Intake, SearchKey, LogEntry, Case, Notification)
    }

    response = api.post(
        "/people/duplicate-check",
        {
            "name_zh": "陳大文",
            "name_en": "Chan Tai-man",
            "date_of_birth": born,
            "phone": "6123 4567",
        },
    )
    candidates = ok(response)["candidates"]
    assert [c["id"] for c in candidates] == [twin.pk, near.pk, same_phone.pk]
    best, second, third = candidates
    assert best["reasons"] == ["same_zh_name", "same_en_name", "same_dob"]
    assert best["reason_labels"] == ["Same Chinese name", "Same English name", "Same date of birth"]
    assert second["reasons"] == ["similar_zh_name", "same_en_name"]
    assert third["reasons"] == ["same_phone"]
    assert best["score"] > second["score"] > third["score"]
    assert best["summary"] == {
        "name_zh": "陳○○",
        "name_en": "C. T. M.",
        "birth_year": 1948,
        "district": "",
    }
    text = response.content.decode()
    assert "陳大文" not in text and "CHAN TAI MAN" not in text and "1948-05-06" not in text
    assert "陳大民" not in text and same_phone.name_zh not in text and "61234567" not in text
    assert {model: model.objects.count() for model in counts} == counts


def test_linking_needs_a_candidate_of_the_identity_typed(
    world: World, worker: User, staff_b: User, person: ServiceUser
) -> None:
    """POST /people/{id}/intakes: a person_id that is not a candidate of the identity typed is
    refused (422) and creates nothing; the candidate itself is linked and then visible to the
    linking unit."""
    stranger = new_person()
    new_case(unit=world.unit_a, opened_by=worker, workers=[worker], person=stranger)
    identity = {"hkid": "A123456(3)", "name_zh": person.name_zh, "presenting_problem": "Lonely."}
    api = as_user(staff_b)
    intakes = Intake.objects.count()

    error = error_of(
        api.post(f"/people/{stranger.pk}/intakes", identity), INVALID, "validation_error"
    )
    assert fields_of(error) == {"": "Choose one of the matching records."}
    assert Intake.objects.count() == intakes
    error_of(api.get(f"/people/{stranger.pk}"), 404, "not_found")

    linked = created(api.post(f"/people/{person.pk}/intakes", identity))
    assert linked["person_id"] == person.pk and linked["unit"] == "b-ifsc"
    assert linked["assigned_worker"] == "bravo" and linked["presenting_problem"] == "Lonely."
    assert ok(api.get(f"/people/{person.pk}"))["id"] == person.pk


def test_a_supervisor_merges_two_records_of_one_person(
    world: World, worker: User, supervisor: User, person: ServiceUser
) -> None:
    """POST /people/{id}/merge: the other record's intakes and cases move to this one, which
    keeps the other name; workers may not merge."""
    duplicate = new_person(name_zh="陳美玲")
    intake = new_intake(person=duplicate, unit=world.unit_a, assigned_worker=worker)
    body = {"source_id": duplicate.pk, "reason": "Same person registered twice."}
    error_of(as_user(worker).post(f"/people/{person.pk}/merge", body), 403, "permission_denied")

    merged = ok(as_user(supervisor).post(f"/people/{person.pk}/merge", body))
    assert merged["id"] == person.pk
    assert "陳美玲" in [a["name_zh"] for a in merged["aliases"]]
    duplicate.refresh_from_db()
    intake.refresh_from_db()
    assert duplicate.merged_into_id == person.pk and intake.person_id == person.pk


# --- Idempotent writes ---


def test_the_same_key_writes_one_plan(world: World, worker: User, open_case: Case) -> None:
    """POST /cases/{id}/plans twice with one Idempotency-Key: one plan, the same answer."""
    api = as_user(worker)
    first = api.post(f"/cases/{open_case.pk}/plans", plan_body(), key="plan-2026-1")
    again = api.post(f"/cases/{open_case.pk}/plans", plan_body(), key="plan-2026-1")
    assert created(again) == created(first) and again["Idempotent-Replayed"] == "true"
    assert CasePlan.objects.filter(case=open_case).count() == 1


# --- Referral documents ---


def test_a_referral_document_reaches_the_receiving_unit_only(
    world: World, worker: User, staff_b: User, person: ServiceUser, consent: Consent
) -> None:
    """POST /referrals with a base64 document: stored with the referral, listed with it (in the
    sender's outbox too), downloadable byte for byte by the receiving unit (the download
    audited), and not there for a worker of another organisation."""
    document = b"%PDF-1.4\n% discharge summary\n" + bytes(range(256)) + b"\n%%EOF\n"
    body = {
        "person_id": person.pk,
        "to_unit": "b-ifsc",
        "reason": "Needs day care.",
        "consent_id": consent.pk,
        "attachments": [attachment_body(document, "discharge summary.pdf")],
    }
    sent = created(as_user(worker).post("/referrals", body))
    [listed] = sent["attachments"]
    assert listed["original_name"] == "discharge summary.pdf"
    assert listed["content_type"] == "application/pdf" and listed["size"] == len(document)
    stored = Attachment.objects.get()
    assert stored.pk == listed["id"] and stored.referral_id == sent["id"]
    outbox = ok(as_user(worker).get("/referrals/outbox"))["items"]
    assert [(r["id"], r["attachments"]) for r in outbox] == [(sent["id"], [listed])]

    receiver = as_user(staff_b)
    assert ok(receiver.get(f"/referrals/{sent['id']}"))["attachments"] == [listed]
    download = receiver.get(f"/attachments/{listed['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == document  # type: ignore[attr-defined]
    assert download["Content-Type"] == "application/pdf"
    assert "discharge summary.pdf" in download["Content-Disposition"]
    assert audited_reads(stored, staff_b) == 1

    outsider = as_user(world.colleague_swd)
    error_of(outsider.get(f"/attachments/{listed['id']}"), 404, "not_found")
    error_of(outsider.get(f"/referrals/{sent['id']}"), 404, "not_found")


def test_a_referral_document_records_who_sent_it(
    world: World, worker: User, person: ServiceUser, consent: Consent
) -> None:
    """A document a staff member sends with a referral is recorded as uploaded by them."""
    body = {
        "person_id": person.pk,
        "to_unit": "b-ifsc",
        "reason": "Needs day care.",
        "consent_id": consent.pk,
        "attachments": [attachment_body()],
    }
    created(as_user(worker).post("/referrals", body))
    assert Attachment.objects.get().uploaded_by == worker


NOT_BASE64 = {"filename": "scan.pdf", "content_base64": "%%%not base64%%%"}
PROGRAM = attachment_body(b"MZ\x90\x00" * 40, "setup.exe")
WRONG_TYPE = "setup.exe: Only PDF, JPEG, PNG, Word (DOCX) and Excel (XLSX) files can be attached."


@pytest.mark.parametrize(
    ("attachments", "field", "message"),
    [
        (
            [NOT_BASE64, attachment_body()],
            "attachments.0.content_base64",
            "This is not valid base64.",
        ),
        ([PROGRAM], "attachments.0", WRONG_TYPE),
        ([attachment_body(), PROGRAM], "attachments.1", WRONG_TYPE),
    ],
    ids=["not base64", "wrong type", "wrong type after a good one"],
)
def test_a_refused_document_refuses_the_referral(
    world: World,
    worker: User,
    person: ServiceUser,
    consent: Consent,
    settings: Any,
    attachments: list[dict[str, str]],
    field: str,
    message: str,
) -> None:
    """A document that is not base64 or not of an allowed type: 422 naming it
    (`attachments.<n>…`); no referral, no attachment row, no file left behind (not even of
    the good document stored before it)."""
    files = stored_files(settings.MEDIA_ROOT)
    body = {
        "person_id": person.pk,
        "to_unit": "b-ifsc",
        "reason": "Needs day care.",
        "consent_id": consent.pk,
        "attachments": attachments,
    }
    error = error_of(as_user(worker).post("/referrals", body), INVALID, "validation_error")
    assert fields_of(error) == {field: message}
    assert not Referral.objects.exists() and not Attachment.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == files


def test_a_referral_refused_after_its_documents_were_stored_leaves_no_file(
    world: World, worker: User, person: ServiceUser, settings: Any
) -> None:
    """Documents are checked and stored first; a referral then refused (no consent) removes
    them again."""
    files = stored_files(settings.MEDIA_ROOT)
    body = {
        "person_id": person.pk,
        "to_unit": "b-ifsc",
        "reason": "Needs day care.",
        "attachments": [attachment_body(), attachment_body(filename="second.pdf")],
    }
    error = error_of(as_user(worker).post("/referrals", body), INVALID, "validation_error")
    assert set(fields_of(error)) == {"consent"}
    assert not Attachment.objects.exists() and stored_files(settings.MEDIA_ROOT) == files


# --- Audited reads ---


def test_reads_of_a_persons_data_are_audited(
    world: World, worker: User, open_case: Case, consent: Consent, forms: dict[str, Any]
) -> None:
    """GET /people/{id}, /intakes/{id}, /assessments/{id} and /referrals/{id} each leave an
    audited read by the caller of that record."""
    api = as_user(worker)
    intake = new_intake(person=open_case.person, unit=world.unit_a, assigned_worker=worker)
    assessed = created(api.post(f"/cases/{open_case.pk}/assessments", assessment_body(forms)))
    assessment = Assessment.objects.get(pk=assessed["id"])
    referred = {
        "person_id": open_case.person_id,
        "to_unit": "b-ifsc",
        "reason": "Needs day care.",
        "consent_id": consent.pk,
    }
    referral = Referral.objects.get(pk=created(api.post("/referrals", referred))["id"])
    for obj, path in (
        (open_case.person, f"/people/{open_case.person_id}"),
        (intake, f"/intakes/{intake.pk}"),
        (assessment, f"/assessments/{assessment.pk}"),
        (referral, f"/referrals/{referral.pk}"),
    ):
        before = audited_reads(obj, worker)
        ok(api.get(path))
        assert audited_reads(obj, worker) == before + 1, path


# --- Break-the-glass ---


def test_break_the_glass_opens_one_record_for_a_while_and_alerts_privacy(
    world: World, worker: User, privacy: User, case_b: Case
) -> None:
    """POST /break-glass with the exact HKID and a reason: 201; the worker may then read (not
    change) the record, NGO A's privacy officer is alerted; once expired the record is gone
    again."""
    api = as_user(worker)
    person_id = case_b.person_id
    error_of(api.get(f"/people/{person_id}"), 404, "not_found")

    response = api.post(
        "/break-glass",
        {"hkid": "b987654(0)", "reason": "At the A&E with no one else to call.", "minutes": 30},
    )
    access = created(response)
    assert access["person_id"] == person_id
    assert access["reason"] == "At the A&E with no one else to call."
    granted = BreakGlassAccess.objects.get(pk=access["id"])
    assert granted.user == worker and granted.expires_at - granted.granted_at == timedelta(
        minutes=30
    )
    [alert] = Notification.objects.filter(kind="break_glass")
    assert alert.recipient == privacy and alert.link.endswith(f"/break-glass/{granted.pk}/")
    assert OTHER_HKID not in response.content.decode()

    record = ok(api.get(f"/people/{person_id}"))
    assert record["hkid_masked"] == "B987***(*)"
    assert audited_reads(case_b.person, worker) == 1
    error_of(
        api.patch(f"/people/{person_id}", {"version": record["version"], "address": "x"}),
        403,
        "permission_denied",
    )

    BreakGlassAccess.objects.filter(pk=granted.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    error_of(api.get(f"/people/{person_id}"), 404, "not_found")


def test_break_the_glass_needs_a_registered_hkid(world: World, worker: User, case_b: Case) -> None:
    """A valid HKID nobody has: 404; an invalid one: 422 naming `hkid`; no access either way."""
    api = as_user(worker)
    reason = "At the A&E with no one else to call."
    error = error_of(
        api.post("/break-glass", {"hkid": "C123456(9)", "reason": reason}), 404, "not_found"
    )
    assert error["message"] == "No one is registered with this HKID number."
    error = error_of(
        api.post("/break-glass", {"hkid": "B987654(1)", "reason": reason}),
        INVALID,
        "validation_error",
    )
    assert set(fields_of(error)) == {"hkid"}
    assert not BreakGlassAccess.objects.exists()
    assert not Notification.objects.filter(kind="break_glass").exists()

"""Case management pages: who may open them, forms that keep what was typed and show errors next to
the fields, the duplicate warning at registration, the audited HKID reveal, conflicts (409),
referrals with consent and attachments, break-the-glass, and query budgets on the list pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.cases.models import (
    Attachment,
    BreakGlassAccess,
    Case,
    CaseNote,
    CasePlan,
    CaseStatus,
    CaseWorker,
    Consent,
    HouseholdMember,
    Intake,
    IntakeStatus,
    KeyContact,
    PlanStatus,
    Referral,
    ReferralStatus,
    ServiceUser,
    ServiceUserAlias,
    UnitCaseSettings,
    WorkItem,
    WorkItemKind,
)
from socialdesk.cases.services.search import search_keys_rebuild
from socialdesk.core.models import Notification, Role
from socialdesk.core.tests.world import OTHER_HKID, OWN_HKID, World

SignedIn = Callable[..., Client]
OWN_HKID_PRINTED = "A123456(3)"
OWN_HKID_MASKED = "A123***(*)"
OTHER_SENTINELS = ("SENTINEL BRAVO PERSON", "98887777", "99 Sentinel Bravo Lane", "B987654")
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _templates(response: Any) -> list[str]:
    return [t.name for t in response.templates if t.name]


def _body(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def worker(world: World) -> User:
    return world.roles[Role.FRONTLINE_WORKER]


@pytest.fixture
def supervisor(world: World) -> User:
    return world.roles[Role.UNIT_SUPERVISOR]


@pytest.fixture
def privacy(world: World) -> User:
    return world.roles[Role.PRIVACY_OFFICER]


@pytest.fixture
def person(world: World) -> ServiceUser:
    return world.cases_own["person"]


@pytest.fixture
def case(world: World) -> Case:
    return world.cases_own["case"]


def person_form(world: World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "unit": world.unit_a.pk,
        "presenting_problem": "Carer exhausted.",
        "name_zh": "黃志強",
        "name_en": "WONG Chi Keung",
        "sex": "M",
        "date_of_birth": "1980-05-06",
        "age_years": "",
        "hkid": "",
        "phone": "",
        "phone_alt": "",
        "email": "",
        "address": "",
        "district": world.district.pk,
        "language": "yue",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def answers_for(schema: list[dict[str, Any]], prefix: str = "q") -> dict[str, Any]:
    """POST data answering every required question that is shown, with the first option,
    "no", the lowest number, today or a short text."""
    from socialdesk.forms.conditions import evaluate

    data: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    for field in schema:
        if not evaluate(field.get("show_if"), typed) or not field.get("required"):
            continue
        key = f"{prefix}-{field['key']}"
        kind = field["type"]
        choices = [str(c["value"]) for c in field.get("choices") or []]
        if kind == "multichoice":
            data[key], typed[field["key"]] = [choices[0]], [choices[0]]
        elif kind == "choice":
            data[key] = typed[field["key"]] = choices[0]
        elif kind == "boolean":
            data[key], typed[field["key"]] = "no", False
        elif kind in ("integer", "scale", "decimal"):
            number = int(field.get("min") or 0)
            data[key], typed[field["key"]] = str(number), number
        elif kind == "date":
            data[key] = timezone.localdate().isoformat()
            typed[field["key"]] = timezone.localdate()
        else:
            data[key] = typed[field["key"]] = "Answer"
    return data


def other_person_in_unit_a(world: World, worker: User, **fields: Any) -> ServiceUser:
    """Another person in the worker's intake queue (visible and changeable by unit_a)."""
    values = {
        "name_zh": "何家欣",
        "name_en": "HO KA YAN",
        "sex": "F",
        "date_of_birth": date(1990, 3, 4),
        "phone": "61112222",
        "registered_unit": world.unit_a,
        **fields,
    }
    other = ServiceUser.objects.create(**values)
    search_keys_rebuild(other)
    Intake.objects.create(
        person=other, unit=world.unit_a, source="walk_in", assigned_worker=worker, created_by=worker
    )
    return other


# --- Who may open the pages -----------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR])
def test_case_workers_open_the_main_pages(world: World, signed_in: SignedIn, role: str) -> None:
    client = signed_in(world.roles[role])
    own = world.cases_own
    for url in (
        reverse("cases:search"),
        reverse("cases:person_register"),
        reverse("cases:person_detail", args=[own["person"].pk]),
        reverse("cases:intake_list"),
        reverse("cases:intake_detail", args=[own["intake"].pk]),
        reverse("cases:case_list"),
        reverse("cases:case_detail", args=[own["case"].pk]),
        reverse("cases:referral_inbox"),
        reverse("cases:referral_outbox"),
        reverse("cases:referral_detail", args=[own["referral"].pk]),
        reverse("cases:referral_new", args=[own["person"].pk]),
        reverse("cases:my_work"),
        reverse("cases:break_glass"),
        reverse("core:notifications"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize(
    "role", [Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR, Role.PRIVACY_OFFICER]
)
def test_records_of_another_organisation_are_not_found(
    world: World, signed_in: SignedIn, role: str
) -> None:
    client = signed_in(world.roles[role])
    other = world.cases_other
    for url in (
        reverse("cases:person_detail", args=[other["person"].pk]),
        reverse("cases:case_detail", args=[other["case"].pk]),
        reverse("cases:assessment_detail", args=[other["assessment"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        for sentinel in OTHER_SENTINELS:
            assert sentinel not in _body(response)


@pytest.mark.parametrize(
    "role", [Role.AGENCY_ADMIN, Role.AGENCY_FINANCE, Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN]
)
def test_staff_without_case_work_are_refused(world: World, signed_in: SignedIn, role: str) -> None:
    client = signed_in(world.roles[role])
    assert client.get(reverse("cases:search")).status_code == 403
    person_url = reverse("cases:person_detail", args=[world.cases_own["person"].pk])
    assert client.get(person_url).status_code == 403


def test_the_menu_offers_case_work_to_workers_only(world: World, signed_in: SignedIn) -> None:
    worker_page = _body(signed_in(world.roles[Role.FRONTLINE_WORKER]).get("/"))
    assert reverse("cases:search") in worker_page and reverse("cases:my_work") in worker_page
    finance_page = _body(signed_in(world.roles[Role.AGENCY_FINANCE]).get("/"))
    assert reverse("cases:search") not in finance_page
    privacy_page = _body(signed_in(world.roles[Role.PRIVACY_OFFICER]).get("/"))
    assert reverse("cases:break_glass_list") in privacy_page
    assert reverse("cases:search") not in privacy_page


def test_only_the_most_specific_menu_entry_is_current(world: World, signed_in: SignedIn) -> None:
    page = _body(signed_in(world.roles[Role.FRONTLINE_WORKER]).get(reverse("cases:search")))
    assert page.count('aria-current="page"') == 1


# --- Search ---------------------------------------------------------------------------------


def test_search_lists_the_person_with_a_masked_hkid(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    response = signed_in(worker).get(reverse("cases:search"), {"q": "陳美玲"})
    body = _body(response)
    assert response.status_code == 200
    assert "cases/search.html" in _templates(response)
    assert reverse("cases:person_detail", args=[world.cases_own["person"].pk]) in body
    assert OWN_HKID_MASKED in body and OWN_HKID_PRINTED not in body
    assert "<caption" in body


def test_search_by_hkid_and_by_english_name_in_any_order(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    client = signed_in(worker)
    url = reverse("cases:person_detail", args=[world.cases_own["person"].pk])
    assert url in _body(client.get(reverse("cases:search"), {"q": OWN_HKID_PRINTED}))
    assert url in _body(client.get(reverse("cases:search"), {"q": "mei ling chan"}))
    assert url in _body(client.get(reverse("cases:search"), {"q": "c2000000001"}))


def test_search_as_you_type_returns_only_the_results(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    response = signed_in(worker).get(reverse("cases:search"), {"q": "陳美玲"}, **HTMX)
    assert _templates(response)[0] == "cases/partials/search_results.html"
    assert "<html" not in _body(response)


def test_search_never_finds_people_outside_need_to_know(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    response = signed_in(worker).get(reverse("cases:search"), {"q": "SENTINEL BRAVO PERSON"})
    body = _body(response)
    assert reverse("cases:person_register") in body  # the empty state offers registration
    assert reverse("cases:person_detail", args=[world.cases_other["person"].pk]) not in body
    assert "98887777" not in body


def test_search_query_budget(
    world: World, signed_in: SignedIn, worker: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(12):
        someone = ServiceUser.objects.create(name_zh=f"陳{n}明", name_en=f"CHAN MING {n}")
        search_keys_rebuild(someone)
        opened = Case.objects.create(
            number=f"C-2001-{n:06d}",
            person=someone,
            unit=world.unit_a,
            opened_on=timezone.localdate(),
            opened_by=worker,
        )
        CaseWorker.objects.create(case=opened, user=worker, is_primary=True)
    client = signed_in(worker)
    client.get(reverse("cases:search"), {"q": "陳"})
    with django_assert_max_num_queries(16):
        response = client.get(reverse("cases:search"), {"q": "CHAN MING"}, **HTMX)
    assert _body(response).count("<tr>") >= 12


# --- Registration ---------------------------------------------------------------------------


def test_registration_puts_the_person_in_the_intake_queue(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    response = signed_in(worker).post(reverse("cases:person_register"), person_form(world))
    person = ServiceUser.objects.get(name_zh="黃志強")
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:person_detail", args=[person.pk])
    intake = Intake.objects.get(person=person)
    assert intake.unit == world.unit_a and intake.assigned_worker == worker
    assert intake.presenting_problem == "Carer exhausted."


def test_the_only_casework_unit_is_preselected(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    body = _body(signed_in(worker).get(reverse("cases:person_register")))
    assert f'<option value="{world.unit_a.pk}" selected>' in body


def test_registration_errors_are_shown_by_the_fields_and_nothing_typed_is_lost(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    data = person_form(world, hkid="A123456(7)", phone="12345", email="not-an-email")
    response = signed_in(worker).post(reverse("cases:person_register"), data)
    body = _body(response)
    assert response.status_code == 200
    assert 'class="error-summary"' in body
    assert 'aria-invalid="true"' in body
    assert 'value="A123456(7)"' in body and 'value="12345"' in body
    assert 'value="WONG Chi Keung"' in body
    assert not ServiceUser.objects.filter(name_zh="黃志強").exists()


def test_the_service_checks_identity_fields_and_reports_every_problem(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    data = person_form(world, hkid="A123456(7)", phone="12345")
    response = signed_in(worker).post(reverse("cases:person_register"), data)
    errors = response.context["form"].errors
    assert set(errors) >= {"hkid", "phone"}


def test_registration_with_only_an_age_estimates_the_birth_date(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    data = person_form(world, date_of_birth="", age_years="70")
    signed_in(worker).post(reverse("cases:person_register"), data)
    person = ServiceUser.objects.get(name_zh="黃志強")
    assert person.date_of_birth_estimated
    assert person.age_on(timezone.localdate()) == 70


def test_registration_refuses_both_a_birth_date_and_an_age(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    data = person_form(world, age_years="40")
    response = signed_in(worker).post(reverse("cases:person_register"), data)
    assert "age_years" in response.context["form"].errors


def test_a_near_match_is_shown_masked_with_its_reasons(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    other = world.cases_other["person"]
    data = person_form(
        world,
        name_zh=other.name_zh,
        name_en="",
        sex="F",
        date_of_birth=other.date_of_birth.isoformat(),
    )
    response = signed_in(worker).post(reverse("cases:person_register"), data)
    body = _body(response)
    assert response.status_code == 200
    assert "This person may already be registered" in body or "可能已" in body
    assert "乙○○" in body and "S. B. P." in body
    assert str(other.date_of_birth.year) in body
    assert f'name="person_id" value="{other.pk}"' in body
    for sentinel in OTHER_SENTINELS:
        assert sentinel not in body
    assert not ServiceUser.objects.filter(registered_by=worker, name_zh=other.name_zh).exists()


def test_register_anyway_after_looking_at_the_candidates(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    other = world.cases_other["person"]
    data = person_form(
        world, name_zh=other.name_zh, name_en="", date_of_birth=other.date_of_birth.isoformat()
    )
    client = signed_in(worker)
    first = client.post(reverse("cases:person_register"), data)
    acknowledge = first.context["acknowledge"]
    response = client.post(reverse("cases:person_register"), {**data, "acknowledge": acknowledge})
    assert response.status_code == 302
    assert ServiceUser.objects.filter(name_zh=other.name_zh).count() == 2


def test_using_the_existing_record_starts_an_intake_for_it(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    other = world.cases_other["person"]
    data = person_form(
        world, name_zh=other.name_zh, name_en="", date_of_birth=other.date_of_birth.isoformat()
    )
    response = signed_in(worker).post(reverse("cases:person_link"), {**data, "person_id": other.pk})
    intake = Intake.objects.get(person=other, unit=world.unit_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:intake_detail", args=[intake.pk])
    assert intake.assigned_worker == worker
    assert ServiceUser.objects.filter(name_zh=other.name_zh).count() == 1


def test_a_record_the_typed_details_do_not_match_cannot_be_linked(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    other = world.cases_other["person"]
    response = signed_in(worker).post(
        reverse("cases:person_link"), {**person_form(world), "person_id": other.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Intake.objects.filter(person=other, unit=world.unit_a).exists()


def test_the_same_hkid_as_an_existing_record_is_a_field_error(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    data = person_form(world, hkid=OTHER_HKID)
    response = signed_in(worker).post(reverse("cases:person_register"), data)
    assert "hkid" in response.context["form"].errors
    assert "SENTINEL BRAVO PERSON" not in _body(response)


# --- The person's record --------------------------------------------------------------------


def test_the_person_page_is_audited_and_shows_the_hkid_masked(
    world: World, signed_in: SignedIn, worker: User, person: ServiceUser
) -> None:
    response = signed_in(worker).get(reverse("cases:person_detail", args=[person.pk]))
    body = _body(response)
    assert OWN_HKID_MASKED in body and OWN_HKID_PRINTED not in body
    assert reverse("cases:person_hkid", args=[person.pk]) in body
    assert reverse("cases:person_access_log", args=[person.pk]) not in body
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, actor=worker, additional_data__service_user=person.pk
    ).exists()


def test_privacy_officers_read_the_person_without_the_hkid_button(
    world: World, signed_in: SignedIn, privacy: User, person: ServiceUser
) -> None:
    body = _body(signed_in(privacy).get(reverse("cases:person_detail", args=[person.pk])))
    assert reverse("cases:person_hkid", args=[person.pk]) not in body
    assert reverse("cases:person_edit", args=[person.pk]) not in body
    assert reverse("cases:person_access_log", args=[person.pk]) in body


def test_flags_are_shown_as_alerts(
    world: World, signed_in: SignedIn, worker: User, person: ServiceUser
) -> None:
    person.flags = ["risk", "language_need"]
    person.save()
    body = _body(signed_in(worker).get(reverse("cases:person_detail", args=[person.pk])))
    assert 'class="flag-list"' in body
    assert body.count('class="badge badge-danger"') >= 2


def test_showing_the_full_hkid_is_audited(
    world: World, signed_in: SignedIn, worker: User, person: ServiceUser
) -> None:
    client = signed_in(worker)
    response = client.post(reverse("cases:person_hkid", args=[person.pk]), **HTMX)
    assert response.status_code == 200
    assert _templates(response)[0] == "cases/partials/hkid_revealed.html"
    assert OWN_HKID_PRINTED in _body(response)
    entry = LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, actor=worker, additional_data__purpose="reveal_hkid"
    ).get()
    assert entry.additional_data["service_user"] == person.pk
    # Without JavaScript the reveal is a page of its own.
    page = client.post(reverse("cases:person_hkid", args=[person.pk]))
    assert "cases/person_hkid.html" in _templates(page)


def test_the_full_hkid_is_refused_to_privacy_officers_and_other_units(
    world: World, signed_in: SignedIn, privacy: User, person: ServiceUser
) -> None:
    assert (
        signed_in(privacy).post(reverse("cases:person_hkid", args=[person.pk])).status_code == 403
    )
    other_url = reverse("cases:person_hkid", args=[world.cases_other["person"].pk])
    response = signed_in(world.roles[Role.FRONTLINE_WORKER]).post(other_url)
    assert response.status_code == 404
    assert "B987654" not in _body(response)


def _edit_form(person: ServiceUser, world: World, **changes: Any) -> dict[str, Any]:
    data = person_form(
        world,
        name_zh=person.name_zh,
        name_en=person.name_en,
        sex=person.sex,
        date_of_birth=person.date_of_birth.isoformat() if person.date_of_birth else "",
        phone=person.phone,
        address=person.address,
        version=person.version,
    )
    data.pop("unit")
    data.pop("presenting_problem")
    data.update(changes)
    return data


def test_editing_the_person_keeps_the_hkid_unless_a_new_one_is_typed(
    world: World, signed_in: SignedIn, worker: User, person: ServiceUser
) -> None:
    edit_url = reverse("cases:person_edit", args=[person.pk])
    form_page = _body(signed_in(worker).get(edit_url))
    assert OWN_HKID_PRINTED not in form_page and OWN_HKID not in form_page
    response = signed_in(worker).post(edit_url, _edit_form(person, world, address="2 New Road"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.address == "2 New Road" and person.hkid == OWN_HKID


def test_a_stale_edit_is_a_conflict_showing_the_saved_values(
    world: World, signed_in: SignedIn, worker: User, supervisor: User, person: ServiceUser
) -> None:
    stale = _edit_form(person, world, address="3 Mine Street")
    signed_in(supervisor).post(
        reverse("cases:person_edit", args=[person.pk]),
        _edit_form(person, world, address="4 Theirs Avenue"),
    )
    response = signed_in(worker).post(reverse("cases:person_edit", args=[person.pk]), stale)
    body = _body(response)
    assert response.status_code == 409
    assert "4 Theirs Avenue" in body and 'value="3 Mine Street"' in body
    person.refresh_from_db()
    assert person.address == "4 Theirs Avenue"
    # The form now carries the current version: saving again applies the worker's values.
    assert response.context["form"].data["version"] == str(person.version)


@pytest.mark.parametrize(
    ("url_name", "data", "model"),
    [
        (
            "cases:household_add",
            {"name": "陳大明", "relationship": "child", "lives_together": "on"},
            HouseholdMember,
        ),
        (
            "cases:contact_add",
            {"name": "Dr Lee", "relationship": "Family doctor", "phone": "23456789"},
            KeyContact,
        ),
        ("cases:alias_add", {"name_zh": "陳美齡", "note": "Former spelling"}, ServiceUserAlias),
    ],
)
def test_parts_of_the_record_are_added_on_small_forms(
    world: World,
    signed_in: SignedIn,
    worker: User,
    person: ServiceUser,
    url_name: str,
    data: dict[str, Any],
    model: Any,
) -> None:
    client = signed_in(worker)
    url = reverse(url_name, args=[person.pk])
    assert client.get(url).status_code == 200
    empty = client.post(url, {})
    assert empty.status_code == 200 and empty.context["form"].errors
    response = client.post(url, data)
    assert response.status_code == 302
    assert model.objects.filter(person=person).exists()


def test_a_consent_is_recorded_with_its_signed_form_and_withdrawn(
    world: World, signed_in: SignedIn, worker: User, person: ServiceUser
) -> None:
    client = signed_in(worker)
    upload = SimpleUploadedFile("consent.pdf", PDF, content_type="application/pdf")
    response = client.post(
        reverse("cases:consent_add", args=[person.pk]),
        {
            "purpose": "information_sharing",
            "scope": "Name and needs, to the hospital social worker.",
            "given_by": "The person themself",
            "given_on": timezone.localdate().isoformat(),
            "evidence": "Signed form",
            "evidence_file": upload,
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(person=person, purpose="information_sharing")
    assert consent.evidence_file is not None
    assert consent.evidence_file.person == person
    url = reverse("cases:consent_withdraw", args=[consent.pk])
    missing_note = client.post(
        url, {"version": consent.version, "withdrawn_on": timezone.localdate().isoformat()}
    )
    assert "withdrawal_note" in missing_note.context["form"].errors
    client.post(
        url,
        {
            "version": consent.version,
            "withdrawn_on": timezone.localdate().isoformat(),
            "withdrawal_note": "Phoned to withdraw.",
        },
    )
    consent.refresh_from_db()
    assert consent.withdrawn_on is not None


def test_merging_shows_what_moves_before_it_merges(
    world: World, signed_in: SignedIn, worker: User, supervisor: User, person: ServiceUser
) -> None:
    duplicate = other_person_in_unit_a(world, worker, name_zh="陳美鈴")
    client = signed_in(supervisor)
    url = reverse("cases:person_merge", args=[person.pk])
    data = {"other_reference": duplicate.reference, "reason": "Same person, two records."}
    preview = client.post(url, data)
    assert preview.status_code == 200 and preview.context["confirm"]
    moves = dict(preview.context["preview"]["moves"])
    assert sorted(moves.values()) == [0, 0, 0, 0, 0, 0, 0, 1]  # the duplicate's one intake
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    response = client.post(url, {**data, "confirmed": "True"})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == person


def test_only_supervisors_merge(
    world: World, signed_in: SignedIn, worker: User, person: ServiceUser
) -> None:
    response = signed_in(worker).get(reverse("cases:person_merge", args=[person.pk]))
    assert response.status_code == 403


def test_merging_with_an_unknown_reference_is_a_field_error(
    world: World, signed_in: SignedIn, supervisor: User, person: ServiceUser
) -> None:
    other = world.cases_other["person"]
    response = signed_in(supervisor).post(
        reverse("cases:person_merge", args=[person.pk]),
        {"other_reference": other.reference, "reason": "x"},
    )
    assert "other_reference" in response.context["form"].errors
    assert "SENTINEL BRAVO PERSON" not in _body(response)


def test_privacy_officers_see_who_has_seen_the_person(
    world: World, signed_in: SignedIn, worker: User, privacy: User, person: ServiceUser
) -> None:
    signed_in(worker).get(reverse("cases:person_detail", args=[person.pk]))
    response = signed_in(privacy).get(reverse("cases:person_access_log", args=[person.pk]))
    assert response.status_code == 200
    assert worker.display_name in _body(response)
    assert signed_in(worker).get(
        reverse("cases:person_access_log", args=[person.pk])
    ).status_code == (403)


# --- Intake ---------------------------------------------------------------------------------


def test_a_worker_takes_an_unassigned_intake(
    world: World, signed_in: SignedIn, worker: User, person: ServiceUser
) -> None:
    intake = Intake.objects.create(person=person, unit=world.unit_a, source="walk_in")
    client = signed_in(worker)
    page = _body(client.get(reverse("cases:intake_detail", args=[intake.pk])))
    assert 'name="take"' in page
    response = client.post(
        reverse("cases:intake_assign", args=[intake.pk]), {"version": intake.version, "take": "1"}
    )
    assert response.status_code == 302
    intake.refresh_from_db()
    assert intake.assigned_worker == worker


def test_a_supervisor_assigns_an_intake_and_a_stale_assignment_is_a_conflict(
    world: World, signed_in: SignedIn, supervisor: User
) -> None:
    intake = world.cases_own["intake"]
    colleague = world.colleague_a
    url = reverse("cases:intake_assign", args=[intake.pk])
    client = signed_in(supervisor)
    client.post(url, {"version": intake.version, "assigned_worker": colleague.pk})
    intake.refresh_from_db()
    assert intake.assigned_worker == colleague
    stale = client.post(url, {"version": 1, "assigned_worker": supervisor.pk})
    assert stale.status_code == 409


def test_the_intake_interview_uses_the_shipped_intake_form(
    world: World, signed_in: SignedIn, worker: User, shipped_forms: dict[str, Any]
) -> None:
    intake = world.cases_own["intake"]
    client = signed_in(worker)
    url = reverse("cases:intake_interview", args=[intake.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["answer_form"] is not None
    base = {
        "version": intake.version,
        "interviewed_on": timezone.localdate().isoformat(),
        "presenting_problem": "Carer stress.",
    }
    missing = client.post(url, base)
    assert missing.status_code == 200 and missing.context["answer_form"].errors
    assert 'value="Carer stress."' in _body(missing) or "Carer stress." in _body(missing)
    schema = shipped_forms["intake"].schema
    response = client.post(url, {**base, **answers_for(schema)})
    assert response.status_code == 302, (
        response.context["form"].errors,
        response.context["answer_form"].errors,
    )
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.IN_PROGRESS and intake.answers
    detail = client.get(reverse("cases:intake_detail", args=[intake.pk]))
    assert detail.context["answers"]


def test_closing_an_intake_without_a_case_needs_the_outcome(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    intake = world.cases_own["intake"]
    client = signed_in(worker)
    url = reverse("cases:intake_close", args=[intake.pk])
    empty = client.post(url, {"version": intake.version, "outcome_note": ""})
    assert empty.status_code == 200 and empty.context["close_form"].errors
    done = client.post(url, {"version": intake.version, "outcome_note": "Information given."})
    assert done.status_code == 302
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.NO_CASE


def test_opening_a_case_from_an_intake_goes_to_the_case(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    other = other_person_in_unit_a(world, worker)
    intake = Intake.objects.get(person=other)
    response = signed_in(worker).post(
        reverse("cases:intake_open_case", args=[intake.pk]),
        {"version": intake.version, "primary_worker": worker.pk, "team": "", "summary": ""},
    )
    case = Case.objects.get(person=other)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case_detail", args=[case.pk])


def test_a_worker_cannot_open_a_case_for_a_colleague(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    other = other_person_in_unit_a(world, worker)
    intake = Intake.objects.get(person=other)
    response = signed_in(worker).post(
        reverse("cases:intake_open_case", args=[intake.pk]),
        {"version": intake.version, "primary_worker": world.colleague_a.pk},
    )
    assert response.status_code == 200
    assert "primary_worker" in response.context["open_form"].errors
    assert not Case.objects.filter(person=other).exists()


def test_intake_list_query_budget(
    world: World,
    signed_in: SignedIn,
    supervisor: User,
    worker: User,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(15):
        other_person_in_unit_a(world, worker, name_zh=f"林{n}", phone="")
    client = signed_in(supervisor)
    client.get(reverse("cases:intake_list"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("cases:intake_list"))
    assert len(response.context["page_obj"]) == 16


# --- Cases ----------------------------------------------------------------------------------


def test_case_list_filters_open_and_closed(
    world: World, signed_in: SignedIn, supervisor: User, case: Case
) -> None:
    closed = Case.objects.create(
        number="C-2000-000099",
        person=case.person,
        unit=world.unit_a,
        opened_on=timezone.localdate() - timedelta(days=400),
        opened_by=supervisor,
        status=CaseStatus.CLOSED,
        closed_on=timezone.localdate() - timedelta(days=300),
    )
    client = signed_in(supervisor)
    assert closed.number not in _body(client.get(reverse("cases:case_list")))
    assert closed.number in _body(client.get(reverse("cases:case_list"), {"status": "closed"}))
    everything = _body(client.get(reverse("cases:case_list"), {"status": "all"}))
    assert closed.number in everything and case.number in everything


def test_case_list_query_budget(
    world: World,
    signed_in: SignedIn,
    supervisor: User,
    worker: User,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(20):
        someone = ServiceUser.objects.create(name_zh=f"周{n}")
        Case.objects.create(
            number=f"C-2002-{n:06d}",
            person=someone,
            unit=world.unit_a,
            opened_on=timezone.localdate(),
            opened_by=worker,
        )
    client = signed_in(supervisor)
    client.get(reverse("cases:case_list"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("cases:case_list"))
    assert len(response.context["page_obj"]) == 21


def test_the_case_page_shows_its_sections(
    world: World, signed_in: SignedIn, worker: User, case: Case
) -> None:
    response = signed_in(worker).get(reverse("cases:case_detail", args=[case.pk]))
    body = _body(response)
    assert case.number in body and "Own note" in body and "Own plan" in body
    assert reverse("cases:note_edit", args=[world.cases_own["note"].pk]) in body
    assert reverse("cases:case_close", args=[case.pk]) in body
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, actor=worker, additional_data__service_user=case.person_id
    ).exists()


def test_privacy_officers_read_the_case_without_actions(
    world: World, signed_in: SignedIn, privacy: User, case: Case
) -> None:
    body = _body(signed_in(privacy).get(reverse("cases:case_detail", args=[case.pk])))
    assert case.number in body
    assert reverse("cases:case_close", args=[case.pk]) not in body
    assert reverse("cases:note_add", args=[case.pk]) not in body


def test_a_case_note_is_added_and_keeps_the_text_on_error(
    world: World, signed_in: SignedIn, worker: User, case: Case
) -> None:
    client = signed_in(worker)
    url = reverse("cases:note_add", args=[case.pk])
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(url, {"kind": "phone", "occurred_at": future, "body": "Called the son."})
    assert bad.status_code == 200 and "occurred_at" in bad.context["form"].errors
    assert "Called the son." in _body(bad)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    good = client.post(url, {"kind": "phone", "occurred_at": now, "body": "Called the son."})
    assert good.status_code == 302
    assert CaseNote.objects.filter(case=case, body="Called the son.").exists()


def test_correcting_a_note_from_a_stale_copy_is_a_conflict(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    note = world.cases_own["note"]
    url = reverse("cases:note_edit", args=[note.pk])
    when = timezone.localtime(note.occurred_at).strftime("%Y-%m-%dT%H:%M")
    client = signed_in(worker)
    first = {"version": note.version, "kind": note.kind, "occurred_at": when, "body": "First fix."}
    assert client.post(url, first).status_code == 302
    response = client.post(url, {**first, "body": "Second fix from an old page."})
    body = _body(response)
    assert response.status_code == 409
    assert "First fix." in body and "Second fix from an old page." in body


def test_only_the_author_corrects_a_note(
    world: World, signed_in: SignedIn, supervisor: User
) -> None:
    note = world.cases_own["note"]
    assert signed_in(supervisor).get(reverse("cases:note_edit", args=[note.pk])).status_code == 403


def test_an_assessment_on_a_published_form(
    world: World, signed_in: SignedIn, worker: User, case: Case, shipped_forms: dict[str, Any]
) -> None:
    client = signed_in(worker)
    url = reverse("cases:assessment_new", args=[case.pk])
    chooser = _body(client.get(url))
    assert 'value="carer_stress"' in chooser and 'value="risk_screening"' in chooser
    assert 'value="intake"' not in chooser
    form_url = f"{url}?form=carer_stress"
    assert client.get(form_url).status_code == 200
    schema = shipped_forms["carer_stress"].schema
    response = client.post(
        form_url, {"assessed_on": timezone.localdate().isoformat(), **answers_for(schema)}
    )
    assert response.status_code == 302
    assessment = case.assessments.get(form_version=shipped_forms["carer_stress"])
    detail = client.get(reverse("cases:assessment_detail", args=[assessment.pk]))
    assert detail.status_code == 200 and detail.context["lines"]
    case_page = _body(client.get(reverse("cases:case_detail", args=[case.pk])))
    assert reverse("cases:assessment_detail", args=[assessment.pk]) in case_page


def test_an_incomplete_assessment_shows_the_errors_by_the_questions(
    world: World, signed_in: SignedIn, worker: User, case: Case, shipped_forms: dict[str, Any]
) -> None:
    url = reverse("cases:assessment_new", args=[case.pk]) + "?form=carer_stress"
    response = signed_in(worker).post(url, {"assessed_on": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert response.context["answer_form"].errors
    assert not case.assessments.filter(form_version=shipped_forms["carer_stress"]).exists()


def _plan_data(**goals: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "summary": "Support the carer.",
        "review_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "goals-TOTAL_FORMS": "4",
        "goals-INITIAL_FORMS": "0",
        "goals-MIN_NUM_FORMS": "0",
        "goals-MAX_NUM_FORMS": "8",
    }
    data.update(goals)
    return data


def test_a_plan_is_written_submitted_and_approved(
    world: World, signed_in: SignedIn, worker: User, supervisor: User, case: Case
) -> None:
    client = signed_in(worker)
    url = reverse("cases:plan_new", args=[case.pk])
    no_goal = client.post(url, _plan_data())
    assert no_goal.status_code == 200 and no_goal.context["form"].non_field_errors()
    response = client.post(
        url,
        _plan_data(**{"goals-0-description": "Respite twice a month", "goals-1-description": ""}),
    )
    assert response.status_code == 302
    plan = CasePlan.objects.filter(case=case).latest("created_at")
    assert [g.description for g in plan.goals.all()] == ["Respite twice a month"]
    client.post(reverse("cases:plan_submit", args=[plan.pk]), {"version": plan.version})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PENDING_APPROVAL
    assert (
        client.post(
            reverse("cases:plan_decide", args=[plan.pk]),
            {"version": plan.version, "decision": "approve"},
        ).status_code
        == 403
    )
    boss = signed_in(supervisor)
    no_comment = boss.post(
        reverse("cases:plan_decide", args=[plan.pk]),
        {"version": plan.version, "decision": "return"},
    )
    assert no_comment.status_code == 200
    boss.post(
        reverse("cases:plan_decide", args=[plan.pk]),
        {"version": plan.version, "decision": "approve"},
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.approved_by == supervisor


def test_a_review_sets_the_next_review_date(
    world: World, signed_in: SignedIn, worker: User, case: Case
) -> None:
    next_review = timezone.localdate() + timedelta(days=90)
    response = signed_in(worker).post(
        reverse("cases:review_add", args=[case.pk]),
        {
            "reviewed_on": timezone.localdate().isoformat(),
            "summary": "Progress is good.",
            "next_review_on": next_review.isoformat(),
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.next_review_on == next_review


def test_a_supervisor_adds_a_worker(
    world: World, signed_in: SignedIn, supervisor: User, case: Case
) -> None:
    response = signed_in(supervisor).post(
        reverse("cases:case_workers", args=[case.pk]),
        {"worker": world.colleague_a.pk, "primary": "on"},
    )
    assert response.status_code == 302
    assert case.workers.get(is_primary=True).user == world.colleague_a


def test_a_workers_closure_waits_for_the_supervisor(
    world: World, signed_in: SignedIn, worker: User, supervisor: User, case: Case
) -> None:
    client = signed_in(worker)
    url = reverse("cases:case_close", args=[case.pk])
    other = client.post(url, {"version": case.version, "closure_reason": "other"})
    assert "closure_note" in other.context["form"].errors
    client.post(url, {"version": case.version, "closure_reason": "goals_achieved"})
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSURE_PENDING
    page = _body(signed_in(supervisor).get(reverse("cases:case_detail", args=[case.pk])))
    assert reverse("cases:case_close_decide", args=[case.pk]) in page
    signed_in(supervisor).post(
        reverse("cases:case_close_decide", args=[case.pk]),
        {"version": case.version, "decision": "approve"},
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    # Closed: out of the worker's need-to-know; the supervisor may re-open it.
    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 404
    reopen = reverse("cases:case_reopen", args=[case.pk])
    signed_in(supervisor).post(reopen, {"version": case.version, "reason": "Back again."})
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_a_stale_closure_decision_is_a_conflict(
    world: World, signed_in: SignedIn, worker: User, supervisor: User, case: Case
) -> None:
    signed_in(worker).post(
        reverse("cases:case_close", args=[case.pk]),
        {"version": case.version, "closure_reason": "goals_achieved"},
    )
    response = signed_in(supervisor).post(
        reverse("cases:case_close_decide", args=[case.pk]),
        {"version": case.version, "decision": "approve"},
    )
    assert response.status_code == 409


# --- Referrals ------------------------------------------------------------------------------


def _referral_data(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "from_unit": world.unit_a.pk,
        "to_unit": world.unit_b.pk,
        "reason": "Needs day care for her husband.",
        "urgency": "routine",
        "consent": world.cases_own["consent"].pk,
    }
    data.update(changes)
    return data


def test_a_referral_with_consent_is_sent_and_the_other_unit_accepts_it(
    world: World, signed_in: SignedIn, worker: User, person: ServiceUser
) -> None:
    client = signed_in(worker)
    url = reverse("cases:referral_new", args=[person.pk])
    upload = SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {**_referral_data(world), "attachments": [upload]})
    referral = Referral.objects.get(person=person, to_unit=world.unit_b)
    assert response.status_code == 302
    assert referral.consent == world.cases_own["consent"]
    attachment = referral.attachments.get()
    assert attachment.original_name == "report.pdf" and attachment.scan_status == "not_scanned"
    assert referral.reference in _body(client.get(reverse("cases:referral_outbox")))

    bravo = signed_in(world.staff_b)
    inbox = _body(bravo.get(reverse("cases:referral_inbox")))
    assert referral.reference in inbox
    detail = bravo.get(reverse("cases:referral_detail", args=[referral.pk]))
    assert OWN_HKID_PRINTED not in _body(detail) and OWN_HKID not in _body(detail)
    download = bravo.get(reverse("cases:attachment_download", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    accepted = bravo.post(
        reverse("cases:referral_accept", args=[referral.pk]), {"version": referral.version}
    )
    intake = Intake.objects.get(person=person, unit=world.unit_b)
    assert accepted["Location"] == reverse("cases:intake_detail", args=[intake.pk])
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED


def test_a_referral_needs_consent_or_a_reason_to_go_without(
    world: World, signed_in: SignedIn, worker: User, person: ServiceUser
) -> None:
    client = signed_in(worker)
    url = reverse("cases:referral_new", args=[person.pk])
    nothing = client.post(url, _referral_data(world, consent=""))
    assert "consent" in nothing.context["form"].errors
    no_reason = client.post(url, _referral_data(world, consent="", without_consent="on"))
    assert "consent_override_reason" in no_reason.context["form"].errors
    assert 'value="Needs day care for her husband."' in _body(no_reason) or (
        "Needs day care for her husband." in _body(no_reason)
    )
    assert not Referral.objects.filter(person=person).exists()
    response = client.post(
        url,
        _referral_data(
            world, consent="", without_consent="on", consent_override_reason="Risk to life."
        ),
    )
    assert response.status_code == 302
    referral = Referral.objects.get(person=person)
    assert referral.consent is None and referral.consent_override_reason == "Risk to life."
    assert LogEntry.objects.filter(additional_data__consent_override=True).exists()


def test_an_attachment_of_the_wrong_type_is_refused_and_nothing_is_sent(
    world: World, signed_in: SignedIn, worker: User, person: ServiceUser
) -> None:
    upload = SimpleUploadedFile(
        "virus.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    response = signed_in(worker).post(
        reverse("cases:referral_new", args=[person.pk]),
        {**_referral_data(world), "attachments": [upload]},
    )
    assert response.status_code == 200
    assert "attachments" in response.context["form"].errors
    assert not Referral.objects.filter(person=person).exists()
    assert not Attachment.objects.filter(original_name="virus.pdf").exists()


@override_settings(SOCIALDESK_UPLOAD_MAX_BYTES=20)
def test_an_attachment_over_the_size_limit_is_refused(
    world: World, signed_in: SignedIn, worker: User, person: ServiceUser
) -> None:
    upload = SimpleUploadedFile("big.pdf", PDF, content_type="application/pdf")
    response = signed_in(worker).post(
        reverse("cases:referral_new", args=[person.pk]),
        {**_referral_data(world), "attachments": [upload]},
    )
    assert "attachments" in response.context["form"].errors


def test_the_virus_scanner_decides(world: World, worker: User, person: ServiceUser) -> None:
    from django.core.exceptions import ValidationError

    from socialdesk.cases.services.attachments import attachment_create

    with override_settings(SOCIALDESK_VIRUS_SCAN_COMMAND="false"):
        with pytest.raises(ValidationError):
            attachment_create(user=worker, upload=SimpleUploadedFile("a.pdf", PDF), person=person)
    with override_settings(SOCIALDESK_VIRUS_SCAN_COMMAND="cat"):
        clean = attachment_create(
            user=worker, upload=SimpleUploadedFile("b.pdf", PDF), person=person
        )
    assert clean.scan_status == "clean"
    assert len(clean.sha256) == 64 and clean.content_type == "application/pdf"


def test_attachments_are_downloaded_only_by_those_who_see_their_record(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    own = world.cases_own["attachment"]
    other = world.cases_other["attachment"]
    client = signed_in(worker)
    assert client.get(reverse("cases:attachment_download", args=[own.pk])).status_code == 200
    assert client.get(reverse("cases:attachment_download", args=[other.pk])).status_code == 404
    assert LogEntry.objects.filter(additional_data__purpose="attachment_download").exists()


def test_an_outside_referral_is_matched_or_registered_on_acceptance(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    referral = world.cases_own["referral"]
    client = signed_in(worker)
    page = client.get(reverse("cases:referral_detail", args=[referral.pk]))
    assert "CHEUNG SAM" in _body(page)
    response = client.post(
        reverse("cases:referral_accept", args=[referral.pk]),
        {"version": referral.version, "match": "new"},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.person is not None and referral.person.name_en == "CHEUNG SAM"


def test_declining_needs_a_reason_and_only_the_sender_withdraws(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    referral = world.cases_own["referral"]
    client = signed_in(worker)
    url = reverse("cases:referral_decline", args=[referral.pk])
    empty = client.post(url, {"version": referral.version, "decline_reason": ""})
    assert empty.status_code == 200 and empty.context["decline_form"].errors
    withdraw = reverse("cases:referral_withdraw", args=[referral.pk])
    assert client.post(withdraw, {"version": referral.version}).status_code == 403
    client.post(url, {"version": referral.version, "decline_reason": "Outside our district."})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED


def test_referral_inbox_query_budget(
    world: World, signed_in: SignedIn, worker: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(15):
        Referral.objects.create(
            reference=f"R-2003-{n:06d}",
            to_unit=world.unit_a,
            from_unit=world.unit_swd,
            reason="x",
            shared_data={"name_zh": f"梁{n}"},
        )
    client = signed_in(worker)
    client.get(reverse("cases:referral_inbox"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("cases:referral_inbox"))
    assert len(response.context["page_obj"]) == 16


# --- My work, dashboards, notifications -----------------------------------------------------


def test_my_work_groups_items_by_due_date(
    world: World,
    signed_in: SignedIn,
    worker: User,
    case: Case,
    django_assert_max_num_queries: Any,
) -> None:
    today = timezone.localdate()
    for days in (-3, 1, 30):
        WorkItem.objects.create(
            kind=WorkItemKind.CASE_REVIEW,
            unit=world.unit_a,
            assignee=worker,
            case=case,
            due_on=today + timedelta(days=days),
        )
    client = signed_in(worker)
    client.get(reverse("cases:my_work"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("cases:my_work"))
    groups = response.context["groups"]
    assert len(groups["overdue"]) == 1 and len(groups["later"]) == 1
    assert len(groups["this_week"]) == 2  # and the world's follow-up in three days
    assert reverse("cases:case_detail", args=[case.pk]) in _body(response)


def test_the_dashboard_shows_work_counts(world: World, signed_in: SignedIn, worker: User) -> None:
    response = signed_in(worker).get("/")
    work = response.context["work"]
    assert work["this_week"] == 1 and work["inbox"] == 1 and work["unread"] == 1
    assert reverse("cases:my_work") in _body(response)


def test_notifications_are_listed_and_marked_read(
    world: World, signed_in: SignedIn, worker: User
) -> None:
    notification = world.notifications[Role.FRONTLINE_WORKER]
    client = signed_in(worker)
    assert notification.title in _body(client.get(reverse("core:notifications")))
    response = client.post(reverse("core:notification_read", args=[notification.pk]), {"open": "1"})
    assert response["Location"] == notification.link
    notification.refresh_from_db()
    assert notification.read_at is not None
    other = world.notification_b
    assert client.post(reverse("core:notification_read", args=[other.pk])).status_code == 404
    Notification.objects.create(recipient=worker, kind="x", title="Another")
    client.post(reverse("core:notifications_read_all"))
    assert not Notification.objects.filter(recipient=worker, read_at__isnull=True).exists()


# --- Break the glass ------------------------------------------------------------------------


def test_break_the_glass_opens_the_record_with_a_banner_and_ends(
    world: World, signed_in: SignedIn, worker: User, privacy: User
) -> None:
    other = world.cases_other["person"]
    client = signed_in(worker)
    url = reverse("cases:break_glass")
    data = {"hkid": "B987654(0)", "reason": "Found unconscious, hospital asks.", "minutes": "30"}
    not_confirmed = client.post(url, data)
    assert "understood" in not_confirmed.context["form"].errors
    short = client.post(url, {**data, "reason": "urgent", "understood": "on"})
    assert "reason" in short.context["form"].errors
    response = client.post(url, {**data, "understood": "on"})
    assert response["Location"] == reverse("cases:person_detail", args=[other.pk])
    page = client.get(response["Location"])
    assert 'class="banner-danger"' in _body(page)
    access = BreakGlassAccess.objects.get(user=worker, person=other, ended_at__isnull=True)
    assert Notification.objects.filter(recipient=privacy, kind="break_glass").exists()
    reads = LogEntry.objects.filter(
        actor=worker, additional_data__service_user=other.pk, additional_data__purpose="break_glass"
    )
    assert reads.exists()
    client.post(reverse("cases:break_glass_end", args=[access.pk]))
    assert client.get(response["Location"]).status_code == 404


def test_an_unknown_hkid_is_a_field_error(world: World, signed_in: SignedIn, worker: User) -> None:
    response = signed_in(worker).post(
        reverse("cases:break_glass"),
        {"hkid": "C123456(9)", "reason": "Emergency at home.", "minutes": "30", "understood": "on"},
    )
    assert "hkid" in response.context["form"].errors


def test_privacy_officers_review_break_the_glass(
    world: World, signed_in: SignedIn, privacy: User
) -> None:
    access = world.cases_own["break_glass"]
    client = signed_in(privacy)
    listing = _body(client.get(reverse("cases:break_glass_list")))
    assert reverse("cases:break_glass_review", args=[access.pk]) in listing
    assert "SENTINEL-BRAVO" not in listing
    url = reverse("cases:break_glass_review", args=[access.pk])
    assert client.post(url, {"review_note": ""}).context["form"].errors
    client.post(url, {"review_note": "Justified."})
    access.refresh_from_db()
    assert access.reviewed_by == privacy


# --- Languages ------------------------------------------------------------------------------


def test_case_pages_follow_the_users_language(
    world: World, signed_in: SignedIn, worker: User, case: Case
) -> None:
    worker.preferred_language = "en"
    worker.save()
    body = _body(signed_in(worker).get(reverse("cases:case_detail", args=[case.pk])))
    assert '<html lang="en">' in body
    assert "Case notes" in body


def test_unit_settings_without_approval_close_at_once(
    world: World, signed_in: SignedIn, worker: User, case: Case
) -> None:
    UnitCaseSettings.objects.create(
        unit=world.unit_a, plan_approval_required=False, closure_approval_required=False
    )
    url = reverse("cases:case_close", args=[case.pk])
    assert not signed_in(worker).get(url).context["needs_approval"]
    signed_in(worker).post(url, {"version": case.version, "closure_reason": "goals_achieved"})
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED

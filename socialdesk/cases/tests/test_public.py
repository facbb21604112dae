"""The public referral pages (socialdesk/cases/public_views.py): a professional's web referral,
a public application routed by service and district, the status look-up, uploads, the limit per
address and the language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.utils import translation

from socialdesk.accounts.models import User
from socialdesk.cases.models import (
    Attachment,
    Case,
    Referral,
    ReferralChannel,
    ReferralStatus,
    ServiceUser,
)
from socialdesk.cases.services.referrals import referral_decline
from socialdesk.core.crypto import lookup_hash
from socialdesk.core.tests.factories import DistrictFactory, ServiceUnitFactory
from socialdesk.core.tests.world import World, build_world

from .factories import valid_hkid

HKID = valid_hkid("A123456")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def world(db: None) -> World:
    """The shared world without its case records: these tests make the records they look at
    (and count what lands in inboxes and lists)."""
    return build_world(with_cases=False)


@pytest.fixture(autouse=True)
def _fresh_limits_and_language() -> Iterator[None]:
    previous = translation.get_language()
    cache.clear()
    yield
    cache.clear()
    translation.activate(previous)


@pytest.fixture
def person(open_case: Case) -> ServiceUser:
    """A person already registered in unit_a (the worker's open case), HKID on record."""
    from socialdesk.cases.services.search import search_keys_rebuild

    person = open_case.person
    ServiceUser.objects.filter(pk=person.pk).update(hkid=HKID, hkid_hash=lookup_hash(HKID))
    person.refresh_from_db()
    search_keys_rebuild(person)
    return person


def english() -> Client:
    client = Client()
    client.cookies["socialdesk_language"] = "en"
    return client


def referral_form(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "submission": "0123456789abcdef0123456789abcdef",
        "referrer_organisation": "Sha Tin Primary School",
        "referrer_name": "Miss Lee, school social worker",
        "referrer_phone": "2601 0000",
        "referrer_email": "",
        "to_unit": str(world.unit_a.pk),
        "name_zh": "陳大文",
        "name_en": "Chan Tai Man",
        "sex": "M",
        "date_of_birth": "2014-09-01",
        "hkid": "A123456(3)",
        "phone": "",
        "address": "",
        "language": "yue",
        "reason": "Often absent; the family may need support.",
        "urgency": "routine",
        "consent_evidence": "Mother signed the school's consent form on 2 May.",
        "consent_confirmed": "on",
    }
    return {**data, **overrides}


def stored_files(media_root: Any) -> set[str]:
    return {str(p) for p in Path(media_root).rglob("*") if p.is_file()}


def text_of(response: HttpResponse) -> str:
    return response.content.decode()


# --- Pages open to everyone, in both languages ---


@pytest.mark.parametrize("name", ["landing", "professional", "apply", "status"])
def test_the_pages_open_without_sign_in_in_traditional_chinese(world: World, name: str) -> None:
    response = Client().get(f"/referral/{'' if name == 'landing' else name + '/'}")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hant"
    assert '<html lang="zh-Hant">' in text_of(response)
    assert (
        response["Cache-Control"].startswith("no-store") or "no-cache" in response["Cache-Control"]
    )


def test_the_landing_page_offers_both_ways_in_english(world: World) -> None:
    page = text_of(english().get("/referral/"))
    assert "I am a professional referring someone" in page
    assert "I want to apply for or ask about a service" in page
    assert 'action="/accounts/language/"' in page  # the language switch of the base layout
    assert "<script>" not in page and "onclick" not in page


def test_a_post_without_the_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/referral/professional/", referral_form(world)).status_code == 403
    assert not Referral.objects.exists()


# --- The professional's referral ---


def test_a_web_referral_reaches_the_units_inbox_matched_to_the_person(
    world: World, worker: User, person: ServiceUser
) -> None:
    response = english().post("/referral/professional/", referral_form(world))
    assert response.status_code == 200
    referral = Referral.objects.get()
    assert referral.channel == ReferralChannel.WEB_FORM and referral.to_unit == world.unit_a
    assert referral.person == person  # same HKID as the registered person
    assert referral.referrer_organisation == "Sha Tin Primary School"
    assert referral.shared_data["hkid_masked"] == "A123***(*)"
    page = text_of(response)
    assert referral.reference in page and "Keep these two codes" in page
    secret = re.search(r'id="referral-secret" class="secret">([^<]+)<', page)
    assert secret is not None
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    from socialdesk.cases import selectors

    assert list(selectors.referral_inbox_for(user=worker)) == [referral]
    status = english().post(
        "/referral/status/", {"reference": referral.reference, "secret": secret[1]}
    )
    assert "Waiting for a reply" in text_of(status)


def test_a_refused_field_is_shown_beside_it_and_nothing_is_saved(world: World) -> None:
    data = referral_form(world, hkid="A123456(4)", referrer_phone="", consent_confirmed="")
    response = english().post("/referral/professional/", data)
    assert response.status_code == 200
    page = text_of(response)
    assert "There is a problem" in page
    assert "This field is required." in page  # the consent box
    assert not Referral.objects.exists()
    data = referral_form(world, hkid="A123456(4)", referrer_phone="")
    page = text_of(english().post("/referral/professional/", data))
    assert "This is not a valid HKID number" in page
    assert "Enter a phone number or an email address to reply to." in page
    assert not Referral.objects.exists()


def test_documents_are_checked_and_attached(world: World, settings: Any) -> None:
    upload = SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")
    response = english().post(
        "/referral/professional/", {**referral_form(world), "attachments": [upload]}
    )
    assert response.status_code == 200, text_of(response)
    referral = Referral.objects.get()
    [attachment] = referral.attachments.all()
    assert attachment.original_name == "report.pdf" and attachment.content_type == "application/pdf"
    assert attachment.uploaded_by is None


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (("huge.pdf", PDF + b"0" * 500), "The file is too large"),
        (("virus.exe", b"MZ\x90\x00" * 10), "Only PDF, JPEG, PNG, Word (DOCX) and Excel (XLSX)"),
        (
            ("fake.pdf", b"just text, not a PDF"),
            "Only PDF, JPEG, PNG, Word (DOCX) and Excel (XLSX)",
        ),
    ],
    ids=["too big", "wrong type", "wrong content"],
)
def test_a_refused_document_refuses_the_referral_with_a_clear_error(
    world: World, settings: Any, upload: tuple[str, bytes], message: str
) -> None:
    settings.SOCIALDESK_UPLOAD_MAX_BYTES = len(PDF) + 100
    good = SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")
    bad = SimpleUploadedFile(upload[0], upload[1], content_type="application/pdf")
    before = stored_files(settings.MEDIA_ROOT)
    response = english().post(
        "/referral/professional/", {**referral_form(world), "attachments": [good, bad]}
    )
    assert response.status_code == 200
    page = text_of(response)
    assert message in page and upload[0] in page
    assert not Referral.objects.exists() and not Attachment.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == before


def test_more_than_five_documents_are_refused(world: World) -> None:
    uploads = [
        SimpleUploadedFile(f"r{i}.pdf", PDF, content_type="application/pdf") for i in range(6)
    ]
    page = text_of(
        english().post("/referral/professional/", {**referral_form(world), "attachments": uploads})
    )
    assert "Attach at most 5 files." in page
    assert not Referral.objects.exists()


def test_a_request_too_large_for_the_files_allowed_is_refused_unread(
    world: World, settings: Any
) -> None:
    settings.SOCIALDESK_UPLOAD_MAX_BYTES = 1000  # 5 files of 1000 bytes (and the form) fit
    upload = SimpleUploadedFile(
        "big.pdf", PDF + b"0" * (1024 * 1024 + 6000), content_type="application/pdf"
    )
    response = english().post(
        "/referral/professional/", {**referral_form(world), "attachments": [upload]}
    )
    assert response.status_code == 413
    assert "The files are too large" in text_of(response)
    assert not Referral.objects.exists()


def test_sending_the_same_page_twice_refers_once(world: World, settings: Any) -> None:
    client = english()

    def page() -> dict[str, Any]:
        upload = SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")
        return {**referral_form(world), "attachments": [upload]}

    first = client.post("/referral/professional/", page())
    files = stored_files(settings.MEDIA_ROOT)
    again = client.post("/referral/professional/", page())
    referral = Referral.objects.get()
    assert Attachment.objects.count() == 1 and stored_files(settings.MEDIA_ROOT) == files
    assert "Keep these two codes" in text_of(first)
    assert "This was already received" in text_of(again) and referral.reference in text_of(again)
    assert 'id="referral-secret"' not in text_of(again)


def test_each_form_carries_a_new_submission_id(world: World) -> None:
    pattern = r'name="submission" value="([0-9a-f]{32})"'
    first = re.search(pattern, text_of(Client().get("/referral/professional/")))
    second = re.search(pattern, text_of(Client().get("/referral/professional/")))
    assert first and second and first[1] != second[1]


# --- The public application ---


def application(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "submission": "fedcba9876543210fedcba9876543210",
        "service_type": str(world.service_type.pk),
        "district": str(world.district.pk),
        "name_zh": "李小明",
        "name_en": "",
        "phone": "6123 4567",
        "email": "",
        "help_needed": "My mother has dementia and I cannot cope alone.",
        "consent": "on",
    }
    return {**data, **overrides}


@pytest.fixture
def one_centre(world: World) -> World:
    """Only unit_a offers the service in the world's district: the others move elsewhere."""
    elsewhere = DistrictFactory(code="tai-po", name_zh="大埔", name_en="Tai Po")
    for unit in (world.unit_b, world.unit_swd):
        unit.district = elsewhere
        unit.save(update_fields=["district"])
    return world


def test_an_application_goes_to_the_centre_of_the_service_in_the_district(
    one_centre: World, worker: User
) -> None:
    world = one_centre
    response = english().post("/referral/apply/", application(world))
    assert response.status_code == 200
    referral = Referral.objects.get()
    assert referral.channel == ReferralChannel.PUBLIC_APPLICATION
    assert referral.to_unit == world.unit_a
    assert referral.referrer_name == "李小明" and referral.referrer_phone == "6123 4567"
    assert referral.shared_data["phone"] == "61234567"
    assert referral.reason == "My mother has dementia and I cannot cope alone."
    assert "Keep these two codes" in text_of(response) and referral.reference in text_of(response)
    from socialdesk.cases import selectors

    assert list(selectors.referral_inbox_for(user=worker)) == [referral]


def test_with_several_centres_the_applicant_chooses_one(world: World) -> None:
    first = english().post("/referral/apply/", application(world))
    page = text_of(first)
    assert "Choose the centre you want to contact." in page
    assert world.unit_b.name_en in page and world.unit_a.name_en in page
    assert not Referral.objects.exists()
    chosen = english().post("/referral/apply/", application(world, unit=str(world.unit_b.pk)))
    assert Referral.objects.get().to_unit == world.unit_b, text_of(chosen)


def test_an_application_where_no_centre_offers_the_service_is_refused(world: World) -> None:
    elsewhere = DistrictFactory(code="islands", name_zh="離島", name_en="Islands")
    page = text_of(english().post("/referral/apply/", application(world, district=elsewhere.pk)))
    assert "No centre offers this service in your district online yet" in page
    assert not Referral.objects.exists()


def test_an_application_needs_a_name_a_way_to_reply_and_consent(one_centre: World) -> None:
    data = application(one_centre, name_zh="", phone="", consent="")
    page = text_of(english().post("/referral/apply/", data))
    assert "This field is required." in page
    assert not Referral.objects.exists()
    data = application(one_centre, name_zh="", phone="")
    page = text_of(english().post("/referral/apply/", data))
    assert "Enter the Chinese or the English name." in page
    assert "Enter a phone number or an email address to reply to." in page
    assert not Referral.objects.exists()


def test_only_services_that_units_offer_are_listed(world: World) -> None:
    ServiceUnitFactory(
        organisation=world.ngo_a, code="a-other", is_active=False, district=world.district
    )
    page = text_of(english().get("/referral/apply/"))
    assert world.service_type.name_en in page


# --- Status ---


@pytest.fixture
def sent(world: World) -> tuple[Referral, str]:
    response = english().post("/referral/professional/", referral_form(world))
    match = re.search(r'id="referral-secret" class="secret">([^<]+)<', text_of(response))
    assert match is not None
    return Referral.objects.get(), match[1]


def test_the_status_shows_the_decision_and_no_personal_data(
    world: World, worker: User, sent: tuple[Referral, str]
) -> None:
    referral, secret = sent
    referral_decline(
        user=worker,
        referral_id=referral.pk,
        expected_version=referral.version,
        reason="Please refer to the school social work service first.",
    )
    page = text_of(
        english().post("/referral/status/", {"reference": referral.reference, "secret": secret})
    )
    assert "Declined" in page and "Please refer to the school social work service first." in page
    assert "陳大文" not in page and "CHAN TAI MAN" not in page and "A123" not in page
    assert secret not in page


def test_the_status_with_a_wrong_secret_shows_nothing(
    world: World, sent: tuple[Referral, str]
) -> None:
    referral, _secret = sent
    page = text_of(
        english().post("/referral/status/", {"reference": referral.reference, "secret": "guess"})
    )
    assert "No referral has this reference number and status code." in page
    assert "Waiting for a reply" not in page


def test_the_reference_may_be_typed_in_lower_case(world: World, sent: tuple[Referral, str]) -> None:
    referral, secret = sent
    page = text_of(
        english().post(
            "/referral/status/", {"reference": referral.reference.lower(), "secret": secret}
        )
    )
    assert "Waiting for a reply" in page
    assert referral.status == ReferralStatus.SENT


# --- Limits per address ---


def test_submissions_from_one_address_are_limited(world: World, settings: Any) -> None:
    settings.SOCIALDESK_PUBLIC_RATE_LIMITS = {"submit": (2, 3600), "status": (30, 600)}
    client = english()
    for n in range(2):
        client.post("/referral/professional/", referral_form(world, submission=f"{n:032d}"))
    limited = client.post("/referral/professional/", referral_form(world, submission="9" * 32))
    assert limited.status_code == 429
    assert "Too many requests were sent from your network" in text_of(limited)
    assert Referral.objects.count() == 2
    assert client.post("/referral/apply/", application(world)).status_code == 200  # its own count
    other_address = english()
    response = other_address.post(
        "/referral/professional/", referral_form(world), REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200 and Referral.objects.count() == 3


def test_status_guesses_from_one_address_are_limited(
    world: World, settings: Any, sent: tuple[Referral, str]
) -> None:
    settings.SOCIALDESK_PUBLIC_RATE_LIMITS = {"submit": (10, 3600), "status": (3, 600)}
    referral, secret = sent
    for _ in range(3):
        english().post("/referral/status/", {"reference": referral.reference, "secret": "x"})
    response = english().post(
        "/referral/status/", {"reference": referral.reference, "secret": secret}
    )
    assert response.status_code == 429
    assert "Waiting for a reply" not in text_of(response)

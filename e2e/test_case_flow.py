"""A case from first contact to closure, in zh-Hant and in English: registering a person (with the
possible-duplicate warning), the intake interview, opening the case, an assessment, a plan
approved by the supervisor, a case note, a referral with consent to another NGO that accepts it,
and the closure approved by the supervisor. Every page is checked with axe-core; a few are
photographed at desktop and phone width."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import NewPage, Server
from e2e.helpers import (
    PHONE,
    Accessibility,
    horizontal_overflow,
    login,
    overflowing_elements,
    path_of,
    screenshot,
    set_language,
)

# The other NGO's worker in the demo data (Evergreen Elderly Services, Yau Tsim Mong).
RECEIVING_USER = "worker2"
RECEIVING_UNIT = re.compile("Yau Tsim Mong|油尖旺")

RUNS = {
    # language: (Chinese name of the person already registered, of the new person, birth date,
    #            English name)
    "zh-hant": ("何美華", "何美樺", "1948-02-03", "HO Mei Wah"),
    "en": ("葉國強", "葉國祥", "1952-07-08", "YIP Kwok Cheung"),
}


@pytest.fixture(scope="module", autouse=True)
def _shipped_forms(server: Server) -> Iterator[None]:
    """The intake, screening and assessment forms shipped with SocialDesk. Afterwards the demo
    users get their default language back: the English run saves English as their choice, and
    the other browser tests expect a fresh demo (zh-Hant)."""
    server.manage("load_form_definitions")
    yield
    server.manage(
        "shell",
        "-c",
        "from socialdesk.accounts.models import User; "
        "User.objects.filter(is_demo=True).update(preferred_language='zh-hant')",
    )


def submit(page: Page, button: str = "main form .form-actions button[type=submit]") -> None:
    with page.expect_navigation():
        page.locator(button).first.click()


def answer_required_questions(page: Page) -> None:
    """Answer every shown required question of a data-defined form: the first option ("no" for
    yes/no questions), the lowest number, today or a short text. Questions that a skip condition
    reveals are answered when the loop reaches them."""
    questions = page.locator("main .form-question")
    for index in range(questions.count()):
        question = questions.nth(index)
        if not question.is_visible() or question.locator(".required-marker").count() == 0:
            continue
        radios = question.locator("input[type=radio]")
        boxes = question.locator("input[type=checkbox]")
        if radios.count():
            no = question.locator("input[type=radio][value=no]")
            (no if no.count() else radios).first.check()
        elif boxes.count():
            boxes.first.check()
        elif question.locator("textarea").count():
            question.locator("textarea").first.fill("Recorded in the interview.")
        else:
            field = question.locator("input").first
            kind = field.get_attribute("type")
            if kind == "date":
                field.fill(date.today().isoformat())
            elif kind == "number":
                field.fill(field.get_attribute("min") or "1")
            else:
                field.fill("Recorded")


def check_phone_layout(page: Page, name: str) -> None:
    page.set_viewport_size(PHONE)
    overflow = horizontal_overflow(page)
    assert overflow == 0, f"{name} is {overflow}px too wide: {overflowing_elements(page)}"
    screenshot(page, f"{name}-phone")
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_a_case_from_registration_to_closure(new_page: NewPage, language: str) -> None:
    known_name, new_name, born, name_en = RUNS[language]
    tag = "zh" if language == "zh-hant" else "en"
    a11y = Accessibility()
    worker = new_page()
    login(worker, "worker")
    if language == "en":
        set_language(worker, "en")

    # A person already registered in the unit.
    worker.goto("/cases/people/new/")
    worker.fill("#id_name_zh", known_name)
    worker.fill("#id_date_of_birth", born)
    worker.fill("#id_presenting_problem", "Known to the centre.")
    submit(worker)
    assert re.fullmatch(r"/cases/people/\d+/", path_of(worker))

    # Registering a near match: the warning shows a masked summary and the reasons.
    worker.goto("/cases/people/new/")
    worker.fill("#id_name_zh", new_name)
    worker.fill("#id_name_en", name_en)
    worker.check("input[name=sex][value=F]")
    worker.fill("#id_date_of_birth", born)
    worker.fill("#id_phone", "9876 5432")
    worker.fill("#id_presenting_problem", "Carer of a husband with dementia, exhausted.")
    submit(worker)
    warning = worker.locator("#duplicates-heading")
    expect(warning).to_be_visible()
    expect(worker.locator(".candidate-list")).to_contain_text(f"{known_name[0]}○○")
    expect(worker.locator(".candidate-list")).not_to_contain_text(known_name)
    assert worker.input_value("#id_name_en") == name_en  # nothing typed is lost
    a11y.check(worker, f"registration, possible duplicate ({tag})")
    screenshot(worker, f"{tag}-desktop-register-duplicate")
    check_phone_layout(worker, f"{tag}-register-duplicate")
    submit(worker, "button[name=acknowledge]")
    assert re.fullmatch(r"/cases/people/\d+/", path_of(worker))
    person_url = path_of(worker)
    expect(worker.locator("main h1")).to_contain_text(new_name)
    a11y.check(worker, f"person ({tag})")

    # Intake: the interview on the shipped intake form, then a case is opened.
    worker.locator("main .alert-info a[href*='/cases/intakes/']").first.click()
    worker.wait_for_url(re.compile(r"/cases/intakes/\d+/$"))
    intake_url = path_of(worker)
    worker.locator(f"main a[href='{intake_url}interview/']").click()
    worker.wait_for_url(f"**{intake_url}interview/")
    answer_required_questions(worker)
    a11y.check(worker, f"intake interview ({tag})")
    submit(worker)
    assert path_of(worker) == intake_url
    expect(worker.locator("#answers-heading")).to_be_visible()
    submit(worker, f"main form[action='{intake_url}open-case/'] button[type=submit]")
    assert re.fullmatch(r"/cases/\d+/", path_of(worker))
    case_url = path_of(worker)

    # An assessment on a published form.
    worker.locator(f"main a[href='{case_url}assessments/new/']").click()
    worker.locator("input[name=form][value=carer_stress]").check()
    submit(worker, "main form button[type=submit]")
    answer_required_questions(worker)
    a11y.check(worker, f"assessment ({tag})")
    submit(worker)
    assert re.fullmatch(r"/cases/assessments/\d+/", path_of(worker))
    expect(worker.locator(".stat-grid")).to_be_visible()

    # A plan, submitted for the supervisor's approval.
    worker.goto(f"{case_url}plans/new/")
    worker.fill("#id_review_on", date.today().replace(year=date.today().year + 1).isoformat())
    worker.fill("#id_goals-0-description", "Day care three times a week")
    submit(worker)
    submit(worker, "main form[action$='/submit/'] button[type=submit]")
    expect(worker.locator("#plans .badge-warning")).to_be_visible()  # awaiting approval

    # A case note.
    worker.locator("#notes summary").click()
    worker.select_option("#id_kind", "home_visit")
    worker.fill("#id_body", "Home visit: the husband now attends day care.")
    submit(worker, f"main form[action='{case_url}notes/new/'] button[type=submit]")
    expect(worker.locator("#notes")).to_contain_text("the husband now attends day care")
    a11y.check(worker, f"case ({tag})")
    screenshot(worker, f"{tag}-desktop-case")
    check_phone_layout(worker, f"{tag}-case")

    # The supervisor approves the plan.
    supervisor = new_page()
    login(supervisor, "supervisor")
    if language == "en":
        set_language(supervisor, "en")
    supervisor.goto(case_url)
    supervisor.locator("#plans input[name=decision][value=approve]").check()
    submit(supervisor, "#plans form[action$='/decide/'] button[type=submit]")
    expect(supervisor.locator("#plans .badge-success")).to_be_visible()

    # Consent to referral, then the referral to the other NGO.
    worker.goto(f"{person_url}consents/new/?purpose=referral")
    worker.check("input[name=purpose][value=referral]")
    worker.fill("#id_scope", "Name, contact details and needs, to the day care centre.")
    worker.fill("#id_given_by", "The person themself")
    worker.fill("#id_evidence", "Signed consent form filed")
    submit(worker)
    worker.goto(f"{person_url}refer/")
    target = worker.evaluate(
        """(pattern) => [...document.querySelectorAll('#id_to_unit option')]
            .find(o => new RegExp(pattern).test(o.textContent)).value""",
        RECEIVING_UNIT.pattern,
    )
    worker.select_option("#id_to_unit", target)
    worker.fill("#id_reason", "Needs day care and carer support near home.")
    worker.locator("input[name=consent]").first.check()
    a11y.check(worker, f"referral form ({tag})")
    screenshot(worker, f"{tag}-desktop-referral-new")
    submit(worker)
    assert re.fullmatch(r"/cases/referrals/\d+/", path_of(worker))
    referral_url = path_of(worker)

    # The other NGO accepts it: an intake opens there.
    receiver = new_page()
    login(receiver, RECEIVING_USER)
    if language == "en":
        set_language(receiver, "en")
    receiver.goto("/cases/referrals/")
    receiver.locator(f"main a[href='{referral_url}']").click()
    expect(receiver.locator("main")).to_contain_text(name_en.upper())
    a11y.check(receiver, f"referral received ({tag})")
    submit(receiver, f"main form[action='{referral_url}accept/'] button[type=submit]")
    assert re.fullmatch(r"/cases/intakes/\d+/", path_of(receiver))

    # Closing: the worker asks, the supervisor approves.
    worker.goto(f"{case_url}close/")
    worker.check("input[name=closure_reason][value=referred_elsewhere]")
    worker.fill("#id_closure_note", "Referred to day care; carer coping.")
    submit(worker)
    expect(worker.locator("#closure-pending-heading")).to_be_visible()
    supervisor.goto(case_url)
    supervisor.locator("input[name=decision][value=approve]").check()
    submit(supervisor, f"main form[action='{case_url}close/decide/'] button[type=submit]")
    expect(supervisor.locator("#closure-pending-heading")).to_have_count(0)
    expect(supervisor.locator(f"main a[href='{case_url}reopen/']")).to_be_visible()  # closed
    a11y.check(supervisor, f"closed case ({tag})")
    a11y.assert_clean()

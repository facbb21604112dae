"""Statistical return pages: the list (what each role sees, filters, "waiting for me", starting a
return), the return page in both languages, the whole review workflow through the pages, stale
versions (409), errors next to the right input, the Excel template and upload, and query budgets
that do not grow with the data."""

from __future__ import annotations

import importlib.util
import io
import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from socialdesk.accounts.models import User
from socialdesk.core.models import Role
from socialdesk.core.tests.factories import ServiceUnitFactory
from socialdesk.core.tests.world import World
from socialdesk.performance.models import (
    Agreement,
    ReturnAction,
    ReturnEvent,
    ReturnStatus,
    ReturnValue,
    StatisticalReturn,
)
from socialdesk.performance.services.returns import (
    return_endorse,
    return_get_or_create,
    return_save,
    return_submit,
)

from .conftest import NEW_CASES_MESSAGE, Definition

SignedIn = Callable[..., Client]
GOOD = {
    "value-cases_served": "1200",
    "value-cases_served-sex-F": "700",
    "value-cases_served-sex-M": "500",
    "value-new_cases": "120",
    "value-satisfied_pct": "85.5",
}
GOOD_KEYS = {
    ("cases_served", ""): "1200",
    ("cases_served", "sex:F"): "700",
    ("cases_served", "sex:M"): "500",
    ("new_cases", ""): "120",
    ("satisfied_pct", ""): "85.5",
}
HAS_SPREADSHEET = importlib.util.find_spec("socialdesk.performance.spreadsheet") is not None
HAS_UPLOADS = importlib.util.find_spec("socialdesk.performance.services.uploads") is not None


def _body(response: Any) -> str:
    return response.content.decode()


def _row(response: Any, slug: str) -> str:
    """The HTML of one figure's row of the return page."""
    match = re.search(rf'<tr id="figure-{re.escape(slug)}">(.*?)</tr>', _body(response), re.S)
    assert match, f"no row for {slug}"
    return match.group(1)


def url(name: str, ret: StatisticalReturn) -> str:
    return reverse(f"performance:return_{name}", args=[ret.pk])


@pytest.fixture
def english(world: World) -> None:
    """Every staff member of the world reads the pages in English (messages are compared)."""
    User.objects.update(preferred_language="en")


@pytest.fixture
def draft(world: World, worker: User, definition: Definition) -> StatisticalReturn:
    """unit_a's 2025-26 Q1 return, just started."""
    return return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=definition.periods[0])


def filled(ret: StatisticalReturn, worker: User) -> StatisticalReturn:
    return return_save(
        user=worker, return_id=ret.pk, expected_version=ret.version, values=GOOD_KEYS
    )


def unit_b_return(world: World, definition: Definition) -> StatisticalReturn:
    """NGO B's return for the same period (its FSA on the same template)."""
    Agreement.objects.create(unit=world.unit_b, fiscal_year=2025, template=definition.template)
    return StatisticalReturn.objects.create(
        unit=world.unit_b,
        period=definition.periods[0],
        template=definition.template,
        due_on=definition.periods[0].ends_on + timedelta(days=30),
        grace_until=definition.periods[0].ends_on + timedelta(days=44),
        return_reason="SENTINEL-BRAVO reason",
    )


# --- Languages and roles -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "lang", "status", "template"),
    [
        ("zh-hant", "zh-Hant", "草稿", "綜合家庭服務中心統計表"),
        ("en", "en", "Draft", "IFSC return"),
    ],
)
def test_the_pages_render_in_both_languages(
    draft: StatisticalReturn,
    worker: User,
    signed_in: SignedIn,
    language: str,
    lang: str,
    status: str,
    template: str,
) -> None:
    worker.preferred_language = language
    worker.save(update_fields=["preferred_language"])
    client = signed_in(worker)
    for path in (reverse("performance:return_list"), url("detail", draft)):
        response = client.get(path)
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in _body(response)
        assert f'<span class="badge">{status}</span>' in _body(response)
    assert template in _body(client.get(url("detail", draft)))  # in the page's language


def test_each_role_sees_only_the_returns_it_may(
    world: World,
    definition: Definition,
    draft: StatisticalReturn,
    roles: dict[str, User],
    signed_in: SignedIn,
) -> None:
    other = unit_b_return(world, definition)
    own_link, other_link = url("detail", draft), url("detail", other)
    for role in (Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR, Role.AGENCY_ADMIN):
        body = _body(signed_in(roles[role]).get(reverse("performance:return_list")))
        assert own_link in body and other_link not in body, role
        assert signed_in(roles[role]).get(other_link).status_code == 404
    finance = signed_in(roles[Role.AGENCY_FINANCE])
    assert own_link in _body(finance.get(reverse("performance:return_list")))
    for role in (Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN):
        client = signed_in(roles[role])
        body = _body(client.get(reverse("performance:return_list")))
        assert own_link in body and other_link in body, role
        assert "SENTINEL-BRAVO" not in _body(client.get(own_link))
    bravo = signed_in(world.admin_b)
    body = _body(bravo.get(reverse("performance:return_list")))
    assert other_link in body and own_link not in body
    assert bravo.get(own_link).status_code == 404
    privacy = signed_in(roles[Role.PRIVACY_OFFICER])
    assert privacy.get(reverse("performance:return_list")).status_code == 403
    assert privacy.get(own_link).status_code == 403


def test_the_list_filters_and_the_waiting_for_me_filter(
    world: World,
    definition: Definition,
    draft: StatisticalReturn,
    roles: dict[str, User],
    signed_in: SignedIn,
) -> None:
    other = unit_b_return(world, definition)
    swd = signed_in(roles[Role.SWD_SUBVENTIONS])
    list_url = reverse("performance:return_list")
    body = _body(swd.get(list_url, {"agency": world.ngo_b.pk}))
    assert url("detail", other) in body and url("detail", draft) not in body
    body = _body(swd.get(list_url, {"status": "accepted"}))
    assert url("detail", other) not in body and url("detail", draft) not in body
    body = _body(swd.get(list_url, {"year": 2025, "period": definition.periods[0].pk}))
    assert url("detail", other) in body and url("detail", draft) in body
    htmx = swd.get(list_url, {"unit": world.unit_a.pk}, HTTP_HX_REQUEST="true")
    assert "<html" not in _body(htmx) and url("detail", draft) in _body(htmx)

    def waiting(role: str) -> str:
        return _body(signed_in(roles[role]).get(list_url, {"waiting": "on"}))

    assert url("detail", draft) in waiting(Role.UNIT_SUPERVISOR)
    assert url("detail", draft) not in waiting(Role.AGENCY_ADMIN)
    ret = filled(draft, roles[Role.FRONTLINE_WORKER])
    ret = return_submit(
        user=roles[Role.UNIT_SUPERVISOR], return_id=ret.pk, expected_version=ret.version
    )
    assert url("detail", draft) not in waiting(Role.UNIT_SUPERVISOR)
    assert url("detail", draft) in waiting(Role.AGENCY_ADMIN)
    assert url("detail", draft) not in waiting(Role.SWD_SUBVENTIONS)
    return_endorse(user=roles[Role.AGENCY_ADMIN], return_id=ret.pk, expected_version=ret.version)
    assert url("detail", draft) not in waiting(Role.AGENCY_ADMIN)
    assert url("detail", draft) in waiting(Role.SWD_SUBVENTIONS)


def test_overdue_returns_are_marked(
    draft: StatisticalReturn, worker: User, signed_in: SignedIn, english: None
) -> None:
    body = _body(signed_in(worker).get(reverse("performance:return_list")))
    assert "Overdue" in body  # 2025-26 Q1 was due in 2025 and is still a draft
    assert "This return is overdue" in _body(signed_in(worker).get(url("detail", draft)))


def test_unit_staff_start_a_return_for_a_period_that_has_ended(
    world: World,
    definition: Definition,
    worker: User,
    agency_admin: User,
    signed_in: SignedIn,
) -> None:
    client = signed_in(worker)
    body = _body(client.get(reverse("performance:return_list")))
    option = f"{world.unit_a.pk}:2025:quarterly:2"
    assert f'value="{option}"' in body
    response = client.post(reverse("performance:return_start"), {"option": option})
    ret = StatisticalReturn.objects.get(unit=world.unit_a, period=definition.periods[1])
    assert response.status_code == 302 and response["Location"] == url("detail", ret)
    assert ret.status == ReturnStatus.DRAFT
    assert f'value="{option}"' not in _body(client.get(reverse("performance:return_list")))
    # A period not offered (already started) is refused on the form; others may not start.
    again = client.post(reverse("performance:return_start"), {"option": option})
    assert again.status_code == 200 and 'class="error-summary"' in _body(again)
    admin = signed_in(agency_admin)
    assert admin.post(reverse("performance:return_start"), {"option": option}).status_code == 403
    assert StatisticalReturn.objects.count() == 1


# --- The workflow --------------------------------------------------------------------------------


def test_the_whole_review_workflow_through_the_pages(
    draft: StatisticalReturn,
    worker: User,
    supervisor: User,
    agency_admin: User,
    swd: User,
    signed_in: SignedIn,
    english: None,
) -> None:
    ret = draft
    as_worker, as_supervisor = signed_in(worker), signed_in(supervisor)
    as_admin, as_swd = signed_in(agency_admin), signed_in(swd)

    def version() -> int:
        ret.refresh_from_db()
        return ret.version

    # The worker saves a draft; only the supervisor may submit it.
    page = _body(as_worker.get(url("detail", ret)))
    assert "Save draft" in page and url("submit", ret) not in page
    response = as_worker.post(url("save", ret), {"version": version(), **GOOD})
    assert response.status_code == 302
    assert "The figures have been saved." in _body(as_worker.get(url("detail", ret)))
    assert ReturnValue.objects.get(statistical_return=ret, indicator__code="new_cases").value == 120
    assert as_worker.post(url("submit", ret), {"version": version()}).status_code == 403

    assert url("submit", ret) in _body(as_supervisor.get(url("detail", ret)))
    response = as_supervisor.post(url("submit", ret), {"version": version()})
    assert response.status_code == 302 and version() and ret.status == ReturnStatus.SUBMITTED
    page = _body(as_worker.get(url("detail", ret)))
    assert 'name="value-new_cases"' not in page  # submitted: read-only

    # The agency endorses; SWD returns one figure with a reason.
    assert as_swd.post(url("endorse", ret), {"version": version()}).status_code == 403
    assert url("endorse", ret) in _body(as_admin.get(url("detail", ret)))
    assert as_admin.post(url("endorse", ret), {"version": version()}).status_code == 302
    assert version() and ret.status == ReturnStatus.ENDORSED
    page = _body(as_swd.get(url("detail", ret)))
    assert url("accept", ret) in page and 'name="reopen-new_cases"' in page
    response = as_swd.post(
        url("send_back", ret),
        {
            "version": version(),
            "reason": "Please check the intake figures.",
            "reopen-new_cases": "on",
            "reopen_reason-new_cases": "Does not match the intake register.",
        },
    )
    assert response.status_code == 302
    assert version() and ret.status == ReturnStatus.RETURNED
    reopened = set(
        ReturnValue.objects.filter(statistical_return=ret, reopened=True).values_list(
            "indicator__code", "category"
        )
    )
    assert reopened == {("new_cases", "")}

    # Only that figure is open; the reasons are shown to the unit.
    response = as_worker.get(url("detail", ret))
    assert 'name="value-new_cases"' in _body(response)
    assert 'name="value-cases_served"' not in _body(response)
    assert "Does not match the intake register." in _row(response, "new_cases")
    assert "Please check the intake figures." in _body(response)
    as_worker.post(url("save", ret), {"version": version(), "value-new_cases": "110"})
    assert ReturnValue.objects.get(statistical_return=ret, indicator__code="new_cases").value == 110
    # A figure that was not returned cannot be changed, even by a forged post.
    as_worker.post(url("save", ret), {"version": version(), "value-cases_served": "1"})
    assert (
        ReturnValue.objects.get(
            statistical_return=ret, indicator__code="cases_served", category=""
        ).value
        == 1200
    )

    # The resubmission shows what changed, in the history and to the reviewers.
    assert as_supervisor.post(url("submit", ret), {"version": version()}).status_code == 302
    assert as_admin.post(url("endorse", ret), {"version": version()}).status_code == 302
    response = as_swd.get(url("detail", ret))
    assert "Changed since last submission" in _row(response, "new_cases")
    assert "<del>120</del>" in _row(response, "new_cases")
    assert "Changed since last submission" not in _row(response, "cases_served")
    assert "<del>120</del> → <mark>110</mark>" in _body(response)  # the history's diff

    # SWD accepts: locked; then unlocks it with a reason.
    assert as_swd.post(url("accept", ret), {"version": version()}).status_code == 302
    assert version() and ret.status == ReturnStatus.ACCEPTED and ret.locked
    page = _body(as_worker.get(url("detail", ret)))
    assert 'name="value-new_cases"' not in page and "locked" in page
    assert url("unlock", ret) in _body(as_swd.get(url("detail", ret)))
    response = as_swd.post(url("unlock", ret), {"version": version(), "reason": ""})
    assert response.status_code == 200 and 'id="unlock_reason_error"' in _body(response)
    response = as_swd.post(
        url("unlock", ret), {"version": version(), "reason": "The unit reported a miscount."}
    )
    assert response.status_code == 302
    assert version() and ret.status == ReturnStatus.RETURNED and not ret.locked
    page = _body(as_worker.get(url("detail", ret)))
    assert 'name="value-cases_served"' in page and 'name="value-new_cases"' in page
    actions = list(
        ReturnEvent.objects.filter(statistical_return=ret).values_list("action", flat=True)
    )
    assert actions[-1] == ReturnAction.UNLOCKED
    assert "The unit reported a miscount." in page


def test_the_agency_returns_a_submitted_return_to_the_unit(
    draft: StatisticalReturn,
    worker: User,
    supervisor: User,
    agency_admin: User,
    signed_in: SignedIn,
    english: None,
) -> None:
    ret = filled(draft, worker)
    ret = return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    client = signed_in(agency_admin)
    response = client.post(url("send_back", ret), {"version": ret.version, "reason": ""})
    assert response.status_code == 200 and 'id="send_back_reason_error"' in _body(response)
    response = client.post(url("send_back", ret), {"version": ret.version, "reason": "Recount."})
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RETURNED
    assert ReturnValue.objects.filter(statistical_return=ret, reopened=False).count() == 0
    # Not waiting for the agency any more: a second post is told so, and changes nothing.
    response = client.post(url("send_back", ret), {"version": ret.version, "reason": "Again."})
    assert response.status_code == 302
    assert "not waiting for your review" in _body(client.get(response["Location"]))


def test_the_supervisor_saves_and_submits_in_one_go(
    draft: StatisticalReturn, supervisor: User, signed_in: SignedIn
) -> None:
    response = signed_in(supervisor).post(url("submit", draft), {"version": 1, **GOOD})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ReturnStatus.SUBMITTED


# --- Conflicts and errors ------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict_that_overwrites_nothing(
    draft: StatisticalReturn,
    worker: User,
    supervisor: User,
    signed_in: SignedIn,
    english: None,
) -> None:
    ret = filled(draft, worker)
    stale = ret.version
    return_save(
        user=supervisor,
        return_id=ret.pk,
        expected_version=stale,
        values={("new_cases", ""): "130"},
    )
    response = signed_in(worker).post(
        url("save", ret), {**GOOD, "version": stale, "value-new_cases": "140"}
    )
    assert response.status_code == 409
    body = _body(response)
    assert "This record was changed by someone else" in body
    assert re.search(r"<th scope=\"row\">New cases</th><td>140</td><td>130</td>", body)
    assert 'value="140"' in _row(response, "new_cases")  # what was typed is kept
    ret.refresh_from_db()
    assert f'name="version" value="{ret.version}"' in body  # saving again applies it
    assert ReturnValue.objects.get(statistical_return=ret, indicator__code="new_cases").value == 130
    # A stale review step is a conflict too.
    ret = return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    stale_submit = signed_in(supervisor).post(url("submit", ret), {"version": stale})
    assert stale_submit.status_code == 409
    assert "This record was changed by someone else" in _body(stale_submit)
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.SUBMITTED


def test_a_stale_endorsement_is_a_conflict(
    draft: StatisticalReturn,
    worker: User,
    supervisor: User,
    agency_admin: User,
    signed_in: SignedIn,
) -> None:
    ret = filled(draft, worker)
    ret = return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    response = signed_in(agency_admin).post(url("endorse", ret), {"version": ret.version - 1})
    assert response.status_code == 409
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.SUBMITTED


def test_errors_are_shown_next_to_the_right_input(
    draft: StatisticalReturn, worker: User, supervisor: User, signed_in: SignedIn, english: None
) -> None:
    client = signed_in(worker)
    response = client.post(
        url("save", draft), {**GOOD, "version": 1, "value-cases_served-sex-F": "seven hundred"}
    )
    assert response.status_code == 200
    row = _row(response, "cases_served-sex-F")
    assert "Enter a number." in row and 'aria-invalid="true"' in row
    assert "Enter a number." not in _row(response, "cases_served")
    assert 'href="#id_value-cases_served-sex-F"' in _body(response)  # the summary links to it
    assert not ReturnValue.objects.filter(statistical_return=draft).exists()

    # The checks: an error blocks submission, shown on its figure.
    ret = return_save(
        user=worker,
        return_id=draft.pk,
        expected_version=draft.version,
        values={**GOOD_KEYS, ("new_cases", ""): "1300"},
    )
    response = signed_in(supervisor).post(url("submit", ret), {"version": ret.version})
    assert response.status_code == 200
    assert NEW_CASES_MESSAGE in _row(response, "new_cases")
    assert NEW_CASES_MESSAGE not in _row(response, "cases_served")
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.DRAFT
    page = signed_in(worker).get(url("detail", ret))
    assert NEW_CASES_MESSAGE in _row(page, "new_cases")  # shown before submitting too
    assert 'aria-describedby="id_value-new_cases_helptext"' in _row(page, "new_cases")


def test_a_warning_asks_for_a_comment(
    world: World,
    definition: Definition,
    draft: StatisticalReturn,
    worker: User,
    signed_in: SignedIn,
    english: None,
) -> None:
    """The outlier rule: far from the unit's accepted history (two earlier returns)."""
    for number, served in ((3, 400), (4, 420)):
        earlier = StatisticalReturn.objects.create(
            unit=world.unit_a,
            period=definition.periods[number - 1],
            template=definition.template,
            status=ReturnStatus.ACCEPTED,
            due_on=definition.periods[number - 1].ends_on,
            grace_until=definition.periods[number - 1].ends_on,
        )
        ReturnValue.objects.create(
            statistical_return=earlier,
            indicator=definition.indicators["cases_served"],
            value=Decimal(served),
        )
    # The history must be before the period: move this return to the next year's first quarter.
    from socialdesk.performance.services.returns import periods_ensure

    next_year = periods_ensure(2026, "quarterly")[0]
    Agreement.objects.create(unit=world.unit_a, fiscal_year=2026, template=definition.template)
    ret = return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=next_year)
    ret = filled(ret, worker)  # 1200 cases served: three times the usual
    response = signed_in(worker).get(url("detail", ret))
    row = _row(response, "cases_served")
    assert "far from this unit" in row and "A comment is needed." in row
    assert "2025-26 Q4" in _body(response)  # the previous period's column
    assert ">420<" in row
    response = signed_in(worker).post(
        url("save", ret), {**GOOD, "version": ret.version, "comment-cases_served": "New estate."}
    )
    assert response.status_code == 302
    row = _row(signed_in(worker).get(url("detail", ret)), "cases_served")
    assert "far from this unit" in row and "A comment is needed." not in row


def test_refused_steps_change_nothing(
    world: World,
    definition: Definition,
    draft: StatisticalReturn,
    worker: User,
    supervisor: User,
    agency_admin: User,
    swd: User,
    staff_b: User,
    signed_in: SignedIn,
) -> None:
    ret = filled(draft, worker)
    refused = [
        (swd, "save", {"version": ret.version, **GOOD}, 403),
        (agency_admin, "save", {"version": ret.version, **GOOD}, 403),
        (worker, "endorse", {"version": ret.version}, 403),
        (supervisor, "accept", {"version": ret.version}, 403),
        (agency_admin, "accept", {"version": ret.version}, 403),
        (agency_admin, "unlock", {"version": ret.version, "reason": "x"}, 403),
        (staff_b, "save", {"version": ret.version, **GOOD}, 404),
        (world.admin_b, "endorse", {"version": ret.version}, 404),
    ]
    before = list(ReturnValue.objects.order_by("pk").values())
    for user, step, data, status in refused:
        assert signed_in(user).post(url(step, ret), data).status_code == status, (user, step)
    assert list(ReturnValue.objects.order_by("pk").values()) == before
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.DRAFT


# --- Query budgets -------------------------------------------------------------------------------


def _queries(client: Client, path: str) -> int:
    client.get(path)  # the first request of a session loads more (the session, the device)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_list_runs_a_fixed_number_of_queries(
    world: World,
    definition: Definition,
    draft: StatisticalReturn,
    swd: User,
    signed_in: SignedIn,
    django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(swd)
    path = reverse("performance:return_list")
    few = _queries(client, path)
    unit_b_return(world, definition)
    for index in range(5):
        unit = ServiceUnitFactory(organisation=world.ngo_b, service_type=world.service_type)
        StatisticalReturn.objects.create(
            unit=unit,
            period=definition.periods[index % 4],
            template=definition.template,
            due_on=definition.periods[0].ends_on,
            grace_until=definition.periods[0].ends_on,
        )
    assert _queries(client, path) == few
    with django_assert_max_num_queries(16):
        client.get(path)


def test_the_return_page_runs_a_fixed_number_of_queries(
    world: World,
    definition: Definition,
    draft: StatisticalReturn,
    worker: User,
    supervisor: User,
    agency_admin: User,
    signed_in: SignedIn,
    django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(agency_admin)
    empty = _queries(client, url("detail", draft))
    ret = filled(draft, worker)
    for _ in range(3):  # events, figures and a previous period
        ret = return_save(
            user=worker,
            return_id=ret.pk,
            expected_version=ret.version,
            values={("new_cases", ""): str(100 + ret.version)},
        )
    ret = return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    later = return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=definition.periods[1])
    filled(later, worker)
    assert _queries(client, url("detail", ret)) == empty
    assert _queries(client, url("detail", later)) == empty
    with django_assert_max_num_queries(30):
        client.get(url("detail", later))


# --- Excel ---------------------------------------------------------------------------------------


@pytest.mark.skipif(not HAS_SPREADSHEET, reason="the spreadsheet module is not there yet")
def test_the_excel_template_downloads(
    draft: StatisticalReturn, worker: User, signed_in: SignedIn
) -> None:
    response = signed_in(worker).get(url("excel", draft))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"PK")


@pytest.mark.skipif(not HAS_UPLOADS, reason="the upload service is not there yet")
def test_an_upload_fills_in_the_return_or_lists_its_problems(
    draft: StatisticalReturn, worker: User, signed_in: SignedIn, english: None
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = signed_in(worker)
    page = _body(client.get(url("detail", draft)))
    assert 'accept=".xlsx"' in page and "At most 2.0" in page
    response = client.post(
        url("upload", draft), {"file": SimpleUploadedFile("figures.csv", b"a,b\n1,2\n")}
    )
    assert response.status_code == 200
    body = _body(response)
    assert "problem in the spreadsheet" in body and "CSV" in body
    assert not ReturnValue.objects.filter(statistical_return=draft).exists()

    from openpyxl import load_workbook

    from socialdesk.performance.spreadsheet import workbook_for_return

    book = load_workbook(io.BytesIO(workbook_for_return(draft, language="en")))
    sheet = book.worksheets[0]
    figures = {"cases_served": 10, "new_cases": 5, "satisfied_pct": 90}
    rows = [row[0] for row in sheet.iter_rows(min_col=1, max_col=1) if row[0].value in figures]
    assert len(rows) == 3
    for code_cell in rows:
        sheet.cell(row=code_cell.row, column=7).value = figures[code_cell.value]  # G: figures
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        url("upload", draft),
        {"file": SimpleUploadedFile("figures.xlsx", buffer.getvalue())},
    )
    assert response.status_code == 302, _body(response)[:3000]
    assert ReturnValue.objects.get(statistical_return=draft, indicator__code="new_cases").value == 5


def test_empty_figures_are_to_fill_in_until_the_return_is_submitted(
    draft: StatisticalReturn, supervisor: User, signed_in: SignedIn, english: None
) -> None:
    client = signed_in(supervisor)
    page = client.get(url("detail", draft))
    assert "5 figures to fill in" not in _body(page)  # breakdowns are optional
    assert "3 figures to fill in" in _body(page)
    assert "Enter this figure" not in _row(page, "new_cases")
    response = client.post(url("submit", draft), {"version": draft.version})
    assert response.status_code == 200
    assert "Enter this figure (0 if there were none)." in _row(response, "new_cases")
    draft.refresh_from_db()
    assert draft.status == ReturnStatus.DRAFT

"""The service performance API (socialdesk/performance/api.py): a return's whole review through
HTTP only (an agency's system sends the figures, the unit's supervisor submits, the agency
endorses, SWD returns one figure and accepts the correction), idempotent and versioned writes,
refusals named per figure in both languages, and who may see and do what."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext

from socialdesk.accounts.models import User
from socialdesk.cases.tests.test_api import (
    Api,
    _fresh_language_and_limits,  # noqa: F401  (autouse: cache and language)
    as_user,
    error_of,
    fields_of,
)
from socialdesk.core.tests.world import World
from socialdesk.performance.models import (
    Agreement,
    Frequency,
    ReturnEvent,
    ReturnStatus,
    ReturnValue,
    StatisticalReturn,
)
from socialdesk.performance.services.returns import periods_ensure, return_get_or_create

from .conftest import NEW_CASES_MESSAGE, Definition

GOOD = [
    {"code": "cases_served", "value": "1,200"},
    {"code": "cases_served", "category": "sex:F", "value": 700},
    {"code": "cases_served", "category": "sex:M", "value": "500"},
    {"code": "new_cases", "value": 120},
    {"code": "satisfied_pct", "value": 85.5},
]


def put(api: Api, path: str, body: Any, *, key: str = "") -> HttpResponse:
    headers = dict(api.headers)
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return api.client.put(  # type: ignore[return-value]
        "/api/v1" + path, data=body, content_type="application/json", **headers
    )


@pytest.fixture
def q1(world: World, definition: Definition) -> str:
    """Where unit_a's 2025-26 Q1 figures are sent."""
    return f"/units/{world.unit_a.code}/returns/2025/1"


@pytest.fixture
def return_b(world: World, definition: Definition, staff_b: User) -> StatisticalReturn:
    """unit_b's (NGO B's) 2025-26 Q1 return, on an FSA of its own."""
    Agreement.objects.create(unit=world.unit_b, fiscal_year=2025, template=definition.template)
    return return_get_or_create(user=staff_b, unit_id=world.unit_b.pk, period=definition.periods[0])


def figures_of(body: dict[str, Any]) -> dict[str, str | None]:
    return {
        f"{f['code']}[{f['category']}]" if f["category"] else f["code"]: f["value"]
        for f in body["figures"]
    }


def ok(response: HttpResponse, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json()  # type: ignore[no-any-return]


# --- The whole review ---


def test_a_return_goes_through_its_whole_review_through_the_api(
    world: World,
    definition: Definition,
    q1: str,
    worker: User,
    supervisor: User,
    agency_admin: User,
    swd: User,
) -> None:
    """The agency's system sends the figures, the supervisor submits, the agency endorses, SWD
    returns one figure, the unit corrects only that one, SWD accepts: locked, and the unit's
    attainment shows the figures."""
    system = as_user(worker)
    sent = ok(put(system, q1, {"figures": GOOD}), 201)
    assert (sent["status"], sent["unit"], sent["period"]) == (
        "draft",
        world.unit_a.code,
        "2025-26 Q1",
    )
    assert figures_of(sent) == {
        "cases_served": "1200",
        "cases_served[sex:F]": "700",
        "cases_served[sex:M]": "500",
        "new_cases": "120",
        "satisfied_pct": "85.5",
    }
    assert sent["issues"] == []
    assert sent["due_on"] and sent["grace_until"]
    return_id = sent["id"]
    assert ok(system.get(f"/returns/{return_id}")) == sent

    submitted = ok(
        as_user(supervisor).post(f"/returns/{return_id}/submit", {"version": sent["version"]})
    )
    assert submitted["status"] == "submitted"
    endorsed = ok(
        as_user(agency_admin).post(
            f"/returns/{return_id}/endorse", {"version": submitted["version"]}
        )
    )
    assert endorsed["status"] == "endorsed"

    reviewer = as_user(swd)
    returned = ok(
        reviewer.post(
            f"/returns/{return_id}/return",
            {
                "version": endorsed["version"],
                "reason": "Please check the new cases.",
                "fields": [{"code": "new_cases", "reason": "Does not match the case records."}],
            },
        )
    )
    assert returned["status"] == "returned"
    assert returned["return_reason"] == "Please check the new cases."
    assert [(f["code"], f["return_reason"]) for f in returned["figures"] if f["reopened"]] == [
        ("new_cases", "Does not match the case records.")
    ]

    corrected = ok(
        put(
            system,
            q1,
            {"version": returned["version"], "figures": [{"code": "new_cases", "value": "110"}]},
        )
    )
    assert figures_of(corrected)["new_cases"] == "110"
    resubmitted = ok(
        put(as_user(supervisor), q1, {"version": corrected["version"], "submit": True})
    )
    assert resubmitted["status"] == "submitted"
    again = ok(
        as_user(agency_admin).post(
            f"/returns/{return_id}/endorse", {"version": resubmitted["version"]}
        )
    )
    accepted = ok(reviewer.post(f"/returns/{return_id}/accept", {"version": again["version"]}))

    assert (accepted["status"], accepted["locked"]) == ("accepted", True)
    assert accepted["accepted_at"]
    assert [(e["action"], e["channel"]) for e in accepted["events"]] == [
        ("saved", "api"),
        ("submitted", "api"),
        ("endorsed", "api"),
        ("returned", "api"),
        ("saved", "api"),
        ("submitted", "api"),
        ("endorsed", "api"),
        ("accepted", "api"),
    ]
    assert accepted["events"][5]["changes"] == [{"field": "new_cases", "old": "120", "new": "110"}]
    assert accepted["events"][0]["by"] == worker.display_name
    error_of(
        put(system, q1, {"version": accepted["version"], "figures": GOOD}), 422, "validation_error"
    )

    rows = ok(system.get(f"/units/{world.unit_a.code}/attainment?fiscal_year=2025"))
    by_code = {row["indicator"]: row for row in rows}
    assert list(by_code) == ["cases_served", "new_cases", "satisfied_pct"]
    served = by_code["cases_served"]
    assert (served["agreed"], served["actual"], served["direction"]) == ("400", "1200", "at_least")
    assert (served["periods_reported"], served["name_en"]) == (1, "Cases served")
    assert by_code["new_cases"]["actual"] == "110"
    assert by_code["satisfied_pct"]["actual"] == "85.5"
    assert {row["status"] for row in rows} <= {"met", "on_track", "at_risk", "below"}


def test_supervisor_sends_and_submits_in_one_call(
    world: World, definition: Definition, q1: str, supervisor: User
) -> None:
    body = ok(put(as_user(supervisor), q1, {"figures": GOOD, "submit": True}), 201)
    assert body["status"] == "submitted"
    assert [e["action"] for e in body["events"]] == ["saved", "submitted"]


# --- Idempotency and versions ---


def test_a_repeated_put_with_the_same_key_is_answered_once(
    world: World, definition: Definition, q1: str, worker: User
) -> None:
    system = as_user(worker)
    first = put(system, q1, {"figures": GOOD}, key="ifsc-2025-q1")
    again = put(system, q1, {"figures": list(GOOD)}, key="ifsc-2025-q1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert StatisticalReturn.objects.count() == 1
    assert ReturnEvent.objects.filter(action="saved").count() == 1

    changed = {"figures": [{"code": "new_cases", "value": 1}]}
    error_of(put(system, q1, changed, key="ifsc-2025-q1"), 422, "idempotency_key_reused")
    version = first.json()["version"]
    updated = put(system, q1, {"version": version, **changed}, key="ifsc-2025-q1-fix")
    assert ok(updated)["version"] == version + 1


def test_a_stale_version_is_a_conflict_with_the_current_figures(
    world: World, definition: Definition, q1: str, worker: User, supervisor: User
) -> None:
    """A write on a version someone has moved on from changes nothing and is answered with the
    return as it now stands."""
    system = as_user(worker)
    read = ok(put(system, q1, {"figures": GOOD}), 201)
    seven = {"version": read["version"], "figures": [{"code": "new_cases", "value": 7}]}
    current = ok(put(system, q1, seven))

    nine = {"version": read["version"], "figures": [{"code": "new_cases", "value": 9}]}
    error = error_of(put(system, q1, nine), 409, "conflict")
    assert error["details"]["current_version"] == current["version"]
    assert error["details"]["current"] == current
    assert figures_of(error["details"]["current"])["new_cases"] == "7"

    # Sent without a version, as if to create it: the return exists, the picture is stale.
    error = error_of(put(system, q1, {"figures": GOOD}), 409, "conflict")
    assert error["details"]["current"] == current

    stale_submit = {"version": read["version"]}
    error = error_of(
        as_user(supervisor).post(f"/returns/{read['id']}/submit", stale_submit), 409, "conflict"
    )
    assert error["details"]["current"]["status"] == "draft"
    stored = StatisticalReturn.objects.get()
    assert (stored.version, stored.status) == (current["version"], ReturnStatus.DRAFT)
    assert stored.values.get(indicator__code="new_cases").value == 7


# --- Refusals, per figure ---


@pytest.mark.parametrize("value", ["twelve", "12 cases", True, {"n": 12}])
def test_text_in_a_number_names_the_figure_and_stores_nothing(
    world: World, definition: Definition, q1: str, worker: User, value: Any
) -> None:
    figures = [*GOOD[:2], {"code": "cases_served", "category": "sex:M", "value": value}]
    error = error_of(put(as_user(worker), q1, {"figures": figures}), 422, "validation_error")
    assert fields_of(error) == {"cases_served[sex:M]": "Enter a number."}
    assert not StatisticalReturn.objects.exists()


def test_a_figure_not_on_the_template_is_refused(
    world: World, definition: Definition, q1: str, worker: User
) -> None:
    figures = [
        *GOOD,
        {"code": "bed_days", "value": 3},
        {"code": "new_cases", "category": "sex:F", "value": 1},
    ]
    error = error_of(put(as_user(worker), q1, {"figures": figures}), 422, "validation_error")
    assert fields_of(error) == {
        "bed_days": "This figure is not on the return.",
        "new_cases[sex:F]": "This figure is not on the return.",
    }
    twice = [*GOOD, {"code": "new_cases", "value": 121}]
    error = error_of(put(as_user(worker), q1, {"figures": twice}), 422, "validation_error")
    assert fields_of(error) == {"new_cases": "“new_cases” is given twice."}


def test_after_a_return_only_the_reopened_figures_may_change(
    world: World,
    definition: Definition,
    q1: str,
    worker: User,
    supervisor: User,
    agency_admin: User,
) -> None:
    system = as_user(worker)
    body = ok(put(as_user(supervisor), q1, {"figures": GOOD, "submit": True}), 201)
    body = ok(
        as_user(agency_admin).post(
            f"/returns/{body['id']}/return",
            {
                "version": body["version"],
                "reason": "Check the satisfaction survey.",
                "fields": [{"code": "satisfied_pct", "reason": "Survey of which quarter?"}],
            },
        )
    )
    figures = [
        {"code": "cases_served", "value": "1200"},  # unchanged: accepted
        {"code": "new_cases", "value": "130"},
        {"code": "satisfied_pct", "value": "82"},
    ]
    error = error_of(
        put(system, q1, {"version": body["version"], "figures": figures}), 422, "validation_error"
    )
    assert fields_of(error) == {
        "new_cases": "Only the figures returned for correction can be changed."
    }
    fixed = ok(put(system, q1, {"version": body["version"], "figures": figures[::2]}))
    assert figures_of(fixed)["satisfied_pct"] == "82"
    assert figures_of(fixed)["new_cases"] == "120"


def test_submission_is_refused_per_figure_and_warnings_need_a_comment(
    world: World, definition: Definition, q1: str, supervisor: User
) -> None:
    """Errors of the checks and unexplained warnings are 422 per figure; nothing is stored, not
    even the figures; a comment sent with the figure explains the warning."""
    api = as_user(supervisor)
    wrong = [{"code": "cases_served", "value": 100}, {"code": "new_cases", "value": 200}]
    error = error_of(put(api, q1, {"figures": wrong, "submit": True}), 422, "validation_error")
    assert fields_of(error) == {
        "new_cases": NEW_CASES_MESSAGE,
        "satisfied_pct": "Enter this figure (0 if there were none).",
    }
    assert not StatisticalReturn.objects.exists()

    _accepted_history(world, definition)
    error = error_of(put(api, q1, {"figures": GOOD, "submit": True}), 422, "validation_error")
    assert list(fields_of(error)) == ["cases_served"]
    assert "Explain it in a comment to submit." in fields_of(error)["cases_served"]
    draft = ok(put(api, q1, {"figures": GOOD}), 201)
    assert [(i["code"], i["severity"]) for i in draft["issues"]] == [("cases_served", "warning")]

    comment = [{"code": "cases_served", "comment": "A new housing estate opened."}]
    body = ok(put(api, q1, {"version": draft["version"], "figures": comment, "submit": True}))
    assert body["status"] == "submitted"
    served = next(f for f in body["figures"] if (f["code"], f["category"]) == ("cases_served", ""))
    assert (served["value"], served["comment"]) == ("1200", "A new housing estate opened.")


def _accepted_history(world: World, definition: Definition) -> None:
    """Two earlier accepted returns of unit_a (2024-25 Q3, Q4) with about 100 cases served."""
    for period, served in zip(
        periods_ensure(2024, Frequency.QUARTERLY)[2:], (100, 110), strict=True
    ):
        earlier = StatisticalReturn.objects.create(
            unit=world.unit_a,
            period=period,
            template=definition.template,
            status=ReturnStatus.ACCEPTED,
            locked=True,
            due_on=period.ends_on,
            grace_until=period.ends_on,
        )
        ReturnValue.objects.create(
            statistical_return=earlier,
            indicator=definition.indicators["cases_served"],
            value=Decimal(served),
        )


@pytest.mark.parametrize(
    ("language", "invalid", "not_a_number", "rule"),
    [
        ("en", "Some of the data sent is not valid.", "Enter a number.", NEW_CASES_MESSAGE),
        ("zh-Hant", "提交的部分資料無效。", "請輸入數字。", "新個案不能多於服務個案。"),
    ],
)
def test_messages_come_in_the_callers_language(
    world: World,
    definition: Definition,
    q1: str,
    worker: User,
    language: str,
    invalid: str,
    not_a_number: str,
    rule: str,
) -> None:
    api = as_user(worker, language)
    error = error_of(
        put(api, q1, {"figures": [{"code": "new_cases", "value": "twelve"}]}),
        422,
        "validation_error",
    )
    assert error["message"] == invalid
    assert fields_of(error) == {"new_cases": not_a_number}
    figures = [{"code": "cases_served", "value": 10}, {"code": "new_cases", "value": 20}]
    body = ok(put(api, q1, {"figures": figures}), 201)
    assert {(i["code"], i["message"]) for i in body["issues"]} >= {("new_cases", rule)}


# --- Who may see and do what ---


def test_another_agencys_returns_and_units_are_not_found(
    world: World,
    definition: Definition,
    worker: User,
    agency_admin: User,
    swd: User,
    return_b: StatisticalReturn,
) -> None:
    unit_b = world.unit_b.code
    for user in (worker, agency_admin):
        api = as_user(user)
        error_of(api.get(f"/returns/{return_b.pk}"), 404, "not_found")
        error_of(
            api.post(f"/returns/{return_b.pk}/submit", {"version": return_b.version}),
            404,
            "not_found",
        )
        error_of(api.get(f"/units/{unit_b}/attainment?fiscal_year=2025"), 404, "not_found")
        assert api.get(f"/returns?unit={unit_b}").json() == {"items": [], "count": 0}
    error_of(
        put(as_user(worker), f"/units/{unit_b}/returns/2025/1", {"figures": GOOD}),
        404,
        "not_found",
    )
    assert ReturnValue.objects.filter(statistical_return=return_b).count() == 0
    assert ok(as_user(swd).get(f"/returns/{return_b.pk}"))["unit"] == unit_b


def test_a_frontline_worker_may_not_submit(
    world: World, definition: Definition, q1: str, worker: User
) -> None:
    api = as_user(worker)
    body = ok(put(api, q1, {"figures": GOOD}), 201)
    error_of(
        api.post(f"/returns/{body['id']}/submit", {"version": body["version"]}),
        403,
        "permission_denied",
    )
    error_of(
        put(api, q1, {"version": body["version"], "figures": GOOD[:1], "submit": True}),
        403,
        "permission_denied",
    )
    stored = StatisticalReturn.objects.get()
    assert (stored.status, stored.version) == (ReturnStatus.DRAFT, body["version"])


def test_reviewers_do_not_send_figures(
    world: World, definition: Definition, q1: str, agency_admin: User, swd: User
) -> None:
    """Figures come from the unit's own staff; the agency and SWD review them."""
    for user in (agency_admin, swd):
        error_of(put(as_user(user), q1, {"figures": GOOD}), 403, "permission_denied")
    assert not StatisticalReturn.objects.exists()


def test_without_a_token_the_answer_is_401(world: World, definition: Definition, q1: str) -> None:
    error_of(Api().get("/returns"), 401, "not_authenticated")
    error_of(put(Api(), q1, {"figures": GOOD}), 401, "not_authenticated")
    error_of(Api().post("/returns/1/submit", {"version": 1}), 401, "not_authenticated")
    error_of(Api().get(f"/units/{world.unit_a.code}/attainment"), 401, "not_authenticated")
    assert not StatisticalReturn.objects.exists()


def test_staff_outside_performance_are_refused(world: World, definition: Definition) -> None:
    from socialdesk.core.models import Role

    api = as_user(world.roles[Role.PRIVACY_OFFICER])
    error_of(api.get("/returns"), 403, "permission_denied")
    error_of(api.get(f"/units/{world.unit_a.code}/attainment"), 403, "permission_denied")


# --- The list ---


def test_the_list_filters_by_year_period_status_and_unit(
    world: World,
    definition: Definition,
    q1: str,
    supervisor: User,
    swd: User,
    return_b: StatisticalReturn,
) -> None:
    mine = ok(put(as_user(supervisor), q1, {"figures": GOOD, "submit": True}), 201)
    ok(put(as_user(supervisor), f"/units/{world.unit_a.code}/returns/2025/2", {}), 201)
    api = as_user(swd)

    def ids(query: str) -> list[int]:
        body = ok(api.get(f"/returns{query}"))
        assert body["count"] == len(body["items"])
        return [item["id"] for item in body["items"]]

    everything = ids("")
    assert len(everything) == 3 and mine["id"] in everything and return_b.pk in everything
    assert ids("?period=2025-26%20Q1&status=submitted") == [mine["id"]]
    assert sorted(ids("?fiscal_year=2025&period=Q1")) == sorted([mine["id"], return_b.pk])
    assert ids(f"?unit={world.unit_b.code}") == [return_b.pk]
    assert ids("?fiscal_year=2024") == []
    error_of(api.get("/returns?period=Q9"), 422, "validation_error")
    error_of(api.get("/returns?status=lost"), 422, "validation_error")
    mine_only = ok(as_user(supervisor).get("/returns"))
    assert {item["unit"] for item in mine_only["items"]} == {world.unit_a.code}


def test_the_list_takes_a_fixed_number_of_queries(
    world: World, definition: Definition, supervisor: User, swd: User
) -> None:
    api = as_user(swd)
    api.get("/returns")  # warm up: the token's first use
    for number in (1, 2, 3, 4):
        ok(put(as_user(supervisor), f"/units/{world.unit_a.code}/returns/2025/{number}", {}), 201)
    with CaptureQueriesContext(connection) as few:
        assert ok(api.get("/returns?page_size=1"))["count"] == 4
    with CaptureQueriesContext(connection) as many:
        assert len(ok(api.get("/returns"))["items"]) == 4
    assert len(many) == len(few)

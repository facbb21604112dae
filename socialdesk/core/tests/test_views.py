"""Pages for dashboards, service units, staff and background jobs: what each role sees, editing
with optimistic locking, and query budgets for the list pages."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from socialdesk.accounts.models import User
from socialdesk.accounts.tests.factories import UserFactory
from socialdesk.core.concurrency import ConflictError
from socialdesk.core.models import JobStatus, Role, ServiceUnit
from socialdesk.core.tests.factories import (
    BackgroundJobFactory,
    MembershipFactory,
    ServiceUnitFactory,
)
from socialdesk.core.tests.world import ROLES, World

SignedIn = Callable[..., Client]


def _templates(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.name for t in response.templates if t.name]


def _unit_form(unit: ServiceUnit, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name_zh": unit.name_zh,
        "name_en": unit.name_en,
        "address_zh": unit.address_zh,
        "address_en": unit.address_en,
        "phone": unit.phone,
        "is_active": "on" if unit.is_active else "",
        "version": unit.version,
    }
    data.update(changes)
    return data


# --- Dashboards ---


def test_each_role_lands_on_its_own_dashboard(world: World, signed_in: SignedIn) -> None:
    for role in ROLES:
        response = signed_in(world.roles[role]).get("/")
        assert response.status_code == 200, role
        assert f"core/dashboards/{role}.html" in _templates(response), role


def test_a_user_with_several_roles_can_switch_dashboards(world: World, signed_in: SignedIn) -> None:
    admin = world.roles[Role.AGENCY_ADMIN]
    MembershipFactory(user=admin, organisation=world.ngo_a, role=Role.PRIVACY_OFFICER)
    client = signed_in(admin)
    assert "core/dashboards/privacy_officer.html" in _templates(client.get("/"))
    switched = client.get("/?role=agency_admin")
    assert "core/dashboards/agency_admin.html" in _templates(switched)
    # A role the user does not hold is ignored.
    assert "core/dashboards/privacy_officer.html" in _templates(client.get("/?role=system_admin"))


def test_a_user_without_a_role_sees_the_no_role_page(db: None, signed_in: SignedIn) -> None:
    response = signed_in(UserFactory()).get("/")
    assert response.status_code == 200
    assert "core/dashboards/no_role.html" in _templates(response)


def test_the_menu_offers_only_what_the_role_may_open(world: World, signed_in: SignedIn) -> None:
    worker_page = signed_in(world.roles[Role.FRONTLINE_WORKER]).get("/").content.decode()
    assert reverse("core:unit_list") in worker_page
    assert reverse("core:staff_list") not in worker_page
    assert reverse("privacy:audit_log") not in worker_page
    assert 'href="/admin/"' not in worker_page
    privacy_page = signed_in(world.roles[Role.PRIVACY_OFFICER]).get("/").content.decode()
    assert reverse("privacy:audit_log") in privacy_page
    assert 'href="/admin/"' in signed_in(world.roles[Role.SYSTEM_ADMIN]).get("/").content.decode()


def test_finance_and_webhooks_are_in_the_menu_of_those_who_may_open_them(
    world: World, signed_in: SignedIn
) -> None:
    finance = {Role.AGENCY_ADMIN, Role.AGENCY_FINANCE, Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN}
    webhooks = {Role.AGENCY_ADMIN, Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN}
    for role in ROLES:
        names = {item["name"] for item in signed_in(world.roles[role]).get("/").context["nav"]}
        assert ("performance:finance" in names) == (role in finance), role
        assert ("performance:webhook_list" in names) == (role in webhooks), role


def test_the_menu_marks_the_section_of_finance_webhooks_and_unit_records(
    world: World, signed_in: SignedIn
) -> None:
    swd = signed_in(world.roles[Role.SWD_SUBVENTIONS])
    pages = {
        reverse("performance:finance_add"): "performance:finance",
        reverse("performance:webhook_create"): "performance:webhook_list",
        reverse("performance:unit_records", args=[world.unit_a.pk]): "performance:dashboard",
    }
    for url, section in pages.items():
        nav = swd.get(url).context["nav"]
        assert [item["name"] for item in nav if item["active"]] == [section], url


# --- Service units ---


def test_unit_list_shows_agency_staff_only_their_own_agencys_units(
    world: World, signed_in: SignedIn
) -> None:
    for role in ROLES:
        page = signed_in(world.roles[role]).get("/units/").content.decode()
        assert world.unit_a.name_zh in page or role in (Role.SWD_SUBVENTIONS,), role
        sector_wide = role in (Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN)
        assert (world.unit_b.name_zh in page) == sector_wide, role


def test_unit_list_filters_by_text_type_and_district(world: World, signed_in: SignedIn) -> None:
    other = ServiceUnitFactory(
        organisation=world.ngo_b, name_zh="篩選測試中心", name_en="Filter Test Centre"
    )
    client = signed_in(world.roles[Role.SWD_SUBVENTIONS])
    by_text = client.get("/units/", {"q": "Filter Test"}).content.decode()
    assert other.name_zh in by_text and world.unit_b.name_zh not in by_text
    by_type = client.get("/units/", {"type": world.service_type.code}).content.decode()
    assert world.unit_b.name_zh in by_type and other.name_zh not in by_type
    by_district = client.get("/units/", {"district": other.district.code}).content.decode()
    assert other.name_zh in by_district and world.unit_a.name_zh not in by_district


def test_unit_list_answers_htmx_with_the_table_only(world: World, signed_in: SignedIn) -> None:
    response = signed_in(world.roles[Role.AGENCY_ADMIN]).get("/units/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert _templates(response)[0] == "core/partials/unit_table.html"
    assert b"<html" not in response.content
    assert world.unit_a.name_zh.encode() in response.content


def test_unit_detail_offers_edit_only_to_those_who_may_change_it(
    world: World, signed_in: SignedIn
) -> None:
    edit_url = reverse("core:unit_edit", args=[world.unit_a.pk])
    for role in ROLES:
        response = signed_in(world.roles[role]).get(f"/units/{world.unit_a.pk}/")
        if role == Role.SWD_SUBVENTIONS:
            assert response.status_code == 200  # sees NGO A's unit, cannot edit it
        can_edit = role in (Role.AGENCY_ADMIN, Role.SYSTEM_ADMIN)
        assert (edit_url in response.content.decode()) == can_edit, role


def test_an_agency_admin_edits_a_unit(world: World, signed_in: SignedIn) -> None:
    client = signed_in(world.roles[Role.AGENCY_ADMIN])
    response = client.post(
        f"/units/{world.unit_a.pk}/edit/",
        _unit_form(world.unit_a, name_en="Renamed Centre", phone="2345 6789"),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/units/{world.unit_a.pk}/"
    world.unit_a.refresh_from_db()
    assert (world.unit_a.name_en, world.unit_a.phone, world.unit_a.version) == (
        "Renamed Centre",
        "2345 6789",
        2,
    )
    follow = client.get(response["Location"])
    assert "Renamed Centre" in follow.content.decode()


def test_unit_edit_rejects_a_bad_phone_number_and_changes_nothing(
    world: World, signed_in: SignedIn
) -> None:
    client = signed_in(world.roles[Role.AGENCY_ADMIN])
    response = client.post(
        f"/units/{world.unit_a.pk}/edit/",
        _unit_form(world.unit_a, name_en="Never saved", phone="12345"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    world.unit_a.refresh_from_db()
    assert world.unit_a.name_en == "Agency A Centre" and world.unit_a.version == 1


def test_the_edit_form_cannot_change_the_organisation_or_code(
    world: World, signed_in: SignedIn
) -> None:
    client = signed_in(world.roles[Role.AGENCY_ADMIN])
    data = _unit_form(world.unit_a, organisation=world.ngo_b.pk, code="stolen")
    assert client.post(f"/units/{world.unit_a.pk}/edit/", data).status_code == 302
    world.unit_a.refresh_from_db()
    assert world.unit_a.organisation == world.ngo_a and world.unit_a.code == "a-ifsc"


# --- Optimistic locking ---


def test_the_second_of_two_edits_from_the_same_version_gets_a_conflict(
    world: World, signed_in: SignedIn
) -> None:
    """Two editors open version 1; the first save wins, the second is refused with 409 and a
    message, and the first editor's value stays."""
    first = signed_in(world.roles[Role.AGENCY_ADMIN])
    second = signed_in(world.roles[Role.SYSTEM_ADMIN])
    url = f"/units/{world.unit_a.pk}/edit/"
    opened = first.get(url).context["form"]["version"].value()
    assert second.get(url).context["form"]["version"].value() == opened == 1

    assert first.post(url, _unit_form(world.unit_a, name_en="First editor")).status_code == 302
    response = second.post(url, _unit_form(world.unit_a, name_en="Second editor"))

    assert response.status_code == 409
    assert str(ConflictError.message) in response.content.decode()
    assert response.context["current"].name_en == "First editor"
    world.unit_a.refresh_from_db()
    assert world.unit_a.name_en == "First editor" and world.unit_a.version == 2


def test_after_a_conflict_saving_again_applies_the_users_values(
    world: World, signed_in: SignedIn
) -> None:
    first = signed_in(world.roles[Role.AGENCY_ADMIN])
    second = signed_in(world.roles[Role.SYSTEM_ADMIN])
    url = f"/units/{world.unit_a.pk}/edit/"
    first.post(url, _unit_form(world.unit_a, name_en="First editor"))
    conflict = second.post(url, _unit_form(world.unit_a, name_en="Second editor"))
    form = conflict.context["form"]
    assert form["name_en"].value() == "Second editor"  # the user's input is kept
    resubmit = {
        name: form[name].value()
        for name in ("name_zh", "name_en", "address_zh", "address_en", "phone", "version")
    }
    resubmit["is_active"] = "on"
    assert second.post(url, resubmit).status_code == 302
    world.unit_a.refresh_from_db()
    assert world.unit_a.name_en == "Second editor" and world.unit_a.version == 3


# --- Staff ---


def _staff_form(user: User, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "display_name_zh": user.display_name_zh,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.phone,
        "is_active": "on" if user.is_active else "",
        "version": user.version,
    }
    data.update(changes)
    return data


def test_staff_list_shows_the_agencys_staff_and_not_anothers(
    world: World, signed_in: SignedIn
) -> None:
    page = signed_in(world.roles[Role.AGENCY_ADMIN]).get("/staff/").content.decode()
    assert world.colleague_a.username in page
    assert world.staff_b.username not in page
    search = signed_in(world.roles[Role.AGENCY_ADMIN]).get("/staff/", {"q": "colleague"})
    assert list(search.context["page_obj"]) == [world.colleague_a]


def test_an_agency_admin_edits_a_colleagues_contact_details(
    world: World, signed_in: SignedIn
) -> None:
    client = signed_in(world.roles[Role.AGENCY_ADMIN])
    response = client.post(
        f"/staff/{world.colleague_a.pk}/edit/", _staff_form(world.colleague_a, phone="2123 4567")
    )
    assert response.status_code == 302
    world.colleague_a.refresh_from_db()
    assert world.colleague_a.phone == "2123 4567" and world.colleague_a.version == 2


def test_an_agency_admin_cannot_disable_their_own_account(
    world: World, signed_in: SignedIn
) -> None:
    admin = world.roles[Role.AGENCY_ADMIN]
    client = signed_in(admin)
    response = client.post(f"/staff/{admin.pk}/edit/", _staff_form(admin, is_active=""))
    assert response.status_code == 200
    with translation.override("zh-hant"):
        message = gettext("You cannot disable your own account.")
    assert response.context["form"].errors["is_active"] == [message]
    admin.refresh_from_db()
    assert admin.is_active


def test_a_stale_staff_edit_is_refused_with_a_conflict(world: World, signed_in: SignedIn) -> None:
    client = signed_in(world.roles[Role.AGENCY_ADMIN])
    stale = _staff_form(world.colleague_a, first_name="Stale")
    User.objects.filter(pk=world.colleague_a.pk).update(version=2, first_name="Fresh")
    response = client.post(f"/staff/{world.colleague_a.pk}/edit/", stale)
    assert response.status_code == 409
    world.colleague_a.refresh_from_db()
    assert world.colleague_a.first_name == "Fresh"


# --- Background jobs ---


def test_a_user_downloads_their_finished_job(world: World, signed_in: SignedIn) -> None:
    job = world.jobs[Role.FRONTLINE_WORKER]
    client = signed_in(world.roles[Role.FRONTLINE_WORKER])
    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200
    assert reverse("core:job_download", args=[job.pk]) in page.content.decode()
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == b"own,worker\n"


def test_a_job_without_a_file_sends_the_user_back_to_its_progress(
    world: World, signed_in: SignedIn
) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    job = BackgroundJobFactory(requested_by=worker, status=JobStatus.RUNNING, progress=40)
    client = signed_in(worker)
    response = client.get(f"/jobs/{job.pk}/download/")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    poll = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true")
    assert _templates(poll)[0] == "includes/job_progress.html"
    assert 'hx-trigger="every 1s"' in poll.content.decode()  # keeps polling until finished


# --- Query budgets ---


def _many_units(world: World, count: int) -> None:
    for _ in range(count):
        ServiceUnitFactory(organisation=world.ngo_a)


def _many_staff(world: World, count: int) -> None:
    for n in range(count):
        MembershipFactory(
            user=UserFactory(username=f"bulk{n:03d}"),
            organisation=world.ngo_a,
            role=Role.FRONTLINE_WORKER,
            service_unit=world.unit_a,
        )


UNIT_LIST_BUDGET = 10  # 8 today: session, user, device, roles, count, page, filters
STAFF_LIST_BUDGET = 10  # 9 today: as above plus the prefetched roles


def test_unit_list_query_budget(
    world: World, signed_in: SignedIn, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """A full page of units costs a fixed number of queries, however many units there are."""
    client = signed_in(world.roles[Role.SYSTEM_ADMIN])
    _many_units(world, 30)
    client.get("/units/")  # warm the session's last-activity write
    with django_assert_max_num_queries(UNIT_LIST_BUDGET):
        response = client.get("/units/")
    assert response.context["page_obj"].paginator.count == 33
    assert len(response.context["page_obj"]) == 25


def test_staff_list_query_budget(
    world: World, signed_in: SignedIn, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """A full page of staff with their roles costs a fixed number of queries."""
    client = signed_in(world.roles[Role.AGENCY_ADMIN])
    _many_staff(world, 30)
    client.get("/staff/")
    with django_assert_max_num_queries(STAFF_LIST_BUDGET):
        response = client.get("/staff/")
    assert len(response.context["page_obj"]) == 25

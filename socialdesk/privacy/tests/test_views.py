"""The privacy officer's audit log page and its CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.utils import timezone

from socialdesk.core.models import BackgroundJob, JobStatus, Role
from socialdesk.core.tests.world import World
from socialdesk.privacy.tasks import CSV_HEADER

SignedIn = Callable[..., Client]


@pytest.fixture
def activity(world: World, signed_in: SignedIn) -> dict[str, LogEntry]:
    """NGO A's agency admin edits NGO A's unit and opens a colleague's record (from 203.0.113.7)."""
    client = signed_in(world.roles[Role.AGENCY_ADMIN])
    unit = world.unit_a
    client.post(
        f"/units/{unit.pk}/edit/",
        {
            "name_zh": unit.name_zh,
            "name_en": "Logged Centre",
            "address_zh": unit.address_zh,
            "address_en": unit.address_en,
            "phone": unit.phone,
            "is_active": "on",
            "version": unit.version,
        },
        REMOTE_ADDR="203.0.113.7",
    )
    client.get(f"/staff/{world.colleague_a.pk}/", REMOTE_ADDR="203.0.113.7")
    return {
        "update": LogEntry.objects.get(
            action=LogEntry.Action.UPDATE, object_pk=str(unit.pk), content_type__model="serviceunit"
        ),
        "read": LogEntry.objects.get(
            action=LogEntry.Action.ACCESS, object_pk=str(world.colleague_a.pk)
        ),
    }


def _shown(client: Client, **query: object) -> set[int]:
    response = client.get("/privacy/audit/", query)
    assert response.status_code == 200
    return {entry.pk for entry in response.context["page_obj"]}


def test_the_privacy_officer_sees_the_change_and_the_read(
    world: World, signed_in: SignedIn, activity: dict[str, LogEntry]
) -> None:
    client = signed_in(world.roles[Role.PRIVACY_OFFICER])
    response = client.get("/privacy/audit/")
    shown = {entry.pk for entry in response.context["page_obj"]}
    assert {activity["update"].pk, activity["read"].pk} <= shown
    page = response.content.decode()
    assert "203.0.113.7" in page and "Logged Centre" in page and "agencyadmin" in page


def test_the_audit_log_filters_by_user_record_type_record_id_and_action(
    world: World, signed_in: SignedIn, activity: dict[str, LogEntry]
) -> None:
    client = signed_in(world.roles[Role.PRIVACY_OFFICER])
    update, read = activity["update"].pk, activity["read"].pk
    assert _shown(client, user="agencyadmin") == {update, read}
    assert _shown(client, user="AGENCYADMIN") == {update, read}  # usernames match in any case
    assert _shown(client, user="worker") == set()
    assert _shown(client, model="core.serviceunit", user="agencyadmin") == {update}
    assert _shown(client, model="accounts.user", object_pk=world.colleague_a.pk) == {read}
    # The unit's own history: its creation (by the loader, no actor) and the edit.
    history = _shown(client, model="core.serviceunit", object_pk=world.unit_a.pk)
    created = LogEntry.objects.get(
        action=LogEntry.Action.CREATE,
        object_pk=str(world.unit_a.pk),
        content_type__model="serviceunit",
    )
    assert history == {created.pk, update}
    assert _shown(client, action=LogEntry.Action.ACCESS, user="agencyadmin") == {read}


def test_the_audit_log_filters_by_date_range(
    world: World, signed_in: SignedIn, activity: dict[str, LogEntry]
) -> None:
    client = signed_in(world.roles[Role.PRIVACY_OFFICER])
    today = timezone.localdate()
    both = {activity["update"].pk, activity["read"].pk}
    assert _shown(client, user="agencyadmin", date_from=today, date_to=today) == both
    assert _shown(client, user="agencyadmin", date_from=today + timedelta(days=1)) == set()
    assert _shown(client, user="agencyadmin", date_to=today - timedelta(days=1)) == set()


def test_an_end_date_before_the_start_date_is_refused(
    world: World, signed_in: SignedIn, activity: dict[str, LogEntry]
) -> None:
    client = signed_in(world.roles[Role.PRIVACY_OFFICER])
    today = timezone.localdate()
    response = client.get("/privacy/audit/", {"date_from": today, "date_to": today - timedelta(1)})
    assert response.status_code == 200
    assert response.context["form"].errors["date_to"]
    assert list(response.context["page_obj"]) == []


def test_another_agencys_privacy_officer_sees_none_of_it(
    world: World, signed_in: SignedIn, activity: dict[str, LogEntry]
) -> None:
    client = signed_in(world.privacy_b)
    shown = _shown(client)
    assert activity["update"].pk not in shown and activity["read"].pk not in shown
    assert _shown(client, user="agencyadmin") == set()
    page = client.get("/privacy/audit/").content.decode()
    assert "Logged Centre" not in page and "203.0.113.7" not in page


def test_a_privacy_officer_sees_what_others_did_to_their_agencys_records(
    world: World, signed_in: SignedIn
) -> None:
    """A system administrator (SWD) changes NGO B's unit: NGO B's privacy officer sees it,
    NGO A's does not."""
    unit = world.unit_b
    signed_in(world.roles[Role.SYSTEM_ADMIN]).post(
        f"/units/{unit.pk}/edit/",
        {
            "name_zh": unit.name_zh,
            "name_en": "Changed by SWD",
            "address_zh": unit.address_zh,
            "address_en": unit.address_en,
            "phone": unit.phone,
            "is_active": "on",
            "version": unit.version,
        },
    )
    entry = LogEntry.objects.get(
        action=LogEntry.Action.UPDATE, object_pk=str(unit.pk), content_type__model="serviceunit"
    )
    assert entry.pk in _shown(signed_in(world.privacy_b))
    assert entry.pk not in _shown(signed_in(world.roles[Role.PRIVACY_OFFICER]))


def _export(client: Client, django_capture_on_commit_callbacks, **filters: object):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/privacy/audit/export/", filters)
    return response


def _csv_rows(client: Client, job: BackgroundJob) -> list[list[str]]:
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content.startswith("\ufeff".encode())  # Excel opens UTF-8 with a BOM correctly
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_csv_export_runs_as_a_job_and_holds_the_matching_entries(
    world: World,
    signed_in: SignedIn,
    activity: dict[str, LogEntry],
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    privacy = world.roles[Role.PRIVACY_OFFICER]
    client = signed_in(privacy)
    response = _export(client, django_capture_on_commit_callbacks, user="agencyadmin")

    job = BackgroundJob.objects.get(kind="audit_export", requested_by=privacy)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.SUCCEEDED and job.progress == 100
    assert job.parameters["user"] == "agencyadmin"
    assert job.result_name.startswith("audit-log-") and job.result_name.endswith(".csv")

    rows = _csv_rows(client, job)
    assert rows[0] == CSV_HEADER
    by_id = {int(row[0]): dict(zip(CSV_HEADER, row, strict=True)) for row in rows[1:]}
    assert set(by_id) == {activity["update"].pk, activity["read"].pk}
    update = by_id[activity["update"].pk]
    assert update["user"] == "agencyadmin" and update["ip_address"] == "203.0.113.7"
    assert update["record_type"] == "core.serviceunit"
    assert update["record_id"] == str(world.unit_a.pk)
    assert "Logged Centre" in update["changes"]
    assert by_id[activity["read"].pk]["record_type"] == "accounts.user"


def test_the_export_of_another_agencys_officer_leaves_out_our_entries(
    world: World,
    signed_in: SignedIn,
    activity: dict[str, LogEntry],
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(world.privacy_b)
    _export(client, django_capture_on_commit_callbacks)
    job = BackgroundJob.objects.get(kind="audit_export", requested_by=world.privacy_b)
    ids = {int(row[0]) for row in _csv_rows(client, job)[1:]}
    assert activity["update"].pk not in ids and activity["read"].pk not in ids
    # …and our officer cannot fetch their file.
    ours = signed_in(world.roles[Role.PRIVACY_OFFICER])
    assert ours.get(f"/jobs/{job.pk}/download/").status_code == 404


def test_an_invalid_export_request_starts_no_job(
    world: World,
    signed_in: SignedIn,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(world.roles[Role.PRIVACY_OFFICER])
    today = timezone.localdate()
    response = _export(
        client,
        django_capture_on_commit_callbacks,
        date_from=today,
        date_to=today - timedelta(days=3),
    )
    assert response.status_code == 400
    assert not BackgroundJob.objects.filter(kind="audit_export").exists()

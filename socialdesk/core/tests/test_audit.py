"""The audit trail: changes with old and new values, reads of personal data, who and from where,
and a log that the database itself keeps append-only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, transaction
from django.test import Client, RequestFactory

from socialdesk.accounts.models import User
from socialdesk.core.audit import client_ip, record_read
from socialdesk.core.models import Role, ServiceUnit
from socialdesk.core.tests.world import World

SignedIn = Callable[..., Client]


def _entries(model: type, pk: int, action: int) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_pk=str(pk), action=action
        ).order_by("pk")
    )


def _edit_unit(client: Client, unit: ServiceUnit, **extra: str) -> None:
    data = {
        "name_zh": unit.name_zh,
        "name_en": "Audited Centre",
        "address_zh": unit.address_zh,
        "address_en": unit.address_en,
        "phone": "2888 0000",
        "is_active": "on",
        "version": unit.version,
    }
    response = client.post(f"/units/{unit.pk}/edit/", data, **extra)
    assert response.status_code == 302


def test_editing_a_unit_logs_old_and_new_values_actor_and_address(
    world: World, signed_in: SignedIn
) -> None:
    admin = world.roles[Role.AGENCY_ADMIN]
    _edit_unit(signed_in(admin), world.unit_a, REMOTE_ADDR="203.0.113.7")

    [entry] = _entries(ServiceUnit, world.unit_a.pk, LogEntry.Action.UPDATE)
    assert entry.actor == admin
    assert entry.remote_addr == "203.0.113.7"
    assert entry.changes_dict["name_en"] == ["Agency A Centre", "Audited Centre"]
    assert entry.changes_dict["phone"] == ["21110001", "2888 0000"]
    assert entry.changes_dict["version"] == ["1", "2"]
    assert entry.additional_data == {"organisation": world.ngo_a.pk}


def test_creating_a_unit_in_the_admin_logs_the_creation_with_actor_and_address(
    world: World, signed_in: SignedIn
) -> None:
    sysadmin = world.roles[Role.SYSTEM_ADMIN]
    client = signed_in(sysadmin)
    response = client.post(
        "/admin/core/serviceunit/add/",
        {
            "organisation": world.ngo_b.pk,
            "service_type": world.service_type.pk,
            "district": world.district.pk,
            "code": "b-new",
            "name_zh": "新中心",
            "name_en": "New Centre",
            "address_zh": "",
            "address_en": "",
            "phone": "",
            "is_active": "on",
        },
        REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = ServiceUnit.objects.get(code="b-new")
    [entry] = _entries(ServiceUnit, unit.pk, LogEntry.Action.CREATE)
    assert entry.actor == sysadmin
    assert entry.remote_addr == "198.51.100.20"
    assert entry.changes_dict["name_en"] == ["None", "New Centre"]
    assert entry.additional_data == {"organisation": world.ngo_b.pk}


def test_viewing_a_staff_record_logs_a_read_with_user_address_and_record(
    world: World, signed_in: SignedIn
) -> None:
    privacy = world.roles[Role.PRIVACY_OFFICER]
    response = signed_in(privacy).get(f"/staff/{world.colleague_a.pk}/", REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 200

    [entry] = _entries(User, world.colleague_a.pk, LogEntry.Action.ACCESS)
    assert entry.actor == privacy
    assert entry.remote_addr == "192.0.2.44"
    assert entry.object_repr == str(world.colleague_a)
    assert entry.additional_data["purpose"] == "staff_detail"
    assert entry.additional_data["organisation"] == world.ngo_a.pk


def test_a_refused_read_is_not_logged_as_a_read(world: World, signed_in: SignedIn) -> None:
    signed_in(world.roles[Role.AGENCY_ADMIN]).get(f"/staff/{world.staff_b.pk}/")
    assert _entries(User, world.staff_b.pk, LogEntry.Action.ACCESS) == []


def test_a_change_saved_after_a_read_in_the_same_request_keeps_actor_and_address(
    world: World, signed_in: SignedIn
) -> None:
    """The staff edit view logs the read, then saves: the change must still carry who and where."""
    admin = world.roles[Role.AGENCY_ADMIN]
    colleague = world.colleague_a
    data = {
        "display_name_zh": colleague.display_name_zh,
        "first_name": "Renamed",
        "last_name": colleague.last_name,
        "email": colleague.email,
        "phone": colleague.phone,
        "is_active": "on",
        "version": colleague.version,
    }
    response = signed_in(admin).post(
        f"/staff/{colleague.pk}/edit/", data, REMOTE_ADDR="203.0.113.99"
    )
    assert response.status_code == 302
    [update] = _entries(User, colleague.pk, LogEntry.Action.UPDATE)
    assert update.actor == admin
    assert update.remote_addr == "203.0.113.99"
    assert update.changes_dict["first_name"][1] == "Renamed"
    assert "password" not in update.changes_dict


def test_x_forwarded_for_is_ignored_without_trusted_proxies(
    world: World, signed_in: SignedIn, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.SOCIALDESK_TRUSTED_PROXIES = 0
    _edit_unit(
        signed_in(world.roles[Role.AGENCY_ADMIN]),
        world.unit_a,
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )
    [entry] = _entries(ServiceUnit, world.unit_a.pk, LogEntry.Action.UPDATE)
    assert entry.remote_addr == "10.0.0.5"


def test_x_forwarded_for_is_used_behind_a_trusted_proxy(
    world: World, signed_in: SignedIn, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.SOCIALDESK_TRUSTED_PROXIES = 1
    _edit_unit(
        signed_in(world.roles[Role.AGENCY_ADMIN]),
        world.unit_a,
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7",
    )
    [entry] = _entries(ServiceUnit, world.unit_a.pk, LogEntry.Action.UPDATE)
    assert entry.remote_addr == "198.51.100.7"  # the hop the trusted proxy saw, not a spoof


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "10.0.0.1"),
        (0, "1.2.3.4", "10.0.0.1"),
        (1, "1.2.3.4", "1.2.3.4"),
        (1, "9.9.9.9, 1.2.3.4", "1.2.3.4"),
        (2, "9.9.9.9, 1.2.3.4, 5.6.7.8", "1.2.3.4"),
        (2, "1.2.3.4", "10.0.0.1"),  # fewer hops than proxies: the header is not trusted
        (1, " , ", "10.0.0.1"),
    ],
)
def test_client_ip_counts_hops_from_the_right(
    settings, proxies: int, forwarded: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    settings.SOCIALDESK_TRUSTED_PROXIES = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", **headers)
    assert client_ip(request) == expected


def test_record_read_without_a_request_logs_no_address(world: World) -> None:
    entry = record_read(obj=world.staff_b, user=world.roles[Role.SYSTEM_ADMIN], purpose="export")
    assert entry.action == LogEntry.Action.ACCESS
    assert entry.remote_addr is None
    assert entry.additional_data == {"purpose": "export", "organisation": world.ngo_b.pk}


def _any_entry(world: World) -> LogEntry:
    return record_read(obj=world.colleague_a, user=world.roles[Role.PRIVACY_OFFICER])


def test_an_audit_entry_cannot_be_updated(world: World) -> None:
    entry = _any_entry(world)
    with pytest.raises(DatabaseError), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.remote_addr = "127.0.0.1"
        entry.save()
    entry.refresh_from_db()
    assert entry.object_repr == str(world.colleague_a)


def test_an_audit_entry_cannot_be_deleted(world: World) -> None:
    entry = _any_entry(world)
    with pytest.raises(DatabaseError), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.delete()
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_new_audit_entries_can_still_be_written(world: World) -> None:
    before = LogEntry.objects.count()
    _any_entry(world)
    _any_entry(world)
    assert LogEntry.objects.count() == before + 2

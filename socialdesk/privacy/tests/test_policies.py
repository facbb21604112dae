"""Who may read audit entries: a privacy officer, for their own organisation only."""

from __future__ import annotations

from auditlog.models import LogEntry

from socialdesk.core.access import Action, policy_for
from socialdesk.core.audit import record_read
from socialdesk.core.models import Role
from socialdesk.core.tests.world import ROLES, World


def _visible(user, action: Action = Action.VIEW) -> set[int]:  # type: ignore[no-untyped-def]
    return set(policy_for(LogEntry).queryset(user, action).values_list("pk", flat=True))


def test_a_privacy_officer_sees_reads_by_their_staff_and_of_their_records(world: World) -> None:
    by_our_staff = record_read(obj=world.staff_b, user=world.roles[Role.AGENCY_ADMIN])
    of_our_record = record_read(obj=world.colleague_a, user=world.roles[Role.SYSTEM_ADMIN])
    theirs = record_read(obj=world.staff_b, user=world.admin_b)

    ours = _visible(world.roles[Role.PRIVACY_OFFICER])
    assert {by_our_staff.pk, of_our_record.pk} <= ours
    assert theirs.pk not in ours
    assert theirs.pk in _visible(world.privacy_b)
    assert of_our_record.pk not in _visible(world.privacy_b)


def test_only_privacy_officers_read_the_audit_log(world: World) -> None:
    record_read(obj=world.colleague_a, user=world.roles[Role.AGENCY_ADMIN])
    for role in ROLES:
        visible = _visible(world.roles[role])
        assert bool(visible) == (role == Role.PRIVACY_OFFICER), role


def test_nobody_may_change_or_delete_an_entry_through_the_policy(world: World) -> None:
    record_read(obj=world.colleague_a, user=world.roles[Role.AGENCY_ADMIN])
    privacy = world.roles[Role.PRIVACY_OFFICER]
    assert _visible(privacy, Action.EXPORT) == _visible(privacy)
    assert _visible(privacy, Action.CHANGE) == set()
    assert _visible(privacy, Action.DELETE) == set()


def test_the_creation_of_a_records_history_is_visible_to_its_owners_officer(world: World) -> None:
    """Entries written without a request (no actor) still belong to the record's organisation."""
    created = LogEntry.objects.get(
        action=LogEntry.Action.CREATE,
        object_pk=str(world.unit_b.pk),
        content_type__model="serviceunit",
    )
    assert created.actor is None
    assert created.pk in _visible(world.privacy_b)
    assert created.pk not in _visible(world.roles[Role.PRIVACY_OFFICER])

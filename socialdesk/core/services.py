"""Writes about organisations, units and staff: policy check, version check, audit (auditlog)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction

from .access import Action, policy_for
from .concurrency import update_versioned
from .models import ServiceUnit

SERVICE_UNIT_EDITABLE = ("name_zh", "name_en", "address_zh", "address_en", "phone", "is_active")
STAFF_EDITABLE = ("first_name", "last_name", "display_name_zh", "email", "phone", "is_active")


@transaction.atomic
def service_unit_update(
    *, user: Any, unit_id: Any, expected_version: int, data: dict[str, Any]
) -> ServiceUnit:
    """Change a unit's contact details; refused with ConflictError if someone saved it first."""
    unit = policy_for(ServiceUnit).get(user, unit_id, Action.CHANGE)
    changes = {k: v for k, v in data.items() if k in SERVICE_UNIT_EDITABLE}
    return update_versioned(unit, expected_version=expected_version, changes=changes)


@transaction.atomic
def staff_update(*, user: Any, staff_id: Any, expected_version: int, data: dict[str, Any]) -> Any:
    """Change a staff member's contact details; agency administrators cannot disable themselves."""
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    staff = policy_for(get_user_model()).get(user, staff_id, Action.CHANGE)
    changes = {k: v for k, v in data.items() if k in STAFF_EDITABLE}
    if staff.pk == user.pk and changes.get("is_active") is False:
        raise ValidationError({"is_active": _("You cannot disable your own account.")})
    return update_versioned(staff, expected_version=expected_version, changes=changes)


type Text = str | Callable[[], str]


def _send_mail(subject: str, message: str, address: str) -> None:
    from django.core.mail import send_mail

    send_mail(
        subject=subject,
        message=message,
        from_email=None,
        recipient_list=[address],
        fail_silently=True,
    )


def notification_send(
    *, recipients: Iterable[Any], kind: str, title: Text, body: Text = "", link: str = ""
) -> int:
    """Notify staff members in SocialDesk, and by email where they have an address. `title` and
    `body` may be callables: they are then evaluated in each recipient's own language."""
    return notifications_send(
        [Message(recipients=list(recipients), kind=kind, title=title, body=body, link=link)]
    )


@dataclass(frozen=True)
class Message:
    """One notification to some staff members (see `notification_send`)."""

    recipients: Sequence[Any]
    kind: str
    title: Text
    body: Text = ""
    link: str = ""


def notifications_send(messages: Iterable[Message]) -> int:
    """`notification_send` for many messages at once (a whole quarter's alerts): one insert, and
    each text evaluated once per language in which someone receives it. Returns how many
    notifications were stored."""
    from django.utils import translation

    from .models import Notification

    by_language: dict[str, list[tuple[Message, Any]]] = defaultdict(list)
    for message in messages:
        for recipient in message.recipients:
            language = getattr(recipient, "preferred_language", None) or "zh-hant"
            by_language[language].append((message, recipient))
    rows = []
    for language, pairs in by_language.items():
        with translation.override(language):
            texts: dict[int, tuple[str, str]] = {}
            for message, recipient in pairs:
                if id(message) not in texts:
                    title, body = message.title, message.body
                    texts[id(message)] = (
                        title() if callable(title) else str(title),
                        body() if callable(body) else str(body),
                    )
                title_text, body_text = texts[id(message)]
                rows.append(
                    Notification(
                        recipient=recipient,
                        kind=message.kind,
                        title=title_text,
                        body=body_text,
                        link=message.link,
                    )
                )
                if recipient.email:
                    text = f"{body_text}\n\n{message.link}".strip()
                    transaction.on_commit(partial(_send_mail, title_text, text, recipient.email))
    Notification.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@transaction.atomic
def notification_mark_read(*, user: Any, notification_id: Any = None) -> list[Any]:
    """Mark one of the user's notifications read (404 for anyone else's), or all of them when
    no id is given; returns the notifications marked."""
    from django.utils import timezone

    from .models import Notification

    policy = policy_for(Notification)
    if notification_id is not None:
        unread = [policy.get(user, notification_id, Action.CHANGE)]
    else:
        unread = list(policy.queryset(user, Action.CHANGE).filter(read_at__isnull=True))
    now = timezone.now()
    for notification in unread:
        if notification.read_at is None:
            notification.read_at = now
            notification.save(update_fields=["read_at"])
    return unread

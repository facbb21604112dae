"""Several documents attached to one submission are stored all or none: the database rows roll
back with the transaction, and the files already written are removed here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError

from .models import Attachment
from .services.attachments import attachment_create


def attachments_store_all(
    *, uploads: Sequence[Any], field: str = "attachments", user: Any = None
) -> list[Attachment]:
    """Check and store every upload (no owner yet: the referral is attached later), or none.
    A refusal is a ValidationError on `<field>.<index>` naming the file."""
    saved: list[Attachment] = []
    try:
        for index, upload in enumerate(uploads):
            try:
                saved.append(attachment_create(user=user, upload=upload))
            except ValidationError as exc:
                name = str(getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
                raise ValidationError(
                    {f"{field}.{index}": [f"{name}: {message}" for message in exc.messages]}
                ) from exc
    except Exception:
        attachments_discard(saved)
        raise
    return saved


def attachments_discard(saved: Iterable[Attachment]) -> None:
    """Remove the stored files of attachments whose transaction is being rolled back."""
    for attachment in saved:
        attachment.file.delete(save=False)

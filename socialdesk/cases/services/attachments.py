"""Attached documents (referral papers, signed consent forms, reports): size and type checked by
content, fingerprinted, optionally virus-scanned, stored under a random name.

Limits come from settings read at call time: SOCIALDESK_UPLOAD_MAX_BYTES (default 10 MB) and
SOCIALDESK_VIRUS_SCAN_COMMAND (a command reading the file on standard input, exit 0 when clean;
empty: no scanner, the attachment is stored as "not scanned"). Downloads go through
`selectors.attachment_get_for`, which checks the policy of the owning referral, case or person.
"""

from __future__ import annotations

import hashlib
import logging
import shlex
import subprocess
import uuid
from typing import Any

import filetype  # type: ignore[import-untyped]
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from socialdesk.core.access import Action, policy_for

from ..models import Attachment, Case, Referral, ServiceUser
from ..models.referrals import ScanStatus

logger = logging.getLogger(__name__)

# Content type (as detected from the bytes) → the extension the stored file gets.
ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
SCAN_TIMEOUT_SECONDS = 120


def max_upload_bytes() -> int:
    return int(getattr(settings, "SOCIALDESK_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _read(upload: Any, limit: int) -> bytes:
    """The upload's bytes, reading at most one byte past the limit (an oversized file is
    refused without being read whole)."""
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    return bytes(data)


def _scan(data: bytes) -> str:
    """Run the configured scanner; refuse the file if it reports a problem or cannot run."""
    command = str(getattr(settings, "SOCIALDESK_VIRUS_SCAN_COMMAND", "") or "").strip()
    if not command:
        return ScanStatus.NOT_SCANNED
    try:
        done = subprocess.run(  # noqa: S603  (the command is the operator's setting)
            shlex.split(command),
            input=data,
            capture_output=True,
            timeout=SCAN_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.error("Virus scanner %r could not check an upload: %s", command, error)
        raise ValidationError(
            _("The file could not be checked for viruses. Try again later."), code="scan_failed"
        ) from error
    if done.returncode != 0:
        logger.warning("Virus scanner refused an upload (exit %s)", done.returncode)
        raise ValidationError(
            _("The virus scanner refused this file. It was not saved."), code="infected"
        )
    return ScanStatus.CLEAN


def _check_owner(user: Any, person: Any, referral: Any, case: Any) -> None:
    owners: list[tuple[type[Any], Any]] = [
        (ServiceUser, person),
        (Referral, referral),
        (Case, case),
    ]
    for model, obj in owners:
        if obj is None:
            continue
        if user is None or not policy_for(model).allows(user, obj, Action.CHANGE):
            raise PermissionDenied


@transaction.atomic
def attachment_create(
    *,
    user: Any,
    upload: Any,
    person: ServiceUser | None = None,
    referral: Referral | None = None,
    case: Case | None = None,
) -> Attachment:
    """Store an uploaded document after checking its size, its real type (PDF, JPEG, PNG, DOCX,
    XLSX, read from the content, not the name) and, where configured, a virus scan."""
    _check_owner(user, person, referral, case)
    limit = max_upload_bytes()
    declared_size = getattr(upload, "size", None)
    if declared_size is not None and declared_size > limit:
        raise ValidationError(
            _("The file is too large: at most %(limit)s.") % {"limit": filesizeformat(limit)},
            code="too_large",
        )
    data = _read(upload, limit)
    if len(data) > limit:
        raise ValidationError(
            _("The file is too large: at most %(limit)s.") % {"limit": filesizeformat(limit)},
            code="too_large",
        )
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    kind = filetype.guess(data)  # reads the first 8 KB: the signature, or the zip's entries
    mime = kind.mime if kind is not None else ""
    if mime not in ALLOWED_TYPES:
        raise ValidationError(
            _("Only PDF, JPEG, PNG, Word (DOCX) and Excel (XLSX) files can be attached."),
            code="file_type",
        )
    scan_status = _scan(data)
    original = str(getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    attachment = Attachment(
        original_name=(original or f"attachment.{ALLOWED_TYPES[mime]}")[:200],
        content_type=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        scan_status=scan_status,
        person=person,
        referral=referral,
        case=case,
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    # A random stored name: the uploader's file name never becomes a path on the server.
    attachment.file.save(f"{uuid.uuid4().hex}.{ALLOWED_TYPES[mime]}", ContentFile(data), save=False)
    attachment.save()
    return attachment

"""What the parts of the case management API share: the router, the caller checks, lookups of
units and districts by code, and the masked shape of duplicate candidates."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from socialdesk.core.access import Capability, has_capability
from socialdesk.core.models import District, ServiceUnit

from .. import selectors
from ..schemas import (
    AttachmentIn,
    CandidateSummaryOut,
    DuplicateCandidateOut,
)
from ..services.search import DuplicateCandidate

router = Router(tags=["cases"])
PAGE_SIZE = 50


def caseworker(request: HttpRequest) -> Any:
    """The caller, if they do case work (frontline workers, unit supervisors); else 403."""
    user = request.user
    if not has_capability(user, Capability.CASEWORK):
        raise PermissionDenied
    return user


def unit_for(user: Any, code: str, field: str = "unit") -> ServiceUnit:
    """The caller's unit named by `code`, or their only unit when no code is given."""
    if code:
        unit = ServiceUnit.objects.filter(code=code, is_active=True).first()
        if unit is None:
            raise ValidationError({field: _("There is no active service unit with this code.")})
        return unit
    units = list(selectors.casework_units_for(user=user)[:2])
    if len(units) != 1:
        raise ValidationError({field: _("You work in more than one unit: say which one.")})
    return units[0]


def district_for(code: str | None) -> District | None:
    if not code:
        return None
    district = District.objects.filter(code=code).first()
    if district is None:
        raise ValidationError({"district": _("There is no district with this code.")})
    return district


def candidates_out(candidates: list[DuplicateCandidate]) -> list[dict[str, Any]]:
    codes = {c.person_id: c.reasons for c in candidates}
    return [
        DuplicateCandidateOut(
            id=summary.person_id,
            score=summary.score,
            reasons=codes[summary.person_id],
            reason_labels=summary.reasons,
            summary=CandidateSummaryOut(
                name_zh=summary.name_zh,
                name_en=summary.name_en,
                birth_year=summary.birth_year,
                district=summary.district,
            ),
        ).model_dump(mode="json")
        for summary in selectors.duplicate_candidate_summaries(candidates=candidates)
    ]


def decoded_attachments(items: list[AttachmentIn]) -> list[ContentFile[bytes]]:
    """Files sent base64-encoded in a JSON body (refused whole if one is not base64)."""
    uploads = []
    for index, item in enumerate(items):
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(
                {f"attachments.{index}.content_base64": _("This is not valid base64.")}
            ) from None
        uploads.append(ContentFile(data, name=item.filename))
    return uploads

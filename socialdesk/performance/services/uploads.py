"""The Excel channel of statistical returns: the workbook of a return to download, and the upload
of a filled-in one, stored through `return_save` (channel "excel") or refused as a whole.

An upload stores only what the file changed since it was downloaded (the workbook keeps a
snapshot of the figures it was made with): a figure changed in SocialDesk meanwhile is kept when
the file leaves it as it was, and refused, naming its cell, when the file changes it too."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from socialdesk.core.access import Action, policy_for

from ..models import Channel, ReturnValue, StatisticalReturn
from ..spreadsheet import UploadedFigures, read_workbook, workbook_for_return
from ..validation import Key
from .returns import field_label, return_save


def return_workbook(*, user: Any, return_id: Any, language: str | None = None) -> tuple[str, bytes]:
    """The file name and content of the workbook to fill in a return the user may see."""
    statistical_return = policy_for(StatisticalReturn).get(user, return_id)
    period = statistical_return.period
    name = "-".join((statistical_return.unit.code, period.label, statistical_return.template.code))
    filename = re.sub(r"[^A-Za-z0-9_.-]+", "-", name) + ".xlsx"
    return filename, workbook_for_return(statistical_return, language=language)


@transaction.atomic
def return_upload(*, user: Any, return_id: Any, data: bytes, filename: str) -> StatisticalReturn:
    """Store the figures and comments of an uploaded workbook in the return, or nothing: raises
    ValidationError keyed by cell ("G14") or subject ("file", "template", "unit", "period",
    "return"), every message naming the cell, sheet or file."""
    statistical_return = policy_for(StatisticalReturn).get(user, return_id, Action.CHANGE)
    try:
        uploaded = read_workbook(statistical_return, data)
    except ValidationError as exc:
        raise _with_file_name(exc, filename) from exc
    values, comments = _changes(statistical_return, uploaded)
    try:
        return return_save(
            user=user,
            return_id=statistical_return.pk,
            expected_version=statistical_return.version,
            values=values,
            comments=comments,
            channel=Channel.EXCEL,
            note=filename,
        )
    except ValidationError as exc:
        raise _located(exc, uploaded) from exc


def _changes(
    statistical_return: StatisticalReturn, uploaded: UploadedFigures
) -> tuple[dict[Key, Decimal | None], dict[Key, str]]:
    """What the file changes: its figures and comments that differ from the stored ones and
    from the ones it was made with. Raises ValidationError for a figure or comment changed
    both in the file and in SocialDesk since the download."""
    stored = {
        (code, category): (value, comment)
        for code, category, value, comment in ReturnValue.objects.filter(
            statistical_return=statistical_return
        ).values_list("indicator__code", "category", "value", "comment")
    }
    values: dict[Key, Decimal | None] = {}
    comments: dict[Key, str] = {}
    errors: dict[str, list[ValidationError]] = {}
    for key, value in uploaded.values.items():
        now, now_comment = stored.get(key, (None, ""))
        if uploaded.downloaded_values is not None:
            before = uploaded.downloaded_values.get(key)
            if value == before:
                value = now  # the file leaves it as it was
            elif now != before and now != value:
                cell = uploaded.value_cells[key]
                errors.setdefault(cell, []).append(
                    ValidationError(
                        _(
                            "%(cell)s (%(code)s): this figure was changed in SocialDesk from "
                            "%(before)s to %(now)s after the workbook was downloaded, and the "
                            "workbook changes it to %(file)s. Check which is right and upload "
                            "a new workbook."
                        )
                        % {
                            "cell": cell,
                            "code": field_label(key),
                            "before": _shown(before),
                            "now": _shown(now),
                            "file": _shown(value),
                        },
                        code="changed_since_download",
                    )
                )
                continue
        if value != now:
            values[key] = value
        comment = uploaded.comments.get(key, "")
        if uploaded.downloaded_comments is not None:
            before_comment = uploaded.downloaded_comments.get(key, "")
            if comment == before_comment:
                comment = now_comment
            elif now_comment not in (before_comment, comment):
                cell = uploaded.comment_cells[key]
                errors.setdefault(cell, []).append(
                    ValidationError(
                        _(
                            "%(cell)s (%(code)s): this comment was changed in SocialDesk after "
                            "the workbook was downloaded, and the workbook changes it too. "
                            "Upload a new workbook."
                        )
                        % {"cell": cell, "code": field_label(key)},
                        code="changed_since_download",
                    )
                )
                continue
        if comment != now_comment:
            comments[key] = comment
    if errors:
        raise ValidationError(errors)
    return values, comments


def _shown(value: Decimal | None) -> str:
    return _("(empty)") if value is None else format(value.normalize(), "f")


def _located(exc: ValidationError, uploaded: UploadedFigures) -> ValidationError:
    """`return_save`'s errors, keyed and prefixed by the cell of the figure instead of its code."""
    if not hasattr(exc, "error_dict"):
        return ValidationError({"return": exc.error_list})
    cells = {field_label(key): cell for key, cell in uploaded.value_cells.items()}
    located: dict[str, list[ValidationError]] = {}
    for label, errors in exc.error_dict.items():
        cell = cells.get(label)
        for error in errors:
            for message in error.messages:
                text = (
                    _("%(cell)s (%(code)s): %(message)s")
                    % {"cell": cell, "code": label, "message": message}
                    if cell
                    else message
                )
                located.setdefault(cell or label, []).append(
                    ValidationError(text, code=error.code or "refused")
                )
    return ValidationError(located)


def _with_file_name(exc: ValidationError, filename: str) -> ValidationError:
    """The whole-file errors of `read_workbook`, naming the uploaded file."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1][:120]
    if not name or not hasattr(exc, "error_dict") or "file" not in exc.error_dict:
        return exc
    errors = dict(exc.error_dict)
    errors["file"] = [
        ValidationError(
            _("“%(name)s”: %(message)s") % {"name": name, "message": message},
            code=error.code,
        )
        for error in errors["file"]
        for message in error.messages
    ]
    return ValidationError(errors)

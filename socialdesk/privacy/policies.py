"""Who may read the audit log: privacy officers, for their own organisation."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.db.models import Q

from socialdesk.core.access import Action, Actor, Policy, register
from socialdesk.core.models import Role


@register
class AuditLogPolicy(Policy[LogEntry]):
    """A privacy officer sees entries made by staff of their organisation and entries about
    records their organisation owns. Nobody may change or delete an entry (see migrations)."""

    model = LogEntry

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if action not in (Action.VIEW, Action.EXPORT):
            return None
        orgs = actor.organisation_ids(Role.PRIVACY_OFFICER)
        if not orgs:
            return None
        return Q(actor__memberships__organisation_id__in=orgs) | Q(
            additional_data__organisation__in=list(orgs)
        )

"""THE role × URL test: every URL pattern of config.urls (pages, the Django admin, the API),
requested as every role and as an anonymous visitor, against records of the user's own
organisation and of another organisation.

EXPECTATIONS says, for each URL name (or admin pattern group), which roles may open it. A URL
pattern the table does not cover fails the suite, so every new URL has to be added here on purpose.

Refused signed-in users get 403 or 404, refused anonymous visitors a redirect to the sign-in page
(pages) or 401 (API); a refused response never contains a sentinel value of the record asked for,
and a refused POST/PATCH changes nothing.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

from socialdesk.accounts.models import ApiToken, User
from socialdesk.accounts.tests.factories import TOTPDeviceFactory
from socialdesk.core.models import (
    BackgroundJob,
    District,
    DistrictOffice,
    Membership,
    Organisation,
    Role,
    ScheduledRun,
    ServiceType,
    ServiceUnit,
)
from socialdesk.core.tests.world import ROLES, World, build_world, sign_in
from socialdesk.forms.models import FormDefinition, FormVersion

ANONYMOUS = "anonymous"
IDENTITIES = (*ROLES, ANONYMOUS)
OWN, OTHER = "own", "other"

ALL = frozenset(ROLES)
NONE: frozenset[str] = frozenset()
FW, US, AA, AF = Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR, Role.AGENCY_ADMIN, Role.AGENCY_FINANCE
SWD, PO, SA = Role.SWD_SUBVENTIONS, Role.PRIVACY_OFFICER, Role.SYSTEM_ADMIN
SECTOR = frozenset({SWD, SA})
CASEWORK = frozenset({FW, US})
CASE_READERS = frozenset({FW, US, PO})


@dataclass(frozen=True)
class Expect:
    """Who may use one URL pattern.

    get: roles that may GET it (with a record of their own organisation when it takes one); None
        when the pattern does not answer GET (405, or a refusal before that).
    get_other: roles that may GET it with a record of another organisation.
    write / write_other: the same for the mutation (POST, or `method`); None: not a mutation view.
    public: anonymous visitors may use it too.
    """

    get: frozenset[str] | None
    get_other: frozenset[str] = NONE
    write: frozenset[str] | None = None
    write_other: frozenset[str] = NONE
    method: str = "post"
    public: bool = False
    query: str = ""
    lands_on_login: bool = False  # success is a redirect to the sign-in page (signing out)


def both(roles: frozenset[str] | set[str], other: frozenset[str] | set[str] = NONE) -> Expect:
    """A mutation view: the same roles may open and submit it."""
    return Expect(
        get=frozenset(roles),
        get_other=frozenset(other),
        write=frozenset(roles),
        write_other=frozenset(other),
    )


ADMIN_ONLY = both({SA})
ADMIN_VIEW_ONLY = Expect(get=frozenset({SA}), write=NONE)
ADMIN_NOBODY = Expect(get=NONE, write=NONE)

# Keys are glob patterns matched against "namespace:name" and against the route; the first match
# wins, so specific entries come before the groups that follow them.
EXPECTATIONS: dict[str, Expect] = {
    # --- Pages -----------------------------------------------------------------------------------
    "core:dashboard": Expect(get=ALL),
    "core:unit_list": Expect(get=ALL),
    "core:unit_detail": Expect(get=ALL, get_other=SECTOR),
    "core:unit_edit": both({AA, SA}, {SA}),
    "core:staff_list": Expect(get=frozenset({AA, PO, SA})),
    "core:staff_detail": Expect(get=frozenset({AA, PO, SA}), get_other=frozenset({SA})),
    "core:staff_edit": both({AA, SA}, {SA}),
    "core:job_detail": Expect(get=ALL),  # a job belongs to whoever started it
    "core:job_download": Expect(get=ALL),
    "accounts:login": Expect(get=ALL, public=True),  # signed in: redirected to the dashboard
    "accounts:logout": Expect(get=None, write=ALL, public=True, lands_on_login=True),
    "accounts:2fa_setup": Expect(get=ALL),
    "accounts:2fa_verify": Expect(get=ALL),  # already verified: redirected to the dashboard
    "accounts:set_language": Expect(get=None, write=ALL, public=True),
    "accounts:profile": Expect(get=ALL),
    "accounts:password_change": both(ALL),
    "accounts:api_tokens": both(ALL),
    "accounts:api_token_revoke": Expect(get=None, write=ALL),  # only one's own tokens
    "privacy:audit_log": Expect(get=frozenset({PO})),
    "privacy:audit_export": Expect(get=None, write=frozenset({PO})),
    "core:notifications": Expect(get=ALL),
    "core:notifications_read_all": Expect(get=None, write=ALL),
    "core:notification_read": Expect(get=None, write=ALL),  # only one's own notifications
    # --- Case management: frontline workers and supervisors of the unit (need-to-know through
    # the records' policies); privacy officers read their organisation's records and review. ----
    "cases:search": Expect(get=CASEWORK),
    "cases:person_register": both(CASEWORK),
    "cases:person_link": Expect(get=None, write=CASEWORK),
    "cases:person_detail": Expect(get=CASE_READERS),
    "cases:person_edit": both(CASEWORK),
    "cases:person_hkid": Expect(get=None, write=CASEWORK),
    "cases:household_add": both(CASEWORK),
    "cases:contact_add": both(CASEWORK),
    "cases:alias_add": both(CASEWORK),
    "cases:consent_add": both(CASEWORK),
    "cases:consent_withdraw": both(CASEWORK),
    "cases:person_merge": both({US}),
    "cases:person_access_log": Expect(get=frozenset({PO})),
    "cases:referral_new": both(CASEWORK),
    "cases:intake_list": Expect(get=CASEWORK),
    "cases:intake_detail": Expect(get=CASEWORK),
    "cases:intake_assign": Expect(get=None, write=CASEWORK),
    "cases:intake_interview": both(CASEWORK),
    "cases:intake_close": Expect(get=None, write=CASEWORK),
    "cases:intake_open_case": Expect(get=None, write=CASEWORK),
    "cases:case_list": Expect(get=CASEWORK),
    "cases:case_detail": Expect(get=CASE_READERS),
    "cases:note_add": both(CASEWORK),
    "cases:note_edit": both({FW}),  # the note's author only
    "cases:assessment_new": both(CASEWORK),
    "cases:assessment_detail": Expect(get=CASE_READERS),
    "cases:plan_new": both(CASEWORK),
    "cases:plan_submit": Expect(get=None, write=CASEWORK),
    "cases:plan_decide": Expect(get=None, write=frozenset({US})),
    "cases:review_add": both(CASEWORK),
    "cases:case_workers": both({US}),
    "cases:case_close": both(CASEWORK),
    "cases:case_close_decide": Expect(get=None, write=frozenset({US})),
    "cases:case_reopen": both({US}),
    "cases:referral_inbox": Expect(get=CASEWORK),
    "cases:referral_outbox": Expect(get=CASEWORK),
    "cases:referral_detail": Expect(get=CASEWORK),
    "cases:referral_accept": Expect(get=None, write=CASEWORK),
    "cases:referral_decline": Expect(get=None, write=CASEWORK),
    # The world's referral was received by unit_a: only its sender could withdraw it.
    "cases:referral_withdraw": Expect(get=None, write=NONE),
    "cases:attachment_download": Expect(get=CASEWORK),
    "cases:my_work": Expect(get=CASEWORK),
    "cases:break_glass": both(CASEWORK),
    "cases:break_glass_list": Expect(get=frozenset({PO})),
    "cases:break_glass_review": both({PO}),
    "cases:break_glass_end": Expect(get=None, write=frozenset({FW})),  # the worker's own access
    # --- Public referral pages: anyone, signed in or not (an empty form is shown again) --------
    "referral:landing": Expect(get=ALL, public=True),
    "referral:professional": Expect(get=ALL, write=ALL, public=True),
    "referral:apply": Expect(get=ALL, write=ALL, public=True),
    "referral:status": Expect(get=ALL, write=ALL, public=True),
    # --- API -------------------------------------------------------------------------------------
    "api:api-root": Expect(get=NONE),  # 404 in the API's error shape for everyone
    "api:openapi-json": Expect(get=ALL, public=True),
    "api:openapi-view": Expect(get=ALL, public=True),
    "api:health": Expect(get=ALL, public=True),
    "api:me": Expect(get=ALL),
    "api:unit_list": Expect(get=ALL),
    "api:unit_detail": Expect(get=ALL, get_other=SECTOR),
    # Same path as api:unit_detail, so GET answers as that endpoint does; the mutation is PATCH.
    "api:unit_update": Expect(
        get=ALL,
        get_other=SECTOR,
        write=frozenset({AA, SA}),
        write_other=frozenset({SA}),
        method="patch",
    ),
    # Case management API: frontline workers and supervisors, need-to-know through the policies.
    # Writes are sent so that they succeed for each allowed role in turn (API_CASE_WRITES).
    "api:person_search": Expect(get=CASEWORK),
    "api:person_create": Expect(get=CASEWORK, write=CASEWORK),  # GET: the search, same path
    "api:person_detail": Expect(get=CASEWORK),
    "api:person_update": Expect(get=CASEWORK, write=CASEWORK, method="patch"),
    "api:person_timeline": Expect(get=CASEWORK),
    "api:consent_create": Expect(get=None, write=CASEWORK),
    "api:case_list": Expect(get=CASEWORK),
    "api:case_detail": Expect(get=CASEWORK),
    "api:case_open": Expect(get=None, write=CASEWORK),
    "api:case_note_create": Expect(get=None, write=CASEWORK),
    "api:case_close": Expect(get=None, write=CASEWORK),
    "api:referral_inbox": Expect(get=CASEWORK),
    "api:my_work": Expect(get=CASEWORK),
    "api:referral_create": Expect(get=None, write=CASEWORK),
    "api:referral_accept": Expect(get=None, write=CASEWORK),
    "api:referral_decline": Expect(get=None, write=CASEWORK),
    # The world's referral was received by unit_a: only its sender could withdraw it.
    "api:referral_withdraw": Expect(get=None, write=NONE),
    # E-referrals: referral partners' tokens only (staff sessions 403, anonymous 401); the status
    # needs the referral's secret (X-Referral-Secret), without it 404 for everyone.
    "api:ereferral_submit": Expect(get=None, write=NONE),
    "api:ereferral_status": Expect(get=NONE),
    "api:duplicate_check": Expect(get=None, write=CASEWORK),  # changes nothing; masked answers
    # Linking someone registered elsewhere is the point of it: the caller types the identity
    # (here the record's own HKID and name), and only a candidate of that identity is linked.
    "api:person_link": Expect(get=None, write=CASEWORK, write_other=CASEWORK),
    "api:household_create": Expect(get=None, write=CASEWORK),
    "api:contact_create": Expect(get=None, write=CASEWORK),
    "api:alias_create": Expect(get=None, write=CASEWORK),
    "api:consent_withdraw": Expect(get=None, write=CASEWORK),
    "api:person_merge": Expect(get=None, write=frozenset({US})),
    "api:break_glass_open": Expect(get=None, write=CASEWORK),  # any person, by exact HKID
    "api:intake_list": Expect(get=CASEWORK),
    "api:intake_detail": Expect(get=CASEWORK),
    "api:intake_assign": Expect(get=None, write=CASEWORK),  # a worker may take it
    "api:intake_interview": Expect(get=None, write=CASEWORK),
    "api:intake_close": Expect(get=None, write=CASEWORK),
    "api:case_worker_assign": Expect(get=None, write=frozenset({US})),
    "api:note_update": Expect(get=None, write=frozenset({FW}), method="patch"),  # its author
    "api:assessment_create": Expect(get=None, write=CASEWORK),
    "api:assessment_detail": Expect(get=CASEWORK),
    "api:plan_create": Expect(get=None, write=CASEWORK),
    "api:plan_detail": Expect(get=CASEWORK),
    "api:plan_submit": Expect(get=None, write=CASEWORK),
    "api:plan_approve": Expect(get=None, write=frozenset({US})),
    "api:plan_return": Expect(get=None, write=frozenset({US})),
    "api:review_create": Expect(get=None, write=CASEWORK),
    "api:case_close_approve": Expect(get=None, write=frozenset({US})),
    "api:case_close_reject": Expect(get=None, write=frozenset({US})),
    "api:case_reopen": Expect(get=None, write=frozenset({US})),
    "api:referral_outbox": Expect(get=CASEWORK),
    "api:referral_detail": Expect(get=CASEWORK),
    "api:attachment_download": Expect(get=CASEWORK),
    # --- Performance: returns (pages) ---
    # Seen by the unit's staff, its agency's administrators and finance officers, and the sector
    # (SWD, system administrators); unit staff fill in, the agency endorses, SWD accepts. Steps
    # are posted so that they succeed for each allowed role in turn (performance_return_payload).
    "performance:return_list": Expect(get=ALL - {PO}),
    "performance:return_detail": Expect(get=ALL - {PO}, get_other=SECTOR),
    "performance:return_excel": Expect(get=ALL - {PO}, get_other=SECTOR),
    "performance:return_start": Expect(get=None, write=CASEWORK),
    "performance:return_save": Expect(get=None, write=CASEWORK),
    "performance:return_upload": Expect(get=None, write=CASEWORK),
    "performance:return_submit": Expect(get=None, write=frozenset({US})),
    "performance:return_endorse": Expect(get=None, write=frozenset({AA})),
    "performance:return_accept": Expect(
        get=None, write=frozenset({SWD}), write_other=frozenset({SWD})
    ),
    "performance:return_send_back": Expect(
        get=None, write=frozenset({AA, SWD}), write_other=frozenset({SWD})
    ),
    "performance:return_unlock": Expect(
        get=None, write=frozenset({SWD}), write_other=frozenset({SWD})
    ),
    # --- Performance: monitoring (pages) ---
    # Dashboards, alerts and SIAPs: whoever sees performance records (scoped to their units);
    # a SIAP is opened and written by the unit's supervisor or the agency's administrator,
    # reviewed and closed by SWD. An empty POST is re-shown with its errors (or redirected).
    "performance:dashboard": Expect(get=frozenset({FW, US, AA, AF, SWD, SA})),
    "performance:dashboard_export_xlsx": Expect(get=frozenset({FW, US, AA, AF, SWD, SA})),
    "performance:dashboard_export_pdf": Expect(get=frozenset({FW, US, AA, AF, SWD, SA})),
    "performance:alert_list": Expect(get=frozenset({FW, US, AA, AF, SWD, SA})),
    "performance:alert_detail": Expect(get=frozenset({FW, US, AA, AF, SWD, SA}), get_other=SECTOR),
    "performance:alert_siap_start": Expect(get=None, write=frozenset({US, AA})),
    "performance:siap_list": Expect(get=frozenset({FW, US, AA, AF, SWD, SA})),
    "performance:siap_detail": Expect(get=frozenset({FW, US, AA, AF, SWD, SA}), get_other=SECTOR),
    "performance:siap_update": Expect(get=None, write=frozenset({US, AA})),
    "performance:siap_action_add": Expect(get=None, write=frozenset({US, AA})),
    "performance:siap_action_update": both({US, AA}),
    "performance:siap_action_complete": Expect(get=None, write=frozenset({US, AA})),
    "performance:siap_submit": Expect(get=None, write=frozenset({US, AA})),
    "performance:siap_review": Expect(
        get=None, write=frozenset({SWD}), write_other=frozenset({SWD})
    ),
    "performance:siap_close": Expect(
        get=None, write=frozenset({SWD}), write_other=frozenset({SWD})
    ),
    # Cases behind a figure: whoever sees the return; the cases listed are the viewer's own
    # need-to-know (none for agency and SWD staff, who get the count only).
    "performance:return_cases": Expect(get=frozenset({FW, US, AA, AF, SWD, SA}), get_other=SECTOR),
    # --- Performance: records (pages) ---
    # A unit's field assessments and complaints are seen like its returns and recorded or
    # corrected by SWD subventions officers; an agency's financial figures are seen by its
    # administrators and finance officers (who enter them) and the sector, SWD entering any.
    "performance:unit_records": Expect(get=ALL - {PO}, get_other=SECTOR),
    "performance:field_assessment_add": both({SWD}, {SWD}),
    "performance:field_assessment_edit": both({SWD}, {SWD}),
    "performance:field_assessment_follow_up_done": Expect(
        get=None, write=frozenset({SWD}), write_other=frozenset({SWD})
    ),
    "performance:complaint_add": both({SWD}, {SWD}),
    "performance:complaint_edit": both({SWD}, {SWD}),
    "performance:complaint_conclude": both({SWD}, {SWD}),
    "performance:finance": Expect(get=frozenset({AA, AF, SWD, SA})),
    "performance:finance_add": both({AA, AF, SWD}),
    "performance:finance_edit": both({AA, AF, SWD}, {SWD}),
    # --- Performance: webhooks (pages) ---
    # Agency administrators manage their organisation's endpoints, SWD subventions officers
    # SWD's, system administrators every one; "own" is NGO A's endpoint, "other" NGO B's.
    "performance:webhook_list": Expect(get=frozenset({AA, SWD, SA})),
    "performance:webhook_create": both({AA, SWD, SA}),
    "performance:webhook_detail": Expect(get=frozenset({AA, SA}), get_other=frozenset({SA})),
    "performance:webhook_edit": both({AA, SA}, {SA}),
    "performance:webhook_rotate": Expect(
        get=None, write=frozenset({AA, SA}), write_other=frozenset({SA})
    ),
    "performance:webhook_test": Expect(
        get=None, write=frozenset({AA, SA}), write_other=frozenset({SA})
    ),
    # --- Performance: API ---
    # Seen as the pages are (not by privacy officers: 403); figures are sent by the unit's staff
    # (`unit_code`: the caller's home unit, or NGO B's), each step taken by the role the services
    # name. Writes succeed for each allowed role in turn (performance_api_payload).
    "api:return_list": Expect(get=ALL - {PO}),
    "api:return_detail": Expect(get=ALL - {PO}, get_other=SECTOR),
    "api:return_put": Expect(get=None, write=CASEWORK, method="put"),
    "api:return_submit": Expect(get=None, write=frozenset({US})),
    "api:return_endorse": Expect(get=None, write=frozenset({AA})),
    "api:return_accept": Expect(get=None, write=frozenset({SWD}), write_other=frozenset({SWD})),
    "api:return_send_back": Expect(get=None, write=frozenset({SWD}), write_other=frozenset({SWD})),
    "api:return_unlock": Expect(get=None, write=frozenset({SWD}), write_other=frozenset({SWD})),
    "api:unit_attainment": Expect(get=ALL - {PO}, get_other=SECTOR, query="?fiscal_year=2025"),
    # --- Django admin: system administrators only ------------------------------------------------
    "admin:index": Expect(get=frozenset({SA})),
    "admin:app_list": Expect(get=frozenset({SA})),
    "admin:jsi18n": Expect(get=frozenset({SA})),
    "admin:login": Expect(get=NONE),  # signed-in users get 403; anonymous go to SocialDesk's login
    "admin:logout": Expect(get=None, write=frozenset({SA}), lands_on_login=True),
    "admin:password_change": ADMIN_ONLY,
    "admin:password_change_done": Expect(get=frozenset({SA})),
    "admin:view_on_site": Expect(get=NONE),  # no model has get_absolute_url: 404 even for SA
    "admin:autocomplete": Expect(
        get=frozenset({SA}), query="?app_label=core&model_name=serviceunit&field_name=organisation"
    ),
    "admin:auth_user_password_change": ADMIN_ONLY,
    # Exceptions to the groups below. The admin never shows authenticator keys
    # (OTP_ADMIN_HIDE_SENSITIVE_DATA); accounts and memberships are disabled, never deleted; jobs,
    # tokens, lockouts, devices and task results are not made or edited here.
    "admin:otp_totp_totpdevice_config": ADMIN_NOBODY,
    "admin:otp_totp_totpdevice_qrcode": ADMIN_NOBODY,
    "admin:accounts_user_delete": ADMIN_NOBODY,
    "admin:core_membership_delete": ADMIN_NOBODY,
    "admin:django_tasks_database_dbtaskresult_delete": ADMIN_NOBODY,
    "admin:core_backgroundjob_add": ADMIN_NOBODY,
    "admin:accounts_apitoken_add": ADMIN_NOBODY,
    "admin:otp_totp_totpdevice_add": ADMIN_NOBODY,
    "admin:django_tasks_database_dbtaskresult_add": ADMIN_NOBODY,
    "admin:core_scheduledrun_add": ADMIN_NOBODY,
    "admin:core_scheduledrun_delete": ADMIN_NOBODY,
    "admin:axes_*_add": ADMIN_NOBODY,
    "admin:core_backgroundjob_change": ADMIN_VIEW_ONLY,
    "admin:otp_totp_totpdevice_change": ADMIN_VIEW_ONLY,
    "admin:django_tasks_database_dbtaskresult_change": ADMIN_VIEW_ONLY,
    "admin:core_scheduledrun_change": ADMIN_VIEW_ONLY,
    "admin:axes_*_change": ADMIN_VIEW_ONLY,
    # Form versions start as drafts through admin actions, never on the add page; the import and
    # the preview are the forms app's own admin views.
    "admin:forms_formversion_add": ADMIN_NOBODY,
    "admin:forms_formdefinition_import": ADMIN_ONLY,
    "admin:forms_formversion_preview": ADMIN_ONLY,
    # Referral partners are made inactive, never deleted (their referrals name them).
    "admin:cases_referralpartner_delete": ADMIN_NOBODY,
    # Groups are not used and nobody holds auth permissions; only the site-level redirect answers.
    "admin/auth/group/<path:object_id>/": Expect(get=frozenset({SA})),
    "admin/auth/group/*": ADMIN_NOBODY,
    # Model pages of every other registered model.
    "admin:*_changelist": ADMIN_ONLY,  # POST: bulk actions such as delete_selected
    "admin:*_add": ADMIN_ONLY,
    "admin:*_history": Expect(get=frozenset({SA})),
    "admin:*_change": ADMIN_ONLY,
    "admin:*_delete": ADMIN_ONLY,
    "admin/*/*/<path:object_id>/": Expect(get=frozenset({SA})),  # redirects to the change page
    "admin/(?P<url>.*)$": Expect(get=NONE),  # catch-all: 404 for SA, 403 for everyone else
}

# Parameters that take a record of the user's own organisation or of another one.
SCOPED_PARAMETERS = {"unit_id", "staff_id", "job_id", "token_id", "notification_id"}
# Case record parameters → the key of the record in World.cases_own / cases_other.
CASE_PARAMETERS = {
    "person_id": "person",
    "case_id": "case",
    "intake_id": "intake",
    "note_id": "note",
    "plan_id": "plan",
    "assessment_id": "assessment",
    "consent_id": "consent",
    "referral_id": "referral",
    "attachment_id": "attachment",
    "access_id": "break_glass",
}
SCOPED_PARAMETERS |= set(CASE_PARAMETERS)
# Performance records of the world (World.performance_own / performance_other), by parameter.
PERFORMANCE_PARAMETERS = {
    "return_id": "return",
    "alert_id": "alert",
    "siap_id": "siap",
    "agreement_id": "agreement",
    "endpoint_id": "webhook",
    "field_assessment_id": "field_assessment",  # "assessment_id" is a case assessment's
    "complaint_id": "complaint",
    "figures_id": "finance",
}
SCOPED_PARAMETERS |= set(PERFORMANCE_PARAMETERS)


@dataclass(frozen=True)
class Route:
    ident: str  # "namespace:name", or the route for unnamed patterns
    route: str
    params: tuple[str, ...]
    pattern: URLPattern

    @property
    def scoped(self) -> bool:
        return bool(SCOPED_PARAMETERS & set(self.params))

    @property
    def admin_model(self) -> type[models.Model] | None:
        parts = self.route.split("/")
        if self.route.startswith("admin/") and len(parts) > 3 and "<" not in parts[1]:
            from django.apps import apps

            try:
                return apps.get_model(parts[1], parts[2])
            except LookupError:
                return None
        return None


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(n for n in (namespace, entry.namespace or "") if n)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        else:
            route = prefix + str(entry.pattern)
            ident = f"{namespace}:{entry.name}" if entry.name else route
            params = tuple(entry.pattern.regex.groupindex)
            yield Route(ident=ident, route=route, params=params, pattern=entry)


ROUTES: list[Route] = list(_walk(get_resolver().url_patterns))


def expectation_for(route: Route) -> Expect | None:
    for key, expect in EXPECTATIONS.items():
        if route.ident == key or route.route == key:
            return expect
    for key, expect in EXPECTATIONS.items():
        if fnmatch.fnmatchcase(route.ident, key) or fnmatch.fnmatchcase(route.route, key):
            return expect
    return None


# --- Test data ---


@dataclass
class Target:
    """A value for a path parameter and the record it stands for (whose sentinels are checked)."""

    value: Any
    record: models.Model | None = None


def _admin_records(world: World) -> dict[type[models.Model], models.Model]:
    """One record per model registered in the admin, in NGO B wherever the model has an owner."""
    device = TOTPDevice.objects.filter(user=world.staff_b).first() or TOTPDeviceFactory(
        user=world.staff_b
    )
    attempt_fields = {
        "user_agent": "test",
        "ip_address": "10.9.9.9",
        "username": "bravo",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    form = FormDefinition.objects.create(
        code="bravo-form", name_zh="乙表格", name_en="Bravo form", purpose="other"
    )
    from socialdesk.cases.models import ReferralPartner, Team, UnitCaseSettings

    partner = ReferralPartner.objects.create(
        name_zh="乙醫院", name_en="Bravo Hospital", kind="hospital", contact_email="b@b.invalid"
    )
    from socialdesk.performance.models import Agreement, Disaggregation, Indicator, ReturnTemplate

    return {
        Disaggregation: Disaggregation.objects.create(
            code="bravo-age", name_zh="乙年齡", name_en="Bravo age", categories=[]
        ),
        Indicator: Indicator.objects.get(code="world_cases_served"),
        ReturnTemplate: ReturnTemplate.objects.create(  # a draft: no return made on it
            code="bravo-return",
            service_type=world.unit_b.service_type,
            frequency="quarterly",
            first_year=2025,
            name_zh="乙報表",
            name_en="Bravo return",
        ),
        Agreement: world.performance_other["agreement"],
        ReferralPartner: partner,
        Team: Team.objects.create(unit=world.unit_b, name_zh="乙小組", name_en="Bravo team"),
        UnitCaseSettings: UnitCaseSettings.objects.create(unit=world.unit_b),
        FormDefinition: form,
        FormVersion: FormVersion.objects.create(definition=form, number=1),  # a draft
        ServiceUnit: world.unit_b,
        Organisation: world.ngo_b,
        Membership: Membership.objects.get(user=world.staff_b),
        District: world.district,
        DistrictOffice: world.district.district_office,
        ServiceType: world.service_type,
        BackgroundJob: world.job_b,
        User: world.staff_b,
        ApiToken: world.token_b,
        TOTPDevice: device,
        Group: Group.objects.create(name="Bravo group"),
        AccessAttempt: AccessAttempt.objects.create(
            get_data="", post_data="", failures_since_start=1, **attempt_fields
        ),
        AccessLog: AccessLog.objects.create(**attempt_fields),
        AccessFailureLog: AccessFailureLog.objects.create(**attempt_fields),
        DBTaskResult: DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="socialdesk.privacy.tasks.x",
            backend_name="default",
            run_after=timezone.now(),
            exception_class_path="",
            traceback="",
        ),
        ScheduledRun: ScheduledRun.objects.create(
            job_name="case_reminders",
            slot=timezone.now(),
            task_path="socialdesk.cases.tasks.send_daily_reminders",
        ),
    }


def _owner_role(identity: str) -> str:
    """Whose "own organisation" records an anonymous visitor is pointed at: NGO A's worker's."""
    return identity if identity != ANONYMOUS else Role.FRONTLINE_WORKER


def target_for(
    route: Route,
    param: str,
    world: World,
    admin: dict[type[models.Model], models.Model],
    identity: str,
    scope: str,
) -> Target:
    role = _owner_role(identity)
    own = scope == OWN
    if param == "unit_id":
        unit = world.home_unit(role) if own else world.unit_b
        return Target(unit.pk, unit)
    if param == "staff_id":
        staff = world.home_colleague(role) if own else world.staff_b
        return Target(staff.pk, staff)
    if param == "job_id":
        job = world.jobs[role] if own else world.job_b
        return Target(job.pk, job)
    if param == "token_id":
        token = world.tokens[role] if own else world.token_b
        return Target(token.pk, token)
    if param in CASE_PARAMETERS:
        records = world.cases_own if own else world.cases_other
        record = records[CASE_PARAMETERS[param]]
        return Target(record.pk, record)
    if param in PERFORMANCE_PARAMETERS:
        records = world.performance_own if own else world.performance_other
        record = records[PERFORMANCE_PARAMETERS[param]]
        return Target(record.pk, record)
    if param in PERFORMANCE_API_PARAMETERS:
        return performance_api_target(param, world, role, own)
    if param == "notification_id":
        notification = world.notifications[role] if own else world.notification_b
        return Target(notification.pk, notification)
    if route.ident == "admin:view_on_site" and param == "object_id":
        return Target(world.unit_b.pk, world.unit_b)
    if param in ("object_id", "pk"):
        model = route.admin_model
        assert model is not None and model in admin, f"no admin record for {route.route}"
        return Target(admin[model].pk, admin[model])
    if param == "reference":  # api/v1/e-referrals/<reference>/status
        referral = world.cases_own["referral"] if own else world.cases_other["referral"]
        return Target(referral.reference, referral)
    if param == "id":  # admin/accounts/user/<id>/password/
        return Target(world.staff_b.pk, world.staff_b)
    if param == "content_type_id":  # admin/r/<content_type_id>/<object_id>/
        return Target(ContentType.objects.get_for_model(ServiceUnit).pk)
    if param == "source":  # performance/returns/<id>/cases/<source>/
        return Target("cases_served")
    if param == "app_label":
        return Target("core")
    if param == "url":
        return Target("no-such-page/")
    raise AssertionError(f"No test value for the parameter {param!r} of {route.route}: add one")


def build_path(route: Route, targets: dict[str, Target]) -> str:
    kwargs = {name: targets[name].value for name in route.params}
    if route.ident != route.route:  # named: let Django build it
        return reverse(route.ident, kwargs=kwargs)
    if "(?P<url>" in route.route:  # the admin's catch-all
        return "/admin/" + str(kwargs["url"])
    path = route.route
    for name, value in kwargs.items():
        path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
    return "/" + path


# --- Sentinels and state ---


def sentinels(record: models.Model | None) -> list[str]:
    """Values of a record that only someone allowed to see it may be shown."""
    if record is None:
        return []
    if isinstance(record, ServiceUnit):
        return [record.phone, record.address_en]
    if isinstance(record, User):
        return [record.phone, record.email]
    if isinstance(record, BackgroundJob):
        values = [record.result_name]
        if record.result_name.startswith("bravo"):
            values.append("SENTINEL-JOB-BRAVO")
        return values
    if isinstance(record, ApiToken):
        return [record.name]
    if isinstance(record, Membership):
        return [record.user.email]
    return case_sentinels(record)


def case_sentinels(record: models.Model) -> list[str]:
    """Values of case records (and notifications) only those allowed may be shown."""
    from socialdesk.cases import models as cases
    from socialdesk.core.models import Notification

    if isinstance(record, cases.ServiceUser):
        return [record.name_en, record.phone, record.address]
    if isinstance(record, cases.Case):
        return [record.number, record.summary, record.person.name_en]
    if isinstance(record, cases.Intake):
        return [record.presenting_problem, record.person.name_en]
    if isinstance(record, cases.CaseNote):
        return [record.body]
    if isinstance(record, cases.CasePlan):
        return [record.summary]
    if isinstance(record, cases.Assessment):
        return [record.case.person.name_en]
    if isinstance(record, cases.Consent):
        return [record.scope]
    if isinstance(record, cases.Referral):
        return [record.reference, record.reason]
    if isinstance(record, cases.Attachment):
        return [record.original_name]
    if isinstance(record, cases.BreakGlassAccess):
        return [record.reason]
    if isinstance(record, Notification):
        return [record.title]
    return performance_sentinels(record)


def performance_sentinels(record: models.Model) -> list[str]:
    """Values of another unit's performance records nobody outside may be shown."""
    from socialdesk.performance import models as performance

    if isinstance(record, performance.StatisticalReturn):
        return [record.return_reason, *(v.comment for v in record.values.all())]
    if isinstance(record, performance.Alert):
        return [str(record.detail.get("note", ""))]
    if isinstance(record, performance.ImprovementPlan):
        return [record.analysis]
    if isinstance(record, performance.Agreement):
        return [record.reference]
    if isinstance(record, performance.WebhookEndpoint):
        return [record.url, record.name]
    if isinstance(record, performance.FieldAssessment):
        return [record.findings, record.follow_up]
    if isinstance(record, performance.Complaint):
        return [record.subject, record.summary]
    if isinstance(record, performance.FinancialYearFigures):
        return [record.notes]
    return []


def body_of(response: Any) -> str:
    if getattr(response, "streaming", False):
        # Exhausting streaming_content closes the response (the test client wraps it); closing it
        # again would fire request_finished and close the database connection mid-test.
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", "replace")


STATE_MODELS = (
    ServiceUnit,
    Organisation,
    User,
    Membership,
    ApiToken,
    BackgroundJob,
    District,
    DistrictOffice,
    ServiceType,
    TOTPDevice,
    Group,
    AccessAttempt,
    DBTaskResult,
    FormDefinition,
    FormVersion,
)


def case_models() -> tuple[type[models.Model], ...]:
    """Case records a refused request must not have created or deleted."""
    from socialdesk.cases import models as cases

    return (
        cases.ServiceUser,
        cases.Intake,
        cases.Case,
        cases.CaseWorker,
        cases.CaseNote,
        cases.CasePlan,
        cases.Assessment,
        cases.CaseReview,
        cases.Consent,
        cases.HouseholdMember,
        cases.KeyContact,
        cases.ServiceUserAlias,
        cases.Referral,
        cases.Attachment,
        cases.BreakGlassAccess,
        cases.WorkItem,
    )


def performance_models() -> tuple[type[models.Model], ...]:
    from socialdesk.performance import models as performance

    return (
        performance.StatisticalReturn,
        performance.ReturnValue,
        performance.ReturnEvent,
        performance.Agreement,
        performance.AgreedLevel,
        performance.Alert,
        performance.ImprovementPlan,
        performance.ImprovementAction,
        performance.Attainment,
        performance.FieldAssessment,
        performance.Complaint,
        performance.FinancialYearFigures,
        performance.WebhookEndpoint,
        performance.WebhookDelivery,
    )


def state(records: list[models.Model]) -> Any:
    """Everything a refused mutation could have touched: the records' rows (a return's figures
    too) and the table sizes."""
    from socialdesk.performance.models import ReturnValue, StatisticalReturn

    rows = [type(r)._default_manager.filter(pk=r.pk).values().first() for r in records]
    rows += [
        list(ReturnValue.objects.filter(statistical_return=r).order_by("pk").values())
        for r in records
        if isinstance(r, StatisticalReturn)
    ]
    for row in rows:
        if isinstance(row, dict):  # a return's figures are a list of rows
            row.pop("last_login", None)  # signing in is not a change to the record
    counts = {
        m.__name__: m._default_manager.count()
        for m in (*STATE_MODELS, *case_models(), *performance_models())
    }
    revoked = list(ApiToken.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True))
    return rows, counts, revoked


def write_payload(route: Route, targets: dict[str, Target], allowed: bool) -> dict[str, Any]:
    """A submission that would change the record if it were accepted."""
    record = next((t.record for t in targets.values() if t.record is not None), None)
    if record is not None:
        record.refresh_from_db()
    if route.ident == "core:unit_edit":
        assert isinstance(record, ServiceUnit)
        return {
            "name_zh": record.name_zh,
            "name_en": f"{record.name_en} (changed)",
            "address_zh": record.address_zh,
            "address_en": record.address_en,
            "phone": record.phone,
            "is_active": "on",
            "version": record.version,
        }
    if route.ident == "core:staff_edit":
        assert isinstance(record, User)
        return {
            "display_name_zh": record.display_name_zh,
            "first_name": "Changed",
            "last_name": record.last_name,
            "email": record.email,
            "phone": record.phone,
            "is_active": "on",
            "version": record.version,
        }
    if route.ident == "api:unit_update":
        assert isinstance(record, ServiceUnit)
        return {"version": record.version, "name_en": "Changed through the API"}
    if route.ident in API_CASE_WRITES:
        return api_case_write_payload(route, record, allowed)
    if route.ident in PERFORMANCE_API_WRITES:
        return performance_api_payload(route, record)
    if route.ident in PERFORMANCE_RETURN_WRITES:
        return performance_return_payload(route, record, allowed)
    if route.ident == "accounts:api_tokens":
        return {"name": "matrix token", "expires_in_days": "30"}
    if route.ident == "accounts:set_language":
        return {"language": "zh-hant", "next": "/"}
    if route.route.startswith("admin/"):
        if allowed:
            return {}  # the admin re-shows the form (or asks for confirmation): nothing changes
        if route.ident.endswith("_changelist"):
            model = route.admin_model
            return {
                "action": "delete_selected",
                "post": "yes",
                "_selected_action": [str(model._default_manager.first().pk)] if model else [],
            }
        if route.ident.endswith("_delete"):
            return {"post": "yes"}
        return {
            "name_zh": "已被竄改",
            "name_en": "Tampered",
            "is_active": "",
            "username": "x",
            "password1": "Tampered-Password-1!",
            "password2": "Tampered-Password-1!",
        }
    return {}


API_CASE_WRITES = frozenset(
    {
        "api:person_create",
        "api:person_update",
        "api:consent_create",
        "api:case_open",
        "api:case_note_create",
        "api:case_close",
        "api:referral_create",
        "api:referral_accept",
        "api:referral_decline",
        "api:referral_withdraw",
        "api:duplicate_check",
        "api:person_link",
        "api:household_create",
        "api:contact_create",
        "api:alias_create",
        "api:consent_withdraw",
        "api:person_merge",
        "api:break_glass_open",
        "api:intake_assign",
        "api:intake_interview",
        "api:intake_close",
        "api:case_worker_assign",
        "api:note_update",
        "api:assessment_create",
        "api:plan_create",
        "api:plan_submit",
        "api:plan_approve",
        "api:plan_return",
        "api:review_create",
        "api:case_close_approve",
        "api:case_close_reject",
        "api:case_reopen",
    }
)
_registrations = iter(["甲乙", "丙丁", "戊己", "庚辛", "壬癸", "子丑", "寅卯", "辰巳"])


def api_case_write_payload(route: Route, record: Any, allowed: bool) -> dict[str, Any]:
    """A valid API write (a refused one must be refused for who sends it, not for its body).
    Each allowed role sends it in turn, so an action that can be done once (closing a case,
    answering a referral) is first put back as it was."""
    from socialdesk.cases import models as cases
    from socialdesk.core.crypto import lookup_hash
    from socialdesk.core.tests.world import OWN_HKID

    now = timezone.now().isoformat()
    if route.ident == "api:person_create":
        return {"name_zh": next(_registrations), "presenting_problem": "Matrix"}
    if route.ident == "api:person_update":
        return {"version": record.version, "address": "Changed through the API"}
    if route.ident == "api:consent_create":
        today = timezone.localdate().isoformat()
        return {"purpose": "referral", "scope": "x", "given_by": "x", "given_on": today,
                "evidence": "x"}  # fmt: skip
    if route.ident == "api:case_note_create":
        return {"kind": "phone", "occurred_at": now, "body": "Matrix note"}
    if route.ident == "api:referral_create":
        person = cases.ServiceUser.objects.get(hkid_hash=lookup_hash(OWN_HKID))
        if allowed:
            cases.Referral.objects.filter(person=person, status="sent").update(status="withdrawn")
        return {"person_id": person.pk, "to_unit": "swd-ifsc", "reason": "Matrix",
                "consent_override_reason": "Matrix"}  # fmt: skip
    if route.ident in API_CASE_WORK:
        return api_case_work_payload(route, record, allowed)
    if allowed and route.ident == "api:case_open":
        cases.Case.objects.filter(person=record.person, unit=record.unit).update(status="closed")
        cases.Intake.objects.filter(pk=record.pk).update(status="pending")
    if allowed and route.ident == "api:case_close":
        cases.Case.objects.filter(pk=record.pk).update(status="open")
    if allowed and route.ident in ("api:referral_accept", "api:referral_decline"):
        cases.Referral.objects.filter(pk=record.pk).update(status="sent", person=None)
    record.refresh_from_db()
    if route.ident == "api:case_close":
        return {"version": record.version, "reason": "goals_achieved"}
    if route.ident == "api:referral_accept":
        return {"version": record.version, "register_new": True}
    if route.ident in ("api:referral_decline", "api:referral_withdraw"):
        return {"version": record.version, "reason": "Matrix"}
    return {"version": record.version}


API_CASE_WORK = frozenset(API_CASE_WRITES) - {
    "api:person_create",
    "api:person_update",
    "api:consent_create",
    "api:case_open",
    "api:case_note_create",
    "api:case_close",
    "api:referral_create",
    "api:referral_accept",
    "api:referral_decline",
    "api:referral_withdraw",
}


def api_case_work_payload(route: Route, record: Any, allowed: bool) -> dict[str, Any]:
    """Valid bodies for the API's work on people, intakes, plans and cases (see
    api_case_write_payload), putting the record back in the state the action starts from."""
    from datetime import timedelta

    from socialdesk.cases import models as cases
    from socialdesk.core.tests.world import OTHER_HKID

    today = timezone.localdate()
    name = route.ident.removeprefix("api:")
    reset: dict[str, dict[str, Any]] = {
        "consent_withdraw": {"withdrawn_on": None},
        "intake_interview": {"status": "pending"},
        "intake_close": {"status": "pending"},
        "plan_submit": {"status": "draft"},
        "plan_approve": {"status": "pending_approval"},
        "plan_return": {"status": "pending_approval"},
        "case_close_approve": {"status": "closure_pending"},
        "case_close_reject": {"status": "closure_pending"},
        "case_reopen": {"status": "closed"},
    }
    if allowed and name in reset:
        type(record)._default_manager.filter(pk=record.pk).update(**reset[name])
    if record is not None:
        record.refresh_from_db()
    if name == "duplicate_check":
        return {"name_zh": "陳美玲"}
    if name == "person_link":
        if allowed:  # each allowed role links in turn: the one before left an open intake
            cases.Intake.objects.filter(
                person=record,
                unit__organisation__code="ngo-a",
                status__in=("pending", "in_progress"),
            ).update(status="no_case")
        return {"hkid": record.hkid, "name_zh": record.name_zh, "presenting_problem": "Matrix"}
    if name == "household_create":
        return {"name": "Matrix member", "relationship": "spouse"}
    if name == "contact_create":
        return {"name": "Matrix contact", "relationship": "Neighbour", "phone": "23456789"}
    if name == "alias_create":
        return {"name_zh": "陳美美"}
    if name == "person_merge":
        unit = record.registered_unit
        source = cases.ServiceUser.objects.create(name_zh="陳美鈴", registered_unit=unit)
        cases.Intake.objects.create(person=source, unit=unit, source="walk_in")
        return {"source_id": source.pk, "reason": "The same person registered twice"}
    if name == "break_glass_open":
        return {"hkid": OTHER_HKID, "reason": "Police called about an emergency now"}
    if name == "intake_assign":  # to its worker (a frontline worker may take an intake)
        return {"version": record.version, "worker_id": record.assigned_worker_id}
    if name == "case_worker_assign":
        return {"worker_id": record.workers.get(is_primary=True).user_id}
    if name == "intake_interview":
        return {"version": record.version, "presenting_problem": "Matrix interview"}
    if name == "intake_close":
        return {"version": record.version, "outcome_note": "Information given"}
    if name == "note_update":
        return {"version": record.version, "body": "Matrix correction"}
    if name == "assessment_create":
        return {"form": "world-screening", "assessed_on": today, "answers": {"lives_alone": True}}
    if name == "plan_create":
        return {"review_on": today + timedelta(days=30), "goals": [{"description": "Matrix goal"}]}
    if name == "review_create":
        return {"reviewed_on": today, "summary": "Matrix review",
                "next_review_on": today + timedelta(days=90)}  # fmt: skip
    if name in ("plan_return", "case_close_reject"):
        return {"version": record.version, "note": "Matrix comment"}
    if name == "case_reopen":
        return {"version": record.version, "reason": "Matrix re-opening"}
    if name == "consent_withdraw":
        return {"version": record.version, "withdrawn_on": today, "note": "Said by phone"}
    return {"version": record.version}


PERFORMANCE_RETURN_WRITES = frozenset(
    f"performance:return_{name}"
    for name in ("start", "save", "upload", "submit", "endorse", "accept", "send_back", "unlock")
)


def performance_return_payload(route: Route, record: Any, allowed: bool) -> dict[str, Any]:
    """A valid post to a return page (the world's returns are drafts with 90 cases served),
    the return first put in the state its step starts from when the role may take it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from socialdesk.performance.models import ReportingPeriod, StatisticalReturn

    name = route.ident.removeprefix("performance:return_")
    if name == "start":  # unit_a's 2025-26 Q2, which has ended and has no return
        unit = ServiceUnit.objects.get(code="a-ifsc")
        period = ReportingPeriod.objects.get(fiscal_year=2025, frequency="quarterly", number=2)
        if allowed:
            StatisticalReturn.objects.filter(unit=unit, period=period).delete()
        return {"option": f"{unit.pk}:2025:quarterly:2"}
    states = {"save": "draft", "upload": "draft", "submit": "draft", "endorse": "submitted"}
    states |= {"accept": "endorsed", "unlock": "accepted"}
    # Returning: the agency (first in the table's order) a submitted return, then SWD an
    # endorsed one (the other agency's return reaches SWD submitted: refused as not its step).
    states["send_back"] = "submitted" if record.status == "draft" else "endorsed"
    if allowed:
        StatisticalReturn.objects.filter(pk=record.pk).update(
            status=states[name], locked=states[name] == "accepted"
        )
        record.refresh_from_db()
    if name == "upload":
        try:
            from socialdesk.performance.spreadsheet import workbook_for_return

            data = workbook_for_return(record, language="en")
        except ImportError:
            data = b"not yet"
        return {"file": SimpleUploadedFile("return.xlsx", data)}
    payload: dict[str, Any] = {"version": record.version}
    if name == "save":
        payload["value-world_cases_served"] = "95"
    if name in ("send_back", "unlock"):
        payload["reason"] = "Matrix"
    return payload


# Performance API: a unit by its code (the caller's home unit, or NGO B's) and the period of the
# world's returns (2025-26 Q1).
PERFORMANCE_API_PARAMETERS = {"unit_code", "fiscal_year", "period_number"}
SCOPED_PARAMETERS |= {"unit_code"}


def performance_api_target(param: str, world: World, role: str, own: bool) -> Target:
    if param == "unit_code":
        unit = world.home_unit(role) if own else world.unit_b
        return Target(unit.code, unit)
    return Target(2025 if param == "fiscal_year" else 1)


# The state each step starts from. It is set for every caller, allowed or not, so that a refusal
# is for who asks, not for the state of the return (the services check the caller first).
PERFORMANCE_API_STARTS = {
    "api:return_put": "draft",
    "api:return_submit": "draft",
    "api:return_endorse": "submitted",
    "api:return_accept": "endorsed",
    "api:return_send_back": "endorsed",
    "api:return_unlock": "accepted",
}
PERFORMANCE_API_WRITES = frozenset(PERFORMANCE_API_STARTS)


def performance_api_payload(route: Route, record: Any) -> dict[str, Any]:
    """A valid API write on the world's 2025-26 Q1 return (a draft with 90 cases served); for
    the PUT, `record` is the unit (SWD's own unit has no return: refused before it matters)."""
    from socialdesk.performance.models import StatisticalReturn

    if isinstance(record, ServiceUnit):
        record = StatisticalReturn.objects.filter(unit=record, period__number=1).first()
    figures = [{"code": "world_cases_served", "value": 91}]
    if record is None:
        return {"figures": figures}
    status = PERFORMANCE_API_STARTS[route.ident]
    StatisticalReturn.objects.filter(pk=record.pk).update(
        status=status, locked=status == "accepted"
    )
    record.refresh_from_db()
    payload: dict[str, Any] = {"version": record.version}
    if route.ident == "api:return_put":
        payload["figures"] = figures
    if route.ident in ("api:return_send_back", "api:return_unlock"):
        payload["reason"] = "Matrix"
    if route.ident == "api:return_send_back":
        payload["fields"] = [{"code": "world_cases_served", "reason": "Matrix"}]
    return payload


# --- The test ---


LOGIN_PREFIX = "/accounts/login/"


def assert_allowed(response: Any, what: str, *, lands_on_login: bool = False) -> None:
    status = response.status_code
    if 300 <= status < 400:
        location = response["Location"]
        if not lands_on_login:
            assert not location.startswith(LOGIN_PREFIX), f"{what}: sent to sign in ({location})"
        assert "/accounts/2fa/" not in location, f"{what}: sent to two-factor ({location})"
    else:
        assert status in (200, 201, 204), f"{what}: expected success, got {status}"


def assert_refused(
    response: Any, identity: str, what: str, *, not_served: bool, is_api: bool
) -> None:
    status = response.status_code
    extra = (405,) if not_served else ()
    if identity == ANONYMOUS:
        if is_api:
            assert status in (401, 404, *extra), f"{what}: expected 401, got {status}"
        elif status in (301, 302):
            assert response["Location"].startswith(LOGIN_PREFIX), f"{what}: {response['Location']}"
        else:
            assert status in extra, f"{what}: expected a redirect to sign in, got {status}"
    else:
        assert status in (403, 404, *extra), f"{what}: expected 403 or 404, got {status}"


def request(client: Client, method: str, path: str, data: dict[str, Any]) -> Any:
    if method == "get":
        return client.get(path)
    if path.startswith("/api/"):
        body = json.dumps(data, default=str)
        return getattr(client, method)(path, data=body, content_type="application/json")
    return getattr(client, method)(path, data=data)


@dataclass
class Matrix:
    world: World
    admin: dict[type[models.Model], models.Model]
    sessions: dict[str, str]  # role → session key of a signed-in, two-factor-verified session

    def client(self, identity: str) -> Client:
        client = Client()
        if identity != ANONYMOUS:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[identity]
        return client


@pytest.fixture(scope="module")
def matrix(django_db_setup: None, django_db_blocker: Any) -> Iterator[Matrix]:
    """The world, admin records and signed-in sessions, made once for the module inside a
    transaction that is rolled back at the end; each test runs in a savepoint within it."""
    quiet = logging.getLogger("django.request")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # refusals are expected here by the hundred
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        sessions = {}
        for role, user in world.roles.items():
            client = sign_in(Client(), user)
            sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        yield Matrix(world=world, admin=_admin_records(world), sessions=sessions)
        transaction.set_rollback(True)
    quiet.setLevel(level)


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.ident}|{r.route}" for r in ROUTES])
@pytest.mark.django_db
def test_every_role_reaches_exactly_what_the_table_allows(route: Route, matrix: Matrix) -> None:
    expect = expectation_for(route)
    assert expect is not None, f"{route.ident} ({route.route}) is missing from EXPECTATIONS"
    world, admin = matrix.world, matrix.admin
    is_api = route.route.startswith("api/")
    scopes = (OWN, OTHER) if route.scoped else (OWN,)

    for identity in IDENTITIES:
        client = matrix.client(identity)
        for scope in scopes:
            targets = {p: target_for(route, p, world, admin, identity, scope) for p in route.params}
            path = build_path(route, targets) + expect.query
            records = [t.record for t in targets.values() if t.record is not None]
            what = f"{identity} GET {path} ({scope})"

            # GET
            allowed_roles = expect.get if scope == OWN else expect.get_other
            if expect.get is None:
                allowed = False
            elif identity == ANONYMOUS:
                allowed = expect.public
            else:
                allowed = identity in (allowed_roles or NONE)
            response = client.get(path)
            if allowed:
                assert_allowed(response, what)
                body_of(response)
            else:
                assert_refused(
                    response, identity, what, not_served=expect.get is None, is_api=is_api
                )
                body = body_of(response)
                for value in [v for record in records for v in sentinels(record)]:
                    assert value not in body, f"{what}: the response shows {value!r}"

            # POST / PATCH
            if expect.write is None:
                continue
            write_roles = expect.write if scope == OWN else expect.write_other
            if identity == ANONYMOUS:
                allowed = expect.public
            else:
                allowed = identity in write_roles
            what = f"{identity} {expect.method.upper()} {path} ({scope})"
            payload = write_payload(route, targets, allowed)
            before = state(records)
            response = request(client, expect.method, path, payload)
            if allowed:
                assert_allowed(response, what, lands_on_login=expect.lands_on_login)
            else:
                assert_refused(response, identity, what, not_served=False, is_api=is_api)
                body = body_of(response)
                for value in [v for record in records for v in sentinels(record)]:
                    assert value not in body, f"{what}: the response shows {value!r}"
                assert state(records) == before, f"{what}: a refused request changed data"


def test_every_url_pattern_has_an_expectation() -> None:
    """Adding a URL without deciding who may open it fails here."""
    missing = [f"{r.ident} ({r.route})" for r in ROUTES if expectation_for(r) is None]
    assert not missing, "Add these URL patterns to EXPECTATIONS:\n" + "\n".join(missing)


def test_every_expectation_matches_a_url_pattern() -> None:
    """No stale rows: each key of the table still matches some URL pattern."""
    stale = [
        key
        for key in EXPECTATIONS
        if not any(
            fnmatch.fnmatchcase(r.ident, key) or fnmatch.fnmatchcase(r.route, key) for r in ROUTES
        )
    ]
    assert not stale, f"Stale EXPECTATIONS keys: {stale}"


def test_the_walk_covers_pages_admin_and_api() -> None:
    """The walk goes through includes: the admin's model pages and the ninja API are in it."""
    idents = {r.ident for r in ROUTES}
    assert {"core:unit_detail", "privacy:audit_export", "accounts:api_token_revoke"} <= idents
    assert {"api:health", "api:unit_update", "api:openapi-json"} <= idents
    assert {
        "admin:index",
        "admin:core_serviceunit_change",
        "admin:accounts_user_changelist",
    } <= idents
    assert sum(r.route.startswith("admin/") for r in ROUTES) > 50


def test_no_role_holds_a_capability_it_is_not_listed_for() -> None:
    """The table and the capability map agree on the pages guarded by a capability."""
    from socialdesk.core.access import CAPABILITY_ROLES, Capability

    pages: dict[str, Capability] = {
        "core:unit_list": Capability.VIEW_UNITS,
        "core:unit_edit": Capability.CHANGE_UNITS,
        "core:staff_list": Capability.VIEW_STAFF,
        "core:staff_edit": Capability.CHANGE_STAFF,
        "privacy:audit_log": Capability.VIEW_AUDIT,
        "accounts:api_tokens": Capability.USE_API_TOKENS,
        "performance:finance": Capability.VIEW_FINANCE,
        "performance:webhook_list": Capability.MANAGE_WEBHOOKS,
    }
    for name, capability in pages.items():
        assert EXPECTATIONS[name].get == CAPABILITY_ROLES[capability], name

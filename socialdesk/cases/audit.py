"""Change history of case records (django-auditlog); reads are recorded by the selectors."""

from auditlog.registry import auditlog

from .models import (
    Assessment,
    BreakGlassAccess,
    Case,
    CaseNote,
    CasePlan,
    CaseReview,
    CaseWorker,
    Consent,
    HouseholdMember,
    Intake,
    KeyContact,
    PlanGoal,
    Referral,
    ReferralPartner,
    ServiceUser,
    ServiceUserAlias,
    Team,
    UnitCaseSettings,
)

# The HKID is encrypted at rest; its audit entries must not hold it in clear either.
auditlog.register(ServiceUser, mask_fields=["hkid"], exclude_fields=["hkid_hash"])
auditlog.register(Referral, exclude_fields=["status_secret_hash"])
auditlog.register(ReferralPartner, exclude_fields=["token_hash", "last_used_at"])
for model in (
    Assessment,
    BreakGlassAccess,
    Case,
    CaseNote,
    CasePlan,
    CaseReview,
    CaseWorker,
    Consent,
    HouseholdMember,
    Intake,
    KeyContact,
    PlanGoal,
    ServiceUserAlias,
    Team,
    UnitCaseSettings,
):
    auditlog.register(model)

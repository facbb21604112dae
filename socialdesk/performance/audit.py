"""Change history of performance records (django-auditlog): definitions, agreements, returns and
their figures, alerts and improvement plans."""

from auditlog.registry import auditlog

from .models import (
    AgreedLevel,
    Agreement,
    Alert,
    Complaint,
    FieldAssessment,
    FinancialYearFigures,
    ImprovementAction,
    ImprovementPlan,
    Indicator,
    ReturnTemplate,
    ReturnValue,
    StatisticalReturn,
    TemplateItem,
    ValidationRule,
    WebhookEndpoint,
)

for model in (
    Indicator,
    ReturnTemplate,
    TemplateItem,
    ValidationRule,
    Agreement,
    AgreedLevel,
    StatisticalReturn,
    ReturnValue,
    Alert,
    ImprovementPlan,
    ImprovementAction,
    FieldAssessment,
    Complaint,
    FinancialYearFigures,
):
    auditlog.register(model)

# The signing secret never goes into the audit log (it is encrypted at rest).
auditlog.register(WebhookEndpoint, exclude_fields=["secret"])

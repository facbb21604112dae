"""Writes of the case-management app, one module per sub-domain. Each service checks the access
policy, applies the business rules, lets auditlog record the change and schedules follow-up work."""

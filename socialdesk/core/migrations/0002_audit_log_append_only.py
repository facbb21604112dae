"""The audit log is append-only: the database itself refuses UPDATE and DELETE of its rows, so no
code path (application, admin, shell) can rewrite history."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS auditlog_logentry_no_update BEFORE UPDATE ON auditlog_logentry
       BEGIN SELECT RAISE(ABORT, 'audit log entries cannot be changed'); END;""",
    """CREATE TRIGGER IF NOT EXISTS auditlog_logentry_no_delete BEFORE DELETE ON auditlog_logentry
       BEGIN SELECT RAISE(ABORT, 'audit log entries cannot be deleted'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS auditlog_logentry_no_update;",
    "DROP TRIGGER IF EXISTS auditlog_logentry_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION socialdesk_audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log entries cannot be changed or deleted'; END;
       $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER auditlog_logentry_append_only BEFORE UPDATE OR DELETE ON auditlog_logentry
       FOR EACH ROW EXECUTE FUNCTION socialdesk_audit_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS auditlog_logentry_append_only ON auditlog_logentry;",
    "DROP FUNCTION IF EXISTS socialdesk_audit_append_only();",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

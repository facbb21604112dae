"""Settings shared by every environment; values that differ per site come from the environment."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("SOCIALDESK_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file, uploads and job results live here

# Development defaults: prod.py refuses to start with any of these.
INSECURE_SECRET_KEY = "dev-insecure-secret-key-change-me-in-production-0123456789abcdef"  # noqa: S105
INSECURE_FIELD_KEY = "ZGV2LWluc2VjdXJlLWZpZWxkLWtleS0wMTIzNDU2Nzg="
INSECURE_LOOKUP_KEY = "dev-insecure-lookup-key"

SECRET_KEY = env_str("DJANGO_SECRET_KEY", INSECURE_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Keys for encrypted fields (Fernet, comma-separated, newest first) and for keyed lookup hashes.
SOCIALDESK_FIELD_KEYS = env_list("SOCIALDESK_FIELD_KEYS", [INSECURE_FIELD_KEY])
SOCIALDESK_LOOKUP_KEY = env_str("SOCIALDESK_LOOKUP_KEY", INSECURE_LOOKUP_KEY)

INSTALLED_APPS = [
    "socialdesk.core.admin_config.SocialDeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "auditlog",
    "django_htmx",
    "django_tasks_db",
    "ninja",
    "socialdesk.core",
    "socialdesk.accounts",
    "socialdesk.privacy",
    "socialdesk.api",
    "socialdesk.textsearch",
    "socialdesk.cases",
    "socialdesk.forms",
    "socialdesk.performance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "socialdesk.accounts.middleware.UserLanguageMiddleware",
    "socialdesk.accounts.middleware.IdleTimeoutMiddleware",
    "socialdesk.accounts.middleware.RequireTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "socialdesk.core.audit.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "socialdesk.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'socialdesk.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the task worker and the web server use the same file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "socialdesk.core.access.RolePermissionBackend",  # the admin's model permissions, from the role
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "socialdesk.accounts.validators.CharacterClassValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions: an idle session ends after SOCIALDESK_IDLE_TIMEOUT seconds; none outlives a work day.
SESSION_COOKIE_AGE = 60 * 60 * 10
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SOCIALDESK_IDLE_TIMEOUT = env_int("SOCIALDESK_IDLE_TIMEOUT", 30 * 60)
SOCIALDESK_SESSION_MAX_AGE = env_int("SOCIALDESK_SESSION_MAX_AGE", 10 * 60 * 60)

# Two-factor: required for roles that see personal data; demo users may be exempted in development.
SOCIALDESK_2FA_EXEMPT_DEMO_USERS = False
OTP_TOTP_ISSUER = "SocialDesk"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows anyone's authenticator key or QR code

# Login throttling (django-axes): 5 failures per username and address lock for 15 minutes.
AXES_FAILURE_LIMIT = env_int("SOCIALDESK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Internationalisation: Traditional Chinese first.
LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "socialdesk_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Hong_Kong"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Uploads: nothing larger than this is read into memory or accepted by a form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Attachments (referrals, consents, cases): the largest file accepted, and an optional virus
# scanner that reads the file on standard input and exits 0 when it is clean, e.g.
# "clamdscan --no-summary -". Without one, attachments are stored marked "not scanned".
SOCIALDESK_UPLOAD_MAX_BYTES = env_int("SOCIALDESK_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Statistical returns uploaded as Excel workbooks.
SOCIALDESK_PERFORMANCE_UPLOAD_MAX_BYTES = env_int(
    "SOCIALDESK_PERFORMANCE_UPLOAD_MAX_BYTES", 2 * 1024 * 1024
)
SOCIALDESK_VIRUS_SCAN_COMMAND = env_str("SOCIALDESK_VIRUS_SCAN_COMMAND", "")

# Security headers and Content Security Policy: no inline scripts anywhere.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Background tasks: Django's tasks API on the database backend; `manage.py db_worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Periodic jobs: `manage.py run_scheduler` (started by `manage.py serve`) enqueues each task when
# it is due, once even with several schedulers; cron is in the 5-field crontab form, the day of
# the week as mon–sun. See docs/operations.md.
SOCIALDESK_SCHEDULE = [
    {
        "name": "case_reminders",
        "task": "socialdesk.cases.tasks.send_daily_reminders",
        "cron": "15 7 * * *",
        "timezone": "Asia/Hong_Kong",
    },
    {
        "name": "idempotency_keys_expire",
        "task": "socialdesk.api.tasks.expire_idempotency_keys",
        "cron": "30 3 * * *",
        "timezone": "Asia/Hong_Kong",
    },
    {
        "name": "overdue_returns",
        "task": "socialdesk.performance.tasks.check_overdue_returns",
        "cron": "0 7 * * *",
        "timezone": "Asia/Hong_Kong",
    },
    {
        "name": "overdue_improvement_plans",
        "task": "socialdesk.performance.tasks.check_overdue_siaps",
        "cron": "5 7 * * *",
        "timezone": "Asia/Hong_Kong",
    },
    {
        "name": "webhook_deliveries_due",
        "task": "socialdesk.performance.tasks_webhooks.webhook_deliveries_due",
        "cron": "*/5 * * * *",
        "timezone": "Asia/Hong_Kong",
    },
    {
        "name": "webhook_deliveries_prune",
        "task": "socialdesk.performance.tasks_webhooks.prune_webhook_deliveries",
        "cron": "45 3 * * *",
        "timezone": "Asia/Hong_Kong",
    },
]
# Webhook deliveries that were delivered or given up are deleted this many days after they were
# created (the job webhook_deliveries_prune); 0 keeps them all. Waiting ones are never deleted.
SOCIALDESK_WEBHOOK_RETENTION_DAYS = env_int("SOCIALDESK_WEBHOOK_RETENTION_DAYS", 90)

# Audit (django-auditlog): who changed what, from where; reads are logged through core.audit.
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False
AUDITLOG_CID_HEADER = None
# Number of reverse proxies in front of the app whose X-Forwarded-For may be trusted (0: none).
SOCIALDESK_TRUSTED_PROXIES = env_int("SOCIALDESK_TRUSTED_PROXIES", 0)
# Axes locks by client address too: it reads X-Forwarded-For only behind trusted proxies.
AXES_IPWARE_PROXY_COUNT = SOCIALDESK_TRUSTED_PROXIES or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if SOCIALDESK_TRUSTED_PROXIES else ["REMOTE_ADDR"]
)

NINJA_PAGINATION_PER_PAGE = 50

# Mail (Django's MAILERS): the console in development; production (settings/prod.py) sends by
# SMTP, to SOCIALDESK_SMTP_HOST or the local mail relay.
SMTP_MAILER = {
    "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "OPTIONS": {
        "host": env_str("SOCIALDESK_SMTP_HOST", "localhost"),
        "port": env_int("SOCIALDESK_SMTP_PORT", 587 if env_str("SOCIALDESK_SMTP_HOST") else 25),
        "username": env_str("SOCIALDESK_SMTP_USER") or None,
        "password": env_str("SOCIALDESK_SMTP_PASSWORD") or None,
        "use_tls": env_bool("SOCIALDESK_SMTP_TLS", bool(env_str("SOCIALDESK_SMTP_HOST"))),
    },
}
MAILERS = {
    "default": SMTP_MAILER
    if env_str("SOCIALDESK_SMTP_HOST")
    else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
}
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "socialdesk@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

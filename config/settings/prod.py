"""Production settings: secure cookies, HSTS, compressed static files; refuses development keys."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    INSECURE_FIELD_KEY,
    INSECURE_LOOKUP_KEY,
    INSECURE_SECRET_KEY,
    SECRET_KEY,
    SMTP_MAILER,
    SOCIALDESK_FIELD_KEYS,
    SOCIALDESK_LOOKUP_KEY,
    STORAGES,
)
from .env import env_bool, env_int

DEBUG = False
SOCIALDESK_2FA_EXEMPT_DEMO_USERS = False

if SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a random value of at least 50 characters.")
if INSECURE_FIELD_KEY in SOCIALDESK_FIELD_KEYS:
    raise ImproperlyConfigured(
        "Set SOCIALDESK_FIELD_KEYS; the development encryption key is refused."
    )
if SOCIALDESK_LOOKUP_KEY == INSECURE_LOOKUP_KEY or len(SOCIALDESK_LOOKUP_KEY) < 32:
    raise ImproperlyConfigured(
        "Set SOCIALDESK_LOOKUP_KEY to a random value of at least 32 characters."
    )

MAILERS = {"default": SMTP_MAILER}

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
WHITENOISE_USE_FINDERS = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

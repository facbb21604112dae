"""A simple per-address limit for the public referral pages and the status look-up, kept in
Django's cache (django-axes guards sign-in only).

Each bucket allows `limit` requests per `window` seconds from one client address (fixed windows).
Limits come from settings read at call time, SOCIALDESK_PUBLIC_RATE_LIMITS = {bucket: (limit,
window)}, so an operator can tune them; behind a reverse proxy, set SOCIALDESK_TRUSTED_PROXIES
or every visitor shares the proxy's address."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from socialdesk.core.audit import client_ip

DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "submit": (10, 60 * 60),  # referrals and applications sent from one address in an hour
    "status": (30, 10 * 60),  # status look-ups (guessing secrets) in ten minutes
}


def limit_for(bucket: str) -> tuple[int, int]:
    configured = getattr(settings, "SOCIALDESK_PUBLIC_RATE_LIMITS", {}) or {}
    limit, window = configured.get(bucket, DEFAULT_LIMITS[bucket])
    return int(limit), int(window)


def client_over_limit(request: HttpRequest, bucket: str, *, scope: str = "") -> bool:
    """Count this request against the client's allowance in `bucket` (counted separately per
    `scope`, e.g. per form); True once the allowance is spent."""
    limit, window = limit_for(bucket)
    address = client_ip(request) or "unknown"
    slot = int(time.time()) // window
    key = f"socialdesk:ratelimit:{bucket}:{scope}:{address}:{slot}"
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
    return count > limit

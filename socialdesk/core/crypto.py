"""Encryption at rest for sensitive fields (e.g. HKID) and keyed hashes for exact lookup.

Keys come from settings (environment): SOCIALDESK_FIELD_KEYS holds Fernet keys, newest first, so
old ciphertexts stay readable while `rotate` re-encrypts with the newest; SOCIALDESK_LOOKUP_KEY keys
the HMAC used to find a record by an exact value without storing the value in clear."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.SOCIALDESK_FIELD_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str) -> str:
    """Decrypt with any configured key; a value no key opens is an operational error, not data."""
    try:
        return _current().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("Encrypted value cannot be read with the configured keys") from exc


def rotate(ciphertext: str) -> str:
    """Re-encrypt under the newest key (after a new key is put first in SOCIALDESK_FIELD_KEYS)."""
    return _current().rotate(ciphertext.encode("ascii")).decode("ascii")


def lookup_hash(value: str) -> str:
    """Keyed hash of a normalised value (NFKC, letters and digits only, upper case)."""
    normalised = unicodedata.normalize("NFKC", value)
    normalised = "".join(ch for ch in normalised if ch.isalnum()).upper()
    key = settings.SOCIALDESK_LOOKUP_KEY.encode("utf-8")
    return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; it cannot be searched — pair it with a lookup-hash field."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        # get_prep_value stores a blank value as it is (not encrypted), so it is read back as is.
        return value if value in (None, "") else decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))

"""factory_boy factories for staff accounts, authenticator devices and API tokens."""

from __future__ import annotations

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialdesk.accounts.models import ApiToken, User
from socialdesk.accounts.services import api_token_create

PASSWORD = "Correct-Horse-42!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Sequence(lambda n: f"Given{n}")
    last_name = "Tester"
    display_name_zh = factory.Sequence(lambda n: f"測試員{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.invalid")
    phone = factory.Sequence(lambda n: f"3{n % 10000000:07d}")
    preferred_language = "zh-hant"
    password = factory.django.Password(PASSWORD)


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "authenticator"
    confirmed = True


def make_token(
    user: User, *, name: str = "integration", days: int | None = 30
) -> tuple[ApiToken, str]:
    """A personal API token made the way the UI makes it; returns (token, raw secret)."""
    return api_token_create(user=user, name=name, expires_in_days=days)

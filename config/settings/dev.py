"""Development and demo settings: what `make run` uses."""

from .base import *  # noqa: F403
from .base import STATIC_ROOT
from .env import env_bool

# Demo users (is_demo) may skip two-factor so a trial can sign straight in; prod refuses this.
SOCIALDESK_2FA_EXEMPT_DEMO_USERS = env_bool("SOCIALDESK_2FA_EXEMPT_DEMO_USERS", True)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing

"""Django application configuration of the shared text-analysis package."""

from __future__ import annotations

from django.apps import AppConfig


class TextsearchConfig(AppConfig):
    """Text analysis for search (no models; installed so its tests and checks run with the rest)."""

    name = "socialdesk.textsearch"
    label = "textsearch"
    # Not marked for translation: the app has no models, so the name never reaches a user.
    verbose_name = "Text search"

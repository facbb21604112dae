"""The performance definitions in the admin: a template that returns were made on is locked."""

from __future__ import annotations

import pytest
from django.test import Client

from socialdesk.core.models import Role
from socialdesk.core.tests.world import World, sign_in
from socialdesk.performance.models import ReturnTemplate, TemplateItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    from socialdesk.core.tests.world import build_world

    return build_world(with_jobs_and_tokens=False)


def test_a_template_in_use_cannot_be_edited_or_deleted(world: World) -> None:
    """Returns keep the version they were made on: only its status can still change."""
    client = sign_in(Client(), world.roles[Role.SYSTEM_ADMIN])
    template = ReturnTemplate.objects.get(code="world-return")  # the world's returns use it
    page = client.get(f"/admin/performance/returntemplate/{template.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="status"' in body and 'name="name_en"' not in body
    assert 'name="items-0-indicator"' not in body  # items shown, not editable
    assert client.get(f"/admin/performance/returntemplate/{template.pk}/delete/").status_code == 403
    assert TemplateItem.objects.filter(template=template).count() == 1


def test_a_draft_template_is_edited_with_its_items(world: World) -> None:
    client = sign_in(Client(), world.roles[Role.SYSTEM_ADMIN])
    draft = ReturnTemplate.objects.create(
        code="draft-return",
        service_type=world.unit_a.service_type,
        frequency="quarterly",
        first_year=2026,
        name_zh="草稿報表",
        name_en="Draft return",
    )
    page = client.get(f"/admin/performance/returntemplate/{draft.pk}/change/")
    body = page.content.decode()
    assert 'name="name_en"' in body and 'name="items-__prefix__-indicator"' in body

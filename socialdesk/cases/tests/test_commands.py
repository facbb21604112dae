from io import StringIO

import pytest
from django.core.management import call_command

from socialdesk.cases.models import SearchKey, ServiceUser
from socialdesk.cases.services.search import person_keys


@pytest.mark.django_db
def test_rebuild_search_keys_restores_every_persons_keys() -> None:
    person = ServiceUser.objects.create(name_zh="陳大文", name_en="CHAN TAI MAN", phone="91234567")
    SearchKey.objects.all().delete()
    out = StringIO()
    call_command("rebuild_search_keys", stdout=out)
    stored = set(SearchKey.objects.filter(person=person).values_list("key", flat=True))
    assert stored == person_keys(person) and stored
    assert "1 people" in out.getvalue()

"""The shipped forms load once, are left alone when unchanged, and get a new published version
when their JSON changes."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from socialdesk.forms import services
from socialdesk.forms.models import FormDefinition, FormVersion, VersionStatus
from socialdesk.forms.runtime import score, validate_answers
from socialdesk.forms.selectors import form_version_current
from socialdesk.forms.services import form_definitions_load_shipped

pytestmark = pytest.mark.django_db


def test_the_shipped_forms_are_created_and_published_once() -> None:
    assert form_definitions_load_shipped() == {
        "carer_stress": "created",
        "intake": "created",
        "risk_screening": "created",
    }
    assert FormVersion.objects.filter(status=VersionStatus.PUBLISHED).count() == 3
    assert form_definitions_load_shipped() == dict.fromkeys(
        ("carer_stress", "intake", "risk_screening"), "unchanged"
    )
    assert FormVersion.objects.count() == 3


def test_a_changed_definition_gets_a_new_published_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "definitions"
    shutil.copytree(services.DEFINITIONS_DIR, shipped)
    monkeypatch.setattr(services, "DEFINITIONS_DIR", shipped)
    form_definitions_load_shipped()
    path = shipped / "intake.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["fields"][0]["label_en"] = "Reasons for seeking help"
    data["description_en"] = "Changed description"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    outcomes = form_definitions_load_shipped()
    assert outcomes["intake"] == "updated" and outcomes["carer_stress"] == "unchanged"
    current = form_version_current(code="intake")
    assert current.number == 2 and current.schema[0]["label_en"] == "Reasons for seeking help"
    assert FormVersion.objects.get(definition__code="intake", number=1).status == "retired"
    assert FormDefinition.objects.get(code="intake").description_en == "Changed description"


def test_the_shipped_risk_screening_follows_its_skip_logic() -> None:
    form_definitions_load_shipped()
    version = form_version_current(code="risk_screening")
    answers = {
        key: "no"
        for key in ("sh_thoughts", "sh_plan", "sh_history", "dv_harm", "dv_fear", "dv_escalation")
    }
    answers |= {
        "children_in_household": "no",
        "elders_in_household": "yes",
        "ea_physical": "no",
        "ea_financial": "yes",
        "ea_neglect": "unsure",
        "ea_psychological": "no",
        "immediate_danger": "no",
        "cp_injury": "yes",
    }
    with translation.override("en"):
        cleaned, errors = validate_answers(version.schema, answers)
        assert errors == {"ea_details": ["This question is required."]}
        assert "cp_injury" not in cleaned  # no children: the child-protection items are hidden
        answers["ea_details"] = "Son takes her allowance; APS referral discussed."
        cleaned, errors = validate_answers(version.schema, answers)
        assert errors == {}
        scores = score(version.schema, version.scoring, cleaned)
    assert scores["total"]["total"] == 3 and scores["total"]["band"] == "Low"
    assert scores["elder_abuse"]["band"] == "Follow up now"
    assert scores["suicide"]["band"] == "No indicators"


def test_the_shipped_intake_asks_for_the_cssa_category_only_of_cssa_recipients() -> None:
    form_definitions_load_shipped()
    schema = form_version_current(code="intake").schema
    base = {
        "presenting_problem": ["financial"],
        "problem_description": "Rent arrears",
        "referral_source": "self",
        "living_arrangement": "alone",
        "income_sources": ["old_age_allowance"],
        "financial_difficulty": "serious",
        "preferred_language": "cantonese",
        "interpreter_needed": "no",
        "urgent_needs": "no",
        "consent_share": "no",
        "intake_outcome": "open_case",
    }
    assert validate_answers(schema, base)[1] == {}
    _, errors = validate_answers(schema, {**base, "income_sources": ["cssa"]})
    assert set(errors) == {"cssa_category"}
    _, errors = validate_answers(schema, {**base, "living_arrangement": "spouse"})
    assert set(errors) == {"household_size"}


def test_the_command_loads_them() -> None:
    out = io.StringIO()
    call_command("load_form_definitions", stdout=out)
    assert "intake: created" in out.getvalue()

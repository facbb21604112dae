"""Scores: totals over numbers, scales, yes/no and choice scores, bands and their labels."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

from django.utils import translation

from socialdesk.forms.runtime import score, validate_answers
from socialdesk.forms.schema import check_definition
from socialdesk.forms.services import DEFINITIONS_DIR
from socialdesk.forms.tests.factories import SAMPLE_FIELDS, SAMPLE_SCORING

CHECKED = check_definition(copy.deepcopy(SAMPLE_FIELDS), SAMPLE_SCORING)


def _score(answers: dict[str, object], language: str = "en") -> dict[str, object]:
    with translation.override(language):
        return score(CHECKED.fields, CHECKED.scoring, answers)["total"]


def test_choice_scores_scales_and_yes_no_are_added_up() -> None:
    # high (3) + food and housing (1 + 2) + mood 1 + living alone (1) = 8
    result = _score({"risk": "high", "needs": ["food", "housing"], "mood": 1, "living_alone": True})
    assert result == {
        "total": Decimal(8),
        "label": "Total",
        "band": "High",
        "answered": 4,
        "items": 4,
    }


def test_bands_include_both_ends_and_follow_the_language() -> None:
    assert _score({"risk": "high"})["band"] == "Low"  # 3
    assert _score({"risk": "high", "living_alone": True})["band"] == "Medium"  # 4
    assert _score({"risk": "high", "living_alone": True}, "zh-hant")["band"] == "中"
    assert _score({"risk": "high", "living_alone": True}, "zh-hant")["label"] == "總分"


def test_unanswered_questions_count_nothing_and_no_counts_zero() -> None:
    result = _score({"living_alone": False})
    assert result["total"] == 0 and result["answered"] == 1 and result["band"] == "Low"
    assert _score({})["answered"] == 0


def test_a_total_outside_every_band_has_no_band() -> None:
    scoring = {
        "s": {
            "fields": ["mood"],
            "bands": [{"min": 0, "max": 1, "label_zh": "甲", "label_en": "A"}],
        }
    }
    assert score(CHECKED.fields, scoring, {"mood": 3})["s"]["band"] == ""
    assert score(CHECKED.fields, scoring, {"mood": 3})["s"]["label"] == "s"


def test_the_shipped_carer_stress_total_and_bands() -> None:
    data = json.loads((DEFINITIONS_DIR / "carer_stress.json").read_text(encoding="utf-8"))
    checked = check_definition(data["fields"], data["scoring"])
    items = checked.scoring["total"]["fields"]
    assert len(items) == 10
    base = {
        "care_recipient_relationship": "parent",
        "care_hours_per_week": "60",
        "other_helpers": "no",
        "harm_thoughts": "no",
    }
    with translation.override("en"):
        low, errors = validate_answers(checked.fields, {**base, **dict.fromkeys(items, 1)})
        assert errors == {}
        assert score(checked.fields, checked.scoring, low)["total"]["band"] == "Low strain"
        high, _ = validate_answers(checked.fields, {**base, **dict.fromkeys(items, 3)})
        result = score(checked.fields, checked.scoring, high)["total"]
    assert result["total"] == 30 and result["band"] == "High strain"

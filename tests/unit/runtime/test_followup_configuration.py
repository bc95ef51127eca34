"""Follow-up rules and templates come from one TOML file; a wrong one stops the gateway with
the setting and the problem named."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.bootstrap import build_components
from gateway.domain.followup.questions import Question
from gateway.domain.followup.templates import DEFAULT_TEMPLATES
from gateway.errors import ConfigurationError
from gateway.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "followup.toml"


def test_the_example_followup_file_sets_product_rules_and_template_texts(tmp_path: Path) -> None:
    comp = build_components(Settings(data_dir=tmp_path, followup_rules_file=EXAMPLE))
    rules = comp.followup_rules()
    templates = comp.followup_templates()

    assert rules.questions_for(["examplozole"], serious=True)[:2] == (
        Question.BATCH,
        Question.OUTCOME,
    )
    assert rules.questions_for([], serious=False) == (
        Question.PATIENT_AGE,
        Question.PATIENT_SEX,
        Question.OUTCOME,
    )
    assert templates.packs["en"].questions[Question.BATCH].startswith("What is the batch")
    assert "BAJA" in templates.packs["es"].closing
    # what the file does not name keeps the default
    assert templates.packs["es"].intro == DEFAULT_TEMPLATES.packs["es"].intro


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[rules]\nserious = ["outcome", "horoscope"]\n', "horoscope"),
        ('[templates.fr]\nintro = "Bonjour"\n', "unknown language 'fr'"),
        ("[reminders]\ndays = 3\n", "unknown tables reminders"),
        ("[rules\n", "Expected"),
    ],
)
def test_a_wrong_followup_file_is_refused_naming_the_setting_and_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "followup.toml"
    path.write_text(text, encoding="utf-8")
    comp = build_components(Settings(data_dir=tmp_path, followup_rules_file=path))

    with pytest.raises(ConfigurationError) as caught:
        comp.followup_rules()
    assert caught.value.setting == "ICSR_FOLLOWUP_RULES_FILE"
    assert problem in str(caught.value)

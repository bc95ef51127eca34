"""render_request: the text a reporter receives, per channel and language."""

from __future__ import annotations

import pytest

from gateway.domain.followup.planner import FollowUpPlan
from gateway.domain.followup.questions import Question
from gateway.domain.followup.templates import (
    DEFAULT_TEMPLATES,
    SMS_MAX_CHARS,
    case_ref,
    choose_language,
    find_subject_tag,
    find_subject_tags,
    render_request,
    subject_tag,
)

REF = "ICSR-REF:AB12CD"
ALL = FollowUpPlan(questions=tuple(Question), track="serious")
TWO = FollowUpPlan(questions=(Question.OUTCOME, Question.BATCH), track="serious")


def test_email_has_a_subject_with_the_tag_and_numbered_questions() -> None:
    rendered = render_request(TWO, channel="EMAIL", language="en", case_ref=REF)
    assert rendered.subject == "Follow-up on your side-effect report [ICSR-REF:AB12CD]"
    assert "1. How is the person now" in rendered.body
    assert "2. What is the batch or lot number" in rendered.body
    assert "[ICSR-REF:AB12CD]" in rendered.body
    assert rendered.questions == TWO.questions


def test_spanish_email_is_in_spanish() -> None:
    rendered = render_request(TWO, channel="email", language="es", case_ref=REF)
    assert rendered.subject is not None
    assert rendered.subject.startswith("Seguimiento")
    assert "1. ¿Cómo se encuentra ahora la persona" in rendered.body
    assert "número de lote" in rendered.body


@pytest.mark.parametrize("language", ["en", "es"])
def test_sms_stays_within_480_characters_and_reports_the_questions_it_kept(language: str) -> None:
    rendered = render_request(ALL, channel="SMS", language=language, case_ref=REF)
    assert len(rendered.body) <= SMS_MAX_CHARS
    assert rendered.subject is None
    assert 1 <= len(rendered.questions) < len(ALL.questions)
    assert rendered.questions == ALL.questions[: len(rendered.questions)]
    last = len(rendered.questions)
    assert f"{last}. " in rendered.body
    assert f"{last + 1}. " not in rendered.body


def test_sms_and_whatsapp_use_the_short_wording() -> None:
    email = render_request(TWO, channel="EMAIL", language="en", case_ref=REF)
    sms = render_request(TWO, channel="SMS", language="en", case_ref=REF)
    whatsapp = render_request(TWO, channel="WHATSAPP", language="en", case_ref=REF)
    assert len(sms.body) < len(email.body) / 2
    assert sms.body == whatsapp.body
    assert "Batch/lot number on the pack?" in sms.body
    assert "STOP" in sms.body
    assert REF in sms.body


def test_whatsapp_keeps_more_questions_than_sms() -> None:
    sms = render_request(ALL, channel="SMS", language="en", case_ref=REF)
    whatsapp = render_request(ALL, channel="WHATSAPP", language="en", case_ref=REF)
    assert len(whatsapp.questions) > len(sms.questions)


def test_configured_texts_override_the_defaults() -> None:
    templates = DEFAULT_TEMPLATES.with_overrides(
        {
            "es": {
                "questions": {"batch": "¿Lote? (mire la caja) {no-es-un-campo}"},
                "subject": "Su notificación",
            }
        }
    )
    rendered = render_request(
        TWO, channel="EMAIL", language="es", case_ref=REF, templates=templates
    )
    assert rendered.subject == "Su notificación [ICSR-REF:AB12CD]"
    assert "2. ¿Lote? (mire la caja) {no-es-un-campo}" in rendered.body
    # the defaults are untouched
    default = render_request(TWO, channel="EMAIL", language="es", case_ref=REF)
    assert "¿Lote?" not in default.body


def test_override_with_an_unknown_question_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown follow-up question 'lote'"):
        DEFAULT_TEMPLATES.with_overrides({"es": {"questions": {"lote": "x"}}})


def test_override_for_an_unknown_language_or_key_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        DEFAULT_TEMPLATES.with_overrides({"fr": {"subject": "Suivi"}})
    with pytest.raises(ValueError, match="unknown key"):
        DEFAULT_TEMPLATES.with_overrides({"en": {"greeting": "Hi"}})


def test_unknown_channel_or_language_is_refused() -> None:
    with pytest.raises(ValueError, match="channel"):
        render_request(TWO, channel="FAX", language="en", case_ref=REF)
    with pytest.raises(ValueError, match="no follow-up templates for language 'de'"):
        render_request(TWO, channel="SMS", language="de", case_ref=REF)


def test_subject_tag_round_trips_through_a_reply_subject() -> None:
    tag = subject_tag(case_ref("AB12CD"))
    assert tag == "[ICSR-REF:AB12CD]"
    assert find_subject_tag(f"RE: AW: Follow-up on your report {tag}") == tag


def test_mangled_tag_is_normalised_and_keeps_the_token_case() -> None:
    assert find_subject_tag("Re: info [ icsr-ref : Ab12cD ]") == "[ICSR-REF:Ab12cD]"


def test_subject_without_a_tag_has_none() -> None:
    assert find_subject_tag("Re: [EXTERNAL] Follow-up") is None
    assert find_subject_tag(None) is None


def test_every_distinct_tag_is_found_in_order() -> None:
    subject = "Fwd: [ICSR-REF:AAA111] and [ICSR-REF:BBB222] [ICSR-REF:AAA111]"
    assert find_subject_tags(subject) == ("[ICSR-REF:AAA111]", "[ICSR-REF:BBB222]")


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("es", "es"),
        ("spa", "es"),
        ("es-MX", "es"),
        ("es_AR", "es"),
        ("Spanish", "es"),
        ("eng", "en"),
        ("pt-BR", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_choose_language_reads_codes_locales_and_names(hint: str | None, expected: str) -> None:
    assert choose_language(hint) == expected


def test_choose_language_falls_back_to_the_given_default() -> None:
    assert choose_language("de", default="es") == "es"
    with pytest.raises(ValueError, match="default language"):
        choose_language("en", default="fr")

"""The web form's language becomes E.i.1.1b of every reaction, which receivers require."""

from __future__ import annotations

import json

from channels.parsing.web_form import icsr_from_web_form, parse_web_form


def _form(**fields: object) -> bytes:
    body = {
        "reporter": {"name": "Ana Example", "email": "ana@clinic.es", "country": "ES"},
        "patient": {"initials": "JD"},
        "products": [{"name": "Examplozole"}],
        "reactions": [{"description": "erupción generalizada"}, {"description": "fiebre"}],
        **fields,
    }
    return json.dumps(body).encode()


def test_a_two_letter_form_language_is_sent_as_its_iso_639_2_code() -> None:
    icsr = icsr_from_web_form(parse_web_form(_form(language="es")))

    assert [r.verbatim_language for r in icsr.reactions] == ["spa", "spa"]


def test_a_three_letter_form_language_is_kept_as_given() -> None:
    icsr = icsr_from_web_form(parse_web_form(_form(language="FRA")))

    assert {r.verbatim_language for r in icsr.reactions} == {"fra"}


def test_without_a_form_language_the_reporters_words_decide_it() -> None:
    body = _form(
        reactions=[{"description": "rash on both arms after the tablets"}],
        description="She took the tablets for a week and the rash started after that.",
    )

    icsr = icsr_from_web_form(parse_web_form(body))

    assert icsr.reactions[0].verbatim_language == "eng"


def test_a_form_without_reactions_carries_no_language() -> None:
    icsr = icsr_from_web_form(parse_web_form(_form(reactions=[], language="en")))

    assert icsr.reactions == ()

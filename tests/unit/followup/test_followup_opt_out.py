"""is_opt_out: a message that is the opt-out, not one that mentions stopping."""

from __future__ import annotations

import pytest

from gateway.domain.followup.opt_out import is_opt_out


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop. ",
        "STOP STOP!!",
        "Stop please",
        "UNSUBSCRIBE",
        "unsubscribe me",
        "no more messages",
        "No more messages please 🙏",
        "Please stop texting me",
        "Don't contact me again",
        "I don't want any more messages",
        "Remove me from your list",
        "BAJA",
        "baja por favor",
        "no me escriban más",
        "No me escriban mas!",
        "No quiero más mensajes",
        "no quiero recibir más mensajes, gracias",
        "Dejen de escribirme",
        "Quiero darme de baja",
        "PARE",
    ],
)
def test_opt_out_messages_are_recognised(text: str) -> None:
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "I had to stop taking the drug after 3 days",
        "stop taking the drug",
        "The rash did not stop",
        "Dejé de tomar el medicamento y mejoró",
        "Paré el tratamiento el lunes",
        "She stopped it and recovered. No more rash since then, thanks",
        "Recovered",
        "",
        "   ",
        "Please stop sending me messages, but first: she was hospitalised for 3 days "
        "after the second dose and the doctor changed her treatment to something else",
    ],
)
def test_answers_that_mention_stopping_are_not_opt_outs(text: str) -> None:
    assert not is_opt_out(text)

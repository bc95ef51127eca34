"""Recognise a reporter's request to stop messages: ``is_opt_out``.

Only a message that *is* the opt-out counts: "STOP", "Stop please", "no more messages",
"no me escriban más", "BAJA". A reply that merely contains the word ("I had to stop
taking the drug", "the rash did not stop") is an answer, not an opt-out; treating it as
one would silence a reporter who is giving us safety information.

The text is folded (case, accents, punctuation, emoji) and polite filler words
("please", "por favor", "thanks", ...) are dropped; what is left must be a known keyword
or match one of the opt-out phrasings below as a whole.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["OPT_OUT_KEYWORDS", "is_opt_out"]

#: carrier-standard keywords (CTIA / Twilio advanced opt-out) and their Spanish usage
OPT_OUT_KEYWORDS = frozenset(
    {
        "stop",
        "stopall",
        "stop all",
        "unsubscribe",
        "unsub",
        "cancel",
        "end",
        "quit",
        "optout",
        "opt out",
        "revoke",
        "baja",
        "darme de baja",
        "dar de baja",
        "alto",
        "parar",
        "para",
        "detener",
        "cancelar",
        "no mas",
        "no more",
        "arret",
        "arreter",
        "pare",
        "sair",
    }
)

_FILLER = frozenset(
    {
        "please",
        "pls",
        "plz",
        "thanks",
        "thank",
        "you",
        "ok",
        "okay",
        "hi",
        "hello",
        "now",
        "por",
        "favor",
        "porfavor",
        "gracias",
        "hola",
        "ya",
        "merci",
        "obrigado",
        "obrigada",
    }
)

_PHRASES = tuple(
    re.compile(p)
    for p in (
        # English
        r"(stop|quit|cease) (sending|texting|messaging|contacting|emailing|writing to|"
        r"calling) (me|us)( (any ?more|again|these messages|messages))?",
        r"(stop|no more) (the |these |your )?(messages|texts|emails|sms|reminders)",
        r"(i )?(dont|do not|don t) (want|wish) (to (receive|get) )?(any )?(more |further )?"
        r"(messages|texts|emails|contact|reminders)( from you)?",
        r"(dont|do not|don t) (contact|text|message|email|write to|call) (me|us)"
        r"( (again|any ?more))?",
        r"(remove|take) me (off|from) (your|the|this) (list|mailing list)",
        r"(unsubscribe|opt out|optout|remove) me",
        r"leave me alone",
        # Spanish
        r"no (me|nos) (escriban|escribas|escriba|manden|mandes|envien|envies|contacten|"
        r"contactes|llamen|molesten|molestes)( (mas|nunca mas))?( mensajes| correos)?",
        r"(no )?quiero (darme de baja|que me den de baja)",
        r"no quiero (recibir )?(mas|ningun|ningunos) (mensajes|correos|sms|mensaje)",
        r"no (mas|quiero mas) (mensajes|correos|sms)",
        r"dej(en|a|e) de (escribirme|mandarme mensajes|enviarme mensajes|contactarme|"
        r"molestarme)",
        r"(dar|darme|denme) de baja",
    )
)

_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_MAX_WORDS = 12  # an opt-out is short; longer messages are answers


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("'", " ").replace("\u2019", " ")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", plain)).strip()


def is_opt_out(text: str) -> bool:
    """True when the message is essentially a request to stop messages."""
    folded = _fold(text)
    words: list[str] = []
    for word in folded.split(" "):
        # "STOP STOP!!" is still a stop
        if word and word not in _FILLER and (not words or words[-1] != word):
            words.append(word)
    if not words or len(words) > _MAX_WORDS:
        return False
    core = " ".join(words)
    if core in OPT_OUT_KEYWORDS:
        return True
    return any(p.fullmatch(core) for p in _PHRASES)

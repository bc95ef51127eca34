"""The new text of an e-mail reply: quoted history, attributions and signatures removed.

Written by hand, stdlib only: the domain may import no third-party package (a test
enforces it), and the maintained reply parsers on PyPI (``mail-parser-reply``, the
``email_reply_parser`` ports, ``talon``) either pull in third-party packages or disagree
with each other on policy. The rules follow the public test corpora of github's
``email_reply_parser``, willdurand's ``EmailReplyParser``, mailgun's ``talon`` and
closeio's ``quotequail`` (checked against their recorded expectations in the tests).

Policy, line by line:

* ``>`` lines are quoted: dropped. An attribution followed by quoted lines and then more
  of the reporter's words is an inline quote (the reporter answers under each quoted
  question): the attribution and the quote go, the answers stay.
* An attribution ("On … wrote:", "El … escribió:", "Le … a écrit :", "Am … schrieb",
  "… napisał:", Gmail's "2014-03-20 8:48 GMT+01:00 Name <a@b>:", wrapped over up to three
  lines) ends the new text when nothing of the reporter's follows the quote, or when it
  is not followed by a quote at all (history pasted unquoted under "On … wrote:").
* An Outlook-style header block (``From:/Sent:/To:/Subject:`` and its translations,
  ``De:/Enviado:/Para:/Asunto:``, ``Von:/Gesendet:``, ``发件人:`` …), "-----Original
  Message-----" and forwarded-message markers end the new text.
* Signatures end it too: the ``-- `` delimiter (and bare ``--``/``__`` rules), device
  sign-offs ("Sent from my iPhone", "Enviado desde mi …", "Get Outlook for iOS") and a
  closing ``-Name`` line. A sign-off such as "Thanks, Ana" stays: the reporter's name and
  contact details are case data (C.2.r), unlike a device advert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["ReplyText", "extract_reply", "html_to_text"]


@dataclass(frozen=True, slots=True)
class ReplyText:
    """The reporter's new words and what was taken away to get them."""

    text: str
    #: quoted history (``>`` lines, attributions, header blocks, forwards) was removed
    quoted: bool = False
    #: a signature or device sign-off was removed
    signature: bool = False
    #: the removed signature (may hold the reporter's contact details), "" when none
    signature_text: str = ""


# --- patterns ----------------------------------------------------------------------------

_QUOTE = re.compile(r"^[ \t]*>")

_VERBS = (
    r"wrote|writes|escribi[oó]|escreveu|a\s+[ée]crit|ha\s+escrit|ha\s+scritto|scrisse|"
    r"schrieb|schreef|skrev|kirjoitti|napisa[lł](?:\(a\)|a)?|pisze|написал[аи]?|написав|"
    r"написала|[íi]rta|yazd[\u0131i]|έγραψε|写道|寫道|작성|のメッセージ"
)
#: the end of an attribution: a "wrote" verb or the quoted author's address, then a colon
_ATTRIBUTION_END = re.compile(
    rf"(?:(?:^|[\s,\uff0c>]){_VERBS}|<[^<>]*@[^<>]*>|(?<!\S)[^\s@]++@\S+)\s*[:\uff1a]\s*$",
    re.IGNORECASE,
)
#: how attributions begin: an introducing word or a date
_ATTRIBUTION_START = re.compile(
    r"^(?:On|Le|El|Em|Am|Op|Il|Den|Dne|Dnia|W\s+dniu|Στις|På|Pada|Vào|在)\b"
    r"|^\d|^[^\W\d_]{2,4}\.?,?\s+\d",
    re.IGNORECASE,
)
_LEAD = re.compile(r"^[\s\-\u2013—*]+")

_FROM_KEYS = (
    r"From|De|Von|Van|Da|Od|Fra|Från|Frá|Lähettäjä|Feladó|Kimden|От|Від|发件人|寄件者|差出人|"
    r"보낸\s*사람|Message\s+du|От\s+кого"
)
_OTHER_KEYS = (
    r"Sent|Date|To|Cc|Bcc|Subject|Reply-To|Enviado|Enviada|Fecha|Para|Asunto|Assunto|"
    r"Gesendet|Datum|An|Betreff|Envoy[ée](?:\s+le)?|[ÀA]|Objet|Copie\s+[àa]|Sujet|"
    r"Verzonden|Aan|Onderwerp|Inviato|Oggetto|Data|Wys[lł]ano|Do|Temat|Skickat|Till|Ämne|"
    r"Sendt|Til|Emne|Отправлено|Кому|Тема|Дата|发送时间|收件人|主题|抄送|日期|寄件日期|收件者|"
    r"主旨|送信日時|宛先|件名|보낸\s*날짜|받는\s*사람|제목"
)
_HEADER_COLON = r"\s*+\*?\s*+[:\uff1a]"
_FROM_HEADER = re.compile(rf"^\s*+\*?\s*+(?:{_FROM_KEYS}){_HEADER_COLON}", re.IGNORECASE)
_ANY_HEADER = re.compile(
    rf"^\s*+\*?\s*+(?:{_FROM_KEYS}|{_OTHER_KEYS}){_HEADER_COLON}", re.IGNORECASE
)
#: a lone "From:" line is a header only when it names an address the way clients do
_FROM_ADDRESS = re.compile(r"<[^<>]*@[^<>]*>|\[mailto:|(?<![^\s@])[^\s@]++@[^\s@]*?\.\w+")

_SEPARATOR = re.compile(
    r"^\s*+(?:[-_=*]{3,}.*|.*?(?:Original\s+Message|Mensaje\s+original|Message\s+d'origine|"
    r"Urspr[üu]ngliche\s+Nachricht|Messaggio\s+originale|Oorspronkelijk\s+bericht|"
    r"Mensagem\s+original).*)$",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^\s*(?:-+\s*(?:Forwarded\s+message|Mensaje\s+reenviado|Message\s+transf[ée]r[ée]|"
    r"Weitergeleitete\s+Nachricht|Messaggio\s+inoltrato|Doorgestuurd\s+bericht|"
    r"Пересылаемое\s+сообщение)\s*-*|"
    r"-+\s*(?:Original\s+Message|Mensaje\s+original|Message\s+d'origine|"
    r"Urspr[üu]ngliche\s+Nachricht|Messaggio\s+originale|Oorspronkelijk\s+bericht)\s*-+|"
    r"Begin\s+forwarded\s+message\s*:|Inicio\s+del\s+mensaje\s+reenviado\s*:|"
    r"D[ée]but\s+du\s+message\s+r[ée]exp[ée]di[ée]\s*:|"
    r"Anfang\s+der\s+weitergeleiteten\s+Nachricht\s*:)\s*$",
    re.IGNORECASE,
)

_SIGNATURE_RULE = re.compile(r"^\s*(?:-{2,}|_{2,})\s*$")
#: one to five words; each after the first needs the space before it, so a long token can be
#: split only one way (``(?:[\w.-]+\s*){1,5}`` backtracked exponentially on one)
_DEVICE_WORDS = r"[\w.-]+(?:\s+[\w.-]+){0,4}"
_DEVICE = re.compile(
    rf"^\s*(?:sent\s+(?:from|with|via|using)\s+(?:my\s+)?{_DEVICE_WORDS}|"
    rf"enviado\s+(?:desde|con|do|a\s+partir\s+do)\s+(?:mi\s+|meu\s+)?{_DEVICE_WORDS}|"
    rf"(?:get|obtener|descargar|obtenir|holen\s+sie\s+sich)\s+outlook\s+"
    rf"(?:for|para|pour|f[üu]r)\s+(?:ios|android)|"
    rf"envoy[ée]\s+(?:de|depuis)\s+(?:mon\s+)?{_DEVICE_WORDS}|"
    rf"von\s+meinem\s+{_DEVICE_WORDS}\s+gesendet|"
    rf"inviato\s+da\s+(?:il\s+mio\s+)?{_DEVICE_WORDS}|"
    rf"verzonden\s+(?:vanaf|met)\s+(?:mijn\s+)?{_DEVICE_WORDS})\s*$",
    re.IGNORECASE,
)
_DASH_NAME = re.compile(r"^-[^\W\d_][\w .'\u2019-]{0,40}$")

_MAX_ATTRIBUTION = 300  # characters: longer "lines" are prose, not a client's attribution


# --- plain text --------------------------------------------------------------------------

_WRAP_WIDTH = 60  # a quoted line this long may have been hard-wrapped by the client
_CONTINUATION = re.compile(r"^\s*[a-z\u00e0-\u00ff\"'(),.;]")
_ADDRESS_CLOSE = re.compile(r"^\s*>\s*[:\uff1a]\s*$")  # "<a@b\n>:" wrapped attribution
_VERB_ANYWHERE = re.compile(rf"(?:^|[\s,\uff0c>])(?:{_VERBS})\b", re.IGNORECASE)


def _blank(line: str) -> bool:
    return not line.strip()


def _quoted_lines(lines: list[str]) -> list[bool]:
    """Which lines are quoted: ``>`` lines, and the tails clients wrapped off them."""
    flags: list[bool] = []
    for i, line in enumerate(lines):
        if _QUOTE.match(line):
            flags.append(not _ADDRESS_CLOSE.match(line))
            continue
        previous = lines[i - 1] if i else ""
        wrapped = (
            bool(flags)
            and flags[-1]
            and len(previous) >= _WRAP_WIDTH
            and bool(_CONTINUATION.match(line))
        )
        flags.append(wrapped)
    return flags


@dataclass(frozen=True, slots=True)
class _Lines:
    text: list[str]
    quoted: list[bool]

    def __len__(self) -> int:
        return len(self.text)

    def blank_or_quoted(self, i: int) -> bool:
        return self.quoted[i] or _blank(self.text[i])


def _attribution_at(lines: _Lines, i: int) -> int:
    """The number of lines (1-3) of an attribution starting at line ``i``, else 0."""
    parts: list[str] = []
    for k in range(3):
        if i + k >= len(lines) or lines.blank_or_quoted(i + k):
            break
        parts.append(lines.text[i + k].strip())
        joined = _LEAD.sub("", " ".join(parts))
        if len(joined) > _MAX_ATTRIBUTION:
            break
        starts = bool(_ATTRIBUTION_START.match(joined))
        if k > 0 and not starts:
            break  # only a recognisable start may be joined with the lines after it
        if _ANY_HEADER.match(joined):
            break
        if _ATTRIBUTION_END.search(joined):
            return k + 1
        # "Am 25.06.2015 um 10:55 schrieb Test user:"
        if starts and _VERB_ANYWHERE.search(joined) and joined.endswith((":", "\uff1a")):
            return k + 1
    return 0


def _strong_attribution(lines: _Lines, i: int, size: int) -> bool:
    """Recognisable without a quote below it: an introducing word, a date or an address."""
    joined = _LEAD.sub("", " ".join(line.strip() for line in lines.text[i : i + size]))
    return bool(_ATTRIBUTION_START.match(joined) or "@" in joined)


def _header_block_at(lines: _Lines, i: int) -> bool:
    """An Outlook-style header block (``From:`` with ``Sent:``/``To:`` …) starts here."""
    first = lines.text[i]
    if not _ANY_HEADER.match(first):
        return False
    run: list[str] = []
    for line in lines.text[i : i + 8]:
        if _blank(line):
            break
        run.append(line)
    headers = [line for line in run if _ANY_HEADER.match(line)]
    if len(headers) >= 2 and any(_FROM_HEADER.match(line) for line in headers):
        return True
    return bool(_FROM_HEADER.match(first) and _FROM_ADDRESS.search(first))


def _signature_start(line: str) -> bool:
    return bool(_SIGNATURE_RULE.match(line) or _DEVICE.match(line))


def _ends_reply(lines: _Lines, i: int) -> bool:
    """Whether line ``i`` opens something that is not the reporter's new text."""
    line = lines.text[i]
    return bool(
        _signature_start(line)
        or _FORWARD.match(line)
        or _attribution_at(lines, i)
        or _header_block_at(lines, i)
    )


def _skip_quote(lines: _Lines, start: int) -> int:
    """The index after the quote block (and the blank lines around it) from ``start``."""
    j = start
    while j < len(lines) and lines.blank_or_quoted(j):
        j += 1
    return j


def _more_reply_after(lines: _Lines, start: int) -> bool:
    """After a quote block: does the reporter write anything more of their own?"""
    j = _skip_quote(lines, start)
    return j < len(lines) and not _ends_reply(lines, j)


def _trim_separators(out: list[str]) -> None:
    while out and (_blank(out[-1]) or _SEPARATOR.match(out[-1])):
        out.pop()


def _remove_history(lines: _Lines) -> tuple[list[str], bool]:
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(lines):
        if lines.quoted[i]:
            quoted = True
            i = _skip_quote(lines, i)
            continue
        if _FORWARD.match(lines.text[i]) or _header_block_at(lines, i):
            _trim_separators(out)
            return out, True
        size = _attribution_at(lines, i)
        if size:
            after = i + size
            while after < len(lines) and _blank(lines.text[after]):
                after += 1
            followed_by_quote = after < len(lines) and lines.quoted[after]
            if followed_by_quote and _more_reply_after(lines, after):
                quoted = True
                i = after  # an inline quote: drop its attribution, keep the answers
                continue
            if followed_by_quote or _strong_attribution(lines, i, size):
                _trim_separators(out)
                return out, True
        out.append(lines.text[i])
        i += 1
    return out, quoted


def _signature_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if _signature_start(line):
            return i
        if _DASH_NAME.match(line.strip()) and (i == 0 or _blank(lines[i - 1])):
            rest = [later for later in lines[i + 1 :] if not _blank(later)]
            if not rest or _signature_start(rest[0]):
                return i
    return None


def _tidy(lines: list[str]) -> str:
    stripped = [line.rstrip() for line in lines]
    while stripped and not stripped[0]:
        stripped.pop(0)
    while stripped and not stripped[-1]:
        stripped.pop()
    return "\n".join(stripped)


def extract_reply(text: str, *, html: str | None = None) -> ReplyText:
    """The reporter's new words in a reply. ``html`` is used when there is no plain text."""
    if not text.strip() and html is not None:
        text = html_to_text(html)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept, quoted = _remove_history(_Lines(lines, _quoted_lines(lines)))
    cut = _signature_index(kept)
    signature_text = ""
    if cut is not None:
        signature_text = _tidy(kept[cut:])
        kept = kept[:cut]
    return ReplyText(
        text=_tidy(kept),
        quoted=quoted,
        signature=cut is not None,
        signature_text=signature_text,
    )


# --- HTML --------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"pre", "hr", "blockquote", "dl", "dt", "dd", "center", "section", "article"}
    | {"header", "footer", "address"}
)
_SKIP_TAGS = frozenset({"head", "style", "script", "title"})
#: containers clients put quoted history in (Gmail, Yahoo, Outlook for Mac)
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-forward-container")
_QUOTE_IDS = ("OLK_SRC_BODY_SECTION",)
_VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "area", "base"})


class _TextBuilder(HTMLParser):
    """HTML to lines; text inside quote containers gets a ``>`` prefix."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._line_quoted = False
        self._stack: list[tuple[str, bool, bool]] = []  # tag, quotes, skips
        self._quote_depth = 0
        self._skip_depth = 0
        self._pre_depth = 0

    def _break(self) -> None:
        line = "".join(self._line).strip()
        if line or (self.lines and self.lines[-1]):
            self.lines.append(("> " + line) if line and self._line_quoted else line)
        self._line = []
        self._line_quoted = self._quote_depth > 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag in _BLOCK_TAGS:
            self._break()
        if tag == "hr":
            self.lines.append("_" * 32)  # a rule before history, read as a separator
        if tag in _VOID_TAGS:
            return
        classes = attributes.get("class", "")
        quotes = (
            tag == "blockquote"
            or any(c in classes for c in _QUOTE_CLASSES)
            or attributes.get("id", "") in _QUOTE_IDS
        )
        skips = tag in _SKIP_TAGS
        self._stack.append((tag, quotes, skips))
        self._quote_depth += quotes
        self._skip_depth += skips
        self._pre_depth += tag == "pre"
        if quotes:
            self._line_quoted = True

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            return
        if not any(open_tag == tag for open_tag, _, _ in self._stack):
            return
        while self._stack:
            open_tag, quotes, skips = self._stack.pop()
            if tag in _BLOCK_TAGS or quotes:
                self._break()
            self._quote_depth -= quotes
            self._skip_depth -= skips
            self._pre_depth -= open_tag == "pre"
            if open_tag == tag:
                break
        self._line_quoted = self._line_quoted and self._quote_depth > 0

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            chunks = data.split("\n")
            for k, chunk in enumerate(chunks):
                if k:
                    self._break()
                self._line.append(chunk)
            return
        text = re.sub(r"\s+", " ", data.replace("\xa0", " "))
        if text.strip() and self._quote_depth:
            self._line_quoted = True
        self._line.append(text)

    def result(self) -> str:
        self._break()
        return "\n".join(self.lines).strip("\n")


def html_to_text(html: str) -> str:
    """Readable text of an HTML body; quoted containers come out as ``>`` lines."""
    builder = _TextBuilder()
    builder.feed(html)
    builder.close()
    return builder.result()

"""Raw MIME → a typed e-mail: headers for threading, the text, and the attachments.

Never raises on a malformed message: what could be read is returned with the defects the
parser found, so the raw bytes (kept in the store) and a triage item tell a person the rest.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

_MSG_ID = re.compile(r"<[^<>\s]+>")
XML_TYPES = frozenset({"application/xml", "text/xml"})
_PARSED_HEADERS_MAX = 4096


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, but each header's class is built once: the stdlib one
    builds a new class (``type(...)``) every time a header is read, and reading is frequent."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}
        self._parsed: dict[tuple[str, str], BaseHeader] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: str) -> BaseHeader:
        # A parsed header is immutable and depends only on (name, value); the policy parses
        # a header anew on every read (Content-Type is read many times per message), so
        # parsed headers are kept (bounded: cleared when full).
        key = (name, value)
        header = self._parsed.get(key)
        if header is None:
            if len(self._parsed) >= _PARSED_HEADERS_MAX:
                self._parsed.clear()
            header = self._parsed[key] = self[name](name, value)
        return header


_POLICY = policy.default.clone(header_factory=_HeaderClasses())


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str | None
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def is_xml(self) -> bool:
        name = (self.filename or "").lower()
        return self.content_type in XML_TYPES or name.endswith(".xml")


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    from_address: str | None
    from_name: str | None
    to: tuple[str, ...]
    subject: str
    date: datetime | None
    text: str
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...]

    @property
    def readable(self) -> bool:
        """Something a person or the normaliser can work with."""
        return bool(self.text.strip() or self.attachments)


class _TextFromHtml(HTMLParser):
    _BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "head"}:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head"} and self._skip:
            self._skip -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _ids(value: object) -> tuple[str, ...]:
    return tuple(_MSG_ID.findall(str(value or "")))


def _header(msg: EmailMessage, name: str) -> str | None:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):  # a header the policy cannot parse
        raw = msg.get_all(name, failobj=[None])
        value = raw[0] if raw else None
    return str(value).strip() if value is not None else None


def _content(part: EmailMessage) -> str | bytes | None:
    try:
        return part.get_content()  # type: ignore[no-any-return]
    except (LookupError, ValueError, AssertionError, TypeError):
        payload = part.get_payload(decode=True)
        return payload if isinstance(payload, bytes) else None


def parse_email(raw: bytes) -> ParsedEmail:
    msg = BytesParser(policy=_POLICY).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    defects = [type(d).__name__ for d in msg.defects]
    text = ""
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError):
        body = None
    if body is not None:
        content = _content(body)  # type: ignore[arg-type]
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        if isinstance(content, str):
            text = html_to_text(content) if body.get_content_subtype() == "html" else content
    elif not msg.is_multipart():
        payload = msg.get_payload(decode=True)
        if isinstance(payload, bytes):
            text = payload.decode("utf-8", "replace")
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart() or part is body:
            continue
        disposition = part.get_content_disposition()
        if disposition not in {"attachment", "inline"} and not part.get_filename():
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            attachments.append(Attachment(part.get_filename(), part.get_content_type(), data))
        defects.extend(type(d).__name__ for d in part.defects)
    name, address = parseaddr(_header(msg, "From") or "")
    date_value = _header(msg, "Date")
    try:
        date = parsedate_to_datetime(date_value) if date_value else None
    except (TypeError, ValueError):
        date = None
        defects.append("InvalidDateHeader")
    message_ids = _ids(_header(msg, "Message-ID"))
    return ParsedEmail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=next(iter(_ids(_header(msg, "In-Reply-To"))), None),
        references=_ids(_header(msg, "References")),
        from_address=address.lower() or None,
        from_name=name or None,
        to=tuple(a.lower() for _, a in getaddresses([_header(msg, "To") or ""]) if a),
        subject=_header(msg, "Subject") or "",
        date=date,
        text=text.strip(),
        attachments=tuple(attachments),
        defects=tuple(dict.fromkeys(defects)),
    )

"""The listener reads a mail's headers from its header block alone, with the same result."""

from __future__ import annotations

import json
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

import pytest

from channels import email_in

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus" / "reports.jsonl"

ODD_MAILS = [
    b"Subject: no body at all",
    b"Subject: bare LF\nFrom: a@example.org\n\nbody\n\nMessage-ID: <not-a-header@x>\n",
    b"Subject: CRLF\r\nMessage-ID: <m1@x>\r\n\r\nbody\n\nTo: not@header.example\r\n",
    b"Subject: mixed\r\nTo: b@example.org\n\r\n\nbody",
    b"Subject: old Mac\rFrom: c@example.org\r\rbody\n\nCc: later@example.org\n",
    b"Subject: folded\r\n continued line\r\nReferences: <a@x>\r\n <b@x>\r\n\r\nbody",
    b"not a header line\r\nSubject: after garbage\r\n\r\nbody",
    b"\r\n\r\nSubject: only a body",
    b"Subject: =?utf-8?q?caf=C3=A9?=\r\nFrom: \xc3\xa9l\xc3\xa8ve <e@example.org>\r\n\r\n\xff",
]


def _whole_message(raw: bytes) -> dict[str, str]:
    """The headers as read when the parser is given the whole message."""
    parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
    out: dict[str, str] = {}
    for name in email_in.COPIED_HEADERS:
        value = parsed.get(name)
        if value is not None:
            decode = name not in {"Message-ID", "In-Reply-To", "References"}
            if text := email_in._header_text(value, decode=decode):
                out[name] = text
    return out


def _corpus_mails() -> list[bytes]:
    from email.message import EmailMessage

    mails = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines()[:40]:
        report = json.loads(line)
        msg = EmailMessage()
        msg["From"] = "Reporter <r@example.org>"
        msg["Subject"] = "Suspected adverse reaction"
        msg["Message-ID"] = "<corpus@example.org>"
        msg.set_content(str(report["text"]))
        mails.append(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
    return mails


@pytest.mark.parametrize("raw", ODD_MAILS + _corpus_mails())
def test_headers_read_from_the_header_block_are_those_of_the_whole_message(raw: bytes) -> None:
    assert email_in._read_headers(raw) == _whole_message(raw)

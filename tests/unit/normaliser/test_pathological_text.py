"""Text built to make regular expressions backtrack (long runs of blanks, dots, digits,
unbroken tokens and repeated "@") is read in time proportional to its length.

These inputs once took minutes to hours (cubic and exponential backtracking) and would
hold an intake or reply consumer for as long. No timing is asserted here: with a
backtracking pattern back, the suite's per-test timeout fails the test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from channels.parsing.bounce import parse_bounce
from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.normaliser import ChannelContext, normalise
from gateway.domain.replies.extract import extract_reply
from gateway.domain.threading.markers import subject_markers
from gateway.logs import scrub

RUN = 20_000
REPORT = "My mother took ibuprofen 400 mg and developed a rash. She was not hospitalised."
TRAPS = (
    "initials" + " " * RUN + "x",  # label, optional verb and colon, then blanks
    "She weighs" + " " * RUN + "x",
    "aged" + " \t" * RUN + "x",
    "I am a" + "\n" * RUN + "x",
    "prolonged" + " " * RUN + "x",
    "my" + " " * RUN + "1",
    "Doctor" + " " * RUN,
    "." * RUN + "x",
    "1" * RUN + "x",
    "x@" * RUN,
    "a" * RUN + "@",
    "Sent from my " + "a" * 200 + "!",  # the device signature once backtracked exponentially
    "kirjoitti" + "x@" * RUN,
    "From:" + " " * RUN + "x",
)


def test_a_report_followed_by_backtracking_traps_is_still_read() -> None:
    text = "\n\n".join((REPORT, *TRAPS))
    context = ChannelContext(channel="EMAIL", received_at=datetime(2024, 3, 20, tzinfo=UTC))
    catalogue = ProductCatalogue.from_records(
        [{"id": "P-1", "active_substances": ["ibuprofen"], "own_product": True}]
    )

    draft = normalise(text, channel=context, catalogue=catalogue)

    assert [p.product.id for p in draft.products] == ["P-1"]
    assert draft.products[0].dose is not None
    assert draft.products[0].dose.value.value == 400


def test_a_reply_made_of_backtracking_traps_keeps_its_first_words() -> None:
    text = "\n".join(("Yes, she recovered.", *TRAPS))

    reply = extract_reply(text)

    assert reply.text.startswith("Yes, she recovered.")


def test_a_bounce_with_a_long_run_of_blank_lines_is_still_read() -> None:
    message = EmailMessage()
    message["From"] = "MAILER-DAEMON@example.org"
    message["To"] = "safety@example.com"
    message["Subject"] = "Undelivered Mail Returned to Sender"
    message["X-Failed-Recipients"] = "reporter@example.net"
    message.set_content("550 5.1.1 mailbox unavailable\n" + "Message" + "\n" * RUN + "x@" * RUN)

    bounce = parse_bounce(message.as_bytes())

    assert bounce is not None
    assert bounce.status == "5.1.1"
    assert bounce.recipient == "reporter@example.net"


def test_log_redaction_and_subject_markers_read_long_tokens() -> None:
    token = "a" * RUN + " reporter@example.net " + "1" * RUN

    assert "reporter@example.net" not in scrub(token)
    assert subject_markers("Re:" + " " * RUN + "[ICSR-REF:ABC123] rash") is not None

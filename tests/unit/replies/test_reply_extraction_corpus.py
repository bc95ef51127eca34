"""Reply extraction against real client e-mails collected by open-source reply parsers.

Every entry of ``expected_replies.json`` becomes at least one case. The libraries record
fragments and policies of their own; each expectation is translated to what our
``ReplyText`` promises (the reporter's new text, ``quoted``, ``signature``). Where the
libraries disagree, or where our policy differs from a library's, ``OUR_CHOICES`` states
the choice and why, and the case checks our choice instead.

Comparisons ignore trailing spaces at line ends and blank lines around the text (the
transcribed expectations dropped trailing spaces; github's ``visible_text`` rstrips).
"""

from __future__ import annotations

import email
import json
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from gateway.domain.replies.extract import ReplyText, extract_reply, html_to_text

CORPUS = Path("/work/shared/text/email-replies")
EXPECTED: dict[str, Any] = json.loads((CORPUS / "expected_replies.json").read_text("utf-8"))


@dataclass(frozen=True)
class Choice:
    """Our expected visible text where we depart from a library, and why."""

    text: str
    why: str


# Where libraries (or our policy and a library's) disagree, this is what we expect.
OUR_CHOICES: dict[str, Choice] = {
    "mailgun/talon:fixtures/standard_replies/iphone.eml": Choice(
        "Hello",
        "talon keeps 'Sent from my iPhone'; github/willdurand/zapier strip device sign-offs "
        "(their iPhone fixtures). We strip them: a device advert is not case data.",
    ),
    "mailgun/talon:fixtures/standard_replies/sparrow.eml": Choice(
        "Hello",
        "talon keeps the '-- ' signature; github, willdurand and zapier cut at the '--' "
        "delimiter (correct_sig, sig_no_empty_line). We cut, keeping it in signature_text.",
    ),
    "closeio/quotequail:files/ios_mail_reply_unescaped_address.html": Choice(
        "Sounds good, I'll be there at 2.",
        "quotequail keeps 'Sent from my iPhone' in the reply; we strip device sign-offs.",
    ),
    "mailgun/talon:fixtures/reply-separated-by-hr.html": Choice(
        "Hi\nthere\nBob",
        "talon drops the whole element holding the rule, losing 'Bob'; we cut at the rule "
        "itself: a sign-off above it is the reporter's own words (their name).",
    ),
}

# talon's signature tests run a trained classifier with the sender's name; we only cut
# delimited signatures and device sign-offs, and keep a sign-off with the reporter's name
# and contact details (case data, C.2.r). Per fixture: what we remove.
TALON_SIGNATURES_WE_CUT = {"sparse"}  # a "----" rule: a delimiter for us as well
TALON_SIGNATURES_WE_KEEP = {"camel_case", "jeff", "johndoeexamplecom", "long", "short_url"}


@dataclass(frozen=True)
class Case:
    library: str
    path: Path
    key: str
    entry: dict[str, Any]
    substitute: tuple[str, str] | None = None  # (placeholder, value)

    @property
    def id(self) -> str:
        suffix = f"[{self.substitute[1][:30]}]" if self.substitute else ""
        return f"{self.library}:{self.key}{suffix}"


def _cases() -> list[Case]:
    cases: list[Case] = []
    for library, spec in EXPECTED["libraries"].items():
        folder = CORPUS / spec["folder"]
        for key, entry in spec["fixtures"].items():
            if "*" in key:
                for path in sorted(folder.glob(key)):
                    cases.append(Case(library, path, str(path.relative_to(folder)), entry))
                continue
            placeholder = entry.get("template_placeholder")
            if placeholder:
                for value in entry["substitutions"]:
                    cases.append(Case(library, folder / key, key, entry, (placeholder, value)))
                continue
            cases.append(Case(library, folder / key, key, entry))
    return cases


CASES = _cases()


def _first_plain_part(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    assert isinstance(content, str)
    return content


def _extract(case: Case) -> tuple[ReplyText, str]:
    raw = case.path.read_bytes()
    if case.path.suffix == ".eml":
        # The e-mail channel decodes MIME before extraction: we feed the text/plain part,
        # as talon's test does for standard_replies (its share-block test feeds raw bytes).
        text = _first_plain_part(raw)
        return extract_reply(text), text
    if case.path.suffix == ".html":
        html = raw.decode("utf-8")
        return extract_reply("", html=html), html_to_text(html)
    text = raw.decode("utf-8")
    if case.key.startswith("fixtures/signature/emails/P/"):
        text = _unlabelled(text)
    if case.substitute is not None:
        text = text.replace(*case.substitute)
    return extract_reply(text), text


def _unlabelled(text: str) -> str:
    """talon's classifier data: drop the message headers and the #reply#/#sig# labels."""
    head, _, body = text.partition("\n\n")
    if head.startswith("From:") and "\nSubject:" in head:
        text = body
    return text.replace("#reply#", "").replace("#sig#", "")


def _labelled_lines(path: Path, label: str) -> list[str]:
    lines = path.read_text("utf-8").splitlines()
    if label:
        return [line.removeprefix(label).strip() for line in lines if line.startswith(label)]
    headed = lines[0].startswith("From:") and "Subject:" in "\n".join(lines[:4])
    start = lines.index("") + 1 if headed else 0
    return [line.strip() for line in lines[start:] if line.strip() and "#" not in line[:7]]


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines()).strip()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _visible(entry: dict[str, Any], index: int) -> bool:
    """Whether a library fragment is reporter text under our policy (no quotes, no sigs)."""
    for flag in ("quoted", "hidden", "signature"):
        flags = entry.get(flag)
        if flags is not None and index < len(flags) and flags[index]:
            return False
    if index == 0:
        return True
    # Without flags, fragments after the first are the quoted tail or the signature.
    return entry.get("hidden") is not None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reply_extraction_meets_recorded_expectation(case: Case) -> None:
    reply, source = _extract(case)
    entry = case.entry
    text = reply.text
    choice = OUR_CHOICES.get(f"{case.library}:{case.key}")
    checked = False

    if choice is not None:
        assert _squash(text) == _squash(choice.text), choice.why
        checked = True
    else:
        for field in ("expected_visible_reply", "expected_visible_reply_trimmed"):
            if field in entry:
                if entry.get("compare", "").startswith("whitespace-insensitive"):
                    assert _squash(text) == _squash(entry[field])
                else:
                    assert _norm(text) == _norm(entry[field])
                checked = True
        for field in ("expected_first_fragment", "expected_first_fragment_trimmed"):
            if field in entry:
                assert _norm(text) == _norm(entry[field])
                checked = True
        if "expected_visible_reply_approx" in entry:
            assert _squash(text) == _squash(entry["expected_visible_reply_approx"])
            checked = True

    if "first_fragment_exact" in entry:
        assert text.startswith(entry["first_fragment_exact"])
        checked = True
    if "regex_first_fragment" in entry:
        assert re.match(entry["regex_first_fragment"], text)
        checked = True
    for index, pattern in entry.get("regex", {}).items():
        found = re.search(pattern, text, re.MULTILINE)
        if _visible(entry, int(index)):
            assert found, f"fragment {index} {pattern!r} should be in the reply"
        else:
            assert not found, f"fragment {index} {pattern!r} is quoted or a signature"
        checked = True
    for needle in entry.get("fragment0_contains", []) + entry.get("contains", []):
        assert needle in text
        checked = True
    for needle in entry.get("fragment0_not_contains", []) + entry.get("not_contains", []):
        assert needle not in text
        checked = True
    for needle in entry.get("fragment1_contains", []):
        # Short tokens such as "On" also occur in ordinary words; the flag covers them.
        if len(needle) >= 4:
            assert needle not in text
        assert reply.quoted or reply.signature
        checked = True
    for field in ("signature_fragment", "last_fragment_exact"):
        if field in entry:
            assert _norm(entry[field]).splitlines()[-1] not in text
            assert reply.signature
            checked = True
    if "expected_fragment_1" in entry:
        assert entry["expected_fragment_1"].splitlines()[0] not in text
        assert reply.quoted
        checked = True
    if "expected_fragment_1_template" in entry:
        assert case.substitute is not None
        assert "My email is" not in text
        assert case.substitute[1] not in text
        assert reply.quoted
        checked = True

    if entry.get("fragment_count") == 1:
        # One fragment: nothing quoted, no signature, the whole text is the reply.
        assert not reply.quoted
        assert not reply.signature
        assert _norm(text) == _norm(source)
        checked = True
    if "quoted" in entry:
        assert reply.quoted == any(entry["quoted"])
        checked = True
    if "signature" in entry:
        hidden = entry.get("hidden", entry["signature"])
        expected_signature = any(s and h for s, h in zip(entry["signature"], hidden, strict=True))
        assert reply.signature == expected_signature
        checked = True
    elif "hidden" in entry and not any(entry.get("quoted", [])) and any(entry["hidden"]):
        assert reply.quoted or reply.signature
        checked = True

    # quotequail: forwarded or quoted messages never reach the reply.
    for field in ("forwarded_text", "quoted_text_approx"):
        if field in entry:
            assert entry[field].splitlines()[0] not in text
            assert reply.quoted
            checked = True
    if case.library == "closeio/quotequail":
        # quotequail also parses the quoted header (from/date/subject); we do not need it
        # (replies are matched to cases by Message-ID), but the author must not leak in.
        author = entry["from"].split("<")[0].strip()
        assert author not in text
        assert reply.quoted
        checked = True
    if "expected_html_top" in entry or "html_top" in entry:
        top_file = entry.get("expected_html_top")
        top = (
            html_to_text((case.path.parent.parent / top_file).read_text("utf-8"))
            if top_file
            else ""
        )
        expected_top = extract_reply("", html=top).text if top else ""
        assert _squash(text) == _squash(expected_top)
        checked = True

    if case.key == "fixtures/reply-quotations-share-block.eml":
        assert text
        assert "From" not in text
        assert "Sounds great" in text
        assert "New Booking Inquiry" not in text
        checked = True
    if case.key.startswith("fixtures/signature/emails/stripped/"):
        name = case.path.name.removesuffix("_body")
        signature = (case.path.parent / f"{name}_signature").read_text("utf-8").strip()
        if name in TALON_SIGNATURES_WE_CUT:
            assert _norm(text) == _norm(source.replace(signature, ""))
            assert _norm(reply.signature_text) == _norm(signature)
        else:
            assert name in TALON_SIGNATURES_WE_KEEP
            assert _norm(text) == _norm(source)
            assert not reply.signature
        checked = True
    if case.key.startswith("fixtures/signature/emails/P/"):
        # talon's labelled messages: the reporter's lines stay (sign-offs included, our
        # policy), the lines labelled as quoted (#reply#) go.
        assert text
        for line in _labelled_lines(case.path, ""):
            if not line.startswith("From:"):
                assert line in text
        for line in _labelled_lines(case.path, "#reply#"):
            if line.strip(">|^I \t"):
                assert line not in text
        checked = True
    if case.key.endswith("pathological.txt"):
        # A ReDoS check upstream (< 1 s); here: it completes and finds the reply.
        assert text.startswith("I think you're onto something.")
        assert "John Sullivan" not in text
        assert reply.quoted
        checked = True

    assert checked, f"no expectation of {case.id} was translated"


def test_reply_corpus_covers_every_recorded_fixture() -> None:
    keys = {
        (library, key)
        for library, spec in EXPECTED["libraries"].items()
        for key in spec["fixtures"]
    }
    covered = {(c.library, c.key) for c in CASES}
    globbed = {(lib, key) for lib, key in keys if "*" in key}
    assert keys - globbed <= covered
    assert len(CASES) >= len(keys)

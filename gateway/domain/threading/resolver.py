"""Which follow-up request an inbound message answers: ``resolve``.

The rule that governs every choice: **never merge a message into the wrong case**. A
message we cannot place with confidence goes to a person (``Ambiguous``) or becomes a new
report (``NewReport``; duplicate detection will link it if it was about a known case).

Evidence, strongest first
-------------------------
Email
  1. ``References`` right to left (the nearest ancestor first), then ``In-Reply-To``:
     a Message-ID of ours (request or reminder);
  2. the plus token of a recipient address (``followup+<token>@...``: our Reply-To);
  3. the subject tag ``[ICSR-REF:<token>]``;
  4. the sender and their open requests (below).
WhatsApp
  1. ``OriginalRepliedMessageSid`` (the user swiped "reply" on our message);
  2. ``ButtonPayload`` ``fu:<token>:<answer>`` (a quick-reply button of our request);
  3. the sender and their open requests.
SMS
  the sender and their open requests, on the number the request was sent from.

Combining evidence: every strong mark (1-3 above) is read. When they point to
*different cases* the message goes to triage; when they agree, the first by priority
wins. A mark pointing at a closed request still threads to its case (``Matched`` with
``request.open`` False): the caller decides whether to reopen or intake as new.

Sender fallback: one open request -> ``Matched``; several -> ``Ambiguous``; none ->
``NewReport`` (also when the reporter is known from closed requests: without an open
question, a message with no reference is a new report). For email, the fallback only
matches a message that *looks* like a reply (``Re:``, ``AW:`` ...): a fresh email from a
reporter with an open request may be the answer or a new report, so a person decides.

Forwarded mail
--------------
A forward (outermost prefix ``Fwd:``/``FW:``/``WG:``/``RV:``/``TR:``/``Enc:`` ...) that
carries one of our marks (a header id, the plus token, the subject tag) is about that
case whoever sends it: it is matched, with ``third_party=True`` when the sender is not
the request's recipient (a colleague or doctor answering for the reporter, which the
case worker must see: it is a new primary source). A forward *without* any of our marks
is someone passing on other correspondence: it never uses the sender fallback (a
pharmacist with an open request on one case who forwards a patient's email about another
would otherwise be merged into the first); with open requests it goes to triage, without
them it is a new report.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.domain.followup.templates import find_subject_tags
from gateway.domain.threading.markers import (
    is_forward_subject,
    is_reply_subject,
    normalise_address,
    normalise_message_id,
    parse_button_payload,
    plus_token,
)
from gateway.domain.threading.model import (
    Ambiguous,
    InboundFacts,
    Matched,
    NewReport,
    RequestRef,
    ThreadDecision,
    ThreadLookup,
)

__all__ = ["resolve"]

_Hit = tuple[RequestRef, str]


def _header_ids(message: InboundFacts) -> list[tuple[str, str]]:
    """(normalised id, via) in lookup order: References right to left, then In-Reply-To."""
    ordered: list[tuple[str, str]] = []
    seen: set[str] = set()
    candidates = [(r, "references") for r in reversed(message.references)]
    if message.in_reply_to:
        candidates.append((message.in_reply_to, "in-reply-to"))
    for raw, via in candidates:
        if not raw or not raw.strip():
            continue
        message_id = normalise_message_id(raw)
        if message_id not in seen:
            seen.add(message_id)
            ordered.append((message_id, via))
    return ordered


def _first_id_hit(ids: list[tuple[str, str]], lookup: ThreadLookup) -> _Hit | None:
    if not ids:
        return None
    found = lookup.request_for_message_ids([i for i, _ in ids])
    for message_id, via in ids:
        request = found.get(message_id)
        if request is not None:
            return request, via
    return None


def _email_hits(message: InboundFacts, lookup: ThreadLookup) -> list[_Hit]:
    hits: list[_Hit] = []
    header = _first_id_hit(_header_ids(message), lookup)
    if header is not None:
        hits.append(header)
    for address in message.to_addresses:
        token = plus_token(address)
        if token is not None and (request := lookup.request_for_token(token)) is not None:
            hits.append((request, "plus-token"))
            break
    for tag in find_subject_tags(message.subject):
        if (request := lookup.request_for_subject_tag(tag)) is not None:
            hits.append((request, "subject-tag"))
    return hits


def _whatsapp_hits(message: InboundFacts, lookup: ThreadLookup) -> list[_Hit]:
    hits: list[_Hit] = []
    if message.replied_message_ref and message.replied_message_ref.strip():
        sid = message.replied_message_ref.strip()
        request = lookup.request_for_message_ids([sid]).get(sid)
        if request is not None:
            hits.append((request, "whatsapp-reply"))
    answer = parse_button_payload(message.button_payload)
    if answer is not None and (request := lookup.request_for_token(answer.token)) is not None:
        hits.append((request, "button"))
    return hits


def _unique(requests: Iterable[RequestRef]) -> tuple[RequestRef, ...]:
    seen: dict[str, RequestRef] = {}
    for request in requests:
        seen.setdefault(request.request_id, request)
    return tuple(seen.values())


def _third_party(message: InboundFacts, request: RequestRef) -> bool:
    if request.recipient is None:
        return False
    return normalise_address(message.from_address) != normalise_address(request.recipient)


def _decide_on_hits(message: InboundFacts, hits: list[_Hit]) -> ThreadDecision:
    cases = {request.case_id for request, _ in hits}
    if len(cases) > 1:
        vias = ", ".join(sorted({via for _, via in hits}))
        return Ambiguous(
            candidates=_unique(request for request, _ in hits),
            reason=f"the message's references point to {len(cases)} different cases ({vias})",
        )
    request, via = hits[0]
    return Matched(request=request, via=via, third_party=_third_party(message, request))


def _our_address(message: InboundFacts) -> str | None:
    return normalise_address(message.to_addresses[0]) if message.to_addresses else None


def _by_sender(message: InboundFacts, lookup: ThreadLookup) -> ThreadDecision:
    sender = normalise_address(message.from_address)
    our = None if message.channel == "EMAIL" else _our_address(message)
    candidates = _unique(lookup.open_requests_for(sender, our))
    if not candidates:
        return NewReport(
            reason="no reference to a request of ours and no open request for the sender"
        )
    if message.channel == "EMAIL":
        if is_forward_subject(message.subject):
            return Ambiguous(
                candidates=candidates,
                reason=(
                    "a forwarded email without any reference of ours, from a reporter with "
                    "open requests: other correspondence or an answer?"
                ),
            )
        if not is_reply_subject(message.subject):
            return Ambiguous(
                candidates=candidates,
                reason=(
                    "a new email (not a reply) from a reporter with open requests: an answer "
                    "or a new report?"
                ),
            )
    if len(candidates) > 1:
        return Ambiguous(
            candidates=candidates,
            reason=(
                f"the sender has {len(candidates)} open requests and the message names none of them"
            ),
        )
    via = {"EMAIL": "sender-open-request", "SMS": "sms-open-request"}.get(
        message.channel, "whatsapp-open-request"
    )
    return Matched(request=candidates[0], via=via)


def resolve(message: InboundFacts, lookup: ThreadLookup) -> ThreadDecision:
    """Match an inbound message to the request it answers (see the module docstring)."""
    if message.channel == "EMAIL":
        hits = _email_hits(message, lookup)
    elif message.channel == "WHATSAPP":
        hits = _whatsapp_hits(message, lookup)
    else:
        hits = []
    if hits:
        return _decide_on_hits(message, hits)
    return _by_sender(message, lookup)

"""Replies to follow-up requests: the new text, the answers, the next case version.

    reply = extract_reply(body)                       # quoted history and signature gone
    answers = map_answers(reply.text, questions, language="es", received_at=received_at)
    update = apply_reply(icsr, reply.text, answers, received_at=received_at, refs=refs,
                         questions=questions)
    day_zero = follow_up_day_zero(previous_day_zero, update, received_at)

Pure: the caller stores the new version with ``update.changes``, the source message and
the audit entry.
"""

from gateway.domain.replies.answers import Answer, AnswerValue, map_answers, read_outcome
from gateway.domain.replies.extract import ReplyText, extract_reply, html_to_text
from gateway.domain.replies.merge import FieldChange, ReplyUpdate, apply_reply, follow_up_day_zero

__all__ = [
    "Answer",
    "AnswerValue",
    "FieldChange",
    "ReplyText",
    "ReplyUpdate",
    "apply_reply",
    "extract_reply",
    "follow_up_day_zero",
    "html_to_text",
    "map_answers",
    "read_outcome",
]

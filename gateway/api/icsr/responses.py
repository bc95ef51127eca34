"""The error answers each case API route documents (all in the ``ErrorBody`` shape)."""

from __future__ import annotations

from typing import Any

from gateway.api.icsr.models import ErrorBody

_MEANING = {
    400: "The request is not valid; `fields` names each bad field.",
    401: "No API token, or an unknown, revoked or expired one (`WWW-Authenticate: Bearer`).",
    403: "The token lacks the scope this operation needs (or a confirmation did not match).",
    404: "No such case (or version, event …).",
    409: "Conflict with the case's state: an exact duplicate, a lifecycle rule, a deleted case.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """400, 401 and 403 always, plus the given statuses."""
    wanted = sorted({400, 401, 403, *statuses})
    return {s: {"model": ErrorBody, "description": _MEANING[s]} for s in wanted}

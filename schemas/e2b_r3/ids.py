"""Local ids of reactions and drugs as HL7 II roots (UUIDs / OIDs) and back."""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from schemas.e2b_r3.xml import E2BR3Error

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


def is_uid(value: str) -> bool:
    """True for what :func:`uid` can write: a UUID, an OID or a 32-hex id."""
    return bool(_UUID.match(value) or _OID.match(value) or _HEX32.match(value))


def read_uid(value: str | None, where: str) -> str | None:
    """An II root read from a file (``None`` when absent). Anything but a UUID or an OID is
    refused, as the schema's ``uid`` type refuses it: these ids link the drug-reaction
    matrix, so a case holding one could never be written out again."""
    if value is None or is_uid(value):
        return value
    raise E2BR3Error(f"{where}: <id root={value[:60]!r}> is not a UUID or an OID")


def uid(local_id: str) -> str:
    """The II root for a local id: UUIDs and OIDs as they are, a 32-hex id as its UUID.

    Other ids cannot be an II root; they are refused rather than silently renamed, because
    the drug-reaction matrix links by these ids.
    """
    if _UUID.match(local_id) or _OID.match(local_id):
        return local_id
    if _HEX32.match(local_id):
        return str(UUID(hex=local_id))
    raise ValueError(f"local id {local_id!r} is not a UUID or OID, so it cannot be an E2B II root")


def anchor(kind: str, local_id: str, seen: dict[str, int]) -> str:
    """``"drug:<id>"``, or ``"drug:<id>#<n>"`` for the n-th repeat of a duplicated id."""
    key = f"{kind}:{local_id}"
    n = seen.get(key, 0)
    seen[key] = n + 1
    return key if n == 0 else f"{key}#{n}"


def fallback_id(kind: str, index: int) -> str:
    """A stable UUID for a reaction / drug that arrived without an id (by its position)."""
    return str(uuid5(NAMESPACE_URL, f"urn:icsr-gateway:e2b-r3:{kind}:{index}"))

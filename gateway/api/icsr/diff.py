"""The difference between two versions of a case, field by field, on their stored JSON.

Paths read like ``reactions[reaction-2].outcome``: records that carry a local ``id``
(reactions, drugs …) are matched by it, so removing the first reaction does not show every
later one as changed; other lists are compared position by position.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gateway.domain.icsr import ICSR
from gateway.domain.serialization import dump

_ABSENT: Any = object()


@dataclass(frozen=True, slots=True)
class FieldChange:
    path: str
    before: Any  # None when the field was absent
    after: Any


def _by_id(items: list[Any]) -> dict[str, Any] | None:
    if not items or not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        return None
    keyed = {i["id"]: i for i in items}
    return keyed if len(keyed) == len(items) else None


def _walk(path: str, a: Any, b: Any) -> Iterator[FieldChange]:
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict) and "nullFlavor" not in a | b:
        for key in [*a, *(k for k in b if k not in a)]:
            yield from _walk(
                f"{path}.{key}" if path else key, a.get(key, _ABSENT), b.get(key, _ABSENT)
            )
        return
    if isinstance(a, list) and isinstance(b, list):
        ka, kb = _by_id(a), _by_id(b)
        if ka is not None and kb is not None:
            for key in [*ka, *(k for k in kb if k not in ka)]:
                yield from _walk(f"{path}[{key}]", ka.get(key, _ABSENT), kb.get(key, _ABSENT))
            return
        for n in range(max(len(a), len(b))):
            yield from _walk(
                f"{path}[{n}]", a[n] if n < len(a) else _ABSENT, b[n] if n < len(b) else _ABSENT
            )
        return
    yield FieldChange(
        path=path,
        before=None if a is _ABSENT else a,
        after=None if b is _ABSENT else b,
    )


def diff_json(before: Any, after: Any) -> list[FieldChange]:
    return list(_walk("", before, after))


def diff_icsr(before: ICSR, after: ICSR) -> list[FieldChange]:
    return diff_json(dump(before), dump(after))

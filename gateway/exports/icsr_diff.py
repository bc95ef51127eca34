"""Field-level differences between two versions of an ICSR, over its stored JSON form.

Both versions are dumped with ``gateway.domain.serialization.dump`` (the form the store
keeps) and flattened to ``path -> value`` leaves. Reactions and drugs carry our stable
local ``id``, so list items with an ``id`` are matched by it (``drugs[id=d1].dosages[0]
.route``): reordering the drugs is not a change, a changed dose is one change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from gateway.domain.icsr import ICSR
from gateway.domain.serialization import JSON, dump


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One leaf that differs; ``None`` on a side means the element is absent there."""

    path: str
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


#: keys that name a list item across versions (our local ids, the matrix's reaction id)
_ITEM_KEYS = ("id", "reaction_id")


def _leaf_text(value: JSON) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _is_null_flavor(value: JSON) -> bool:
    return isinstance(value, dict) and set(value) == {"nullFlavor"}


def flatten(value: JSON, prefix: str = "") -> dict[str, str]:
    """``{"patient.sex": "2", "drugs[id=d1].name_as_reported": "Amoxil", ...}``."""
    leaves: dict[str, str] = {}
    if isinstance(value, dict) and not _is_null_flavor(value):
        for key, item in value.items():
            leaves.update(flatten(item, f"{prefix}.{key}" if prefix else key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            label = str(index)
            if isinstance(item, dict):
                for key in _ITEM_KEYS:
                    if isinstance(item.get(key), str):
                        label = f"{key}={item[key]}"
                        break
            leaves.update(flatten(item, f"{prefix}[{label}]"))
    elif value is not None:
        leaves[prefix] = _leaf_text(value)
    return leaves


def diff(before: ICSR | None, after: ICSR) -> tuple[FieldChange, ...]:
    """What changed from ``before`` (None: nothing known yet) to ``after``, in field order."""
    old = flatten(dump(before)) if before is not None else {}
    new = flatten(dump(after))
    changes = [
        FieldChange(path=path, before=old.get(path), after=value)
        for path, value in new.items()
        if old.get(path) != value
    ]
    changes.extend(
        FieldChange(path=path, before=value, after=None)
        for path, value in old.items()
        if path not in new
    )
    return tuple(changes)

"""JSON-ready dump / strict load for the domain's records, driven by their type hints.

The store keeps every case version as JSON, so ``load(ICSR, dump(icsr)) == icsr`` must
hold for every record, and a stored document that does not fit the model must fail
loudly (a silently dropped field in a drug-safety case is a compliance incident).

Encoding (chosen so every value has exactly one reading):

=====================  =========================================================
dataclass              object with one key per field (field name, all fields)
tuple[X, ...]          array
NullFlavor             ``{"nullFlavor": "MSK"}``, never a bare string, so it cannot
                       be confused with text such as ``"MSK"``
other Enum             its code value (``1``, ``"submitted"``)
Decimal                string (``"2.50"``, keeps every digit)
datetime               ISO 8601 string with offset (naive datetimes refused)
PartialDate            E2B TS string (``"202403"``, ``"20240315143000+0100"``)
None / bool / int/str  themselves
=====================  =========================================================

``load`` raises ``SerializationError`` (a ``ValueError``) naming the field path, e.g.
``ICSR.drugs[0].dosages[1].dose.value: expected a decimal string, got 2.5``, for unknown
keys, missing required keys, wrong types and values the records' own checks reject.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import (
    Any,
    Literal,
    TypeAlias,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

from gateway.domain.partial_date import PartialDate
from gateway.domain.values import NullFlavor

__all__ = ["JSON", "SerializationError", "dump", "load"]

JSON: TypeAlias = bool | int | str | list["JSON"] | dict[str, "JSON"] | None

T = TypeVar("T")

_NULL_FLAVOR_KEY = "nullFlavor"


class SerializationError(ValueError):
    """Stored data does not fit the domain model; ``path`` says where."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


# --- dump --------------------------------------------------------------------------------


def dump(obj: object) -> JSON:
    """Turn a domain record (or any value it holds) into JSON-ready data."""
    try:
        return _dump(obj)
    except SerializationError as exc:
        raise SerializationError(f"{type(obj).__name__}{exc.path}", exc.problem) from None


def _dump(obj: object) -> JSON:
    # Hot path (every case version is written through here): no path strings are built
    # unless something fails; the failing path is assembled on the way out.
    if obj is None or type(obj) in _SCALARS:
        return cast(JSON, obj)
    if type(obj) is PartialDate:
        return obj.format()
    if type(obj) in _RECORDS or (
        dataclasses.is_dataclass(obj) and not isinstance(obj, type | PartialDate)
    ):
        _RECORDS.add(type(obj))
        # Fields at their default are left out: `load` restores them, and a case version
        # is mostly empty at intake, so this keeps stored versions small and fast to write.
        out: dict[str, JSON] = {}
        for name, default in _defaults(cast(Any, type(obj))):
            value = getattr(obj, name)
            if value is default or (
                default is not _NO_DEFAULT and type(value) is type(default) and value == default
            ):
                continue
            try:
                out[name] = _dump(value)
            except SerializationError as exc:
                raise SerializationError(f".{name}{exc.path}", exc.problem) from None
        return out
    if isinstance(obj, tuple):
        items: list[JSON] = []
        for i, item in enumerate(obj):
            try:
                items.append(_dump(item))
            except SerializationError as exc:
                raise SerializationError(f"[{i}]{exc.path}", exc.problem) from None
        return items
    if isinstance(obj, NullFlavor):
        return {_NULL_FLAVOR_KEY: obj.value}
    if isinstance(obj, Enum):
        return cast(JSON, obj.value)
    if isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, datetime):
        if obj.utcoffset() is None:
            raise SerializationError("", "naive datetime cannot be stored")
        return obj.isoformat()
    raise SerializationError("", f"cannot serialise a {type(obj).__name__}")


_SCALARS: frozenset[type] = frozenset({bool, int, str})
_RECORDS: set[type] = set()
_NO_DEFAULT = object()


@cache
def _defaults(cls: Any) -> tuple[tuple[str, object], ...]:
    """Each field's name and default value (defaults of frozen records are immutable)."""
    out: list[tuple[str, object]] = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out.append((f.name, f.default))
        elif f.default_factory is not dataclasses.MISSING:
            out.append((f.name, f.default_factory()))
        else:
            out.append((f.name, _NO_DEFAULT))
    return tuple(out)


# --- load --------------------------------------------------------------------------------


def load(cls: type[T], data: object) -> T:
    """Rebuild a ``cls`` from ``dump`` output; strict about keys and types."""
    return cast(T, _load(cls, data, cls.__name__))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _type_name(tp: object) -> str:
    return getattr(tp, "__name__", None) or repr(tp)


def _load(tp: Any, data: object, path: str) -> Any:
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _load_union(get_args(tp), data, path)
    if origin is Literal:
        return _load_literal(get_args(tp), data, path)
    if origin is tuple:
        return _load_tuple(get_args(tp), data, path)
    if tp is type(None):
        if data is not None:
            raise SerializationError(path, f"expected null, got {data!r}")
        return None
    if tp is bool:
        if not isinstance(data, bool):
            raise SerializationError(path, f"expected a boolean, got {data!r}")
        return data
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise SerializationError(path, f"expected an integer, got {data!r}")
        return data
    if tp is str:
        if not isinstance(data, str):
            raise SerializationError(path, f"expected a string, got {data!r}")
        return data
    if tp is Decimal:
        return _load_decimal(data, path)
    if tp is datetime:
        return _load_datetime(data, path)
    if tp is PartialDate:
        if not isinstance(data, str):
            raise SerializationError(path, f"expected an E2B date string, got {data!r}")
        return _construct(PartialDate.parse, path, data)
    if tp is NullFlavor:
        return _load_null_flavor(data, path)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _load_enum(tp, data, path)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _load_dataclass(tp, data, path)
    raise SerializationError(path, f"the model uses a type the loader does not know: {tp!r}")


def _load_union(args: tuple[Any, ...], data: object, path: str) -> Any:
    if data is None:
        if type(None) in args:
            return None
        raise SerializationError(path, "null is not allowed here")
    candidates = [a for a in args if a is not type(None)]
    if isinstance(data, dict) and _NULL_FLAVOR_KEY in data and NullFlavor in candidates:
        return _load_null_flavor(data, path)
    candidates = [a for a in candidates if a is not NullFlavor]
    if len(candidates) == 1:
        return _load(candidates[0], data, path)
    errors = []
    for candidate in candidates:
        try:
            return _load(candidate, data, path)
        except SerializationError as exc:
            errors.append(exc.problem)
    expected = " | ".join(_type_name(a) for a in args)
    raise SerializationError(path, f"expected {expected}, got {data!r} ({'; '.join(errors)})")


def _load_literal(allowed: tuple[Any, ...], data: object, path: str) -> Any:
    for value in allowed:
        if isinstance(value, NullFlavor):
            if isinstance(data, dict) and data == {_NULL_FLAVOR_KEY: value.value}:
                return value
        elif isinstance(value, Enum):
            if data == value.value and type(data) is type(value.value):
                return value
        elif data == value and type(data) is type(value):
            return value
    shown = ", ".join(repr(dump(v)) for v in allowed)
    raise SerializationError(path, f"expected one of {shown}, got {data!r}")


def _load_tuple(args: tuple[Any, ...], data: object, path: str) -> tuple[Any, ...]:
    if len(args) != 2 or args[1] is not Ellipsis:
        raise SerializationError(path, f"only tuple[X, ...] is supported, not {args!r}")
    if not isinstance(data, list):
        raise SerializationError(path, f"expected an array, got {data!r}")
    return tuple(_load(args[0], item, f"{path}[{i}]") for i, item in enumerate(data))


def _load_decimal(data: object, path: str) -> Decimal:
    if not isinstance(data, str):
        raise SerializationError(path, f"expected a decimal string, got {data!r}")
    try:
        value = Decimal(data)
    except InvalidOperation:
        raise SerializationError(path, f"not a decimal number: {data!r}") from None
    if not value.is_finite():
        raise SerializationError(path, f"not a finite decimal: {data!r}")
    return value


def _load_datetime(data: object, path: str) -> datetime:
    if not isinstance(data, str):
        raise SerializationError(path, f"expected an ISO 8601 string, got {data!r}")
    try:
        value = datetime.fromisoformat(data)
    except ValueError:
        raise SerializationError(path, f"not an ISO 8601 datetime: {data!r}") from None
    if value.utcoffset() is None:
        raise SerializationError(path, f"datetime has no UTC offset: {data!r}")
    return value


def _load_null_flavor(data: object, path: str) -> NullFlavor:
    if not isinstance(data, dict) or set(data) != {_NULL_FLAVOR_KEY}:
        raise SerializationError(path, f'expected {{"nullFlavor": ...}}, got {data!r}')
    code = data[_NULL_FLAVOR_KEY]
    if not isinstance(code, str) or code not in NullFlavor.__members__:
        raise SerializationError(path, f"unknown nullFlavor {code!r}")
    return NullFlavor[code]


def _load_enum(tp: type[Enum], data: object, path: str) -> Enum:
    for member in tp:
        if data == member.value and type(data) is type(member.value):
            return member
    allowed = ", ".join(repr(m.value) for m in tp)
    raise SerializationError(path, f"{data!r} is not a {tp.__name__} (one of {allowed})")


def _load_dataclass(tp: type, data: object, path: str) -> object:
    if not isinstance(data, dict):
        raise SerializationError(path, f"expected an object for {tp.__name__}, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(tp) if f.init}
    unknown = sorted(str(k) for k in data if k not in fields)
    if unknown:
        raise SerializationError(path, f"unknown key(s) for {tp.__name__}: {', '.join(unknown)}")
    hints = _hints(tp)
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _load(hints[name], data[name], f"{path}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SerializationError(f"{path}.{name}", "required key is missing")
    return _construct(tp, path, **kwargs)


def _construct(factory: Any, path: str, *args: Any, **kwargs: Any) -> Any:
    """Call a constructor, turning its own validation errors into path-named ones."""
    try:
        return factory(*args, **kwargs)
    except SerializationError:
        raise
    except (ValueError, TypeError) as exc:
        raise SerializationError(path, str(exc)) from None

"""HL7 v3 datatype snippets (II, TS, CD, PQ, BL, IVL/SXPR intervals) and the
attribute strings several E2B(R3) sections share, written as text."""

from __future__ import annotations

from gateway.domain.values import MedDRATerm, Nullable, NullFlavor, PartialDate, Quantity
from schemas.e2b_r3 import oids
from schemas.e2b_r3.write_escape import attr, text
from schemas.e2b_r3.xml import format_decimal


def _el(tag: str, attrs: str, inner: str) -> str:
    if inner:
        return f"<{tag}{attrs}>{inner}</{tag}>"
    return f"<{tag}{attrs}/>"


def _kids_el(tag: str, attrs: str, kids: list[str]) -> str:
    return _el(tag, attrs, "".join(kids))


def _id(root: str, extension: str | None = None, tag: str = "id") -> str:
    """``root`` is one of our OID constants (written as is); ``extension`` is data."""
    if extension is None:
        return f'<{tag} root="{root}"/>'
    return f'<{tag} extension="{attr(extension)}" root="{root}"/>'


def _ts(tag: str, value: Nullable[PartialDate] | None, xsi_type: str | None = None) -> str:
    if value is None:
        return ""
    xsi = f' xsi:type="{xsi_type}"' if xsi_type else ""
    if isinstance(value, NullFlavor):
        return f'<{tag}{xsi} nullFlavor="{value.value}"/>'
    return f'<{tag}{xsi} value="{value.format()}"/>'  # digits and a sign only


def _nullable_text(tag: str, value: Nullable[str] | None, attrs: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, NullFlavor):
        return f'<{tag}{attrs} nullFlavor="{value.value}"/>'
    return f"<{tag}{attrs}>{text(value)}</{tag}>"


def _code_attrs(
    code: str | None,
    system: str | None,
    version: str | None = None,
    xsi_type: str | None = None,
) -> str:
    out = f' xsi:type="{xsi_type}"' if xsi_type else ""
    out += f' code="{attr(code)}"'  # type: ignore[arg-type]
    if system:
        out += f' codeSystem="{attr(system)}"'
    if version:
        out += f' codeSystemVersion="{attr(version)}"'
    return out


def _code(
    tag: str,
    code: str | None,
    system: str | None,
    version: str | None = None,
    xsi_type: str | None = None,
) -> str:
    return f"<{tag}{_code_attrs(code, system, version, xsi_type)}/>"


def _enum_code(tag: str, code: str, system: str, xsi_type: str | None = None) -> str:
    """A code-list value: ``code`` is an ``E2BCode.code`` (the digits of an int member) and
    ``system`` one of our OID constants, so neither needs escaping."""
    xsi = f' xsi:type="{xsi_type}"' if xsi_type else ""
    return f'<{tag}{xsi} code="{code}" codeSystem="{system}"/>'


_MEDDRA_SYSTEM = f' codeSystem="{oids.MEDDRA}"'


def _meddra_attrs(term: MedDRATerm, xsi_type: str | None = "CE") -> str:
    out = f' xsi:type="{xsi_type}"' if xsi_type else ""
    out += f' code="{attr(term.code)}"{_MEDDRA_SYSTEM}'
    if term.version:
        out += f' codeSystemVersion="{attr(term.version)}"'
    return out


def _pq(tag: str, value: Quantity, xsi_type: str | None = None) -> str:
    xsi = f' xsi:type="{xsi_type}"' if xsi_type else ""
    return f'<{tag}{xsi} value="{format_decimal(value.value)}" unit="{attr(value.unit)}"/>'


def _bl(tag: str, value: Nullable[bool]) -> str:
    if isinstance(value, NullFlavor):
        return f'<{tag} xsi:type="BL" nullFlavor="{value.value}"/>'
    return f'<{tag} xsi:type="BL" value="{"true" if value else "false"}"/>'


def _obs(rel_tag: str, type_code: str, code: str, inner: str) -> str:
    """``<rel typeCode><observation classCode="OBS" moodCode="EVN"><code/>inner``."""
    return (
        f'<{rel_tag} typeCode="{type_code}"><observation classCode="OBS" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_OBSERVATION}"/>{inner}</observation>'
        f"</{rel_tag}>"
    )


def _ivl(
    start: Nullable[PartialDate] | None, width: Quantity | None, end: Nullable[PartialDate] | None
) -> str:
    return _ts("low", start) + (_pq("width", width) if width is not None else "") + _ts("high", end)


def _interval(
    start: Nullable[PartialDate] | None,
    end: Nullable[PartialDate] | None,
    duration: Quantity | None,
    period: Quantity | None = None,
) -> str:
    """``xml.write_interval`` as text."""
    has_range = start is not None or end is not None or duration is not None
    if not has_range and period is None:
        return ""
    ranges: list[
        tuple[Nullable[PartialDate] | None, Quantity | None, Nullable[PartialDate] | None]
    ] = []
    if start is not None and end is not None and duration is not None:
        ranges = [(start, None, end), (None, duration, None)]
    elif has_range:
        ranges = [(start, duration, end)]
    if period is None and len(ranges) == 1:
        return _el("effectiveTime", ' xsi:type="IVL_TS"', _ivl(*ranges[0]))
    if period is not None and not ranges:
        return f'<effectiveTime xsi:type="PIVL_TS">{_pq("period", period)}</effectiveTime>'
    parts: list[str] = []
    first_part = True
    if period is not None:
        parts.append(f'<comp xsi:type="PIVL_TS">{_pq("period", period)}</comp>')
        first_part = False
    for rng in ranges:
        op = "" if first_part else ' operator="A"'
        first_part = False
        parts.append(_el("comp", f' xsi:type="IVL_TS"{op}', _ivl(*rng)))
    return _kids_el("effectiveTime", ' xsi:type="SXPR_TS"', parts)


# attribute strings and wrappers that more than one section writes
_ORG = ' classCode="ORG" determinerCode="INSTANCE"'
_PERSON = ' classCode="PSN" determinerCode="INSTANCE"'
_KIND = ' classCode="MMAT" determinerCode="KIND"'
_AUTHOR_OPEN = '<author typeCode="AUT"><assignedEntity classCode="ASSIGNED">'
_AUTHOR_CLOSE = "</assignedEntity></author>"


def _author_code(code: str) -> str:
    return f'{_AUTHOR_OPEN}<code code="{code}" codeSystem="{oids.CL_AUTHOR}"/>{_AUTHOR_CLOSE}'

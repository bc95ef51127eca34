from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from gateway.domain.case import Case, Provenance
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.serialization import SerializationError, dump, load
from gateway.domain.values import NullFlavor, PartialDate, Quantity


def _walk_dataclass_types(root: type) -> set[type]:
    """Every dataclass type reachable from ``root`` through its fields' type hints."""
    import typing

    seen: set[type] = set()
    stack: list[Any] = [root]
    while stack:
        tp = stack.pop()
        for arg in typing.get_args(tp):
            stack.append(arg)
        if isinstance(tp, type) and dataclasses.is_dataclass(tp) and tp not in seen:
            seen.add(tp)
            stack.extend(typing.get_type_hints(tp).values())
    return seen


def _populated_types(obj: object, found: set[type]) -> None:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        found.add(type(obj))
        for f in dataclasses.fields(obj):
            _populated_types(getattr(obj, f.name), found)
    elif isinstance(obj, tuple):
        for item in obj:
            _populated_types(item, found)


def test_full_icsr_round_trips_through_serialization(full_icsr: ICSR) -> None:
    data = dump(full_icsr)
    text = json.dumps(data)  # JSON-ready: no Decimal, datetime or enum left in it

    assert load(ICSR, json.loads(text)) == full_icsr


def test_full_icsr_fixture_touches_every_record_type(full_icsr: ICSR) -> None:
    """Keeps the round-trip test honest as records are added."""
    populated: set[type] = set()
    _populated_types(full_icsr, populated)

    missing = _walk_dataclass_types(ICSR) - populated
    assert not missing, f"fixture misses {sorted(t.__name__ for t in missing)}"


def test_case_with_versions_round_trips(full_icsr: ICSR) -> None:
    at = datetime(2024, 3, 15, 8, 0, tzinfo=UTC)
    case = Case.open("CASE-1", ICSR(), Provenance(actor="a", action="b", at=at, reason="r"))
    case = case.revise(
        full_icsr, Provenance(actor="a", action="c", at=at, reason="r", source_ref="m-2")
    )
    case = case.transition(
        CaseState.VALID, Provenance(actor="a", action="d", at=at, reason="criteria met")
    )

    assert load(Case, json.loads(json.dumps(dump(case)))) == case


def test_null_flavor_is_stored_apart_from_text_that_spells_it() -> None:
    masked = dump(Patient(name_or_initials=NullFlavor.MSK))
    spelled = dump(Patient(name_or_initials="MSK"))

    assert isinstance(masked, dict)
    assert isinstance(spelled, dict)
    assert masked["name_or_initials"] == {"nullFlavor": "MSK"}
    assert spelled["name_or_initials"] == "MSK"
    assert load(Patient, masked).name_or_initials is NullFlavor.MSK
    assert load(Patient, spelled).name_or_initials == "MSK"


def test_decimals_and_partial_dates_keep_every_digit_and_their_precision() -> None:
    quantity = Quantity(value=Decimal("2.50"), unit="mg")
    assert dump(quantity) == {"value": "2.50", "unit": "mg"}
    assert str(load(Quantity, dump(quantity)).value) == "2.50"
    reaction = Reaction(id="R1", start=PartialDate.parse("202403"))
    assert load(Reaction, dump(reaction)).start == PartialDate(year=2024, month=3)


def _reaction_data(**overrides: Any) -> dict[str, Any]:
    data = dump(Reaction(id="R1", seriousness=Seriousness(death=True)))
    assert isinstance(data, dict)
    data.update(overrides)
    return data


def test_unknown_key_is_refused_with_its_path() -> None:
    data: Any = json.loads(json.dumps(dump(ICSR(reactions=(Reaction(id="R1"),)))))
    data["reactions"][0]["severity"] = "high"

    with pytest.raises(SerializationError, match=r"^ICSR\.reactions\[0\]: unknown key.*severity"):
        load(ICSR, data)


def test_wrong_type_is_refused_with_its_path() -> None:
    with pytest.raises(ValueError, match=r"^Reaction\.medically_confirmed: expected a boolean"):
        load(Reaction, _reaction_data(medically_confirmed="yes"))
    with pytest.raises(ValueError, match=r"^Reaction\.duration\.value: expected a decimal"):
        load(Reaction, _reaction_data(duration={"value": 2.5, "unit": "d"}))
    with pytest.raises(ValueError, match=r"^Reaction\.outcome: 7 is not a ReactionOutcome"):
        load(Reaction, _reaction_data(outcome=7))


def test_stored_false_seriousness_is_refused() -> None:
    data = _reaction_data()
    data["seriousness"]["death"] = False

    with pytest.raises(ValueError, match=r"^Reaction\.seriousness\.death: expected one of"):
        load(Reaction, data)


def test_missing_required_key_is_refused() -> None:
    data = _reaction_data()
    del data["id"]
    with pytest.raises(ValueError, match=r"^Reaction\.id: required key is missing"):
        load(Reaction, data)


def test_missing_optional_key_takes_its_default() -> None:
    assert load(Reaction, {"id": "R1"}) == Reaction(id="R1")


def test_record_checks_run_on_load_and_name_the_path() -> None:
    with pytest.raises(ValueError, match=r"^Reaction\.term: MedDRA code must be 8 digits"):
        load(Reaction, _reaction_data(term={"version": "27.0", "code": "123"}))
    with pytest.raises(ValueError, match=r"^Reaction\.start: not an E2B date"):
        load(Reaction, _reaction_data(start="2024-03-15"))


def test_naive_datetime_is_refused_both_ways() -> None:
    at = datetime(2024, 3, 15, 8, 0, tzinfo=UTC)
    data = dump(Provenance(actor="a", action="b", at=at, reason="r"))
    assert isinstance(data, dict)
    data["at"] = "2024-03-15T08:00:00"
    with pytest.raises(ValueError, match=r"^Provenance\.at: datetime has no UTC offset"):
        load(Provenance, data)
    with pytest.raises(ValueError, match="naive datetime"):
        dump(datetime(2024, 3, 15))


def test_unknown_null_flavor_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^Patient\.sex: unknown nullFlavor 'XYZ'"):
        load(Patient, {"sex": {"nullFlavor": "XYZ"}})

"""Upstream events in the openFDA / FAERS shape: the 50 real events map, and values of the
wrong JSON type are listed as not carried rather than breaking the mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from channels.parsing.inbound import extract
from channels.parsing.openfda import icsr_from_openfda

EVENTS = Path(__file__).resolve().parents[3].parent / "shared" / "text" / "openfda"


def _event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "safetyreportid": "10003300",
        "occurcountry": "US",
        "seriousnesshospitalization": "1",
        "patient": {
            "patientonsetage": "58",
            "patientonsetageunit": "801",
            "patientsex": "2",
            "reaction": [{"reactionmeddrapt": "Rash", "reactionoutcome": "1"}],
            "drug": [
                {
                    "drugcharacterization": "1",
                    "medicinalproduct": "LAMOTRIGINE",
                    "activesubstance": {"activesubstancename": "LAMOTRIGINE"},
                }
            ],
        },
    }
    event.update(changes)
    return event


def test_the_real_openfda_events_map_to_cases_with_their_reactions_and_drugs() -> None:
    path = EVENTS / "drug_events_50.json"
    if not path.is_file():
        pytest.skip(f"public openFDA events not found at {path}")
    data = json.loads(path.read_text(encoding="utf-8"))
    events = data["results"] if isinstance(data, dict) else data

    mapped = [icsr_from_openfda(e) for e in events]

    assert len(mapped) == len(events) == 50
    assert all(m.icsr.reactions and m.icsr.drugs for m in mapped)


@pytest.mark.parametrize(
    ("changes", "listed"),
    [
        ({"patient": None}, None),
        ({"patient": "a string"}, "patient: a str, not an object"),
        ({"patient": {"reaction": True}}, "patient.reaction: a bool, not a list"),
        ({"patient": {"reaction": [None, "Rash"]}}, "patient.reaction[0]: a NoneType"),
        ({"patient": {"drug": [{"activesubstance": 3}]}}, "patient.drug[0].activesubstance: a int"),
        ({"patient": {"drug": [{"medicinalproduct": {"x": 1}}]}}, "medicinalproduct: a dict"),
        ({"patient": {"patientonsetage": "NaN"}}, "patient.patientonsetage='NaN'"),
        ({"patient": {"patientweight": "heavy"}}, "patient.patientweight='heavy'"),
        ({"primarysource": {"reportercountry": False}}, "reportercountry: a bool, not text"),
        ({"receivedate": ["2024"]}, "receivedate: a list, not text"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_listed_as_not_carried_and_the_rest_maps(
    changes: dict[str, Any], listed: str | None
) -> None:
    mapped = icsr_from_openfda(_event(**changes))

    assert mapped.icsr.report.safety_report_id == "10003300"
    if listed is not None:
        assert any(listed in line for line in mapped.not_carried), mapped.not_carried


@pytest.mark.parametrize("report_id", [{"id": 1}, True, "  ", None])
def test_an_event_whose_report_id_is_not_text_goes_to_triage_with_the_reason(
    report_id: object,
) -> None:
    payload = json.dumps(_event(safetyreportid=report_id)).encode()

    extraction = extract("UPSTREAM_EVENT", "application/json", payload)

    assert extraction.reports == ()
    [note] = extraction.triage
    assert "safetyreportid is missing or not text" in note.reason

"""Twilio signature judging: the 22 published vectors, and the public URL it is judged on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator

from channels.twilio_in import FormParams, public_url, signature_valid, whatwg_normalised

VECTORS = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "text"
    / "twilio"
    / "twilio_signature_vectors.json"
)


def _load() -> dict[str, Any]:
    if not VECTORS.exists():
        pytest.skip(f"{VECTORS} is absent")
    return dict(json.loads(VECTORS.read_text(encoding="utf-8")))


def _params(vector: dict[str, Any]) -> FormParams | str:
    if "body" in vector:
        return str(vector["body"])
    if "params_pairs" in vector:
        return FormParams([(k, v) for k, v in vector["params_pairs"]])
    if "form_body" in vector:
        return FormParams(parse_qsl(vector["form_body"], keep_blank_values=True))
    pairs: list[tuple[str, str]] = []
    for name, value in vector["params"].items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, one))
    return FormParams(pairs)


def _ids() -> list[str]:
    if not VECTORS.exists():
        return ["absent"]
    return [v["id"] for v in json.loads(VECTORS.read_text(encoding="utf-8"))["vectors"]]


def test_the_vector_file_holds_22_vectors_with_both_verdicts() -> None:
    data = _load()
    verdicts = [v["expected_valid"] for v in data["vectors"]]
    assert len(verdicts) == 22
    assert True in verdicts
    assert False in verdicts


@pytest.mark.parametrize("vector_id", _ids())
def test_each_vector_is_judged_as_published(vector_id: str) -> None:
    data = _load()
    vector = next(v for v in data["vectors"] if v["id"] == vector_id)
    verdict = signature_valid(
        data["auth_token"], vector["url"], _params(vector), vector["expected_signature"]
    )
    assert verdict is vector["expected_valid"], vector.get("note", "")


def test_every_vector_at_once() -> None:
    data = _load()
    wrong = [
        v["id"]
        for v in data["vectors"]
        if signature_valid(data["auth_token"], v["url"], _params(v), v["expected_signature"])
        is not v["expected_valid"]
    ]
    assert wrong == []


def test_a_field_added_or_changed_after_signing_breaks_the_signature() -> None:
    url = "https://gw.example.org/webhooks/twilio/sms"
    pairs = [("MessageSid", "SM" + "a" * 32), ("Body", "headache")]
    signature = RequestValidator("tok").compute_signature(url, FormParams(pairs))
    assert signature_valid("tok", url, FormParams(pairs), signature)
    assert not signature_valid("tok", url, FormParams([*pairs, ("Extra", "1")]), signature)
    assert not signature_valid("tok", url, FormParams([pairs[0], ("Body", "x")]), signature)
    assert not signature_valid("other", url, FormParams(pairs), signature)
    assert not signature_valid("tok", url + "x", FormParams(pairs), signature)
    assert not signature_valid("tok", url, FormParams(pairs), "")
    assert not signature_valid("", url, FormParams(pairs), signature)


def test_the_public_url_is_rebuilt_from_the_configured_base() -> None:
    assert public_url("https://gw.example.org/", "/webhooks/twilio/sms") == (
        "https://gw.example.org/webhooks/twilio/sms"
    )
    assert public_url("https://gw.example.org/pv", "/webhooks/twilio/sms", "a=1") == (
        "https://gw.example.org/pv/webhooks/twilio/sms?a=1"
    )


def test_whatwg_normalisation_encodes_what_a_url_parser_encodes() -> None:
    assert whatwg_normalised("https://x.org/a b?q=It's+ok") == "https://x.org/a%20b?q=It%27s+ok"
    assert whatwg_normalised("https://x.org/a%20b?q=%27") == "https://x.org/a%20b?q=%27"

"""The production-like docker-compose.yml sets only settings the gateway knows: an unknown
``ICSR_*`` variable would stop it at start, far from the file that caused it."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.settings import Settings

COMPOSE = Path(__file__).resolve().parents[3] / "docker-compose.yml"
_VARIABLE = re.compile(r"^\s*#?\s*(ICSR_[A-Z0-9_]+):", re.MULTILINE)


def test_every_icsr_variable_in_docker_compose_names_a_setting() -> None:
    names = set(_VARIABLE.findall(COMPOSE.read_text(encoding="utf-8")))
    assert "ICSR_KAFKA_BOOTSTRAP" in names  # the file is read as intended
    unknown = sorted(
        n for n in names if n.removeprefix("ICSR_").lower() not in Settings.model_fields
    )
    assert unknown == []

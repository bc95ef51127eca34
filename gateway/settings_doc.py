"""The configuration reference, generated from the settings object (README and CLI)."""

from __future__ import annotations

import json
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from gateway.settings import ENV_PREFIX, Settings

#: TOML tables the flat names are grouped under (`[kafka] bootstrap` = `kafka_bootstrap`)
TABLES = (
    "kafka",
    "broker",
    "consumer",
    "outbox",
    "reconcile",
    "http",
    "log",
    "smtp",
    "lmtp",
    "twilio",
    "intake",
)


def toml_key(name: str) -> str:
    table, _, rest = name.partition("_")
    return f"[{table}] {rest}" if table in TABLES and rest else name


def _default(info: FieldInfo) -> str:
    if info.default is PydanticUndefined or info.default is None:
        return "unset"
    value: Any = info.default
    if hasattr(value, "get_secret_value"):
        return "unset"
    return f"`{json.dumps(value if not hasattr(value, '__fspath__') else str(value))}`"


def reference_table() -> str:
    rows = ["| environment variable | TOML key | default | meaning |", "|---|---|---|---|"]
    for name, info in Settings.model_fields.items():
        if name == "config_file":
            continue
        meaning = (info.description or "").replace("|", "\\|").replace("\n", " ")
        if "SecretStr" in repr(info.annotation):
            meaning = (meaning + " Secret: masked by `config check`.").strip()
        rows.append(
            f"| `{ENV_PREFIX}{name.upper()}` | `{toml_key(name)}` | {_default(info)} | {meaning} |"
        )
    rows.append("| `ICSR_CONFIG` | — | unset | TOML file to read (same as `--config`). |")
    return "\n".join(rows)

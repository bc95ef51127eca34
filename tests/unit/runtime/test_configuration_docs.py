"""The documented configuration is the real one (regenerate: python -m gateway.settings_doc)."""

from __future__ import annotations

from pathlib import Path

from gateway.settings import Settings, load_settings
from gateway.settings_doc import example_toml, readme_with_reference

ROOT = Path(__file__).resolve().parents[3]


def test_readme_configuration_reference_lists_every_setting_as_the_code_defines_it() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_with_reference(readme) == readme, "run: python -m gateway.settings_doc"
    for name in Settings.model_fields:
        if name != "config_file":
            assert f"`ICSR_{name.upper()}`" in readme


def test_example_configuration_file_is_current_and_valid() -> None:
    example = ROOT / "examples" / "gateway.toml"
    assert example.read_text(encoding="utf-8") == example_toml(), (
        "run: python -m gateway.settings_doc"
    )
    settings = load_settings(example)
    assert settings.kafka_partitions == Settings.model_fields["kafka_partitions"].default

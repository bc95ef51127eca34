"""Settings: defaults that run with no configuration, and errors that name what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import ConfigurationError
from gateway.settings import load_settings


@pytest.fixture(autouse=True)
def _no_icsr_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for var in list(os.environ):
        if var.startswith("ICSR_"):
            monkeypatch.delenv(var)


def test_no_configuration_means_embedded_broker_and_sqlite_under_the_data_dir() -> None:
    s = load_settings()
    assert s.embedded_broker
    assert s.effective_database_url.get_backend_name() == "sqlite"
    assert s.effective_database_url.database == str((Path("var") / "gateway.sqlite3").resolve())
    assert s.session_timeout_ms == 2000  # the embedded broker's group join waits half of it


def test_an_existing_kafka_cluster_gets_production_timeouts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ICSR_KAFKA_BOOTSTRAP", "kafka-1:9092,kafka-2:9092")
    s = load_settings()
    assert not s.embedded_broker
    assert s.session_timeout_ms == 10_000


def test_toml_tables_are_the_same_settings_as_prefixed_variables(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        'data_dir = "/srv/icsr"\n[kafka]\npartitions = 6\n[consumer]\nmax_attempts = 9\n'
    )
    s = load_settings(config)
    assert (s.data_dir, s.kafka_partitions, s.consumer_max_attempts) == (Path("/srv/icsr"), 6, 9)


def test_environment_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text("[kafka]\npartitions = 6\n")
    monkeypatch.setenv("ICSR_KAFKA_PARTITIONS", "12")
    assert load_settings(config).kafka_partitions == 12


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "ICSR_DATABASE_URL",
            "::not a url::",
            "ICSR_DATABASE_URL: cannot be parsed as a database URL",
        ),
        (
            "ICSR_DATABASE_URL",
            "oracle://x@y/z",
            "ICSR_DATABASE_URL: backend 'oracle' is not supported",
        ),
        ("ICSR_KAFKA_BOOTSTRAP", "kafka", "ICSR_KAFKA_BOOTSTRAP: 'kafka' is not host:port"),
        (
            "ICSR_KAFKA_PARTITIONS",
            "0",
            "ICSR_KAFKA_PARTITIONS: Input should be greater than or equal to 1",
        ),
        ("ICSR_KAFKA_BOOTSTRP", "kafka:9092", "ICSR_KAFKA_BOOTSTRP: is not a known setting"),
    ],
)
def test_a_bad_setting_is_named_with_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert str(caught.value).startswith(expected)


def test_an_unknown_key_in_the_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text("[kafka]\nbootstrp = 'x:1'\n")
    with pytest.raises(ConfigurationError, match=r"kafka_bootstrp\): is not a known setting"):
        load_settings(config)


def test_a_missing_or_broken_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[kafka\n")
    with pytest.raises(ConfigurationError, match="is not valid TOML"):
        load_settings(broken)


def test_config_check_masks_secrets_and_database_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ICSR_DATABASE_URL", "postgresql+psycopg://icsr:s3cret@db:5432/icsr")
    monkeypatch.setenv("ICSR_TWILIO_AUTH_TOKEN", "tok-123")
    shown = load_settings().masked()
    assert "s3cret" not in str(shown)
    assert "tok-123" not in str(shown)
    assert shown["twilio_auth_token"] == "********"

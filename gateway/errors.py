"""One exception root for the gateway, with the retry policy on the class.

    GatewayError                      retriable = False
    ├── ConfigurationError            a setting is wrong; stops the gateway at start
    ├── DecodeError                   bytes that are not a message we know (dead-lettered at once)
    │   ├── UnknownSchemaError        single-object header names a fingerprint we do not know
    │   └── UndecodablePayloadError   header fine, body not readable with that schema
    ├── InvalidMessageError           decoded, but violates a domain rule (dead-lettered at once)
    │   └── PayloadTooLargeError      over the configured size limit (refused, never truncated)
    ├── LifecycleError                a case transition that the lifecycle does not allow
    ├── DuplicateError                the same source id was already accepted (not a failure)
    ├── TransientError                retriable = True: try again after a backoff
    │   ├── StoreUnavailableError     the database did not answer or was locked
    │   └── BrokerUnavailableError    the Kafka broker did not answer
    └── BrokerError                   the embedded broker could not be started or stopped

Consumers read ``retriable``: retriable errors are retried with backoff up to the
configured attempts; non-retriable ones go to the dead-letter topic at once. Exceptions
that are not GatewayErrors are treated as retriable up to the limit, then dead-lettered.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""

    retriable: bool = False
    #: short stable code, used in dead-letter headers and API error bodies
    code: str = "gateway_error"


class ConfigurationError(GatewayError):
    """A setting is missing or wrong. The message names the setting and how to fix it."""

    code = "configuration_error"

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        self.problem = problem
        super().__init__(f"{setting}: {problem}")


class DecodeError(GatewayError):
    code = "decode_error"


class UnknownSchemaError(DecodeError):
    code = "unknown_schema"


class UndecodablePayloadError(DecodeError):
    code = "undecodable_payload"


class InvalidMessageError(GatewayError):
    code = "invalid_message"


class LifecycleError(GatewayError):
    code = "invalid_transition"


class DuplicateError(GatewayError):
    code = "duplicate"


class TransientError(GatewayError):
    retriable = True
    code = "transient"


class StoreUnavailableError(TransientError):
    code = "store_unavailable"


class BrokerUnavailableError(TransientError):
    code = "broker_unavailable"


class BrokerError(GatewayError):
    code = "broker_error"


class PayloadTooLargeError(InvalidMessageError):
    """An inbound payload over the configured size limit; refused, never truncated."""

    code = "payload_too_large"

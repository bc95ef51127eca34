"""The dispatcher's settings and the actor name its audit entries carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path

ACTOR = "dispatcher"


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    organisation: str = "ICSRGATEWAY"  # C.3.2 and the organisation part of our C.1.1
    schemas_dir: Path | None = None  # ICH E2B(R3) XSD folder: built files are checked
    r2_dtd: Path | None = None  # ICH icsr21xml.dtd: built R2 files are checked
    interval_s: float = 1.0
    ack_check_interval_s: float = 60.0
    send_attempts: int = 3  # tries within one pass before the next pass retries
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 300.0
    tz: tzinfo = UTC

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after the ``attempt``-th failed try: doubling, capped."""
        return float(min(self.backoff_max_s, self.backoff_initial_s * 2 ** max(0, attempt - 1)))

"""A regulator simulator: reads E2B files as an authority would and answers with ACKs.

    sim = RegulatorSimulator(inbox, outbox, profile="ema", reject_rate=0.1, seed=7)
    for ack in sim.process_once():
        print(ack.line())

Folder naming: the simulator's ``inbox`` is where the gateway's folder transport writes
(a destination's ``outbox_dir``) and the simulator's ``outbox`` is where the gateway reads
ACKs (the destination's ``inbox_dir``).

Each file is validated like a receiver would (``schemas.e2b_receive``: XSD when a schema
folder is given, the business rules of the profile, DTD for E2B(R2) when given) and answered
in its own format: an R3 ``MCCI_IN200101UV01`` for an R3 batch, an R2 ``ichicsrack`` for an
``ichicsr`` file. Invalid ICSRs get CR (R2: 02) with the real findings as error text;
``reject_rate`` also rejects that share of valid ones (seeded), with a plausible text marked
as simulated. Accepted ICSRs get a local report number (ACK.B.r.2 / R2 localreportnumb).

A file is taken once: after its ACK is written (temp name, then rename) it moves to
``inbox/processed/``. Temporary and hidden files (``*.tmp``, ``*.part``, dotfiles) are
half-written and skipped. A file whose batch number cannot be read gets no ACK (there is
nothing to correlate it with): it moves to ``inbox/rejected/`` with a ``.error.txt`` and a
line on stderr. Nothing a file contains stops the simulator.
"""

from __future__ import annotations

import os
import random
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from gateway.errors import ConfigurationError, GatewayError
from gateway.logs import get_logger
from schemas.e2b_ack import (
    AckBatchCode,
    R2Ack,
    R3Ack,
    ack_to_bytes,
    build_r2_ack,
    build_r3_ack,
    load_ack,
    truncate_text,
)
from schemas.e2b_ack.respond import BATCH_TEXTS
from schemas.e2b_receive import R2_ROOT, receive
from schemas.e2b_rules import Profile
from schemas.e2b_rules.validate import R3_ROOT
from schemas.xml_safety import DEFAULT_MAX_BYTES, XMLLoadError, load_xml

__all__ = [
    "PROCESSED_DIR",
    "REJECTED_DIR",
    "RegulatorSimulator",
    "SimulatedAck",
    "is_partial_name",
    "serve",
]

PROCESSED_DIR: Final = "processed"
REJECTED_DIR: Final = "rejected"
_UNKNOWN: Final = "UNKNOWN"
_HL7: Final = "{urn:hl7-org:v3}"
_PARTIAL_SUFFIXES: Final = (".tmp", ".part", ".partial", ".swp")
_SIMULATED: Final = " (simulated rejection, --reject-rate)"

#: texts for valid ICSRs rejected on purpose: what such a receiver plausibly answers
_REJECT_TEXTS: Final[dict[Profile, str]] = {
    Profile.EMA: (
        "EU.C.1.8.1 C.1.8.1: the worldwide unique case identification number is already "
        "used by a case of another sender"
    ),
    Profile.FDA: "R0021 C.2.r.5: At least one reporter must be provided with C.2.r.5 = 1",
    Profile.ICH: (
        "ICH.C.1.1.unique C.1.1: a report with this sender's safety report unique "
        "identifier and a later N.2.r.4 was already loaded"
    ),
}
#: prefixes of the local report numbers each kind of receiver assigns
_LOCAL_PREFIX: Final[dict[Profile, str]] = {
    Profile.EMA: "EU-EC-",
    Profile.FDA: "FAERS-",
    Profile.ICH: "LRN-",
}

_log = get_logger(__name__)


def is_partial_name(name: str) -> bool:
    """A file still being written (temp-then-rename convention) or hidden."""
    return name.startswith(".") or name.lower().endswith(_PARTIAL_SUFFIXES)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedAck:
    """What the simulator did with one input file."""

    file_name: str  # the input file's name in the inbox
    moved_to: Path  # where the input file went (processed/ or rejected/)
    format: Literal["R3", "R2"] | None  # of the file (and its ACK); None when unreadable
    batch_number: str | None  # N.1.2 / M.1.4 acknowledged; None when unreadable
    batch_code: AckBatchCode | None  # AA / AE / AR (R2 01/02/03 mapped); None: no ACK
    ack_path: Path | None  # the ACK written to the outbox
    accepted: tuple[str, ...] = ()  # C.1.1 of the ICSRs loaded (CA / 01)
    rejected: tuple[str, ...] = ()  # C.1.1 of the ICSRs not loaded (CR / 02)
    local_report_numbers: tuple[tuple[str, str], ...] = ()  # (C.1.1, local number)
    error: str | None = None  # why the file went to rejected/ without an ACK

    @property
    def icsr_count(self) -> int:
        return len(self.accepted) + len(self.rejected)

    def line(self) -> str:
        """One line for the console: file, ICSRs, code."""
        if self.batch_code is None:
            return f"{self.file_name}: no ACK, moved to {REJECTED_DIR}/: {self.error}"
        return (
            f"{self.file_name}: {self.format} batch {self.batch_number}, "
            f"{self.icsr_count} ICSR(s), {self.batch_code} "
            f"(CA {len(self.accepted)}, CR {len(self.rejected)})"
            + (f" -> {self.ack_path.name}" if self.ack_path is not None else "")
        )


@dataclass(frozen=True, slots=True)
class _Peek:
    format: Literal["R3", "R2"] | None
    batch_number: str | None
    sender: str | None
    receiver: str | None


def _load(data: bytes, max_bytes: int) -> Any | None:
    try:
        return load_xml(data, max_bytes=max_bytes, expected_roots=(R3_ROOT, R2_ROOT))
    except XMLLoadError:
        return None


def _peek(root: Any | None) -> _Peek:
    """Read the header (format, batch number, sender, receiver) without validating."""
    if root is None:
        return _Peek(None, None, None, None)
    if root.tag == R2_ROOT:
        header = root.find("ichicsrmessageheader")

        def field(name: str) -> str | None:
            value = header.findtext(name) if header is not None else None
            return value.strip() or None if value is not None else None

        return _Peek(
            "R2",
            field("messagenumb"),
            field("messagesenderidentifier"),
            field("messagereceiveridentifier"),
        )

    def attr(*tags: str, name: str) -> str | None:
        el = root
        for tag in tags:
            el = el.find(f"{_HL7}{tag}") if el is not None else None
        value = None if el is None else el.get(name)
        return value.strip() or None if value is not None else None

    return _Peek(
        "R3",
        attr("id", name="extension"),
        attr("sender", "device", "id", name="extension"),
        attr("receiver", "device", "id", name="extension"),
    )


class RegulatorSimulator:
    """Answers the E2B files found in ``inbox`` with ACKs written to ``outbox``.

    ``receiver_id``: the identifier we answer as (N.1.4 must name it); None answers as
    whoever the file is addressed to and leaves the check to the profile's rules (EMA:
    EVHUMAN or EVTEST; FDA: ZZFDA or ZZFDA_PREMKT). ``delay_s``: a file is answered once
    it is that old (by modification time). ``clock`` returns an aware ``datetime``.
    """

    def __init__(
        self,
        inbox: Path,
        outbox: Path,
        *,
        profile: Profile | str = Profile.ICH,
        receiver_id: str | None = None,
        schemas_dir: Path | None = None,
        r2_dtd: Path | None = None,
        delay_s: float = 0.0,
        reject_rate: float = 0.0,
        seed: int | None = None,
        clock: Callable[[], datetime] = _now,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if not 0.0 <= reject_rate <= 1.0:
            raise ValueError(f"reject_rate must be between 0 and 1, got {reject_rate}")
        if delay_s < 0:
            raise ValueError(f"delay_s must be >= 0, got {delay_s}")
        if inbox.resolve() == outbox.resolve():
            raise ValueError("inbox and outbox must be different folders")
        for name, given in (("schemas_dir", schemas_dir), ("r2_dtd", r2_dtd)):
            if given is not None and not given.exists():
                raise ValueError(f"{name} {given} does not exist")
        self.inbox = inbox
        self.outbox = outbox
        self.profile = Profile(profile)
        self.receiver_id = receiver_id
        self.schemas_dir = schemas_dir
        self.r2_dtd = r2_dtd
        self.delay_s = delay_s
        self.reject_rate = reject_rate
        self.max_bytes = max_bytes
        self._clock = clock
        # Not security: a reproducible share of simulated rejections.
        self._rng = random.Random(seed)  # noqa: S311
        self._run = clock().astimezone(UTC).strftime("%y%m%d%H%M%S")
        self._acks = 0
        self._reports = 0

    # -- the folder loop --------------------------------------------------------------

    def pending(self) -> list[Path]:
        """Complete input files in the inbox, oldest first."""
        if not self.inbox.is_dir():
            return []
        files = []
        for path in self.inbox.iterdir():
            if is_partial_name(path.name) or not path.is_file() or path.is_symlink():
                continue
            try:
                files.append((path.stat().st_mtime, path.name, path))
            except FileNotFoundError:  # taken by another process meanwhile
                continue
        return [path for _, _, path in sorted(files)]

    def process_once(self) -> list[SimulatedAck]:
        """Answer every file that is ready; return what was done, in order."""
        for folder in (self.outbox, self.inbox / PROCESSED_DIR, self.inbox / REJECTED_DIR):
            folder.mkdir(parents=True, exist_ok=True)
        now = self._clock()
        done: list[SimulatedAck] = []
        for path in self.pending():
            if self.delay_s:
                try:
                    age = now.timestamp() - path.stat().st_mtime
                except FileNotFoundError:
                    continue
                if age < self.delay_s:
                    continue
            result = self.process_file(path)
            if result is not None:
                done.append(result)
        return done

    def process_file(self, path: Path) -> SimulatedAck | None:
        """Answer one file and move it out of the inbox (None when it vanished).

        What the file holds never raises: it is answered, or moved to rejected/. A broken
        set-up (a missing schema file, an outbox that cannot be written) does raise, and the
        file stays in the inbox for the next pass.
        """
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                return self._reject(path, f"{size} bytes is over the {self.max_bytes} limit")
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            return self._reject(path, f"cannot be read: {exc.strerror or exc}")
        try:
            judged = self._judge(data)
        except ConfigurationError:
            raise
        except (GatewayError, ValueError) as exc:
            return self._reject(path, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - one file must never stop the simulator
            # Visible, not swallowed: the file goes to rejected/ with the error beside it.
            return self._reject(path, f"unexpected {type(exc).__name__}: {exc}")
        if isinstance(judged, str):
            return self._reject(path, judged)
        ack, ack_id = judged
        batch_number = _batch_number(ack)
        target = self._write_ack(ack, batch_number, ack_id)
        moved = self._move(path, PROCESSED_DIR)
        code, accepted, rejected, numbers = _outcome(ack)
        _log.info(
            "regulator.acknowledged",
            file=path.name,
            batch=batch_number,
            code=code,
            icsrs=len(accepted) + len(rejected),
        )
        return SimulatedAck(
            file_name=path.name,
            moved_to=moved,
            format="R3" if isinstance(ack, R3Ack) else "R2",
            batch_number=batch_number,
            batch_code=code,
            ack_path=target,
            accepted=accepted,
            rejected=rejected,
            local_report_numbers=numbers,
        )

    # -- one file ---------------------------------------------------------------------

    def _judge(self, data: bytes) -> tuple[R3Ack | R2Ack, str] | str:
        """The ACK for ``data`` and its message id, or why no ACK can be sent."""
        now = self._clock()
        # The header is read separately only when needed: to learn the addressee, or the
        # batch number of a file the receiving check refused before reading its header.
        # One parse serves the header and the receiving check (a batch may hold many ICSRs).
        root = _load(data, self.max_bytes)
        peek = None if self.receiver_id else _peek(root)
        our_id = self.receiver_id or (peek.receiver if peek else None) or _UNKNOWN
        self._acks += 1
        ack_id = f"ACK-{_safe(our_id)}-{self._run}-{self._acks:06d}"
        result = receive(
            data,
            profile=self.profile,
            schemas_dir=self.schemas_dir,
            today=now.date(),
            our_id=our_id,
            ack_message_id=ack_id,
            created=now,
            r2_dtd=self.r2_dtd,
            # receive() loads with the default limit: a file over it must fail there as before
            root=root if len(data) <= DEFAULT_MAX_BYTES else None,
        )
        ack = load_ack(result.ack_bytes)
        if _batch_number(ack) == _UNKNOWN:
            ack = self._readdress(ack, peek or _peek(root))
        if _batch_number(ack) == _UNKNOWN:
            text = ack.text if isinstance(ack, R3Ack) else ack.acknowledgment.parsing_error_message
            return f"batch number unreadable: {text}"
        return self._decide(ack), ack_id

    def _readdress(self, ack: R3Ack | R2Ack, peek: _Peek) -> R3Ack | R2Ack:
        """Put the batch number (and sender) read from the file on an ACK that lacks them:
        a file refused before its header was parsed is still answered when it has one."""
        if peek.batch_number is None:
            return ack
        if isinstance(ack, R3Ack):
            if ack.batch_number != _UNKNOWN:
                return ack
            return replace(
                ack,
                batch_number=peek.batch_number,
                receiver=peek.sender or ack.receiver,
            )
        if ack.acknowledgment.icsr_message_number != _UNKNOWN:
            return ack
        return replace(
            ack,
            header=replace(ack.header, receiver=peek.sender or ack.header.receiver),
            acknowledgment=replace(
                ack.acknowledgment,
                icsr_message_number=peek.batch_number,
                icsr_message_sender=peek.sender or ack.acknowledgment.icsr_message_sender,
            ),
        )

    def _simulated_reject(self) -> bool:
        return self.reject_rate > 0 and self._rng.random() < self.reject_rate

    def _local_number(self) -> str:
        self._reports += 1
        return f"{_LOCAL_PREFIX[self.profile]}{self._run}{self._reports:06d}"

    def _decide(self, ack: R3Ack | R2Ack) -> R3Ack | R2Ack:
        """Assign local report numbers to loaded ICSRs and apply the simulated rejections."""
        reject_text = truncate_text(_REJECT_TEXTS[self.profile] + _SIMULATED)
        if isinstance(ack, R3Ack):
            if ack.code == "AR":
                return ack
            items = []
            for item in ack.items:
                if item.code == "CA" and self._simulated_reject():
                    item = replace(item, code="CR", local_report_number=None, text=reject_text)
                elif item.code == "CA":
                    item = replace(item, local_report_number=self._local_number())
                items.append(item)
            code: AckBatchCode = "AA" if all(i.code == "CA" for i in items) else "AE"
            text = ack.text if code == ack.code else BATCH_TEXTS[code]
            return replace(ack, items=tuple(items), code=code, text=text)
        if ack.acknowledgment.code == "03":
            return ack
        reports = []
        for report in ack.reports:
            if report.code == "01" and self._simulated_reject():
                report = replace(
                    report, code="02", local_report_number=None, error_message=reject_text
                )
            elif report.code == "01":
                report = replace(report, local_report_number=self._local_number())
            reports.append(report)
        transmission: Literal["01", "02"] = "01" if all(r.code == "01" for r in reports) else "02"
        return replace(
            ack,
            acknowledgment=replace(ack.acknowledgment, code=transmission),
            reports=tuple(reports),
        )

    def _write_ack(self, ack: R3Ack | R2Ack, batch_number: str, ack_id: str) -> Path:
        data = ack_to_bytes(build_r3_ack(ack) if isinstance(ack, R3Ack) else build_r2_ack(ack))
        target = self.outbox / f"{ack_id}_{_safe(batch_number)}.xml"
        # Temp name first: the gateway's inbox reader skips dotfiles and *.tmp.
        temp = self.outbox / f".{target.name}.tmp"
        temp.write_bytes(data)
        os.replace(temp, target)
        return target

    def _move(self, path: Path, folder: str) -> Path:
        target = self.inbox / folder / path.name
        n = 1
        while target.exists():
            target = self.inbox / folder / f"{path.name}.{n}"
            n += 1
        os.replace(path, target)
        return target

    def _reject(self, path: Path, reason: str) -> SimulatedAck:
        try:
            moved = self._move(path, REJECTED_DIR)
            moved.with_name(moved.name + ".error.txt").write_text(reason + "\n", encoding="utf-8")
        except FileNotFoundError:
            moved = self.inbox / REJECTED_DIR / path.name
        # The reason may quote file bytes: it goes to the .error.txt, not to the log.
        _log.warning("regulator.file_rejected", file=path.name)
        return SimulatedAck(
            file_name=path.name,
            moved_to=moved,
            format=None,
            batch_number=None,
            batch_code=None,
            ack_path=None,
            error=reason,
        )


def _safe(text: str) -> str:
    """``text`` usable in a file name (it comes from the received file)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in text)[:80]


def _batch_number(ack: R3Ack | R2Ack) -> str:
    return ack.batch_number if isinstance(ack, R3Ack) else ack.acknowledgment.icsr_message_number


_R2_CODES: Final[dict[str, AckBatchCode]] = {"01": "AA", "02": "AE", "03": "AR"}


def _outcome(
    ack: R3Ack | R2Ack,
) -> tuple[AckBatchCode, tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    if isinstance(ack, R3Ack):
        return (
            ack.code,
            tuple(i.message_id for i in ack.items if i.code == "CA"),
            tuple(i.message_id for i in ack.items if i.code == "CR"),
            tuple(
                (i.message_id, i.local_report_number)
                for i in ack.items
                if i.local_report_number is not None
            ),
        )
    return (
        _R2_CODES[ack.acknowledgment.code],
        tuple(r.safety_report_id for r in ack.reports if r.code == "01"),
        tuple(r.safety_report_id for r in ack.reports if r.code != "01"),
        tuple(
            (r.safety_report_id, r.local_report_number)
            for r in ack.reports
            if r.local_report_number is not None
        ),
    )


def serve(
    simulator: RegulatorSimulator,
    *,
    poll_s: float = 1.0,
    once: bool = False,
    out: Callable[[str], None] = print,
    err: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> int:
    """Run the simulator: one pass with ``once``, else poll every ``poll_s`` seconds until
    SIGINT / SIGTERM (or ``stop`` is set). Prints one line per file; returns how many."""
    stop = stop or threading.Event()
    if not once and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    handled = 0
    while True:
        for result in simulator.process_once():
            (out if result.batch_code is not None else err)(result.line())
            handled += 1
        if once or stop.wait(poll_s):
            return handled

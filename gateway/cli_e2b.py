"""`icsr-gateway e2b …`: validate, parse, build, convert and acknowledge E2B files."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.errors import GatewayError

e2b_app = typer.Typer(
    help="E2B(R3)/(R2) files: validate, parse, build, convert, ACK.", no_args_is_help=True
)

SchemasOption = Annotated[
    Path | None,
    typer.Option(
        "--schemas",
        help="ICH E2B(R3) schema folder (with multicacheschemas/); XSD validation runs when given.",
        envvar="ICSR_E2B_SCHEMAS_DIR",
    ),
]
ProfileOption = Annotated[
    str, typer.Option("--profile", help="Business-rule profile: ich, ema or fda.")
]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        typer.echo(f"icsr-gateway: error: cannot read {path}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"icsr-gateway: error: {exc}", err=True)
    return typer.Exit(2)


def _profile(value: str) -> Any:
    from schemas.e2b_rules import Profile

    try:
        return Profile(value.lower())
    except ValueError:
        typer.echo(
            f"icsr-gateway: error: --profile must be one of ich, ema, fda (got {value!r})", err=True
        )
        raise typer.Exit(2) from None


@e2b_app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="E2B(R3) files to check.")],
    profile: ProfileOption = "ich",
    schemas: SchemasOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Check files the way a regulator does; exit 0 only when every file is valid."""
    from schemas.e2b_rules import validate_file

    chosen = _profile(profile)
    all_valid = True
    documents = []
    for path in files:
        report = validate_file(
            _read(path), chosen, schemas_dir=schemas, today=datetime.now(UTC).date()
        )
        all_valid &= report.valid
        if as_json:
            documents.append(
                {
                    "file": str(path),
                    "valid": report.valid,
                    "findings": [
                        {
                            "rule_id": f.rule_id,
                            "element_id": f.element_id,
                            "xpath": f.xpath,
                            "severity": f.severity.value,
                            "message": f.message,
                            "message_id": f.message_id,
                            "line": f.line,
                        }
                        for f in report.findings
                    ],
                }
            )
            continue
        for f in report.findings:
            where = f"{path}:{f.line}" if f.line else str(path)
            typer.echo(
                f"{where}: {f.severity.value} {f.rule_id} {f.element_id} {f.xpath}: {f.message}"
            )
        typer.echo(
            f"{path}: {'valid' if report.valid else 'INVALID'} ({len(report.findings)} finding(s))"
        )
    if as_json:
        json.dump(documents, sys.stdout, indent=2)
        sys.stdout.write("\n")
    raise typer.Exit(0 if all_valid else 1)


R3_ROOT = "{urn:hl7-org:v3}MCCI_IN200100UV01"
R2_ROOT = "ichicsr"


def _load_any(path: Path) -> Any:
    """An R3Batch or an R2Message, by the file's root element."""
    from schemas.e2b_r2 import parse_r2
    from schemas.e2b_r3 import parse_batch
    from schemas.xml_safety import load_xml

    try:
        root = load_xml(_read(path), expected_roots={R3_ROOT, R2_ROOT})
        return parse_r2(root) if root.tag == R2_ROOT else parse_batch(root)
    except (GatewayError, ValueError) as exc:
        raise _fail(exc) from None


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)


def _print_losses(losses: Any) -> None:
    for loss in losses:
        typer.echo(f"not carried: {loss.element_id} {loss.path}: {loss.reason}", err=True)
    typer.echo(f"{len(losses)} element(s) the target format cannot carry", err=True)


@e2b_app.command("parse")
def parse(file: Annotated[Path, typer.Argument(help="An E2B(R3) or E2B(R2) file.")]) -> None:
    """Print the domain model of every ICSR in the file as JSON."""
    from gateway.domain.serialization import dump
    from schemas.e2b_r2 import R2Message

    loaded = _load_any(file)
    out: dict[str, Any]
    if isinstance(loaded, R2Message):
        out = {
            "format": "E2B_R2",
            "message_number": loaded.header.message_number,
            "sender": loaded.header.sender_id,
            "receiver": loaded.header.receiver_id,
            "reports": [
                {
                    "icsr": dump(r.icsr),
                    "not_carried": [
                        {"element_id": x.element_id, "path": x.path, "reason": x.reason}
                        for x in r.not_carried
                    ],
                }
                for r in loaded.reports
            ],
        }
    else:
        out = {
            "format": "E2B_R3",
            "batch_id": loaded.batch_id,
            "sender": loaded.sender_id,
            "receiver": loaded.receiver_id,
            "messages": [
                {"message_id": m.message_id, "icsr": dump(m.icsr)} for m in loaded.messages
            ],
        }
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


@e2b_app.command("convert")
def convert(
    file: Annotated[Path, typer.Argument(help="An E2B(R3) or E2B(R2) file.")],
    to: Annotated[str, typer.Option("--to", help="Target format: r2 or r3.")],
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Convert between E2B(R3) and E2B(R2); what the target cannot carry is listed on stderr."""
    from schemas.e2b_convert import r2_to_r3, r3_to_r2
    from schemas.e2b_r2 import R2Message, build_r2, serialize_r2
    from schemas.e2b_r3 import build_batch, serialize

    target = to.lower()
    if target not in {"r2", "r3"}:
        typer.echo("icsr-gateway: error: --to must be r2 or r3", err=True)
        raise typer.Exit(2)
    loaded = _load_any(file)
    if (target == "r2") == isinstance(loaded, R2Message):
        typer.echo(f"icsr-gateway: error: {file} is already {target.upper()}", err=True)
        raise typer.Exit(2)
    if target == "r2":
        to_r2 = r3_to_r2(loaded)
        _write(bytes(serialize_r2(build_r2(to_r2.value))), output)
        _print_losses(to_r2.losses)
    else:
        to_r3 = r2_to_r3(loaded)
        _write(bytes(serialize(build_batch(to_r3.value))), output)
        _print_losses(to_r3.losses)


@e2b_app.command("build")
def build(
    case_file: Annotated[Path, typer.Argument(help="A case as JSON (the `e2b parse` shape).")],
    fmt: Annotated[str, typer.Option("--format", help="r3 or r2.")] = "r3",
    sender: Annotated[str, typer.Option(help="Our sender identifier (N.1.3 / M.1.5).")] = "SENDER",
    receiver: Annotated[
        str, typer.Option(help="The receiver identifier (N.1.4 / M.1.6).")
    ] = "RECEIVER",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Build E2B XML from a case given as JSON (one ICSR, or the output of `e2b parse`)."""
    from gateway.domain.icsr import ICSR
    from gateway.domain.serialization import load

    if fmt.lower() not in {"r2", "r3"}:
        typer.echo("icsr-gateway: error: --format must be r3 or r2", err=True)
        raise typer.Exit(2)
    try:
        document = json.loads(_read(case_file))
        if isinstance(document, dict) and "messages" in document:
            items = [m["icsr"] for m in document["messages"]]
        elif isinstance(document, dict) and "reports" in document:
            items = [r["icsr"] for r in document["reports"]]
        else:
            items = [document]
        icsrs = [load(ICSR, item) for item in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise _fail(
            ValueError(f"{case_file} is not a case in the expected JSON shape: {exc}")
        ) from None
    _write(_build_bytes(icsrs, fmt.lower(), sender, receiver), output)


def _build_bytes(icsrs: list[Any], fmt: str, sender: str, receiver: str) -> bytes:
    from gateway.domain.partial_date import DatePrecision, PartialDate
    from gateway.ids import new_id
    from schemas.e2b_convert import r3_to_r2
    from schemas.e2b_r2 import build_r2, serialize_r2
    from schemas.e2b_r3 import R3Batch, R3Message, build_batch, serialize

    now = PartialDate.from_datetime(datetime.now(UTC), DatePrecision.SECOND)
    messages = tuple(
        R3Message(
            message_id=i.report.safety_report_id or new_id("MSG"),
            sender_id=sender,
            receiver_id=receiver,
            created_at=i.report.created_at or now,
            icsr=i,
        )
        for i in icsrs
    )
    batch = R3Batch(
        batch_id=new_id("B"),
        sender_id=sender,
        receiver_id=receiver,
        created_at=now,
        messages=messages,
    )
    if fmt == "r3":
        return bytes(serialize(build_batch(batch)))
    result = r3_to_r2(batch)
    _print_losses(result.losses)
    return bytes(serialize_r2(build_r2(result.value)))


@e2b_app.command("ack")
def ack(
    file: Annotated[Path, typer.Argument(help="A received E2B(R3) or E2B(R2) file.")],
    our_id: Annotated[str, typer.Option("--our-id", help="Our receiver identifier (N.1.4).")],
    profile: ProfileOption = "ich",
    schemas: SchemasOption = None,
    r2_dtd: Annotated[
        Path | None,
        typer.Option("--r2-dtd", help="ICH icsr21xml.dtd: E2B(R2) files are checked against it."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the ACK here.")
    ] = None,
) -> None:
    """Validate a received file and write the ACK a regulator would send, in its format."""
    from gateway.ids import new_id
    from schemas.e2b_receive import receive

    try:
        result = receive(
            _read(file),
            profile=_profile(profile),
            schemas_dir=schemas,
            today=datetime.now(UTC).date(),
            our_id=our_id,
            ack_message_id=new_id("ACK"),
            created=datetime.now(UTC),
            r2_dtd=r2_dtd,
        )
    except GatewayError as exc:
        raise _fail(exc) from None
    _write(result.ack_bytes, output)
    typer.echo(
        f"{file}: {len(result.accepted)} accepted, {len(result.rejected)} rejected", err=True
    )

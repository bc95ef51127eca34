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


@e2b_app.command("parse")
def parse(file: Annotated[Path, typer.Argument(help="An E2B(R3) batch file.")]) -> None:
    """Print the domain model of every ICSR in the file as JSON."""
    from gateway.domain.serialization import dump
    from schemas.e2b_r3 import parse_batch
    from schemas.xml_safety import load_xml

    try:
        batch = parse_batch(load_xml(_read(file)))
    except (GatewayError, ValueError) as exc:
        raise _fail(exc) from None
    out = {
        "batch_id": batch.batch_id,
        "sender": batch.sender_id,
        "receiver": batch.receiver_id,
        "messages": [{"message_id": m.message_id, "icsr": dump(m.icsr)} for m in batch.messages],
    }
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


@e2b_app.command("ack")
def ack(
    file: Annotated[Path, typer.Argument(help="A received E2B file.")],
    our_id: Annotated[str, typer.Option("--our-id", help="Our receiver identifier (N.1.4).")],
    profile: ProfileOption = "ich",
    schemas: SchemasOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the ACK here.")
    ] = None,
) -> None:
    """Validate a received file and write the ACK a regulator would send back."""
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
        )
    except GatewayError as exc:
        raise _fail(exc) from None
    if output is None:
        sys.stdout.buffer.write(result.ack_bytes)
    else:
        output.write_bytes(result.ack_bytes)
    typer.echo(
        f"{file}: {len(result.accepted)} accepted, {len(result.rejected)} rejected", err=True
    )

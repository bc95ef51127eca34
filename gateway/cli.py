"""The `icsr-gateway` command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gateway import __version__
from gateway.cli_cases import cases_app
from gateway.cli_common import ConfigOption, settings_or_exit
from gateway.cli_e2b import e2b_app
from gateway.cli_exports import register_export
from gateway.cli_submissions import submissions_app
from gateway.cli_triage import triage_app
from gateway.cli_users import tokens_app, users_app
from gateway.errors import ConfigurationError, GatewayError
from gateway.logs import configure_logging
from gateway.settings import Settings

app = typer.Typer(
    help="icsr-gateway: ICSR intake, follow-up, E2B submission and ACK routing.",
    no_args_is_help=True,
)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead letters: list and replay.", no_args_is_help=True)
db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(dlq_app, name="dlq")
app.add_typer(db_app, name="db")
app.add_typer(e2b_app, name="e2b")
app.add_typer(submissions_app, name="submissions")
app.add_typer(triage_app, name="triage")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(cases_app, name="case")
register_export(cases_app)

err = Console(stderr=True)
out = Console()


def _fail(exc: GatewayError) -> typer.Exit:
    """One plain line on stderr (no wrapping): easy to read, easy to grep in a service log."""
    kind = "configuration error" if isinstance(exc, ConfigurationError) else "error"
    typer.echo(f"icsr-gateway: {kind}: {exc}", err=True)
    return typer.Exit(2)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"icsr-gateway {__version__}")


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate the configuration and print the effective values (secrets masked)."""
    settings = settings_or_exit(config)
    table = Table("setting", "value", title="effective configuration")
    for key, value in settings.masked().items():
        table.add_row(key, json.dumps(value) if not isinstance(value, str) else value)
    out.print(table)
    out.print("[green]configuration is valid[/green]")


@config_app.command("reference")
def config_reference() -> None:
    """Print the configuration reference (every setting, its default and meaning) as Markdown."""
    from gateway.settings_doc import reference_table

    typer.echo(reference_table())


@config_app.command("example")
def config_example() -> None:
    """Print a TOML configuration file with every setting and its default."""
    from gateway.settings_doc import example_toml

    typer.echo(example_toml(), nl=False)


@app.command()
def run(config: ConfigOption = None) -> None:
    """Start the gateway: broker (embedded unless ICSR_KAFKA_BOOTSTRAP), consumers, relay, HTTP."""
    settings = settings_or_exit(config)
    configure_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(_serve(settings))
    except GatewayError as exc:
        raise _fail(exc) from None


@app.command()
def demo(
    config: ConfigOption = None,
    exit_after: Annotated[
        bool, typer.Option("--exit", help="Stop the gateway when the demo report is through.")
    ] = False,
) -> None:
    """Start the gateway and take one invented report through its whole life, showing every
    step: intake, follow-up and the reporter's reply, E2B submission and the regulator's ACK.

    Settings left unset are chosen for the demo: the example catalogue and the invented test
    dictionary shipped in the repository (their codes are not MedDRA's), a EudraVigilance-like
    folder destination under the data dir answered by the built-in regulator simulator, and
    submission after quality check (the demo plays the case processor).
    """
    from gateway.demo_data import demo_settings

    chosen = demo_settings(settings_or_exit(config), Path(__file__).resolve().parents[1])
    settings = chosen.settings
    for note in chosen.notes:
        err.print(f"[dim]{note}[/dim]", highlight=False)
    configure_logging("WARNING", settings.log_format)
    try:
        asyncio.run(_serve(settings, demo=True, exit_after_demo=exit_after))
    except GatewayError as exc:
        raise _fail(exc) from None


async def _serve(settings: Settings, *, demo: bool = False, exit_after_demo: bool = False) -> None:
    from gateway.service import Gateway

    gateway = Gateway(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await gateway.start()
        err.print(f"[green]icsr-gateway ready[/green] on {gateway.http_url} (Ctrl-C to stop)")
        if demo:
            from gateway.demo import run_demo

            await run_demo(gateway, out)
            if exit_after_demo:
                return
            err.print("\nThe gateway keeps running; Ctrl-C stops it.")
        failed = asyncio.create_task(gateway.wait_failed())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({failed, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if failed.done() and failed.exception() is not None:
            raise failed.exception()  # type: ignore[misc]
        failed.cancel()
    finally:
        await gateway.stop()


@app.command(hidden=True)
def consume(config: ConfigOption = None) -> None:
    """Run only the consumers (an extra consumer process started by `run`)."""
    settings = settings_or_exit(config)
    configure_logging(settings.log_level, settings.log_format)
    if settings.kafka_bootstrap is None:
        typer.echo(
            "icsr-gateway: configuration error: ICSR_KAFKA_BOOTSTRAP: required for `consume`",
            err=True,
        )
        raise typer.Exit(2)
    try:
        asyncio.run(_consume(settings))
    except GatewayError as exc:
        raise _fail(exc) from None


async def _consume(settings: Settings) -> None:
    from consumers.runner import ConsumerRunner
    from gateway.bootstrap import build_components

    comp = build_components(settings)
    assert settings.kafka_bootstrap is not None
    runners = [
        ConsumerRunner(
            spec, comp.runner_config(settings.kafka_bootstrap, spec.name), comp.store, comp.codec
        )
        for spec in comp.consumer_specs()
    ]

    def stop_all() -> None:
        for runner in runners:
            runner.stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop_all)
    try:
        await asyncio.gather(*(r.run() for r in runners))
    finally:
        comp.store.dispose()


@app.command()
def broker(
    port: Annotated[int, typer.Option(help="Port to listen on (0: a free one).")] = 9092,
    config: ConfigOption = None,
) -> None:
    """Run the embedded Kafka-compatible broker alone, in the foreground."""
    from gateway.kafka.embedded import EmbeddedBroker, free_port

    settings = settings_or_exit(config)

    async def main() -> None:
        b = EmbeddedBroker(
            settings.data_dir / "broker", settings.broker_binary, port or free_port()
        )
        await b.start(settings.broker_start_timeout_s)
        out.print(f"broker listening on {b.bootstrap} (memory storage; Ctrl-C to stop)")
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await stop.wait()
        b.stop()

    try:
        asyncio.run(main())
    except GatewayError as exc:
        raise _fail(exc) from None


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply the store's migrations."""
    from gateway.store.engine import build_engine
    from gateway.store.migrate import current_revision, upgrade

    settings = settings_or_exit(config)
    engine = build_engine(settings.effective_database_url)
    upgrade(engine)
    out.print(f"store at revision {current_revision(engine)}")


@dlq_app.command("list")
def dlq_list(config: ConfigOption = None, consumer: str | None = None) -> None:
    """List dead letters waiting for a decision."""
    from gateway.bootstrap import build_components
    from gateway.store import dead_letters

    comp = build_components(settings_or_exit(config))
    comp.migrate()
    letters = comp.store.run_sync(dead_letters.list_letters, dead_letters.PENDING, consumer)
    table = Table("id", "consumer", "topic", "offset", "attempts", "failed at", "error")
    for d in letters:
        table.add_row(
            d.id,
            d.consumer,
            d.original_topic,
            str(d.original_offset),
            str(d.attempts),
            d.failed_at.isoformat(timespec="seconds"),
            f"{d.error_type}: {d.error_message[:80]}",
        )
    out.print(table)
    out.print(f"{len(letters)} pending dead letter(s)")


@dlq_app.command("replay")
def dlq_replay(
    config: ConfigOption = None,
    consumer: Annotated[str | None, typer.Option(help="Only this consumer's dead letters.")] = None,
    letter_id: Annotated[
        list[str] | None, typer.Option("--id", help="Only these dead letters.")
    ] = None,
) -> None:
    """Put dead letters back on their original topic (through the outbox)."""
    from gateway.bootstrap import build_components
    from producers.replay import replay_dead_letters

    comp = build_components(settings_or_exit(config))
    comp.migrate()
    try:
        n = comp.store.run_sync(replay_dead_letters, consumer, letter_id or None)
    except GatewayError as exc:
        raise _fail(exc) from None
    out.print(
        f"{n} dead letter(s) put back in the outbox; the running gateway publishes them "
        "(or the next one to start)"
    )


@app.command()
def regulator(
    inbox: Annotated[
        Path,
        typer.Option(help="Where E2B files arrive (a destination's outbox_dir in the gateway)."),
    ],
    outbox: Annotated[
        Path, typer.Option(help="Where ACKs are written (the destination's inbox_dir).")
    ],
    profile: Annotated[str, typer.Option(help="Business rules applied: ich, ema or fda.")] = "ich",
    delay: Annotated[
        float, typer.Option(help="Answer a file once it is this many seconds old.", min=0)
    ] = 0.0,
    reject_rate: Annotated[
        float,
        typer.Option(help="Share of valid ICSRs rejected anyway (CR), 0 to 1.", min=0, max=1),
    ] = 0.0,
    seed: Annotated[int | None, typer.Option(help="Seed for --reject-rate.")] = None,
    schemas: Annotated[
        Path | None,
        typer.Option(help="ICH E2B(R3) schema folder: files are XSD-validated when given."),
    ] = None,
    r2_dtd: Annotated[
        Path | None, typer.Option("--r2-dtd", help="ICH icsr21xml.dtd for E2B(R2) files.")
    ] = None,
    receiver_id: Annotated[
        str | None,
        typer.Option(help="Answer only as this receiver (N.1.4); default: the addressee."),
    ] = None,
    poll: Annotated[float, typer.Option(help="Seconds between inbox scans.", min=0.01)] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Process what is there and exit.")] = False,
) -> None:
    """Simulate a regulator: answer E2B files in --inbox with ACKs in --outbox."""
    from gateway.regulator import RegulatorSimulator, serve
    from schemas.e2b_rules import Profile

    if profile.lower() not in {p.value for p in Profile}:
        typer.echo(
            f"icsr-gateway: --profile must be one of ich, ema, fda, not {profile!r}", err=True
        )
        raise typer.Exit(2)
    try:
        simulator = RegulatorSimulator(
            inbox,
            outbox,
            profile=profile.lower(),
            receiver_id=receiver_id,
            schemas_dir=schemas,
            r2_dtd=r2_dtd,
            delay_s=delay,
            reject_rate=reject_rate,
            seed=seed,
        )
    except ValueError as exc:
        typer.echo(f"icsr-gateway: {exc}", err=True)
        raise typer.Exit(2) from None
    configure_logging("WARNING", "auto")  # the one line per file is the output
    if not once:
        err.print(f"regulator simulator ({profile}) watching {inbox} (Ctrl-C to stop)")
    serve(
        simulator,
        poll_s=poll,
        once=once,
        out=typer.echo,
        err=lambda line: typer.echo(line, err=True),
    )


def main() -> None:  # pragma: no cover
    with contextlib.suppress(KeyboardInterrupt):
        app()
    sys.exit(0)

"""The running gateway: broker (when embedded), store, outbox relay, consumers and HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn

from channels.email_in import MailListener
from channels.folder_in import FolderWatcher
from channels.regulator_transport.ack_inbox import AckInboxWatcher
from consumers.runner import ConsumerRunner
from gateway.api.acks import acks_router
from gateway.api.app import create_app
from gateway.api.icsr import CaseApiContext
from gateway.bootstrap import Components, build_components
from gateway.clock import utcnow
from gateway.errors import ConfigurationError, GatewayError
from gateway.kafka.admin import ensure_topics
from gateway.kafka.embedded import EmbeddedBroker
from gateway.logs import get_logger
from gateway.settings import Settings
from gateway.workers import ConsumerWorkers
from producers.dispatcher import Dispatcher
from producers.followup_ticker import FollowUpTicker
from producers.outbox_relay import OutboxRelay
from producers.publisher import EventPublisher
from schemas.topics import Topic

log = get_logger(__name__)


def bind_http_socket(host: str, port: int) -> socket.socket:
    """Bind the HTTP port ourselves so a port in use stops the start with a clear line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigurationError(
                "ICSR_HTTP_PORT",
                f"{host}:{port} is already in use; stop what holds it or choose another port",
            ) from None
        raise ConfigurationError(
            "ICSR_HTTP_HOST", f"cannot listen on {host}:{port}: {exc.strerror}"
        ) from None
    sock.listen(128)
    sock.set_inheritable(False)
    return sock


class Gateway:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.broker: EmbeddedBroker | None = None
        self.bootstrap_servers: str | None = None
        self.components: Components | None = None
        self.publisher: EventPublisher | None = None
        self.relay: OutboxRelay | None = None
        self.runners: list[ConsumerRunner] = []
        self.followup_ticker: FollowUpTicker | None = None
        self.workers: ConsumerWorkers | None = None
        self.http_url: str | None = None
        self.mail_listeners: list[MailListener] = []
        self.folder_watcher: FolderWatcher | None = None
        self._folder_task: asyncio.Task[None] | None = None
        self.dispatcher: Dispatcher | None = None
        self.ack_inbox: AckInboxWatcher | None = None
        self._ack_inbox_task: asyncio.Task[None] | None = None
        self._server: uvicorn.Server | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._started = False

    @property
    def runtime_file(self) -> Path:
        return self.settings.data_dir / "runtime.json"

    async def start(self) -> None:
        s = self.settings
        sock = bind_http_socket(s.http_host, s.http_port)  # first: fail fast on a taken port
        s.data_dir.mkdir(parents=True, exist_ok=True)
        self.components = comp = build_components(s)
        self.mail_listeners = comp.mail_listeners()
        try:
            for listener in self.mail_listeners:  # fail fast on a taken port, like HTTP
                listener.bind()
        except ConfigurationError:
            sock.close()
            raise
        comp.migrate()
        if s.embedded_broker:
            self.broker = EmbeddedBroker(s.data_dir / "broker", binary=s.broker_binary)
            await self.broker.start(timeout=s.broker_start_timeout_s)
            self.bootstrap_servers = self.broker.bootstrap
        else:
            self.bootstrap_servers = s.kafka_bootstrap
        assert self.bootstrap_servers is not None
        await ensure_topics(
            self.bootstrap_servers,
            [s.topic(t) for t in Topic],
            s.kafka_partitions,
            s.kafka_replication_factor,
        )
        self.publisher = EventPublisher(
            self.bootstrap_servers, request_timeout_ms=s.kafka_request_timeout_ms
        )
        await self.publisher.start()
        self.relay = OutboxRelay(
            comp.store, self.publisher, s.outbox_batch_size, s.outbox_poll_interval_s
        )
        comp.acceptor_wake = self.relay.wake
        # At start everything unfinished goes back on its topic: the broker may be new.
        await comp.store.run(comp.reconciler.reenqueue_unfinished, utcnow(), timedelta(0))
        specs = comp.consumer_specs()
        if self.broker is not None:
            # The embedded broker keeps nothing across restarts: events published to the
            # previous one that a consumer never handled are published again.
            consumers: dict[str, list[str]] = {}
            for spec in specs:
                consumers.setdefault(spec.topic, []).append(spec.name)
            await comp.store.run(
                comp.reconciler.republish_unconsumed,
                consumers,
                utcnow() - timedelta(seconds=s.reconcile_republish_window_s),
            )
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        for spec in specs:
            runner = ConsumerRunner(
                spec,
                comp.runner_config(self.bootstrap_servers, spec.name),
                comp.store,
                comp.codec,
                on_emitted=self.relay.wake,
            )
            self.runners.append(runner)
            self._tasks.append(asyncio.create_task(runner.run(), name=f"consumer-{spec.name}"))
        if s.consumer_processes > 1:
            if comp.store.dialect == "sqlite":
                log.warning(
                    "extra consumer processes share SQLite's single writer: intake was "
                    "measured slower than with one process; PostgreSQL lets them scale",
                    consumer_processes=s.consumer_processes,
                )
            self.workers = ConsumerWorkers(
                s.consumer_processes - 1, self.bootstrap_servers, s.data_dir / "workers"
            )
            self.workers.start()
            self._tasks.append(asyncio.create_task(self.workers.supervise(), name="workers"))
        self._tasks.append(asyncio.create_task(self._reconcile_periodically(), name="reconcile"))
        self.followup_ticker = comp.followup_ticker()
        self._tasks.append(asyncio.create_task(self.followup_ticker.run(), name="followup-ticker"))
        await self._start_dispatcher()
        await self._start_channels()
        await self._start_http(sock)
        self._write_runtime_file()
        self._started = True
        log.info(
            "gateway started",
            http=self.http_url,
            bootstrap=self.bootstrap_servers,
            embedded_broker=s.embedded_broker,
            store=comp.store.dialect,
        )

    async def _start_channels(self) -> None:
        """Inbound listeners: only now, with the store migrated and the relay running."""
        assert self.components is not None
        for listener in self.mail_listeners:
            await listener.start()
        self.folder_watcher = self.components.folder_watcher()
        if self.folder_watcher is not None:
            self._folder_task = asyncio.create_task(self.folder_watcher.run(), name="intake-folder")
            self._tasks.append(self._folder_task)
        self.ack_inbox = self.components.submissions.ack_inbox_watcher(self.dispatcher)
        if self.ack_inbox is not None:
            self._ack_inbox_task = asyncio.create_task(self.ack_inbox.run(), name="ack-inbox")
            self._tasks.append(self._ack_inbox_task)

    async def _start_dispatcher(self) -> None:
        """Regulatory submission: ACKs stored but not yet routed go back on their topic (the
        broker may be new), then the dispatcher starts sending what is due."""
        assert self.components is not None
        assert self.relay is not None
        wiring = self.components.submissions
        if not wiring.enabled:
            return
        wiring.wake_relay = self.relay.wake
        now = utcnow()
        await self.components.store.run(wiring.ack_acceptor().reenqueue_unrouted, now, now)
        self.dispatcher = wiring.dispatcher()
        if self.dispatcher is not None:
            self._tasks.append(asyncio.create_task(self.dispatcher.run(), name="dispatcher"))

    async def _stop_channels(self) -> None:
        """First on the way down: nothing is accepted that could no longer be stored."""
        for listener in self.mail_listeners:
            await listener.stop()
        if self._folder_task is not None and not self._folder_task.done():
            self._folder_task.cancel()
            await asyncio.gather(self._folder_task, return_exceptions=True)
        if self._ack_inbox_task is not None and not self._ack_inbox_task.done():
            self._ack_inbox_task.cancel()
            await asyncio.gather(self._ack_inbox_task, return_exceptions=True)

    def _listener_port(self, kind: str) -> int | None:
        for listener in self.mail_listeners:
            if listener.kind == kind:
                return listener.port
        return None

    @property
    def smtp_port(self) -> int | None:
        return self._listener_port("smtp")

    @property
    def lmtp_port(self) -> int | None:
        return self._listener_port("lmtp")

    async def _start_http(self, sock: socket.socket) -> None:
        assert self.components is not None
        app = create_app(
            self.readiness,
            acceptor=self.components.http_acceptor(),
            settings=self.settings,
            store=self.components.store,
            destinations=[d.id for d in self.components.submissions.destinations if d.enabled],
            case_api=CaseApiContext.from_components(self.components, self._wake_relay),
        )
        if self.components.submissions.enabled:
            wiring = self.components.submissions
            app.include_router(
                acks_router(wiring.ack_acceptor(), self.settings.submission_ack_max_bytes)
            )
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._tasks.append(asyncio.create_task(self._server.serve(sockets=[sock]), name="http"))
        host, port = sock.getsockname()[:2]
        self.http_url = f"http://{host}:{port}"
        while not self._server.started:  # noqa: ASYNC110 - uvicorn exposes only a flag
            await asyncio.sleep(0.01)

    def _wake_relay(self) -> None:
        """After the case API wrote events: publish them now rather than at the next poll."""
        if self.relay is not None:
            self.relay.wake()

    def _write_runtime_file(self) -> None:
        self.runtime_file.write_text(
            json.dumps(
                {
                    "http_url": self.http_url,
                    "bootstrap": self.bootstrap_servers,
                    "smtp_port": self.smtp_port,
                    "lmtp_port": self.lmtp_port,
                }
            ),
            encoding="utf-8",
        )

    async def _reconcile_periodically(self) -> None:
        assert self.components is not None
        assert self.relay is not None
        comp = self.components
        while True:
            await asyncio.sleep(self.settings.reconcile_interval_s)
            try:
                n = await comp.store.run(
                    comp.reconciler.reenqueue_unfinished,
                    utcnow(),
                    timedelta(seconds=self.settings.reconcile_grace_s),
                )
            except GatewayError as exc:
                log.warning("reconciliation failed; will try again", error=str(exc))
                continue
            if n:
                self.relay.wake()

    async def readiness(self) -> dict[str, bool]:
        store_ok = bool(self.components) and await asyncio.to_thread(self.components.store.ping)  # type: ignore[union-attr]
        broker_ok = bool(self.publisher) and await self.publisher.broker_answers()  # type: ignore[union-attr]
        consumers_ok = bool(self.runners) and all(r.started.is_set() for r in self.runners)
        if self.workers is not None:
            consumers_ok = consumers_ok and self.workers.alive
        checks = {"store": store_ok, "broker": broker_ok, "consumers": consumers_ok}
        for listener in self.mail_listeners:  # each configured mail listener must be serving
            checks[listener.kind] = listener.serving
        if self.settings.intake_folder is not None:
            checks["intake_folder"] = self._folder_task is not None and not self._folder_task.done()
        return checks

    async def wait_failed(self) -> None:
        """Return when a background task dies: the gateway must not limp on without it."""
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def stop(self) -> None:
        """Graceful: stop fetching, finish and commit the batch in hand, flush the outbox."""
        await self._stop_channels()
        for runner in self.runners:
            runner.stop()
        if self.workers is not None:
            await self.workers.stop()
        consumer_tasks = [t for t in self._tasks if t.get_name().startswith("consumer-")]
        if consumer_tasks:
            await asyncio.wait(consumer_tasks, timeout=15)
        if self.relay is not None:
            with contextlib.suppress(GatewayError, TimeoutError):
                await self.relay.drain(timeout=5)
            self.relay.stop()
        if self._server is not None:
            self._server.should_exit = True
        for task in self._tasks:
            if not task.done() and not task.get_name().startswith(("http", "consumer-")):
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.publisher is not None:
            await self.publisher.stop()
        if self.broker is not None:
            self.broker.stop()
        if self.components is not None:
            self.components.store.dispose()
        with contextlib.suppress(FileNotFoundError):
            self.runtime_file.unlink()
        if self._started:
            log.info("gateway stopped")

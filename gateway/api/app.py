"""The HTTP application: health, and the channel endpoints when an acceptor is given."""

from __future__ import annotations

from fastapi import FastAPI

from channels.acceptance import InboundAcceptor
from gateway import __version__
from gateway.api.health import ReadinessCheck, health_router
from gateway.api.intake import intake_router
from gateway.api.twilio import twilio_router
from gateway.settings import Settings


def create_app(
    readiness: ReadinessCheck,
    *,
    acceptor: InboundAcceptor | None = None,
    settings: Settings | None = None,
) -> FastAPI:
    app = FastAPI(title="icsr-gateway", version=__version__)
    app.include_router(health_router(readiness))
    if acceptor is not None and settings is not None:
        app.include_router(twilio_router(acceptor, settings))
        app.include_router(intake_router(acceptor, settings))
    return app

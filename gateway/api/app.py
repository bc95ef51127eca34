"""The HTTP application: health now; webhooks and the case API mount here."""

from __future__ import annotations

from fastapi import FastAPI

from gateway import __version__
from gateway.api.health import ReadinessCheck, health_router


def create_app(readiness: ReadinessCheck) -> FastAPI:
    app = FastAPI(title="icsr-gateway", version=__version__)
    app.include_router(health_router(readiness))
    return app

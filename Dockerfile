# icsr-gateway container image.
#
#   docker build -t icsr-gateway .
#   docker run --rm -p 8080:8080 icsr-gateway          # embedded broker + SQLite in the volume
#
# Production wiring (Kafka, PostgreSQL) is done with ICSR_* environment variables; see
# docker-compose.yml and the configuration reference in README.md.

# -- build stage: install the project and its dependencies into a virtual environment
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Only what the package build needs (pyproject.toml names README.md as the readme).
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY consumers ./consumers
COPY producers ./producers
COPY channels ./channels
COPY schemas ./schemas
RUN pip install --upgrade pip && pip install .

# -- runtime stage: the virtual environment only, run as a non-root user
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ICSR_DATA_DIR=/var/lib/icsr-gateway \
    ICSR_HTTP_HOST=0.0.0.0 \
    ICSR_HTTP_PORT=8080

RUN groupadd --system --gid 10001 icsr \
    && useradd --system --uid 10001 --gid icsr --home-dir /var/lib/icsr-gateway --no-create-home icsr \
    && mkdir -p /var/lib/icsr-gateway \
    && chown icsr:icsr /var/lib/icsr-gateway

COPY --from=build /opt/venv /opt/venv

USER icsr
WORKDIR /var/lib/icsr-gateway
VOLUME ["/var/lib/icsr-gateway"]
EXPOSE 8080

# /readyz answers 200 only when the store and the broker answer and the consumers run.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('ICSR_HTTP_PORT', '8080'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=4).status == 200 else 1)"]

# Exec form: the gateway is PID 1 and receives SIGTERM for its graceful stop.
CMD ["icsr-gateway", "run"]

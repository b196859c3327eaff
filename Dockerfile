# syntax=docker/dockerfile:1
# One image for every orderflow process; docker-compose.yml picks the command
# (`orderflow producer`, `orderflow worker --name ...`, `orderflow status-api`, ...).
#
#   docker build -t orderflow:local .
#   docker run --rm orderflow:local              # prints `orderflow --help`

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------
# Build stage: resolve the locked dependencies into /app/.venv.
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

# Same uv as the project's development environment (`uv --version`).
ARG UV_VERSION=0.13.8
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

# Compile .pyc at build time (faster start), copy out of the cache mount instead of
# hard-linking, and never download a Python: use the image's own 3.11.
# NO_CYTHON: on platforms without a faust-streaming wheel (linux/arm64) build it
# from the sdist as pure Python instead of needing a C compiler.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    NO_CYTHON=1

WORKDIR /app

# Dependencies first: this layer is rebuilt only when pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# Then the project itself, installed as a regular (non-editable) package so the
# runtime stage needs only the virtual environment, not the source tree.
COPY README.md ./
COPY orders ./orders
COPY producer ./producer
COPY stream_processors ./stream_processors
COPY status_api ./status_api
COPY orderflow ./orderflow
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# ---------------------------------------------------------------------------
# Runtime stage: the Python base image plus the virtual environment. No uv, no pip
# cache, no build tools, no source checkout.
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG APP_UID=10001
RUN groupadd --system --gid "${APP_UID}" orderflow \
    && useradd --system --uid "${APP_UID}" --gid orderflow \
        --home-dir /home/orderflow --create-home --shell /usr/sbin/nologin orderflow \
    && install -d -o orderflow -g orderflow /var/lib/orderflow

# The venv's scripts point at /app/.venv/bin/python, so it must keep this path.
COPY --from=builder /app/.venv /app/.venv

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ORDERFLOW_WORKER_DATA_DIR=/var/lib/orderflow/faust

WORKDIR /home/orderflow
USER orderflow

CMD ["orderflow", "--help"]

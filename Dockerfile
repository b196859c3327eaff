# One image for every orderflow process; docker-compose.yml picks the command
# (`orderflow producer`, `orderflow worker --name ...`, `orderflow status-api`, ...).
#
#   docker build -t orderflow:local .
#   docker build --build-arg PYTHON_IMAGE=orderflow-python:3.11 -t orderflow:local .   # no registry
#   docker run --rm orderflow:local              # prints `orderflow --help`

# The Python base of both stages. Where no image registry can be reached, a local stand-in
# made by scripts/docker-images.sh: --build-arg PYTHON_IMAGE=orderflow-python:3.11.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------
# Build stage: resolve the locked dependencies into /app/.venv.
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
# Both stages carry the label, so superseded builds can be found and pruned
# (`docker image prune --filter label=io.orderflow.image`; the compose tests do).
LABEL io.orderflow.image="builder"

# Compile .pyc at build time (faster start), keep no uv cache in the layers (BuildKit cache
# mounts would need BuildKit; this file builds with the classic builder too, which is what
# Compose uses where buildx is missing), and never download a Python: use the image's own 3.11.
# NO_CYTHON: on platforms without a faust-streaming wheel (linux/arm64) build it
# from the sdist as pure Python instead of needing a C compiler.
# SSL_CERT_FILE, PIP_CERT: uv and pip trust the image's CA store (with any site CA the base image added).
ENV UV_COMPILE_BYTECODE=1 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    NO_CYTHON=1

# Same uv as the project's development environment (`uv --version`), in a venv of its own:
# Debian's Python refuses system-wide pip installs (PEP 668).
ARG UV_VERSION=0.13.8
RUN python -m venv /opt/uv \
    && /opt/uv/bin/pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"
ENV PATH=/opt/uv/bin:$PATH

WORKDIR /app

# Dependencies first: this layer is rebuilt only when pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# Then the project itself, installed as a regular (non-editable) package so the
# runtime stage needs only the virtual environment, not the source tree.
COPY README.md ./
COPY orders ./orders
COPY producer ./producer
COPY stream_processors ./stream_processors
COPY status_api ./status_api
COPY orderflow ./orderflow
RUN uv sync --frozen --no-dev --no-editable

# ---------------------------------------------------------------------------
# Runtime stage: the Python base image plus the virtual environment. No uv, no pip
# cache, no build tools, no source checkout.
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL io.orderflow.image="app"

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

# Role-aware: the front door and the status API on /readyz, a worker on /metrics when its
# metrics port is set (orderflow/healthcheck.py).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
    CMD ["python", "-m", "orderflow.healthcheck"]

CMD ["orderflow", "--help"]

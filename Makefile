# orderflow: `make demo` runs the system, `make test` runs every check. Both set up what they need.
SHELL := /bin/bash
UV := uv
PYTEST_ARGS ?=

.PHONY: setup deps kafka-libs redis-server chromium docker docker-images lint test unit integration e2e demo dev bench clean

setup: deps kafka-libs redis-server chromium  ## everything a fresh machine needs

deps:
	@scripts/setup-uv.sh
	@$(UV) sync --frozen --quiet

kafka-libs:
	@scripts/setup-kafka.sh

redis-server:
	@scripts/setup-redis.sh

chromium:  ## headless browser for the board test (tests/e2e/test_board.py)
	@scripts/setup-chromium.sh

# A Docker engine (started here when root and none answers) and the local images; where
# Docker cannot run, one line says so and the tests use local Kafka and Redis processes.
docker: kafka-libs
	@scripts/setup-docker.sh

docker-images: kafka-libs  ## the local base, Python, Kafka and Redis images (no registry needed)
	@scripts/docker-images.sh

lint: deps
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

# One pytest run: the session's Kafka and Redis are started once for all suites.
test: setup lint docker
	$(UV) run pytest tests $(PYTEST_ARGS)

unit: deps
	$(UV) run pytest tests/unit $(PYTEST_ARGS)

integration: setup docker
	$(UV) run pytest tests/integration $(PYTEST_ARGS)

e2e: setup docker
	$(UV) run pytest tests/e2e $(PYTEST_ARGS)

demo: setup
	$(UV) run orderflow demo

dev: setup
	$(UV) run orderflow dev

bench: setup
	$(UV) run orderflow bench --local --orders 1000 --concurrency 32

clean:
	rm -rf .cache .venv .mypy_cache .ruff_cache .pytest_cache

.PHONY: schemas
schemas: deps  ## write contracts/schemas from the event models, then check them (README: Schema evolution)
	$(UV) run orderflow schema export
	$(UV) run orderflow schema check

"""docker-compose.yml stays in step with the code: real commands, real settings, scalable workers.

Static checks only (no Docker needed): the file is parsed with PyYAML.
"""

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from orderflow.cli import main
from orders.settings import Settings

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
ENV_PREFIX = "ORDERFLOW_"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    # safe_load resolves the `<<: *anchor` merge keys the file uses.
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose["services"]
    return services


def _app_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The services that run the orderflow image (built from the Dockerfile)."""
    return {name: svc for name, svc in services.items() if "build" in svc}


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- KEY=value` form
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: str(value) for key, value in env.items()}


def _orderflow_invocations(command: str | list[str]) -> list[list[str]]:
    """Each `orderflow ...` call in a command, including inside `sh -c "a && b"`."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[:2] == ["sh", "-c"]:
        calls = [shlex.split(part) for part in argv[2].split("&&")]
    else:
        calls = [argv]
    return [call[1:] for call in calls if call and call[0] == "orderflow"]


def _resolves(group: click.Group, args: list[str]) -> bool:
    """Whether args name an existing (sub)command of the CLI, e.g. ["stock", "set", ...]."""
    command = group.commands.get(args[0]) if args else None
    if isinstance(command, click.Group):
        return _resolves(command, args[1:])
    return command is not None


def test_image_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert {"topics", "producer", "worker", "status-api", "seed"} <= set(_app_services(services))


def test_every_image_service_runs_a_real_cli_command(services: dict[str, dict[str, Any]]) -> None:
    for name, service in _app_services(services).items():
        calls = _orderflow_invocations(service["command"])
        assert calls, f"{name}: command does not run orderflow: {service['command']!r}"
        for args in calls:
            assert _resolves(main, args), f"{name}: `orderflow {' '.join(args)}` is not a command"


def _variable_default(value: str) -> tuple[str, str]:
    """`${NAME:-default}` -> (NAME, default)."""
    match = re.fullmatch(r"\$\{(\w+):-([^}]+)\}", value)
    assert match, f"{value!r} is not a ${{VARIABLE:-default}}"
    return match[1], match[2]


@pytest.mark.parametrize(
    ("service", "variable", "public_image"),
    [("kafka", "KAFKA_IMAGE", "apache/kafka"), ("redis", "REDIS_IMAGE", "redis")],
)
def test_server_images_are_public_by_default_and_replaceable(
    services: dict[str, dict[str, Any]], service: str, variable: str, public_image: str
) -> None:
    name, default = _variable_default(services[service]["image"])
    assert name == variable
    assert default.partition(":")[0] == public_image


def test_app_python_base_is_public_by_default_and_replaceable(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in _app_services(services).items():
        variable, default = _variable_default(service["build"]["args"]["PYTHON_IMAGE"])
        assert (variable, default.partition(":")[0]) == ("PYTHON_IMAGE", "python"), name


def test_ports_are_published_on_loopback(services: dict[str, dict[str, Any]]) -> None:
    published = [port for svc in services.values() for port in svc.get("ports", [])]
    assert published
    assert all(str(port).startswith("127.0.0.1:") for port in published), published


def test_kafka_is_3_9_with_auto_create_off(services: dict[str, dict[str, Any]]) -> None:
    kafka = services["kafka"]
    image, _, tag = _variable_default(kafka["image"])[1].partition(":")
    assert image == "apache/kafka"
    assert tag.startswith("3.9."), tag
    assert _environment(kafka)["KAFKA_AUTO_CREATE_TOPICS_ENABLE"].lower() == "false"


def test_orderflow_variables_are_settings_fields(compose: dict[str, Any]) -> None:
    fields = set(Settings.model_fields)
    used: set[str] = set()
    for service in compose["services"].values():
        used |= {key for key in _environment(service) if key.startswith(ENV_PREFIX)}
    for key, value in compose.items():
        if key.startswith("x-") and isinstance(value, dict):  # the shared anchors
            used |= {k for k in value if isinstance(k, str) and k.startswith(ENV_PREFIX)}
    assert used, "no ORDERFLOW_* variables found"
    unknown = sorted(key for key in used if key.removeprefix(ENV_PREFIX).lower() not in fields)
    assert not unknown, f"not fields of orders.settings.Settings: {unknown}"


@pytest.mark.parametrize("name", ["producer", "worker", "status-api", "kafka", "redis"])
def test_has_healthcheck(services: dict[str, dict[str, Any]], name: str) -> None:
    healthcheck = services[name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False)
    assert healthcheck.get("test"), f"{name}: healthcheck without a test"


def test_servers_listen_on_all_interfaces(services: dict[str, dict[str, Any]]) -> None:
    assert _environment(services["producer"])["ORDERFLOW_PRODUCER_HOST"] == "0.0.0.0"
    assert _environment(services["status-api"])["ORDERFLOW_STATUS_API_HOST"] == "0.0.0.0"


def test_topics_are_created_before_they_are_used(services: dict[str, dict[str, Any]]) -> None:
    for name in ("producer", "worker", "seed"):
        depends_on = services[name]["depends_on"]
        assert depends_on["topics"]["condition"] == "service_completed_successfully", name
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_worker_can_scale(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]
    assert "container_name" not in worker
    assert not worker.get("ports"), "host ports would clash with --scale worker=N"


CLUSTER_ENV = COMPOSE_FILE.parent / "compose" / "cluster.env"
KAFKA_NODES = ("kafka", "kafka-2", "kafka-3")


def _env_file(path: Path) -> dict[str, str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's `${NAME:-default}`, enough for this file."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: variables.get(m[1], m[2]), value)


def test_cluster_profile_adds_two_nodes_only(services: dict[str, dict[str, Any]]) -> None:
    assert "profiles" not in services["kafka"]
    for name in KAFKA_NODES[1:]:
        assert services[name]["profiles"] == ["cluster"], name
        assert services[name]["image"] == services["kafka"]["image"]
        assert services[name]["healthcheck"] == services["kafka"]["healthcheck"]
    volumes = {tuple(services[name]["volumes"]) for name in KAFKA_NODES}
    assert len(volumes) == 3, "each node needs its own data volume"


@pytest.mark.parametrize("variables", [{}, _env_file(CLUSTER_ENV)], ids=["single", "cluster"])
def test_quorum_and_bootstrap_name_the_running_nodes(
    services: dict[str, dict[str, Any]], variables: dict[str, str]
) -> None:
    active = [n for n in KAFKA_NODES if not services[n].get("profiles")
              or "cluster" in variables.get("COMPOSE_PROFILES", "").split(",")]  # fmt: skip
    envs = {n: {k: _interpolate(v, variables) for k, v in _environment(services[n]).items()}
            for n in active}  # fmt: skip
    ids = {n: env["KAFKA_NODE_ID"] for n, env in envs.items()}
    assert len(set(ids.values())) == len(active)
    voters = {f"{ids[n]}@{n}:9093" for n in active}
    for name, env in envs.items():
        assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters, name
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert env["CLUSTER_ID"] == envs["kafka"]["CLUSTER_ID"]
    app = {k: _interpolate(v, variables) for k, v in _environment(services["worker"]).items()}
    bootstrap = set(app["ORDERFLOW_KAFKA_BOOTSTRAP_SERVERS"].split(","))
    assert bootstrap == {f"{n}:9092" for n in active}


@pytest.mark.parametrize("variables", [{}, _env_file(CLUSTER_ENV)], ids=["single", "cluster"])
def test_replication_follows_the_node_count(
    services: dict[str, dict[str, Any]], variables: dict[str, str]
) -> None:
    nodes = 3 if "cluster" in variables.get("COMPOSE_PROFILES", "") else 1
    kafka = {k: _interpolate(v, variables) for k, v in _environment(services["kafka"]).items()}
    app = {k: _interpolate(v, variables) for k, v in _environment(services["worker"]).items()}
    replicas, min_isr = str(nodes), str(nodes - 1 if nodes >= 3 else 1)
    for key in ("DEFAULT_REPLICATION_FACTOR", "OFFSETS_TOPIC_REPLICATION_FACTOR",
                "TRANSACTION_STATE_LOG_REPLICATION_FACTOR"):  # fmt: skip
        assert kafka[f"KAFKA_{key}"] == replicas, key
    assert kafka["KAFKA_MIN_INSYNC_REPLICAS"] == kafka["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"]
    assert kafka["KAFKA_MIN_INSYNC_REPLICAS"] == min_isr
    assert kafka["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
    assert (app["ORDERFLOW_REPLICATION_FACTOR"], app["ORDERFLOW_MIN_INSYNC_REPLICAS"]) == (
        replicas,
        min_isr,
    )
    settings = Settings(replication_factor=int(replicas))
    assert settings.min_isr == int(min_isr), "the default min ISR of Settings agrees"


def test_processes_wait_for_every_kafka_node(services: dict[str, dict[str, Any]]) -> None:
    for name in ("topics", "producer", "worker"):
        depends_on = services[name]["depends_on"]
        assert depends_on["kafka"]["condition"] == "service_healthy", name
        for node in KAFKA_NODES[1:]:
            assert depends_on[node] == {"condition": "service_healthy", "required": False}

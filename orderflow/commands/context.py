"""The settings a command runs with: pointed at the local stack `orderflow dev` runs (when no
ORDERFLOW_* server address is set), saying so, and failing plainly when Kafka cannot be reached
instead of waiting on a broker that is not there."""

import socket

import click

from orderflow.devstack import RunningStack, settings_for_commands, state_dir
from orders.settings import Settings

_CONNECT_TIMEOUT_S = 3.0


def command_settings(*, kafka: bool = False) -> Settings:
    """This command's settings; with `kafka`, first make sure the broker accepts connections."""
    settings, stack = settings_for_commands(Settings())
    if stack is not None:
        where = state_dir(settings)
        click.echo(f"using {stack.describe()} (found in {where})", err=True)
    if kafka:
        require_kafka(settings, stack)
    return settings


def require_kafka(settings: Settings, stack: RunningStack | None) -> None:
    """Raise a ClickException that says where Kafka was looked for, unless it answers."""
    servers = settings.kafka_bootstrap_servers
    if any(_accepts_connections(address) for address in servers.split(",")):
        return
    if stack is not None:
        source = f"announced by `orderflow dev` (pid {stack.pid})"
    elif "kafka_bootstrap_servers" in settings.model_fields_set:
        source = "from ORDERFLOW_KAFKA_BOOTSTRAP_SERVERS"
    else:
        source = "the default; no `orderflow dev` runs from this checkout"
    raise click.ClickException(
        f"cannot reach Kafka at {servers} ({source}). Start the local stack with "
        "`orderflow dev`, or set ORDERFLOW_KAFKA_BOOTSTRAP_SERVERS to a broker that runs."
    )


def _accepts_connections(address: str) -> bool:
    host, _, port = address.strip().rpartition(":")
    try:
        with socket.create_connection(
            (host.strip("[]") or "127.0.0.1", int(port)), _CONNECT_TIMEOUT_S
        ):
            return True
    except (OSError, ValueError):
        return False

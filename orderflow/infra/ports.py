"""Loopback port allocation."""

import random
import socket

# Below Linux's ephemeral range (32768-60999 by default). A port the OS hands out for bind(0)
# comes from that range, which outgoing connections (every Kafka client makes many) use too:
# one could take it between free_port() and the server's bind ("Address already in use").
_RANGE = (20000, 32000)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago, outside the ephemeral range.

    Random, so parallel test runs rarely collide; a small race remains until the server binds.
    """
    for _ in range(200):
        port = random.randrange(*_RANGE)
        if _bindable(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # crowded: let the OS pick
        sock.bind(("127.0.0.1", 0))
        chosen: int = sock.getsockname()[1]
        return chosen


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def accepts_connections(port: int, timeout: float = 0.5) -> bool:
    """True when something listens on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False

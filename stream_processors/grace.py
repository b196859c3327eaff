"""The workers' last resort: exit when the orderly stop overran its grace period."""

import os
import sys

FORCED_EXIT = 70  # EX_SOFTWARE: the orderly stop overran its grace period


def exit_overdue(grace_s: float) -> None:
    """Called by a watchdog thread `grace_s` after SIGTERM/SIGINT when the worker still runs."""
    print(f"worker did not stop within {grace_s}s of the signal; exiting", file=sys.stderr)
    sys.stderr.flush()
    os._exit(FORCED_EXIT)

"""Run a command that dies with the process that started it: `python die_with_parent.py PARENT_PID
COMMAND...` asks Linux for SIGKILL when its parent ends (PR_SET_PDEATHSIG), then becomes COMMAND
(exec keeps that request). Run by file path, so it imports nothing of orderflow.

Stack children run in sessions of their own (a terminal's Ctrl-C must not reach them twice), so
without this a `orderflow dev` killed with SIGKILL would leave Kafka, Redis and the services
running. Kept to the standard library: it starts before every child.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
EXIT_PARENT_GONE = 3


def main(argv: list[str]) -> None:
    parent, command = int(argv[1]), argv[2:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_PDEATHSIG): {os.strerror(err)}")
    if os.getppid() != parent:  # the parent ended before the request took effect
        sys.exit(EXIT_PARENT_GONE)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv)

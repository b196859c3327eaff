"""Children that cannot outlive the process that started them, however it ends.

On Linux every child is started through `die_with_parent.py` (PR_SET_PDEATHSIG, then exec).
The kernel sends that signal when the *thread* that forked the child ends, not the process, so
children are forked by the main thread or, from any other thread, by one daemon thread that
lasts as long as the process (a thread pool's worker may end long before its process does).
"""

import os
import queue
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_GUARD = Path(__file__).with_name("die_with_parent.py")
_jobs: "queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]]" = queue.SimpleQueue()
_spawner: threading.Thread | None = None
_spawner_lock = threading.Lock()


def guarded(argv: Sequence[str]) -> list[str]:
    """`argv` run so that it dies with this process (as is, where Linux's prctl is missing)."""
    if not sys.platform.startswith("linux"):
        return list(argv)
    return [sys.executable, "-I", str(_GUARD), str(os.getpid()), *argv]


def on_lasting_thread(start: Callable[[], T]) -> T:
    """Call `start` (which forks) on a thread that ends only with the process."""
    if threading.current_thread() is threading.main_thread():
        return start()
    done: Future[T] = Future()
    _jobs.put((start, done))
    _ensure_spawner()
    return done.result()


def _ensure_spawner() -> None:
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = threading.Thread(target=_serve, name="orderflow-spawner", daemon=True)
            _spawner.start()


def _serve() -> None:
    while True:
        start, done = _jobs.get()
        try:
            done.set_result(start())
        except BaseException as exc:  # handed to the caller, who raises it
            done.set_exception(exc)

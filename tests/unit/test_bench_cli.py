"""`orderflow bench`'s options that belong together, the stack's processes it samples, and
the one-line error `bench --local` and `dev` give when a port their stack needs is taken."""

import os
import socket
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from orderflow.cli import main
from orderflow.stack import LocalStack
from orders.settings import Settings


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--long-poll", "--poll", "0.1"], "--poll and --long-poll exclude each other"),
        (["--local", "--pid", "kafka=1"], "--pid is for a stack started elsewhere"),
        (["--workers", "3"], "--workers needs --local"),
        (["--root", "."], "--root needs --local"),
        (["--pid", "kafka"], "expected NAME=PID"),
        (["--poll", "0"], "--poll"),
    ],
)
def test_options_that_do_not_go_together(args: list[str], error: str) -> None:
    result = CliRunner().invoke(main, ["bench", *args])

    assert result.exit_code == 2
    assert error in result.output


def test_stack_runs_its_processes_with_the_python_and_directory_given(tmp_path: Path) -> None:
    # A stand-in interpreter: records where and how it was started, then idles.
    python = tmp_path / "python"
    python.write_text('#!/bin/sh\necho "$PWD $*" > started\nexec sleep 30\n')
    python.chmod(0o755)
    stack = LocalStack(Settings(), log_dir=tmp_path / "logs", python=str(python), cwd=tmp_path)
    try:
        stack.start_process("producer")
        deadline = time.monotonic() + 10
        while not (tmp_path / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

        assert (tmp_path / "started").read_text().split() == [
            str(tmp_path), "-m", "orderflow.cli", "producer"
        ]  # fmt: skip
        pids = stack.pids()
        assert list(pids) == ["producer"]
        assert pids["producer"] != os.getpid()
    finally:
        stack.stop()
    assert stack.pids() == {}


def test_stack_defaults_to_this_interpreter_and_checkout() -> None:
    stack = LocalStack(Settings())

    assert stack.python == sys.executable
    assert (stack.cwd / "orderflow" / "stack.py").exists()


def test_a_taken_front_door_port_is_a_clear_error_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another stack's front door on the port: our server could not bind it, and the readiness
    # probe would have passed on the stranger's answers (the benchmark measured the wrong stack).
    with socket.create_server(("127.0.0.1", 0)) as stranger:
        port = stranger.getsockname()[1]
        monkeypatch.setenv("ORDERFLOW_PRODUCER_PORT", str(port))

        result = CliRunner().invoke(main, ["bench", "--local", "--orders", "10", "--runs", "1"])

    assert result.exit_code == 1
    assert f"front door port {port} already in use" in result.output
    assert "Traceback" not in result.output


def test_dev_with_a_taken_status_api_port_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ORDERFLOW_DEV_STATE_DIR", str(tmp_path))
    with socket.create_server(("127.0.0.1", 0)) as stranger:
        port = stranger.getsockname()[1]
        monkeypatch.setenv("ORDERFLOW_STATUS_API_PORT", str(port))

        result = CliRunner().invoke(main, ["dev"])

    assert result.exit_code == 1
    assert f"status API port {port} already in use" in result.output
    assert "Traceback" not in result.output

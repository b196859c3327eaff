"""README promises: every setting documented, every CLI command listed, the two commands true."""

from pathlib import Path

from orderflow.cli import main
from orders.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [
        f"ORDERFLOW_{name.upper()}"
        for name in Settings.model_fields
        if f"`ORDERFLOW_{name.upper()}`" not in README
    ]
    assert not missing, f"settings missing from README: {missing}"


def test_every_cli_command_is_documented() -> None:
    missing = [name for name in main.commands if f"orderflow {name}" not in README]
    assert not missing, f"commands missing from README: {missing}"


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in README
    assert "make demo" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()

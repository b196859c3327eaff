"""Command groups of the `orderflow` CLI, one module each (registered in orderflow/cli.py)."""

"""The ``jpmacro-bt`` command: one module per command group, the app in :mod:`jpmacro_bt.cli.app`."""

from jpmacro_bt.cli.app import app, main

__all__ = ["app", "main"]

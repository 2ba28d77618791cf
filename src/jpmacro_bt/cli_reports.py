"""Commands that run suites and compare run folders (registered on the main app)."""

from __future__ import annotations


def register(app) -> None:
    """Add this module's commands to ``app``."""

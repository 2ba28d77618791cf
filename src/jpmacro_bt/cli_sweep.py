"""Commands for parameter sweeps, walk-forward validation and the trial ledger (registered on the main app)."""

from __future__ import annotations


def register(app) -> None:
    """Add this module's commands to ``app``."""

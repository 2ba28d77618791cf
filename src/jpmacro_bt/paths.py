"""Where the package keeps its cache: ``JPMACRO_CACHE_DIR`` > ``$XDG_CACHE_HOME/jpmacro-bt`` > ``~/.cache/jpmacro-bt``."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir() -> Path:
    """The cache root (not created here)."""
    if env := os.environ.get("JPMACRO_CACHE_DIR"):
        return Path(env).expanduser()
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg).expanduser() / "jpmacro-bt"
    return Path.home() / ".cache" / "jpmacro-bt"

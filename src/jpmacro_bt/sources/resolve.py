"""Placeholder resolver: ECB only (replaced by the full resolver)."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from ..symbols import get_symbol
from .base import Bars
from .ecb import EcbSource


def load_bars(symbol: str, *, source: str | None = None, data_dir: Path | None = None,
              offline: bool = False, cache=None, fetchers=None) -> Bars:
    sym = get_symbol(symbol)
    if "ecb" not in sym.sources:
        raise DataError(f"no offline source for {symbol}")
    return EcbSource().load(sym.sources["ecb"], close=sym.close)


def load_many(symbols, **kwargs) -> dict[str, Bars]:
    return {s: load_bars(s, **kwargs) for s in symbols}

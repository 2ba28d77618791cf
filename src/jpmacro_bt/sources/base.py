"""What every source returns and the checks every series passes."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import ClassVar, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from jpmacro_bt.errors import SourceError
from jpmacro_bt.symbols import VALUE_RANGE, Symbol, max_daily_move

__all__ = ["Bars", "Source", "check_bars", "clip_range", "data_sha256", "parse_close", "to_bars"]

_CLOSE = re.compile(r"(\d{1,2}):(\d{2}) (\S+)")


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


def to_bars(frame: pd.DataFrame, *, what: str, duplicates: str = "error") -> pd.DataFrame:
    """Normalise a parsed frame: float columns, sorted unique tz-naive dates, no empty closes.

    ``duplicates="error"`` refuses a date given twice (which row is right
    cannot be told); ``"last"`` keeps the later row, for a download known to
    repeat its live bar.

    Raises
    ------
    SourceError
        When nothing is left or a date repeats, naming ``what``.
    """
    if "close" not in frame.columns:
        raise SourceError(f"{what}: no close column (columns: {', '.join(map(str, frame.columns))})")
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    out = frame.set_axis(index.normalize().rename("date")).astype(float)
    out = out.dropna(subset=["close"])
    repeated = out.index.duplicated(keep=False)
    if repeated.any() and duplicates == "error":
        day = out.index[repeated][0]
        closes = ", ".join(f"{c:g}" for c in out.loc[day, "close"])
        others = len(set(out.index[repeated])) - 1
        more = f" ({others} more dates repeat)" if others else ""
        raise SourceError(
            f"{what}: date {day:%Y-%m-%d} appears {int((out.index == day).sum())} times (closes {closes}){more}; "
            "keep one row per date (delete the wrong one)"
        )
    out = out[~out.index.duplicated(keep="last")].sort_index()
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


def parse_close(close: object) -> tuple[int, int, str]:
    """``"15:00 Asia/Tokyo"`` -> ``(15, 0, "Asia/Tokyo")``; ``24:00`` is the end of the day.

    Raises
    ------
    ValueError
        Naming the text when it is not ``HH:MM Zone`` with a time of day and an IANA zone.
    """
    m = _CLOSE.fullmatch(close) if isinstance(close, str) else None
    if m is None:
        raise ValueError(f"bar close {close!r} is not 'HH:MM Zone' (e.g. '15:00 Asia/Tokyo')")
    hours, minutes, zone = int(m[1]), int(m[2]), m[3]
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ValueError(f"bar close {close!r} is not a time of day")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"bar close {close!r} names no known time zone ({zone!r})") from None
    return hours, minutes, zone


def _fix(bars: Bars, sym: Symbol, action: str = "correct that row in") -> str:
    if bars.source == "csv":  # the label names the file
        if " (from " in bars.origin:  # imported into the cache
            return f"{action} the file, then import it again (`jpmacro-bt data fetch {sym.name} --data-dir DIR`)"
        return f"{action} the file"
    return f"put a corrected {sym.name}.csv in a --data-dir folder, or choose another --source"


def _check_dates(bars: Bars, sym: Symbol, label: str, now: datetime) -> None:
    try:
        zone = parse_close(bars.close)[2]
    except ValueError as exc:
        raise SourceError(f"{label}: {exc}") from None
    # A bar exists once its day has begun where it trades, which may be ahead of UTC.
    today = max(now.astimezone(UTC).date(), now.astimezone(ZoneInfo(zone)).date())
    ahead = bars.frame.index[bars.frame.index > pd.Timestamp(today)]
    if len(ahead):
        rows = "1 row is" if len(ahead) == 1 else f"{len(ahead)} rows are"
        raise SourceError(
            f"{label}: {rows} dated after today ({today}), the first {ahead[0]:%Y-%m-%d}; "
            f"a bar exists only once its day has begun: {_fix(bars, sym, 'delete those rows from')}"
        )


def _check_values(bars: Bars, sym: Symbol, label: str) -> None:
    close = bars.frame["close"]
    lo, hi = VALUE_RANGE[sym.kind]
    if sym.negative:
        lo = -hi
    bad = ~(close.gt(lo) & close.lt(hi))  # also catches inf
    if not bad.any():
        return
    day, value = close.index[bad.argmax()], close[bad].iloc[0]
    count = f"{int(bad.sum())} of {len(close)} closes lie" if bad.sum() > 1 else "1 close lies"
    where = f"{label}: close {value:g} on {day:%Y-%m-%d}"
    if sym.kind == "yield":
        raise SourceError(
            f"{where}: {count} outside {lo:g} .. {hi:g}, where a yield in percent lies; {sym.name} is a yield: "
            f"is this a price file (a bond or ETF price) or another unit? "
            f"{_fix(bars, sym, 'save yields in percent (4.25 for 4.25 %) in')}"
        )
    if sym.kind == "price" and math.isfinite(value) and value <= 0:
        raise SourceError(
            f"{where}: {count} at or below zero, and a price must be positive; is it a yield or a change "
            f"rather than a price? {_fix(bars, sym)}"
        )
    raise SourceError(f"{where}: {count} outside {lo:g} .. {hi:g}, where no {sym.kind} can be: {_fix(bars, sym)}")


def _round_up(bound: float) -> float:
    """The bound rounded up to hundredths (ignoring float noise): the smallest round one that admits the move."""
    return math.ceil(round(bound * 100, 6)) / 100


def _check_moves(bars: Bars, sym: Symbol, label: str, bound: float) -> None:
    close, dates = bars.frame["close"].to_numpy(), bars.frame.index
    if len(close) < 2 or not math.isfinite(bound):
        return
    prev, cur = close[:-1], close[1:]
    days = dates.to_numpy().astype("datetime64[D]")
    gaps = np.maximum(np.busday_count(days[:-1], days[1:]), 1)
    scale = np.sqrt(gaps)
    if sym.kind == "yield":
        size, limit = np.abs(cur - prev), bound * scale
    else:  # prices: in log terms, symmetric up and down; only between positive closes
        both = (prev > 0) & (cur > 0)
        size = np.abs(np.log(np.divide(cur, prev, out=np.ones_like(cur), where=both)))
        limit = math.log1p(bound) * scale
    over = size > limit * (1 + 1e-9)  # a move exactly at the bound is allowed, whatever the rounding
    if not over.any():
        return
    i = int(over.argmax())
    span = f" {gaps[i]} business days later" if gaps[i] > 1 else ""
    gap = f" (times sqrt({gaps[i]}) over the gap)" if gaps[i] > 1 else ""
    if sym.kind == "yield":
        move, need = f"{cur[i] - prev[i]:+.2f} points", _round_up(size[i] / scale[i])
        usual = f"{bound:g} points a day{gap} that yields move"
    else:
        move, need = f"{cur[i] / prev[i] - 1:+.1%}", _round_up(math.expm1(size[i] / scale[i]))
        usual = f"+{bound:.0%}/-{bound / (1 + bound):.0%} a day{gap} that {sym.asset_class} prices move"
    raise SourceError(
        f"{label}: close moves {move} from {prev[i]:g} on {dates[i]:%Y-%m-%d} to {cur[i]:g} on {dates[i + 1]:%Y-%m-%d}"
        f"{span}, beyond the {usual}; if the data are wrong, {_fix(bars, sym)}; if the move is real, allow it with "
        f"--max-move {sym.name}={need:g} (or JPMACRO_MAX_MOVE={sym.name}={need:g})"
    )


def check_bars(
    bars: Bars, sym: Symbol, *, max_move: Mapping[str, float] | None = None, now: datetime | None = None
) -> Bars:
    """Refuse what no market makes; returns ``bars`` unchanged.

    Checked: no row dated after today (in UTC, or in the bar's own zone when
    that is ahead); closes inside :data:`~jpmacro_bt.symbols.VALUE_RANGE` of
    the symbol's kind (finite; prices positive unless the symbol can close
    negative; yields in percent, which exposes a price file saved as a yield);
    no move between consecutive closes beyond
    :func:`~jpmacro_bt.symbols.max_daily_move` under ``max_move``.

    Raises
    ------
    SourceError
        Naming the symbol, where the data came from, the date, the value and the fix.
    """
    where = bars.origin if bars.source == "csv" else f"{bars.source}:{bars.upstream_id}"
    label = f"{sym.name} ({where})"
    _check_dates(bars, sym, label, now or datetime.now(UTC))
    _check_values(bars, sym, label)
    bound = max_daily_move(sym, max_move)
    if bound is not None:
        _check_moves(bars, sym, label, bound)
    return bars

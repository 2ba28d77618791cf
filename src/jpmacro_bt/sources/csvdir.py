"""A folder of ``SYMBOL.csv`` files, and the CSV layouts every source shares.

Accepted layouts (header names are matched case-insensitively):

``date,close[,open,high,low,volume]``
    The project's own layout (what ``/work/shared/data/market`` and a cache
    export look like).
``Date,Open,High,Low,Close,Adj Close,Volume``
    A Yahoo Finance export. ``adjusted=True`` (the default) uses ``Adj Close``
    as the close and scales open/high/low by the same factor, as
    ``yfinance``'s ``auto_adjust`` does; ``adjusted=False`` uses the raw
    ``Close``. Total-return (adjusted) prices are the honest default for a
    backtest that holds through dividends. A Yahoo FX export keeps Yahoo's
    dates, whose closes are about a day early (see :mod:`.yahoo`); the ECB
    source or a re-dated file is the better choice for FX.
``observation_date,SERIES`` or ``DATE,VALUE``
    A FRED download; ``.`` marks a missing day.

Missing cells (empty, ``.``, ``null``, ``NaN``, ``N/A``) become NaN and rows
without a close are dropped; a date given twice is an error (which row is
right cannot be told), as is an infinite close. Dates must be ISO
(``2024-01-31``, a time or offset after it is ignored: the date as written is
the bar's local date) or ``2024/1/31``.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from jpmacro_bt.errors import SourceError, did_you_mean
from jpmacro_bt.sources.base import Bars, to_bars

__all__ = ["MISSING", "CsvDirSource", "parse_csv", "read_regular", "to_dates", "to_floats", "to_price_frame"]

MISSING = frozenset({"", ".", "null", "NaN", "nan", "NA", "N/A", "#N/A"})

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
_SLASHED = re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$")
_OHLCV = ("open", "high", "low", "volume")


def to_floats(values: pd.Series, *, missing: frozenset[str] = MISSING, what: str) -> pd.Series:
    """Turn text cells into floats; ``missing`` markers become NaN.

    Raises
    ------
    SourceError
        For a cell that is neither a number nor a missing marker, naming it.
    """
    text = values.astype("string").str.strip()
    blank = text.isna() | text.isin(list(missing))
    numbers = pd.to_numeric(text.where(~blank), errors="coerce")
    bad = numbers.isna() & ~blank
    if bad.any():
        first = bad.idxmax()
        raise SourceError(
            f"{what}: {values.name!r} has a non-number {text[first]!r} (row {first}); "
            f"fix or blank that cell (missing markers: {', '.join(sorted(m for m in missing if m))})"
        )
    return numbers.astype(float)


def to_dates(values: pd.Series, *, what: str) -> pd.DatetimeIndex:
    """Parse ISO (``2024-01-31``, anything after the date ignored) or ``2024/1/31`` dates.

    Raises
    ------
    SourceError
        Naming the first cell in neither format.
    """
    text = values.astype("string").str.strip().fillna("")
    iso = text.str.match(_ISO)
    slashed = text.str.match(_SLASHED)
    bad = ~(iso | slashed)
    if bad.any():
        raise SourceError(
            f"{what}: cannot read date {text[bad.idxmax()]!r}; write dates as YYYY-MM-DD"
        )
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    out[iso] = pd.to_datetime(text[iso].str[:10], format="%Y-%m-%d", errors="coerce")
    out[slashed] = pd.to_datetime(text[slashed], format="%Y/%m/%d", errors="coerce")
    if out.isna().any():
        raise SourceError(f"{what}: impossible date {text[out.isna()].iloc[0]!r}; write dates as YYYY-MM-DD")
    return pd.DatetimeIndex(out, name="date")


def to_price_frame(raw: pd.DataFrame, *, adjusted: bool = True, series: str | None = None, what: str) -> pd.DataFrame:
    """Normalise a text table in any accepted layout to :func:`~.base.to_bars` form.

    Parameters
    ----------
    raw : every cell a string, header as read.
    adjusted : for a Yahoo export, use ``Adj Close`` (True) or ``Close`` (False).
    series : for a FRED layout, the series the value column must be named after.
    what : label for error messages.
    """
    lower = {str(c).strip().lower(): c for c in raw.columns}
    date_col = lower.get("date", lower.get("observation_date"))
    if date_col is None:
        raise SourceError(
            f"{what}: no date column (columns: {', '.join(map(str, raw.columns))}); "
            "expected date,close or a Yahoo/FRED download"
        )
    index = to_dates(raw[date_col], what=what)
    others = [c for c in raw.columns if c != date_col]
    if "adj close" in lower:  # Yahoo export
        close = to_floats(raw[lower["adj close"]], what=what)
        raw_close = to_floats(raw[lower["close"]], what=what) if "close" in lower else close
        factor = close / raw_close if adjusted else pd.Series(1.0, index=raw.index)
        frame = pd.DataFrame({"close": close if adjusted else raw_close})
        for name in _OHLCV:
            if name in lower:
                col = to_floats(raw[lower[name]], what=what)
                frame[name] = col if name == "volume" else col * factor
    elif "close" in lower:
        frame = pd.DataFrame({"close": to_floats(raw[lower["close"]], what=what)})
        for name in _OHLCV:
            if name in lower:
                frame[name] = to_floats(raw[lower[name]], what=what)
    elif len(others) == 1:  # FRED: observation_date,SERIES or DATE,VALUE
        value_col = str(others[0]).strip()
        if series is not None and value_col.upper() not in (series.upper(), "VALUE"):
            raise SourceError(f"{what}: expected a column {series!r}, found {value_col!r}; is this the right series?")
        frame = pd.DataFrame({"close": to_floats(raw[others[0]], what=what)})
    else:
        raise SourceError(
            f"{what}: cannot tell the layout from columns {', '.join(map(str, raw.columns))}; "
            "use date,close[,open,high,low,volume], a Yahoo export or a FRED download"
        )
    frame.index = index
    # An infinite close stays, to be refused by name (check_bars); elsewhere it only means "no value".
    others = [c for c in frame.columns if c != "close"]
    frame[others] = frame[others].replace([np.inf, -np.inf], np.nan)
    return to_bars(frame, what=what)


def parse_csv(text: str, *, adjusted: bool = True, series: str | None = None, what: str = "csv") -> pd.DataFrame:
    """Parse CSV text in any accepted layout (pure; see the module docstring)."""
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (ValueError, pd.errors.ParserError) as exc:
        raise SourceError(f"{what}: not a readable CSV ({exc})") from exc
    return to_price_frame(raw, adjusted=adjusted, series=series, what=what)


class CsvDirSource:
    """Series read from ``data_dir/SYMBOL.csv``; the upstream id is the symbol.

    Parameters
    ----------
    data_dir : the folder.
    adjusted : for Yahoo exports, use ``Adj Close`` (default) or ``Close``.
    """

    name: ClassVar[str] = "csv"

    def __init__(self, data_dir: Path | str, *, adjusted: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.adjusted = adjusted

    def path(self, symbol: str) -> Path:
        """Where ``symbol``'s file is expected."""
        return self.data_dir / f"{symbol}.csv"

    def check_dir(self) -> None:
        """Raise :class:`SourceError` unless the folder exists: a mistyped --data-dir is never ignored."""
        if not self.data_dir.is_dir():
            what = "is not a folder" if self.data_dir.exists() else "does not exist"
            raise SourceError(f"csv: data dir {self.data_dir} {what}; pass an existing folder to --data-dir")
        if not os.access(self.data_dir, os.R_OK | os.X_OK):  # else every file in it would look absent
            raise SourceError(f"csv: data dir {self.data_dir} cannot be read (permission denied); make it readable")

    def has(self, symbol: str) -> bool:
        """True when anything is named ``SYMBOL.csv`` in the folder, even what cannot be read:
        a file the user put there is read or refused by :meth:`load`, never passed over."""
        return os.path.lexists(self.path(symbol))

    def load(self, upstream_id: str, *, close: str) -> Bars:
        """Read ``data_dir/UPSTREAM_ID.csv``; the bar close is the symbol's ``close``.

        Raises
        ------
        SourceError
            When the folder or the file is missing (listing the CSV files that
            are there), is not a regular readable file (a folder, a pipe, a
            broken or looping link) or cannot be parsed.
        """
        path = self.path(upstream_id)
        self.check_dir()
        if not os.path.lexists(path):
            have = sorted(p.stem for p in self.data_dir.glob("*.csv"))
            listing = ", ".join(f"{h}.csv" for h in have[:30]) + (" ..." if len(have) > 30 else "") or "no CSV files"
            raise SourceError(
                f"csv: no file {path}{did_you_mean(upstream_id, have)}; {self.data_dir} has: {listing}. "
                f"Add {upstream_id}.csv (date,close) or drop --data-dir"
            )
        try:
            text = read_regular(path).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError(f"csv: cannot read {path}: {exc}; save it as UTF-8 CSV") from exc
        frame = parse_csv(text, adjusted=self.adjusted, what=f"csv:{path}")
        return Bars(frame, self.name, upstream_id, close, str(path))


_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
}


def _not_regular(path: Path, mode: int) -> SourceError:
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    return SourceError(f"csv: {path} is {kind}, not a file; replace it with a CSV file (date,close) or remove it")


def read_regular(path: Path) -> bytes:
    """The bytes of ``path``, a regular file or a link to one; never blocks on a pipe.

    Raises
    ------
    SourceError
        For a folder, pipe, socket or device, a broken or looping link, or a
        file that cannot be read, naming the path and the fix.
    """
    fix = "replace it with the CSV file itself or remove it"
    try:
        mode = path.stat().st_mode  # stat, not open: opening a FIFO would wait for a writer
        if not stat.S_ISREG(mode):
            raise _not_regular(path, mode)
        # O_NONBLOCK: should the file be swapped for a pipe after the stat, open still returns at once.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        if not path.is_symlink():
            raise SourceError(f"csv: {path} disappeared while being read; put it back, or drop --data-dir") from None
        raise SourceError(f"csv: {path} is a link to {os.readlink(path)}, which does not exist; {fix}") from None
    except PermissionError:
        raise SourceError(f"csv: cannot read {path} (permission denied); make it readable (chmod u+r) or remove it") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceError(f"csv: {path} is a symbolic link that loops; {fix}") from None
        raise SourceError(f"csv: cannot read {path} ({exc.strerror}); {fix}") from None
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(path, mode)
        try:
            return fh.read()
        except OSError as exc:
            raise SourceError(f"csv: cannot read {path} ({exc.strerror}); {fix}") from None

"""JGB constant-maturity yields from the Japan Ministry of Finance.

The MoF publishes two CSV files in the same layout: the whole history since
1974 (``data/jgbcm_all.csv``, updated monthly) and the current month
(``jgbcm.csv``, updated daily). Loading downloads both and merges them; the
current-month file wins where they overlap. The layout:

- Shift-JIS (cp932) text; UTF-8 is accepted too;
- a title row (``国債金利情報,...,(単位 : %)``), then the header
  ``基準日,1年,2年,...,40年``; the English files use ``Date,1Y,...,40Y``;
- Japanese-era dates ``S49.9.24`` (Showa: 1925 + year), ``H1.1.9`` (Heisei:
  1988 + year), ``R8.6.30`` (Reiwa: 2018 + year), so ``R8.6.30`` is
  2026-06-30; ISO or ``YYYY/M/D`` dates (English files) are accepted;
- ``-`` for a tenor without a value that day; yields in percent.

The upstream id is the tenor in years as a string: ``"10"`` selects ``10年``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from typing import ClassVar

import pandas as pd

from jpmacro_bt.errors import SourceError
from jpmacro_bt.sources.base import Bars, to_bars
from jpmacro_bt.sources.csvdir import MISSING, to_floats
from jpmacro_bt.sources.fetch import Fetcher, http_get

__all__ = [
    "ERA_OFFSETS",
    "MOF_ALL_URL",
    "MOF_CURRENT_URL",
    "MofSource",
    "decode_mof",
    "merge_jgbcm",
    "parse_jgbcm",
    "to_mof_date",
]

MOF_ALL_URL = "https://www.mof.go.jp/jgbs/reference/interest_rate/data/jgbcm_all.csv"
MOF_CURRENT_URL = "https://www.mof.go.jp/jgbs/reference/interest_rate/jgbcm.csv"

# Gregorian year = offset + era year. Meiji and Taisho predate the data.
ERA_OFFSETS = {"S": 1925, "H": 1988, "R": 2018}

_ERA_DATE = re.compile(r"^([A-Za-z])\.?(\d+|元)\.(\d{1,2})\.(\d{1,2})$")
_WESTERN_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_TENOR = re.compile(r"^(\d+)\s*(年|[Yy])$")
_HEADER_FIRST_CELLS = ("基準日", "date")
_NOTE_MARKS = ("※", "注", "(", "（", "*")


def decode_mof(data: bytes) -> str:
    """Decode a MoF file: UTF-8 when it is valid UTF-8, else cp932 (Shift-JIS)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as exc:
        raise SourceError(f"mof: file is neither UTF-8 nor Shift-JIS (cp932): {exc}; is it the MoF CSV?") from exc


def to_mof_date(text: str) -> pd.Timestamp:
    """``"S49.9.24"`` -> 1974-09-24, ``"R8.6.30"`` -> 2026-06-30; ISO and ``Y/M/D`` pass through.

    Raises
    ------
    SourceError
        For an unknown era letter or an impossible date, naming the text.
    """
    cell = text.strip()
    if m := _ERA_DATE.match(cell):
        era, year, month, day = m.groups()
        if era.upper() not in ERA_OFFSETS:
            raise SourceError(
                f"mof: unknown era {era!r} in date {cell!r}; known eras: S (Showa), H (Heisei), R (Reiwa)"
            )
        y = ERA_OFFSETS[era.upper()] + (1 if year == "元" else int(year))
    elif m := _WESTERN_DATE.match(cell):
        y, month, day = int(m.group(1)), m.group(2), m.group(3)
    else:
        raise SourceError(f"mof: cannot read date {cell!r}; expected an era date like R8.6.30 or 2026-06-30")
    try:
        return pd.Timestamp(year=y, month=int(month), day=int(day))
    except ValueError as exc:
        raise SourceError(f"mof: impossible date {cell!r} ({exc})") from exc


def _tenor_label(column: str) -> str:
    m = _TENOR.match(str(column).strip())
    return m.group(1) if m else str(column).strip()


def parse_jgbcm(data: bytes | str, *, what: str = "mof") -> pd.DataFrame:
    """Parse a MoF JGB yield file (Japanese or English layout) into one float column per tenor.

    Columns are the tenors in years as strings (``"1"``, ..., ``"40"``), the
    index the dates (``date``); ``-`` cells are NaN. Rows are not dropped here:
    a tenor is selected first, then its empty days go.

    Raises
    ------
    SourceError
        When no header row is found or a date or number cannot be read.
    """
    text = decode_mof(data) if isinstance(data, bytes) else data
    lines = text.splitlines()
    header_at = next(
        (i for i, line in enumerate(lines) if line.split(",", 1)[0].strip().lower() in _HEADER_FIRST_CELLS),
        None,
    )
    if header_at is None:
        raise SourceError(f"{what}: no header row starting with 基準日 or Date; is this the MoF jgbcm CSV?")
    try:
        raw = pd.read_csv(
            io.StringIO("\n".join(lines[header_at:])), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise SourceError(f"{what}: not a readable CSV ({exc})") from exc
    first = raw.columns[0]
    cells = raw[first].str.strip()
    keep = (cells != "") & ~cells.str.startswith(_NOTE_MARKS)
    raw = raw[keep]
    index = pd.DatetimeIndex([to_mof_date(c) for c in raw[first]], name="date")
    out = pd.DataFrame(
        {_tenor_label(c): to_floats(raw[c], missing=MISSING | {"-"}, what=what).to_numpy() for c in raw.columns[1:]},
        index=index,
    )
    out = out.loc[:, [c for c in out.columns if not c.startswith("Unnamed")]]
    return out[~out.index.duplicated(keep="last")].sort_index()


def merge_jgbcm(history: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """History and current-month tables as one; ``current`` wins on shared dates."""
    both = pd.concat([history, current])
    return both[~both.index.duplicated(keep="last")].sort_index()


class MofSource:
    """JGB constant-maturity yields; ``fetcher`` does the download (tests pass a fake).

    Parameters
    ----------
    fetcher : ``url -> bytes``; default :func:`~.fetch.http_get`.
    history_url, current_url : the all-history and current-month files.
    """

    name: ClassVar[str] = "mof"

    def __init__(
        self,
        fetcher: Fetcher | None = None,
        *,
        history_url: str = MOF_ALL_URL,
        current_url: str = MOF_CURRENT_URL,
    ) -> None:
        self.fetcher = fetcher or http_get
        self.history_url = history_url
        self.current_url = current_url

    def load_table(self, start: date | None = None) -> tuple[pd.DataFrame, Sequence[str]]:
        """All tenors, and the URLs read. With ``start`` inside the current month only that file is read."""
        current = parse_jgbcm(self.fetcher(self.current_url), what=f"mof:{self.current_url}")
        if start is not None and len(current) and current.index[0] <= pd.Timestamp(start):
            return current, [self.current_url]
        history = parse_jgbcm(self.fetcher(self.history_url), what=f"mof:{self.history_url}")
        return merge_jgbcm(history, current), [self.history_url, self.current_url]

    def load(self, upstream_id: str, *, close: str, start: date | None = None) -> Bars:
        """The yield of tenor ``upstream_id`` years (``"10"``), in percent.

        Raises
        ------
        SourceError
            For a tenor the file does not have (listing those it has) or a failed download.
        """
        tenor = _tenor_label(upstream_id)
        table, urls = self.load_table(start)
        if tenor not in table.columns:
            raise SourceError(
                f"mof: no tenor {upstream_id!r}; the file has {', '.join(table.columns)} (years, e.g. '10')"
            )
        frame = table[[tenor]].rename(columns={tenor: "close"})
        if start is not None:
            frame = frame.loc[pd.Timestamp(start) :]
        frame = to_bars(frame, what=f"mof:{tenor}Y")
        return Bars(frame, self.name, upstream_id, close, " + ".join(urls))

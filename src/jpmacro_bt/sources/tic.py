"""US Treasury holdings by country, from the TIC "Major Foreign Holders" history.

``mfhhis01.txt`` is a tab-separated text report: one block per year, newest
first. Each block starts with a header of two rows, the month names
(``Dec Nov ... Jan``, newest first) and ``Country`` followed by the years;
then one row per country (names may carry footnote marks such as
``United Kingdom 2/`` and quotes such as ``"China, Mainland"``), then totals
and footnotes. Values are USD billions at the end of the month.

Revised months appear twice. At each benchmark survey (the June surveys of
2002-2011, and March 2000) the Treasury starts a new *series* and prints the
survey month twice side by side: the new series' value, which later months
continue, and the old series' estimate, "shown for comparison only" (the
report's own footnotes). We keep the new-series (revised) value: it is the
later-published figure, the one the following months build on, and what a
user means by "the" series. In the file's newest-first columns it is the
first of the pair, e.g. June 2011 Japan = 881.5 (Series XII), not 911.1
(Series XI, comparison only). When several files are read, later files win.

Dates are month ends; the value is public weeks later, so a strategy must lag
it by the publication delay (about six weeks): the bar ``close`` the caller
passes in only stamps the time of day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import ClassVar

import pandas as pd

from jpmacro_bt.errors import SourceError, did_you_mean
from jpmacro_bt.sources.base import Bars, to_bars
from jpmacro_bt.sources.csvdir import MISSING
from jpmacro_bt.sources.fetch import Fetcher, http_get

__all__ = ["TIC_MFH_HISTORY_URL", "TicSource", "normalize_country", "parse_mfh"]

TIC_MFH_HISTORY_URL = "https://ticdata.treasury.gov/resource-center/data-chart-center/tic/Documents/mfhhis01.txt"

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_FOOTNOTE = re.compile(r"\s+\d+/\s*$")
_YEAR = re.compile(r"^(19|20)\d\d$")
_TIC_MISSING = MISSING | {"n.a.", "n.a", "*", "-"}
_NUMBER = re.compile(r"^-?[\d,]*\.?\d+$")


def normalize_country(name: str) -> str:
    """``'"Korea, South "'`` -> ``'Korea, South'``; ``'United Kingdom 2/'`` -> ``'United Kingdom'``."""
    text = name.strip().strip('"').strip()
    return " ".join(_FOOTNOTE.sub("", text).split())


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.rstrip("\r\n").split("\t")]


def _month(cell: str) -> int | None:
    return _MONTHS.get(cell.strip().lower()[:3]) if cell.strip() else None


def _to_float(cell: str, *, what: str) -> float | None:
    if cell in _TIC_MISSING:
        return None
    try:
        return float(cell.replace(",", ""))
    except ValueError:
        raise SourceError(
            f"{what}: {cell!r} is not a number; expected USD bn or a missing marker "
            f"({', '.join(sorted(m for m in _TIC_MISSING if m))})"
        ) from None


def _header(lines: list[list[str]], at: int) -> list[tuple[int, pd.Timestamp]] | None:
    """Column positions and month ends of the header whose ``Country`` row is ``at``."""
    years = lines[at]
    above = next((lines[j] for j in range(at - 1, -1, -1) if any(lines[j])), None)
    if above is None:
        return None
    columns = []
    for pos in range(1, len(years)):
        month = _month(above[pos]) if pos < len(above) else None
        if _YEAR.match(years[pos]) and month is not None:
            columns.append((pos, pd.Period(year=int(years[pos]), month=month, freq="M").end_time.normalize()))
    return columns or None


def _keep_revised(columns: list[tuple[int, pd.Timestamp]]) -> list[tuple[int, pd.Timestamp]]:
    """Drop the comparison-only copy of a month printed twice.

    Columns run newest first (or, in some other file, oldest first); the copy
    kept is the one on the newer side, which belongs to the new series.
    """
    dates = [d for _, d in columns]
    newest_first = dates[0] >= dates[-1]
    ordered = columns if newest_first else list(reversed(columns))
    seen: set[pd.Timestamp] = set()
    kept = []
    for pos, when in ordered:
        if when not in seen:
            seen.add(when)
            kept.append((pos, when))
    return kept


def parse_mfh(text: str, *, what: str = "tic") -> pd.DataFrame:
    """Parse a Major Foreign Holders report: one column per country, month-end index.

    Country names are normalised with :func:`normalize_country`. Rows after a
    block's ``Grand Total`` (memo items) are included under their own names.

    Raises
    ------
    SourceError
        When no ``Country`` header with months and years is found.
    """
    lines = [_cells(line) for line in text.splitlines()]
    records: dict[tuple[pd.Timestamp, str], float] = {}
    columns: list[tuple[int, pd.Timestamp]] | None = None
    for i, cells in enumerate(lines):
        first = cells[0] if cells else ""
        if first.lower() == "country":
            header = _header(lines, i)
            columns = _keep_revised(header) if header else None
            continue
        if columns is None or not first or not any(cells[1:]):
            continue
        row = [cells[pos] if pos < len(cells) else "" for pos, _ in columns]
        if not any(_NUMBER.match(c) for c in row):
            continue  # a note or title that spills into the value columns
        name = normalize_country(first)
        for cell, (_, when) in zip(row, columns, strict=True):
            value = _to_float(cell, what=f"{what}: {name} {when:%Y-%m}")
            # A month sits in one year block only; should a later block repeat it, the first print stays.
            if value is not None and (when, name) not in records:
                records[(when, name)] = value
    if not records:
        raise SourceError(
            f"{what}: no 'Country' header with months and years found; is this the TIC mfhhis01.txt report?"
        )
    series = pd.Series(records)
    series.index = series.index.set_names(["date", "country"])
    table = series.unstack("country").sort_index()
    table.index = pd.DatetimeIndex(table.index, name="date")
    return table


def _select(table: pd.DataFrame, country: str) -> pd.Series:
    wanted = normalize_country(country).lower()
    match = [c for c in table.columns if c.lower() == wanted]
    if not match:
        raise SourceError(
            f"tic: no country {country!r}{did_you_mean(normalize_country(country), table.columns)}; "
            f"the report has {len(table.columns)} rows, e.g. {', '.join(sorted(table.columns)[:8])}"
        )
    return table[match[0]]


class TicSource:
    """Monthly holdings of US Treasuries of one country (upstream id ``"Japan"``), USD bn.

    Parameters
    ----------
    fetcher : ``url -> bytes``; default :func:`~.fetch.http_get`.
    urls : report files read in order; later files win on shared months.
    """

    name: ClassVar[str] = "tic"

    def __init__(self, fetcher: Fetcher | None = None, *, urls: Sequence[str] = (TIC_MFH_HISTORY_URL,)) -> None:
        self.fetcher = fetcher or http_get
        self.urls = tuple(urls)

    def load(self, upstream_id: str, *, close: str, start: date | None = None) -> Bars:
        """Read the reports and return ``upstream_id``'s month-end holdings.

        ``start`` is accepted for a uniform interface; the report is small and
        always read whole, so revisions of older months are picked up.
        """
        parts = []
        for url in self.urls:
            text = self.fetcher(url).decode("utf-8", errors="replace")
            parts.append(_select(parse_mfh(text, what=f"tic:{url}"), upstream_id))
        merged = pd.concat(parts)
        merged = merged[~merged.index.duplicated(keep="last")]
        frame = to_bars(merged.to_frame("close"), what=f"tic:{upstream_id}")
        return Bars(frame, self.name, upstream_id, close, " + ".join(self.urls))

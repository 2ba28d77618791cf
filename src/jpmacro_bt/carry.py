"""Carry-inclusive FX prices: a currency pair plus the interest its two currencies pay.

Holding a long ``BASEQUOTE`` position (long the base currency, funded in the
quote currency) earns the base currency's short rate and pays the quote
currency's. :func:`to_carry_price` turns an FX close into the total-return
price of that position, so a backtest that trades it books the carry: a long
earns base rate minus quote rate for every day held, and a short on the same
price pays it.

The return from bar ``t-1`` to bar ``t`` (a fraction) is

``r_t = (S_t / S_{t-1}) * (1 + b_{t-1} * tau_t) - (1 + q_{t-1} * tau_t)``

which is ``S_t / S_{t-1} - 1 + (b - q) * tau`` up to the small cross term
``(S_t / S_{t-1} - 1) * b * tau``: borrow ``S_{t-1}`` units of the quote
currency at ``q``, buy one unit of base and deposit it at ``b``, unwind at
``t``. ``b``, ``q`` are the policy rates (percent, divided by 100) in force at
the close of bar ``t-1``; ``tau_t`` is the accrual of the bar: calendar days
between the two bar dates / 365 (``day_count="act/365"``, the default, so a
Friday-to-Monday bar earns three days) or ``1/252`` per bar (``"bar/252"``).
A rate change takes effect from the next bar on. Ignored: the spread between
policy rates and the deposit rates a trader gets, forward points' bid-ask,
and the cross-currency basis.

Policy rates (percent), as :func:`rate_changes` assembles them:

* JPY: ``events.boj`` (``rate_after``), in force from each decision's
  announcement time; the BoJ calendar holds every policy-rate change from
  April 1998, so the JPY rate is known from the 1998-09-09 cut on.
* USD: ``events.fomc`` (``rate_after``: the target level, and from
  2008-12-16 the upper bound of the target range, about 0.1 percentage point
  above the overnight rate actually paid), from the announcement; known from
  the 1994-02-04 hike on.
* The JPY and USD rows of ``calendars/policy_rates.csv`` are copies of
  calendar rates, used only before a calendar's first rated decision (a
  hand-made or custom calendar that starts later).
* AUD, MXN: ``policy_rates.csv`` (RBA cash-rate target from 1998-12-02,
  Banxico target rate from 2009-07-17).
* CSV rows are dated by the announcement (local date); the new rate is taken
  to apply from 00:00 of the next day in the central bank's time zone, which
  is when both the RBA (from 2008) and Banxico make it effective (before 2008
  the RBA announced at 09:30 with effect that day: one day late, never early).

A calendar's decisions before its ``"changes"`` coverage begins are not used
(they may be incomplete). Where no rate is known yet, the carry price is
undefined: :func:`carry_price` starts at the first bar where both rates are
known, which is where :func:`rate_coverage` says each currency's rates begin.
After the last known decision, the last rate is carried forward;
:func:`coverage_warnings` says where that is an assumption.
"""

from __future__ import annotations

import warnings
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from jpmacro_bt.data import MarketData
from jpmacro_bt.errors import CalendarError, CalendarWarning, DataError, did_you_mean
from jpmacro_bt.events import Events

__all__ = [
    "CURRENCY_TZ",
    "DAY_COUNTS",
    "POLICY_RATES_COMPLETE",
    "carry_price",
    "coverage_warnings",
    "load_policy_rates",
    "rate_changes",
    "rate_coverage",
    "rates_on_bars",
    "to_carry_price",
    "warn_if_uncovered",
]

DAY_COUNTS = ("act/365", "bar/252")

# Time zone in which each central bank's CSV dates are local dates.
CURRENCY_TZ = {"AUD": "Australia/Sydney", "MXN": "America/Mexico_City", "USD": "America/New_York", "JPY": "Asia/Tokyo"}

# Range over which the bundled CSV rows of a currency are known complete: from the
# day the first row's rate applies through the last decision checked. The USD and
# JPY rows are copies of calendar rates (see the module docstring).
POLICY_RATES_COMPLETE: dict[str, tuple[date, date]] = {
    "AUD": (date(1998, 12, 3), date(2026, 2, 3)),
    "MXN": (date(2009, 7, 18), date(2025, 12, 18)),
    "USD": (date(2008, 12, 17), date(2022, 1, 25)),
    "JPY": (date(2010, 10, 6), date(2016, 1, 28)),
}

_CALENDAR_OF = {"JPY": "boj", "USD": "fomc"}
_COLUMNS = ("date", "currency", "rate_pct", "note", "source")


def _policy_rates_path() -> Path:
    return Path(str(resources.files("jpmacro_bt") / "calendars" / "policy_rates.csv"))


@cache
def _load_cached(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise CalendarError(f"cannot read policy rates {path}: {exc}") from exc
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise CalendarError(f"{path.name}: missing column(s) {', '.join(missing)}; expected {', '.join(_COLUMNS)}")
    rows = []
    for line, row in enumerate(table.to_dict("records"), start=2):
        where = f"{path.name} line {line}"
        try:
            day = date.fromisoformat(row["date"])
        except ValueError:
            raise CalendarError(f"{where}: bad date {row['date']!r}; write YYYY-MM-DD") from None
        if row["currency"] not in CURRENCY_TZ:
            raise CalendarError(f"{where}: unknown currency {row['currency']!r}{did_you_mean(row['currency'], CURRENCY_TZ)}; known: {', '.join(CURRENCY_TZ)}")
        try:
            rate = float(row["rate_pct"])
        except ValueError:
            raise CalendarError(f"{where}: rate_pct {row['rate_pct']!r} is not a number in percent (e.g. 3.85)") from None
        rows.append({"date": pd.Timestamp(day), "currency": row["currency"], "rate_pct": rate, "note": row["note"], "source": row["source"]})
    out = pd.DataFrame(rows, columns=list(_COLUMNS)).sort_values(["currency", "date"], kind="stable").reset_index(drop=True)
    if out.duplicated(["currency", "date"]).any():
        dup = out[out.duplicated(["currency", "date"], keep=False)].iloc[0]
        raise CalendarError(f"{path.name}: two rows for {dup['currency']} on {dup['date']:%Y-%m-%d}; keep one")
    return out


def load_policy_rates(path: Path | None = None) -> pd.DataFrame:
    """The bundled policy-rate changes: columns date (announcement, local), currency, rate_pct, note, source.

    Raises
    ------
    CalendarError
        Unreadable file, missing column, or a bad date, currency or rate (naming the line).
    """
    return _load_cached(Path(path) if path else _policy_rates_path()).copy()


# Rate changes of the bundled table per (currency, calendars): Events and its calendars are frozen, so the
# series is a function of the two; a sweep prices the carry once per signal set, thousands of times.
_BUNDLED_CHANGES: dict[tuple[str, int], tuple[Events, pd.Series]] = {}


def rate_changes(currency: str, events: Events, table: pd.DataFrame | None = None) -> pd.Series:
    """Rate changes of ``currency``: values in percent, indexed by the UTC time from which each applies.

    See the module docstring for where each currency's rates come from.
    """
    if currency not in CURRENCY_TZ:
        raise DataError(f"no policy rates for {currency!r}{did_you_mean(currency, CURRENCY_TZ)}; known: {', '.join(CURRENCY_TZ)}")
    if table is not None:
        return _rate_changes(currency, events, table)
    key = (currency, id(events))
    known = _BUNDLED_CHANGES.get(key)
    if known is None or known[0] is not events:  # the object kept beside it: an id is only unique while it lives
        if len(_BUNDLED_CHANGES) >= 16:
            _BUNDLED_CHANGES.clear()
        known = _BUNDLED_CHANGES[key] = (events, _rate_changes(currency, events, load_policy_rates()))
    return known[1].copy()


def _rate_changes(currency: str, events: Events, table: pd.DataFrame) -> pd.Series:
    rows = table[table["currency"] == currency]
    # A CSV rate applies from 00:00 local the day after its announcement.
    starts = (pd.DatetimeIndex(rows["date"]) + pd.Timedelta(days=1)).tz_localize(CURRENCY_TZ[currency]).tz_convert("UTC")
    csv_part = pd.Series(rows["rate_pct"].to_numpy(dtype=float), index=starts)
    if currency in _CALENDAR_OF:
        cal = getattr(events, _CALENDAR_OF[currency])
        known = _rated(cal)
        cal_part = pd.Series([e.rate_after for e in known], index=pd.to_datetime([e.announced_at for e in known], utc=True), dtype=float)
        if len(cal_part):
            csv_part = csv_part[csv_part.index < cal_part.index[0]]
        csv_part = pd.concat([csv_part, cal_part])
    return csv_part.sort_index(kind="stable").rename(currency)


def _rated(cal) -> list:
    """A calendar's decisions with a rate, from where its "changes" coverage begins."""
    since = cal.complete_since("changes") or cal.complete_from
    return [e for e in cal.events if e.rate_after is not None and e.date >= since]


def rate_coverage(currency: str, events: Events, table: pd.DataFrame | None = None) -> tuple[date, date]:
    """``(first, last)``: the days between which ``currency``'s rates are known complete.

    ``first`` is the local day from which a rate is known (JPY, USD: the
    first rated decision of the calendar within its coverage, or an earlier
    CSV copy; AUD, MXN: the day after the first CSV row); ``last`` is the
    calendar's ``complete_through`` or the last CSV decision checked. With a
    custom ``table``, its own first and last rows stand in for the bundled ranges.
    """
    if currency not in CURRENCY_TZ:
        raise DataError(f"no policy rates for {currency!r}{did_you_mean(currency, CURRENCY_TZ)}; known: {', '.join(CURRENCY_TZ)}")
    if table is None:
        csv_range = POLICY_RATES_COMPLETE.get(currency)
    else:
        days = table.loc[table["currency"] == currency, "date"]
        csv_range = ((days.min() + pd.Timedelta(days=1)).date(), days.max().date()) if len(days) else None
    if currency not in _CALENDAR_OF:
        if csv_range is None:
            raise DataError(f"no {currency} rows in the policy-rate table; its carry is unknown")
        return csv_range
    cal = getattr(events, _CALENDAR_OF[currency])
    rated = _rated(cal)
    firsts = [rated[0].date] if rated else []
    if csv_range is not None:
        firsts.append(csv_range[0])
    if not firsts:
        raise DataError(f"no {currency} rates: the {cal.name} calendar has no decision with a rate and the table no {currency} row")
    return min(firsts), cal.complete_through


def rates_on_bars(changes: pd.Series, bar_close: pd.Series) -> pd.Series:
    """The rate in force at each bar's close (last change at or before it); NaN before the first change.

    Parameters
    ----------
    changes : from :func:`rate_changes`.
    bar_close : tz-aware close times indexed by bar date (``MarketData.bar_close``).
    """
    times = pd.DatetimeIndex(bar_close.array).tz_convert("UTC").asi8  # .array keeps the tz: no trip through Python objects
    pos = np.searchsorted(changes.index.asi8, times, side="right") - 1
    values = np.where(pos >= 0, changes.to_numpy()[np.clip(pos, 0, None)], np.nan)
    return pd.Series(values, index=bar_close.index, name=changes.name)


def to_carry_price(close: pd.Series, base_rate: pd.Series, quote_rate: pd.Series, *, day_count: str = "act/365") -> pd.Series:
    """Carry-inclusive price of a long ``BASEQUOTE`` position (see the module docstring).

    Parameters
    ----------
    close : FX closes (quote units per base unit) indexed by bar date.
    base_rate, quote_rate : policy rates in percent in force at each bar's
        close, on ``close``'s index and without NaN.
    day_count : ``"act/365"`` (calendar days between bar dates / 365) or ``"bar/252"``.

    Returns
    -------
    Series starting at ``close``'s first value.
    """
    if day_count not in DAY_COUNTS:
        raise DataError(f"day_count={day_count!r}: use one of {', '.join(DAY_COUNTS)}")
    for name, rate in (("base_rate", base_rate), ("quote_rate", quote_rate)):
        if not rate.index.equals(close.index):
            raise DataError(f"{name} is not indexed like close; use rates_on_bars(changes, data.bar_close(pair))")
        if rate.isna().any():
            raise DataError(f"{name} has no rate on {rate.index[rate.isna().argmax()]:%Y-%m-%d}; start the price where both rates are known (carry_price does)")
    if day_count == "act/365":
        tau = pd.Series(pd.DatetimeIndex(close.index).to_series().diff().dt.days.to_numpy() / 365.0, index=close.index)
    else:
        tau = pd.Series(1.0 / 252.0, index=close.index)
    b = base_rate.shift(1) / 100.0
    q = quote_rate.shift(1) / 100.0
    ret = (close / close.shift(1)) * (1.0 + b * tau) - (1.0 + q * tau)
    return (close.iloc[0] * (1.0 + ret.fillna(0.0)).cumprod()).rename(f"{close.name}_carry" if close.name else "carry")


def carry_price(data: MarketData, pair: str, events: Events, *, day_count: str = "act/365", table: pd.DataFrame | None = None) -> pd.Series:
    """Carry-inclusive price of ``pair`` (e.g. ``"AUDJPY"``) on its own bars, from the first bar where both rates are known."""
    base, quote = pair[:3], pair[3:]
    bar_close = data.bar_close(pair)
    rates = pd.DataFrame({c: rates_on_bars(rate_changes(c, events, table), bar_close) for c in (base, quote)})
    known = rates.notna().all(axis=1)
    if not known.any():
        raise DataError(f"{pair}: no bar has both {base} and {quote} policy rates; the data end before the rates start")
    first = known.to_numpy().argmax()
    close = data.close(pair).iloc[first:]
    rates = rates.iloc[first:].ffill()
    return to_carry_price(close, rates[base], rates[quote], day_count=day_count)


def coverage_warnings(currencies: tuple[str, ...] | list[str], start: pd.Timestamp | date, end: pd.Timestamp | date, events: Events) -> list[str]:
    """Messages for each currency whose rates are not known complete over ``start .. end``.

    Outside the complete range (:func:`rate_coverage`) the last known rate is
    carried forward (or, before the first, the price is not defined).
    """
    start, end = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    out = []
    for c in currencies:
        if c not in CURRENCY_TZ:
            out.append(f"no policy rates for {c}; its carry is unknown")
            continue
        lo, hi = rate_coverage(c, events)
        what = f"the {_CALENDAR_OF[c]} calendar" if c in _CALENDAR_OF else "policy_rates.csv"
        if start < lo:
            out.append(f"{c} policy rates start on {lo}; carry before that is not modelled (the carry price starts there)")
        if end > hi:
            out.append(f"{c} policy rates ({what}) are complete through {hi}; after that the last known rate is assumed to hold")
    return out


def warn_if_uncovered(currencies: tuple[str, ...] | list[str], start: pd.Timestamp | date, end: pd.Timestamp | date, events: Events) -> None:
    """Issue a :class:`CalendarWarning` for each message of :func:`coverage_warnings`."""
    for message in coverage_warnings(currencies, start, end, events):
        warnings.warn(message, CalendarWarning, stacklevel=2)

"""Indicators and signal helpers shared by the strategies: pure functions over series.

Every function here uses only the current and earlier bars (a value at bar t
never changes when later bars are appended), never mutates its input, and
keeps the input's index. Units are stated per function:

* prices compound, so their moves are simple returns (fractions: 0.03 = 3 %);
* yields are percent *levels*, so their moves are differences, given in basis
  points (1 bp = 0.01 percentage point); never ``pct_change`` on a yield.

Families: moves (:func:`returns`, :func:`change_bp`), statistics
(:func:`zscore`, :func:`rolling_vol`, :func:`drawdown`, :func:`above_sma`,
:func:`mean_pairwise_corr`), the carry-unwind trigger (:func:`yen_spike`),
position helpers (:func:`latch`, :func:`hold_until`, :func:`state_on`,
:func:`to_target_weights`), baskets of assets on different calendars
(:func:`basket_close`, :func:`to_basket`), alignment of derived series across
markets (:func:`align`, :func:`align_flags`), traded prices and benchmarks
(:func:`traded_price`, :func:`buy_and_hold`), parameter checks
(:func:`require_price_symbol`) and the symbols parameters choose (:func:`needed`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import pandas as pd

from jpmacro_bt.carry import CURRENCY_TZ, carry_price
from jpmacro_bt.data import MarketData
from jpmacro_bt.errors import DataError, StrategyError, did_you_mean
from jpmacro_bt.events import Events
from jpmacro_bt.sources.base import Bars
from jpmacro_bt.strategy import hold_for
from jpmacro_bt.symbols import SYMBOLS, get_symbol

__all__ = [
    "above_sma",
    "align",
    "align_flags",
    "basket_close",
    "buy_and_hold",
    "carry_priced",
    "change_bp",
    "drawdown",
    "hold_until",
    "latch",
    "mean_pairwise_corr",
    "needed",
    "require_price_symbol",
    "returns",
    "rolling_vol",
    "state_on",
    "to_basket",
    "to_target_weights",
    "traded_price",
    "yen_spike",
    "zscore",
]


def _check_bars(bars: int, name: str = "bars") -> None:
    if int(bars) != bars or bars < 1:
        raise StrategyError(f"{name}={bars!r} must be a whole number of bars >= 1")


# --- moves -------------------------------------------------------------------


def returns(close: pd.Series | pd.DataFrame, bars: int = 1) -> pd.Series | pd.DataFrame:
    """Simple return over ``bars`` bars, ``close[t] / close[t - bars] - 1`` (fraction); NaN for the first ``bars``.

    For prices only: a yield's move is :func:`change_bp`.
    """
    _check_bars(bars)
    return close / close.shift(bars) - 1.0


def change_bp(yield_pct: pd.Series | pd.DataFrame, bars: int = 1) -> pd.Series | pd.DataFrame:
    """Change of a yield over ``bars`` bars in basis points: ``(y[t] - y[t - bars]) * 100`` for ``y`` in percent."""
    _check_bars(bars)
    return (yield_pct - yield_pct.shift(bars)) * 100.0


# --- statistics --------------------------------------------------------------


def zscore(x: pd.Series, window: int, min_periods: int | None = None) -> pd.Series:
    """``(x - trailing mean) / trailing standard deviation`` over the last ``window`` values, current one included.

    The standard deviation is the sample one (ddof=1). NaN until ``min_periods``
    (default: ``window``) values exist, and where the deviation is zero.
    """
    _check_bars(window, "window")
    roll = x.rolling(window, min_periods=min_periods or window)
    sd = roll.std()
    return (x - roll.mean()) / sd.where(sd > 0)


def rolling_vol(close: pd.Series | pd.DataFrame, window: int, periods_per_year: int = 252) -> pd.Series | pd.DataFrame:
    """Annualised volatility (fraction) of log returns over the last ``window`` bars: ``std * sqrt(periods_per_year)``."""
    _check_bars(window, "window")
    log_ret = np.log(close / close.shift(1))
    return log_ret.rolling(window, min_periods=window).std() * np.sqrt(periods_per_year)


def drawdown(close: pd.Series, window: int | None = None) -> pd.Series:
    """``close / peak - 1`` (a fraction <= 0); the peak is the running maximum, or the last ``window`` bars' maximum."""
    peak = close.cummax() if window is None else close.rolling(window, min_periods=1).max()
    return close / peak - 1.0


def above_sma(close: pd.Series | pd.DataFrame, window: int) -> pd.Series | pd.DataFrame:
    """True where the close is above its simple moving average of the last ``window`` bars (False during warm-up)."""
    _check_bars(window, "window")
    return close > close.rolling(window, min_periods=window).mean()


def mean_pairwise_corr(rets: pd.DataFrame, window: int) -> pd.Series:
    """Average of the rolling ``window``-bar correlations over every pair of columns.

    NaN until every pair has a full window. With n columns it averages
    n (n - 1) / 2 Pearson correlations; 1.0 means everything moves as one.
    """
    _check_bars(window, "window")
    if rets.shape[1] < 2:
        raise StrategyError(f"mean_pairwise_corr needs at least two columns, got {list(rets.columns)}")
    pairs = [rets[a].rolling(window, min_periods=window).corr(rets[b]) for a, b in itertools.combinations(rets.columns, 2)]
    return pd.concat(pairs, axis=1).mean(axis=1, skipna=False).rename("mean_corr")


# --- the carry-unwind trigger --------------------------------------------------


def yen_spike(usdjpy: pd.Series, bars: int, threshold: float | None, z: float | None = None, window: int = 250) -> pd.Series:
    """True where the yen strengthened fast: USDJPY's ``bars``-bar return is below ``-threshold``,
    or (when ``z`` is given) that return's z-score against the last ``window`` such returns is below ``-z``.

    Parameters
    ----------
    usdjpy : USDJPY closes (yen per dollar; a fall is a stronger yen).
    bars : look-back of the move, in bars.
    threshold : fraction, e.g. 0.03 for a 3 % fall; None switches the test off.
    z : z-score level, e.g. 2.5; None switches the test off.
    window : bars in the z-score's trailing window.
    """
    if threshold is None and z is None:
        raise StrategyError("yen_spike needs a threshold or a z level; give at least one (e.g. threshold=0.03)")
    move = returns(usdjpy, bars)
    fired = pd.Series(False, index=usdjpy.index)
    if threshold is not None:
        fired |= move < -threshold
    if z is not None:
        fired |= zscore(move, window) < -z
    return fired.rename("yen_spike")


# --- position helpers ----------------------------------------------------------


def latch(on: pd.Series, off: pd.Series) -> pd.Series:
    """A state that turns True on an ``on`` bar and stays True until an ``off`` bar (hysteresis).

    Where both are True on the same bar, ``on`` wins (as an entry on the bar of
    an exit keeps the position in the engine). Starts False.
    """
    state = pd.Series(np.nan, index=on.index)
    state[off.eq(True).to_numpy()] = 0.0
    state[on.eq(True).to_numpy()] = 1.0
    return state.ffill().fillna(0.0).astype(bool)


def hold_until(entries: pd.Series, bars: int, exit_when: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Entries kept and their exits: ``bars`` bars later, or earlier at the first bar after entry where ``exit_when`` is True.

    :func:`jpmacro_bt.strategy.hold_for` with its ``bars`` checked: an entry
    inside an open holding window is dropped, and a new entry may start on the
    bar the previous one exits (a new trade from that close).
    """
    _check_bars(bars)
    return hold_for(entries, bars, exit_when)


def state_on(state: pd.Series, index: pd.Index) -> pd.Series:
    """A regime (bool per bar) moved onto ``index`` (a superset of its bars): each row keeps the last known state, False before the first.

    For regimes only: an event (an entry) must not be repeated this way; reindex
    it with ``fill_value=False`` instead.
    """
    return state.astype(float).reindex(index).ffill().fillna(0.0) > 0.5


def to_target_weights(state: pd.Series | pd.DataFrame, weight: float | pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Target weights for :class:`~jpmacro_bt.strategy.Signals`: ``state * weight`` on bars where the state changes, NaN (keep) elsewhere.

    ``state`` is -1/0/1 (or bool) per bar; the first bar counts as a change
    when the state is not 0 there. Giving weights only on changes lets a
    position drift with its price instead of being rebalanced every bar.
    """
    s = state.astype(float)
    target = s * weight
    changed = s.ne(s.shift(1)) & ~(s.shift(1).isna() & (s == 0))
    return target.where(changed)


def basket_close(closes: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Several assets' closes, each on its own calendar, as one frame on the union of their bar dates.

    A close is carried forward over days its market is shut (for valuation
    only); rows before every asset has a close are dropped.
    """
    return pd.DataFrame(dict(closes)).sort_index().ffill().dropna()


def to_basket(closes: Mapping[str, pd.Series], weights: Mapping[str, pd.Series]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Several assets, each on its own calendar, as one close frame (:func:`basket_close`) and one target-weight frame.

    A weight stays only on the asset's own bars and is NaN (keep) elsewhere,
    so no order is ever filled at a carried-forward price.
    """
    close = basket_close(closes)
    target = pd.DataFrame({name: w.reindex(close.index) for name, w in weights.items()}, index=close.index)
    return close, target[list(close.columns)]


# --- alignment -----------------------------------------------------------------


def align(data: MarketData, calendar: str, series: Mapping[str, tuple[pd.Series, str]], *, max_fill: int = 5) -> pd.DataFrame:
    """Derived series on the bars of ``calendar``, by :meth:`MarketData.panel`'s as-of rule.

    Each entry of ``series`` is ``(values, close)``: values indexed by bar date
    and the ``"HH:MM Zone"`` at which each became public (for a series
    computed from a symbol, that symbol's close: ``data.bars[sym].close``; for
    a publication, its release time). A row takes the last value public at or
    before the calendar bar's close, at most ``max_fill`` calendar rows old
    (``max_fill=0``: only values new on that bar). NaN values are not
    observations and are skipped. Rows lacking any value are dropped: reindex
    the result to the calendar's index where needed.
    """
    data.close(calendar)  # an unloaded calendar symbol raises the DataError that names the fix
    bars = {calendar: data.bars[calendar]}
    for name, (values, close) in series.items():
        if name == calendar:
            raise StrategyError(f"align: derived series name {name!r} clashes with the calendar symbol; rename it")
        frame = values.dropna().to_frame("close").rename_axis("date").astype(float)
        bars[name] = Bars(frame, "derived", name, close)
    return MarketData(bars).panel([calendar, *series], calendar=calendar, max_fill=max_fill).drop(columns=calendar)


def align_flags(data: MarketData, calendar: str, flags: Mapping[str, tuple[pd.Series, str]], *, max_fill: int = 5) -> pd.DataFrame:
    """Boolean series (events or regimes) on the bars of ``calendar``: :func:`align` for flags.

    Same rule and rows as :func:`align` (a row lacking any value is dropped),
    True where the flag last public at that bar's close was True. Reindex an
    event with ``fill_value=False`` and a regime with :func:`state_on`.
    """
    seen = align(data, calendar, {name: (values.astype(float), close) for name, (values, close) in flags.items()}, max_fill=max_fill)
    return seen > 0.5


# --- traded prices and benchmarks ------------------------------------------------


def carry_priced(symbol: str) -> bool:
    """True for an FX pair whose two currencies have policy rates, so its carry can be priced."""
    try:
        fx = get_symbol(symbol).asset_class == "fx"
    except DataError:
        return False
    return fx and symbol[:3] in CURRENCY_TZ and symbol[3:] in CURRENCY_TZ


def traded_price(data: MarketData, symbol: str, events: Events, *, carry: bool = True) -> pd.Series:
    """The price a position in ``symbol`` earns, named ``symbol``: an FX pair carry-inclusive
    (:func:`jpmacro_bt.carry.carry_price`), anything else (or ``carry=False``) its close.

    A short FX position pays the interest differential through this price,
    which is why FX shorts pay no borrow. The carry-inclusive price starts
    where both currencies' policy rates are known, at that bar's close, and
    then compounds the carry: its level drifts from the quoted rate (a
    trade's prices are on this scale; its return is what it earned).
    """
    if carry and carry_priced(symbol):
        return carry_price(data, symbol, events).rename(symbol)
    return data.close(symbol)


def buy_and_hold(price: pd.Series, name: str) -> pd.Series:
    """Daily returns of holding ``price`` throughout (0 on its first bar), named ``name``: a strategy's benchmark."""
    return price.pct_change().fillna(0.0).rename(name)


# --- parameter checks ------------------------------------------------------------


def require_price_symbol(name: str, param: str, *, extra: tuple[str, ...] = (), carry: bool = False) -> None:
    """Raise :class:`StrategyError` unless ``name`` is a tradable (``price``) symbol or one of ``extra``.

    Yields are percent levels and holdings are levels: neither can be traded
    as a price. With ``carry`` (a strategy that trades FX through
    :func:`traded_price`), an FX pair must be one whose carry can be priced.
    """
    if name in extra:
        return
    try:
        sym = get_symbol(name)
    except DataError:
        choices = [s for s, v in SYMBOLS.items() if v.kind == "price"] + list(extra)
        raise StrategyError(f"{param}={name!r} is not a known symbol{did_you_mean(name, choices)}; use a price symbol such as {', '.join(choices[:6])}") from None
    if sym.kind != "price":
        raise StrategyError(
            f"{param}={name!r} is a {sym.kind} ({sym.description}), not a price: it cannot be traded; "
            f"use a price symbol such as NIKKEI225, SPX or TLT"
        )
    if carry and sym.asset_class == "fx" and not carry_priced(name):
        raise StrategyError(
            f"{param}={name!r}: no policy rates for its currencies, so the carry a position in it earns or pays cannot be priced; "
            f"trade a pair of {', '.join(CURRENCY_TZ)} (e.g. AUDJPY, USDJPY)"
        )


def needed(*names: str) -> tuple[str, ...]:
    """``names`` without repeats, in order: what a strategy's ``needs()`` returns.

    The first is the traded symbol (its asset class sets the default costs), so
    a chosen asset that is also an input (``asset="USDJPY"`` beside the USDJPY
    signal) is loaded once, in first place.
    """
    return tuple(dict.fromkeys(names))

"""Canonical symbols, what they measure and where each source calls them.

A symbol has a *kind* (``price``: compounding returns; ``yield``: a level in
percent whose changes are never compounded; ``level``: any other level such as
holdings) and an *asset class* that sets default trading costs. ``sources``
maps a source name to that source's identifier for the symbol, in the order the
sources are tried.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from jpmacro_bt.errors import DataError, did_you_mean

__all__ = [
    "ASSET_CLASS_COSTS",
    "MAX_DAILY_MOVE",
    "MAX_MOVE_ENV",
    "SYMBOLS",
    "VALUE_RANGE",
    "Symbol",
    "get_symbol",
    "is_fx_pair",
    "max_daily_move",
    "move_limits",
    "parse_max_move",
]


@dataclass(frozen=True)
class Symbol:
    """One canonical symbol.

    Attributes
    ----------
    name : canonical name, e.g. ``"USDJPY"``.
    kind : ``"price"``, ``"yield"`` (percent) or ``"level"``.
    asset_class : ``"fx"``, ``"equity"``, ``"rates"``, ``"commodity"``, ``"crypto"`` or ``"macro"``.
    description : what the series is, for tables.
    sources : source name -> upstream identifier, in fallback order.
    close : local time and IANA zone of a daily bar's close on the symbol's home
        market (``"15:00 Asia/Tokyo"``); a source may override it (the ECB fix).
    negative : True for a price that has really closed at or below zero (WTI
        futures settled at -37.63 on 2020-04-20); other prices must be positive.
    """

    name: str
    kind: str
    asset_class: str
    description: str
    sources: dict[str, str] = field(default_factory=dict)
    close: str = "16:00 America/New_York"
    negative: bool = False

    @property
    def default_source(self) -> str:
        return next(iter(self.sources))


# Default costs as fractions of traded value per side; users override with
# --fees/--slippage/--borrow. FX: about half a spread on a major pair; index
# futures and ETFs: a commission plus a tick; crypto: a taker fee on a large
# venue. borrow: annual cost of a short, on its value: general-collateral
# stock borrow for equities, ETFs and commodities; FX shorts pay the interest
# differential through carry instead; crypto borrow is dear.
ASSET_CLASS_COSTS: dict[str, dict[str, float]] = {
    "fx": {"fees": 0.00002, "slippage": 0.00005, "borrow": 0.0},
    "equity": {"fees": 0.0001, "slippage": 0.0002, "borrow": 0.005},
    "rates": {"fees": 0.0001, "slippage": 0.0001, "borrow": 0.005},
    "commodity": {"fees": 0.0002, "slippage": 0.0003, "borrow": 0.005},
    "crypto": {"fees": 0.001, "slippage": 0.0005, "borrow": 0.05},
    "macro": {"fees": 0.0, "slippage": 0.0, "borrow": 0.0},
}

# Data checks: a close outside its kind's range, or a move from one close to
# the next beyond its bound, is taken for a data error (a decimal slip, an
# unadjusted split, a price file saved under a yield's name, a 1e308 fill).
# Prices (and levels) lie strictly inside the range; yields are percent.
VALUE_RANGE: dict[str, tuple[float, float]] = {
    "price": (0.0, 1e9),
    "yield": (-5.0, 25.0),  # JGB2Y -0.37 (2016) .. UST 15.8 (1981); a bond or ETF price (~100) is outside
    "level": (-1e12, 1e12),
}

# Largest believable daily move, with a margin over the largest seen: a price
# may change by a factor 1 + bound either way (0.5: +50 % or -33 %); a yield
# by bound percentage points. Keys: asset classes for prices, "yield" for
# yields; levels (monthly holdings) are not checked. Over a gap of n business
# days the bound grows with sqrt(n), as volatility does.
MAX_DAILY_MOVE: dict[str, float] = {
    "fx": 0.5,  # ECB crosses 1999-2026: at most +37 % (TRY, 2021-12-21)
    "equity": 0.4,  # S&P 500 -20.5 % on 1987-10-19; Nikkei 225 -12.4 % on 2024-08-05
    "rates": 0.25,  # TLT, IEF, SHY 2002-2026: at most +7.5 % (TLT, 2020-03-20)
    "commodity": 0.75,  # WTI -33 % on 1991-01-17, +53 % on 2020-04-22
    "crypto": 1.0,  # BTCUSD -37 % on 2020-03-12
    "yield": 2.0,  # UST and JGB 1990-2026: at most 0.57 points (UST2Y, 2023-03-13)
}
MAX_MOVE_ENV = "JPMACRO_MAX_MOVE"  # "KEY=BOUND,...", as --max-move; overrides MAX_DAILY_MOVE

_FX_CCYS = ("USD", "JPY", "EUR", "AUD", "MXN", "ZAR", "TRY", "GBP", "CHF", "CAD", "NZD", "BRL")


# Bar close times of the home markets. Yields: MoF publishes JGB yields as of
# the Tokyo afternoon, FRED's constant-maturity yields are New York closing bids.
TOKYO = "15:00 Asia/Tokyo"
NEW_YORK = "16:00 America/New_York"
LONDON_PM = "15:00 Europe/London"
NYMEX = "14:30 America/New_York"
UTC_DAY = "24:00 UTC"  # a 24/7 market's daily bar closes at the end of the UTC day
FX_NY = "17:00 America/New_York"  # FX market convention when no fixing is named


def _s(name: str, kind: str, asset_class: str, description: str, close: str = NEW_YORK, **sources: str) -> Symbol:
    return Symbol(name, kind, asset_class, description, dict(sources), close)


SYMBOLS: dict[str, Symbol] = {
    s.name: s
    for s in (
        _s("USDJPY", "price", "fx", "US dollar in yen", close=FX_NY, ecb="USDJPY", yahoo="JPY=X", fred="DEXJPUS"),
        _s("AUDJPY", "price", "fx", "Australian dollar in yen", close=FX_NY, ecb="AUDJPY", yahoo="AUDJPY=X"),
        _s("EURJPY", "price", "fx", "Euro in yen", close=FX_NY, ecb="EURJPY", yahoo="EURJPY=X"),
        _s("MXNJPY", "price", "fx", "Mexican peso in yen", close=FX_NY, ecb="MXNJPY", yahoo="MXNJPY=X"),
        _s("NIKKEI225", "price", "equity", "Nikkei 225 index", close=TOKYO, yahoo="^N225", fred="NIKKEI225"),
        _s("SPX", "price", "equity", "S&P 500 index", yahoo="^GSPC", fred="SP500"),
        _s("ES", "price", "equity", "E-mini S&P 500 futures, front month", yahoo="ES=F"),
        _s("SPY", "price", "equity", "SPDR S&P 500 ETF", yahoo="SPY"),
        _s("EWJ", "price", "equity", "iShares MSCI Japan ETF", close=NEW_YORK, yahoo="EWJ"),
        _s("TLT", "price", "rates", "iShares 20+ Year Treasury Bond ETF", yahoo="TLT"),
        _s("IEF", "price", "rates", "iShares 7-10 Year Treasury Bond ETF", yahoo="IEF"),
        _s("SHY", "price", "rates", "iShares 1-3 Year Treasury Bond ETF", yahoo="SHY"),
        _s("GLD", "price", "commodity", "SPDR Gold Shares ETF", yahoo="GLD"),
        _s("FXY", "price", "fx", "Invesco CurrencyShares Japanese Yen ETF", yahoo="FXY"),
        _s("GOLD", "price", "commodity", "Gold, USD per troy ounce", close=LONDON_PM, yahoo="GC=F"),
        replace(
            _s("WTI", "price", "commodity", "WTI crude oil, USD per barrel", close=NYMEX, fred="DCOILWTICO", yahoo="CL=F"),
            negative=True,
        ),
        _s("BTCUSD", "price", "crypto", "Bitcoin in US dollars", close=UTC_DAY, yahoo="BTC-USD", fred="CBBTCUSD"),
        _s("UST2Y", "yield", "rates", "US Treasury 2-year yield, percent", fred="DGS2"),
        _s("UST10Y", "yield", "rates", "US Treasury 10-year yield, percent", fred="DGS10", yahoo="^TNX"),
        _s("UST30Y", "yield", "rates", "US Treasury 30-year yield, percent", fred="DGS30", yahoo="^TYX"),
        _s("JGB2Y", "yield", "rates", "JGB 2-year yield, percent", close=TOKYO, mof="2"),
        _s("JGB5Y", "yield", "rates", "JGB 5-year yield, percent", close=TOKYO, mof="5"),
        _s("JGB10Y", "yield", "rates", "JGB 10-year yield, percent", close=TOKYO, mof="10"),
        _s("JGB20Y", "yield", "rates", "JGB 20-year yield, percent", close=TOKYO, mof="20"),
        _s("JGB30Y", "yield", "rates", "JGB 30-year yield, percent", close=TOKYO, mof="30"),
        _s("JGB40Y", "yield", "rates", "JGB 40-year yield, percent", close=TOKYO, mof="40"),
        _s("TIC_JAPAN_UST", "level", "macro", "Japan's US Treasury holdings, USD bn, monthly", close=NEW_YORK, tic="Japan"),
    )
}


def is_fx_pair(name: str) -> bool:
    """True for a six-letter pair of ECB currencies, e.g. ``"ZARJPY"``."""
    return len(name) == 6 and name[:3] in _FX_CCYS and name[3:] in _FX_CCYS and name[:3] != name[3:]


def get_symbol(name: str) -> Symbol:
    """Return the registered symbol, or an FX cross the ECB source can build.

    Raises
    ------
    DataError
        For an unknown name, with the closest known one.
    """
    if name in SYMBOLS:
        return SYMBOLS[name]
    if is_fx_pair(name):
        return _s(name, "price", "fx", f"{name[:3]} in {name[3:]}", close=FX_NY, ecb=name)
    raise DataError(
        f"unknown symbol {name!r}{did_you_mean(name, SYMBOLS)}; "
        "`jpmacro-bt symbols` lists the known ones"
    )


def _move_key(sym: Symbol) -> str | None:
    if sym.kind == "yield":
        return "yield"
    return sym.asset_class if sym.kind == "price" and sym.asset_class in MAX_DAILY_MOVE else None


def max_daily_move(sym: Symbol, limits: Mapping[str, float] | None = None) -> float | None:
    """The bound on ``sym``'s daily move: ``limits`` by symbol, then by class, then :data:`MAX_DAILY_MOVE`.

    None when the symbol's moves are not checked (levels); ``inf`` when switched off.
    """
    key = _move_key(sym)
    if key is None:
        return None
    limits = limits or {}
    return limits.get(sym.name, limits.get(key, MAX_DAILY_MOVE[key]))


def parse_max_move(items: str | list[str] | tuple[str, ...], *, option: str = "--max-move") -> dict[str, float]:
    """Bounds from ``"KEY=BOUND"`` items (comma-separated or a list): KEY a symbol, an asset class or
    ``yield``; BOUND a fraction for prices (0.6: a factor 1.6 either way), points for yields, ``off`` for none.

    Raises
    ------
    DataError
        Naming the item that is not ``KEY=BOUND`` or has an unknown key or a bound that is not positive.
    """
    texts = [items] if isinstance(items, str) else list(items)
    out: dict[str, float] = {}
    for item in (part.strip() for text in texts for part in text.split(",")):
        if not item:
            continue
        key, sep, value = (x.strip() for x in item.partition("="))
        flag = f"{option}{' ' if option.startswith('-') else '='}"
        example = f"write KEY=BOUND, e.g. {flag}USDJPY=0.6 (a factor 1.6 either way), yield=3 (points) or WTI=off"
        if not sep or not key:
            raise DataError(f"{option} {item!r} is not KEY=BOUND; {example}")
        if key not in MAX_DAILY_MOVE:
            try:
                key = get_symbol(key).name
            except DataError:
                raise DataError(
                    f"{option} {item!r}: {key!r} is neither a symbol nor one of {', '.join(MAX_DAILY_MOVE)}"
                    f"{did_you_mean(key, [*MAX_DAILY_MOVE, *SYMBOLS])}; {example}"
                ) from None
        try:
            bound = math.inf if value.lower() in ("off", "inf", "none") else float(value)
        except ValueError:
            bound = math.nan
        if not bound > 0:  # also refuses nan
            raise DataError(f"{option} {item!r}: the bound must be a number above 0 or off; {example}")
        out[key] = bound
    return out


def move_limits(limits: Mapping[str, float] | None = None) -> dict[str, float]:
    """Bounds set in ``$JPMACRO_MAX_MOVE``, overridden key by key by ``limits``."""
    env = os.environ.get(MAX_MOVE_ENV, "").strip()
    return {**(parse_max_move(env, option=MAX_MOVE_ENV) if env else {}), **(limits or {})}

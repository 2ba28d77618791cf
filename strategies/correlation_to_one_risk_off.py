"""Step out of risk when correlations go to one.

Claim [SOC]: in a carry unwind "correlations go to one": equities, crypto and
carry currencies fall together as forced selling hits everything at once.
Hold ``asset`` (default the S&P 500) unless the average pairwise correlation
of daily returns of the Nikkei 225, S&P 500, Bitcoin, WTI crude and AUDJPY
(an emerging/commodity-currency carry proxy), over the last ``window`` bars,
jumps: its z-score against the last ``z_window`` bars rises above ``enter``
(``measure="zscore"``, the default), or the correlation itself rises above
``enter`` (``measure="level"``). Then be flat (or short, ``mode="short"``)
until the same measure falls below ``leave``. The z-score is the default
because the level depends on how far apart in time the five markets close
(see below): on the real data the 60-bar average sits near 0.15 and peaked
at 0.47 in March 2020, so a level such as 0.5 would never fire.

Timing: the five series close at different hours; each row of the panel is a
close of ``asset`` and holds every other series' last close before it
(``MarketData.panel``), so the returns are of nearly, not exactly, the same
24 hours: correlations are understated for markets far apart in time, which
affects the level, not the timing, of the signal. Flat before the
correlation is first defined (Bitcoin starts in 2014).

Source: a widely shared social-media thread on the BoJ's latest hike (January 2026).
Requires: SPX, NIKKEI225, BTCUSD, WTI, AUDJPY daily closes; ``needs()`` puts
``asset`` first, so its asset class sets the default costs. ``asset="AUDJPY"``
is held carry-inclusive (``jpmacro_bt.indicators.traded_price``; RBA and BoJ
policy rates), and so is its benchmark. WTI settled below
zero on 2020-04-20 and a traded price must be positive: hold it with --start
2020-04-21 or later.
Benchmark: buy and hold ``asset``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jpmacro_bt.errors import StrategyError
from jpmacro_bt.events import load_events
from jpmacro_bt.indicators import buy_and_hold, latch, mean_pairwise_corr, needed, returns, state_on, to_target_weights, traded_price, zscore
from jpmacro_bt.strategy import Signals, Strategy, param

UNIVERSE = ("SPX", "NIKKEI225", "BTCUSD", "WTI", "AUDJPY")
MODES = ("flat", "short")
MEASURES = ("zscore", "level")


@dataclass(frozen=True)
class CorrelationToOneRiskOff(Strategy):
    claim = "When risk assets' correlations go to one, a forced-selling crash is under way: step out of risk"
    source = "[SOC] social-media thread on the BoJ's latest hike, January 2026"
    symbols = UNIVERSE

    asset: str = param("SPX", help="asset held, one of the universe: SPX, NIKKEI225, BTCUSD, WTI, AUDJPY", grid=(), choices=UNIVERSE)
    window: int = param(60, min=10, max=500, help="window of the rolling correlations, bars", grid=(20, 60, 120))
    ret_bars: int = param(1, min=1, max=20, help="horizon of the correlated returns, bars (2+ softens the time-zone gaps)", grid=())
    measure: str = param("zscore", help="what crosses the thresholds: 'zscore' of the average correlation, or its 'level'", grid=(), choices=MEASURES)
    z_window: int = param(250, min=20, max=2500, help="trailing window of the z-score, bars", grid=())
    enter: float = param(2.0, min=-10.0, max=10.0, help="cut risk above this: standard deviations (zscore) or a correlation (level)", grid=(1.5, 2.0, 2.5))
    leave: float = param(0.5, min=-10.0, max=10.0, help="take risk back below this, same unit as enter", grid=())
    mode: str = param("flat", help="what risk-off means: 'flat' or 'short'", grid=(), choices=MODES)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.leave > self.enter:
            raise StrategyError(f"leave={self.leave} is above enter={self.enter}; use leave <= enter")

    def needs(self) -> tuple[str, ...]:
        return needed(self.asset, *UNIVERSE)

    def mean_corr(self, data) -> pd.Series:
        """Average pairwise correlation on the bars of ``asset`` (NaN where not yet defined)."""
        panel = data.panel(UNIVERSE, calendar=self.asset)
        return mean_pairwise_corr(returns(panel, self.ret_bars), self.window)

    def signals(self, data, events) -> Signals:
        close = traded_price(data, self.asset, events)
        corr = self.mean_corr(data)
        gauge = zscore(corr, self.z_window) if self.measure == "zscore" else corr
        risk_off = state_on(latch(gauge > self.enter, gauge < self.leave), close.index)
        defined = state_on(gauge.notna(), close.index)
        on, off = defined & ~risk_off, defined & risk_off
        if self.mode == "flat":
            return Signals(close=close, entries=on, exits=~on)
        # Target weights, not signals: the runner's percent sizing cannot reverse long to short in one bar.
        return Signals(close=close, target_weights=to_target_weights(on.astype(float) - off.astype(float), 1.0))

    def benchmark(self, data) -> pd.Series:
        return buy_and_hold(traded_price(data, self.asset, load_events()), self.benchmark_name)

    @property
    def benchmark_name(self) -> str:
        return f"buy and hold {self.asset}"

"""Hold the yen carry basket while it is calm and trending; step aside when the carry unwinds.

Claim [SOC]: the yen carry trade pays while rates are stable, but unwinds
violently when the yen strengthens ("margin calls, forced selling"). Long an
equal-weight basket of AUDJPY, MXNJPY and USDJPY (a third of equity each),
priced carry-inclusive (each pair earns its base currency's policy rate minus
the yen's, see ``jpmacro_bt.carry``), while the basket is above its
``trend_window``-bar average and its ``vol_window``-bar volatility is below
``vol_max``; flat for ``cooldown`` bars after the carry-unwind signal of
``carry_unwind_short_risk`` fires (USDJPY down more than ``unwind_threshold``
over ``unwind_bars`` bars).

Source: a widely shared social-media thread on the BoJ's latest hike (January 2026).
Requires: AUDJPY, MXNJPY, USDJPY daily closes (all on the same ECB fixing, so
they share one clock); policy rates: BoJ and FOMC calendars (FOMC from 2022,
back-filled before that from ``calendars/policy_rates.csv``), RBA and Banxico
from ``calendars/policy_rates.csv``. After the last known decision the last
rate is assumed to hold; the benchmark warns where that happens.
Benchmark: the same basket held throughout, carry-inclusive, rebalanced daily.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jpmacro_bt.carry import carry_price, warn_if_uncovered
from jpmacro_bt.events import load_events
from jpmacro_bt.indicators import above_sma, basket_close, rolling_vol, to_target_weights, yen_spike
from jpmacro_bt.strategy import Signals, Strategy, param

PAIRS = ("AUDJPY", "MXNJPY", "USDJPY")


@dataclass(frozen=True)
class YenCarryUnwindFilter(Strategy):
    claim = "The yen carry trade pays while calm and trending: hold the carry basket, step aside when the yen spikes"
    source = "[SOC] social-media thread on the BoJ's latest hike, January 2026"
    symbols = PAIRS
    calendars = ("boj", "fomc")

    trend_window: int = param(100, min=5, max=500, help="moving-average window of the basket's trend filter, bars", grid=(50, 100, 200))
    vol_window: int = param(20, min=5, max=250, help="window of the basket's realised volatility, bars", grid=())
    vol_max: float = param(0.10, min=0.01, max=1.0, help="hold only below this annualised volatility, fraction (0.10 = 10 %)", grid=(0.08, 0.10, 0.15))
    unwind_bars: int = param(5, min=1, max=60, help="look-back of the USDJPY move of the unwind signal, bars", grid=())
    unwind_threshold: float = param(0.03, min=0.001, max=0.5, help="USDJPY fall that signals an unwind, fraction (0.03 = 3 %)", grid=(0.02, 0.03, 0.05))
    cooldown: int = param(20, min=1, max=250, help="bars kept flat after an unwind signal", grid=())
    day_count: str = param("act/365", help="carry accrual: 'act/365' (calendar days) or 'bar/252' (per bar)", grid=())

    def _basket(self, data, events) -> pd.DataFrame:
        return basket_close({p: carry_price(data, p, events, day_count=self.day_count) for p in PAIRS})

    def signals(self, data, events) -> Signals:
        close = self._basket(data, events)
        basket = (1.0 + close.pct_change().mean(axis=1).fillna(0.0)).cumprod()
        calm = rolling_vol(basket, self.vol_window) < self.vol_max
        trend = above_sma(basket, self.trend_window)
        fired = yen_spike(data.close("USDJPY"), self.unwind_bars, self.unwind_threshold).reindex(close.index, fill_value=False)
        recent_unwind = fired.astype(float).rolling(self.cooldown, min_periods=1).max() > 0
        hold = (calm & trend & ~recent_unwind).astype(float)
        target = pd.DataFrame({p: to_target_weights(hold, 1.0 / len(PAIRS)) for p in PAIRS}, index=close.index)
        return Signals(close=close, target_weights=target)

    def benchmark(self, data) -> pd.Series:
        events = load_events()
        close = self._basket(data, events)
        # signals() must not warn (contract tests run on synthetic data that outrun every
        # calendar); the runner records warnings raised here.
        warn_if_uncovered(("AUD", "MXN", "USD", "JPY"), close.index[0], close.index[-1], events)
        return close.pct_change().mean(axis=1).fillna(0.0).rename(self.benchmark_name)

    @property
    def benchmark_name(self) -> str:
        return "carry basket (AUDJPY+MXNJPY+USDJPY, carry-inclusive)"

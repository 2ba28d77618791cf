"""Ride the Japanese fiscal melt-up, get out on the crash.

Claim [CF]: Japan's fiscal impulse adds global liquidity and lifts the Nikkei
in a melt-up (equities up, the yen weak, JGB yields rising) that ends in a
crash. Long the Nikkei 225 while all three hold: the Nikkei above its
``trend_window``-bar average, USDJPY above its ``fx_window``-bar average (a
weak yen), and ``jgb`` up over ``jgb_bars`` bars. Out, and kept out for
``cooldown`` bars, on a crash signal: a drawdown of more than ``crash_dd`` from
the ``dd_window``-bar peak, or realised volatility over ``vol_window`` bars
above ``vol_max``.

Timing: USDJPY reaches the Tokyo close by the as-of rule of
``MarketData.panel`` (the previous day's fixing). JGB yields are stamped at the
Tokyo close, the same minute as the Nikkei, but are published after it, so the
strategy uses the previous JGB close (one JGB bar of lag).

Source: Capital Flows Research, "Regime Shift In Japan: The Melt Up Before The Crash" (2026-01-09).
Requires: NIKKEI225, USDJPY and ``jgb`` (JGB10Y or JGB30Y, from 1999) daily
closes; ``needs()`` loads the JGB yield chosen.
Benchmark: buy and hold the Nikkei 225.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from jpmacro_bt.indicators import above_sma, align_flags, buy_and_hold, change_bp, drawdown, rolling_vol, state_on
from jpmacro_bt.strategy import Signals, Strategy, param

JGBS = ("JGB10Y", "JGB30Y")


@dataclass(frozen=True)
class JapanFiscalMeltUp(Strategy):
    claim = "Japan's fiscal impulse drives a melt-up that ends in a crash: long the Nikkei in the melt-up, out on the crash"
    source = "[CF] Capital Flows Research, 'Regime Shift In Japan: The Melt Up Before The Crash', 2026-01-09"
    symbols = ("NIKKEI225", "USDJPY", "JGB10Y")

    trend_window: int = param(100, min=5, max=500, help="Nikkei moving-average window of the trend filter, bars", grid=(50, 100, 200))
    fx_window: int = param(100, min=5, max=500, help="USDJPY moving-average window of the weak-yen filter, USDJPY bars", grid=())
    jgb: str = param("JGB10Y", help="JGB yield that must be rising: JGB10Y or JGB30Y", grid=JGBS, choices=JGBS)
    jgb_bars: int = param(60, min=1, max=500, help="look-back of the JGB rise, JGB bars", grid=())
    crash_dd: float = param(0.10, min=0.01, max=0.9, help="drawdown from the recent peak that counts as a crash, fraction (0.10 = 10 %)", grid=(0.07, 0.10, 0.15))
    dd_window: int = param(60, min=5, max=500, help="window of the recent peak, bars", grid=())
    vol_window: int = param(20, min=5, max=250, help="window of the realised volatility, bars", grid=())
    vol_max: float = param(0.35, min=0.05, max=2.0, help="annualised volatility that counts as a crash, fraction (0.35 = 35 %)", grid=(0.25, 0.35, 0.50))
    cooldown: int = param(20, min=1, max=250, help="bars kept out after a crash signal", grid=())

    def needs(self) -> tuple[str, ...]:
        return ("NIKKEI225", "USDJPY", self.jgb)

    def signals(self, data, events) -> Signals:
        nikkei = data.close("NIKKEI225")
        yen_weak = above_sma(data.close("USDJPY"), self.fx_window)
        # Previous JGB close: the MoF fixing is published after the Tokyo equity close.
        jgb_up = change_bp(data.close(self.jgb), self.jgb_bars).shift(1) > 0
        seen = align_flags(
            data,
            "NIKKEI225",
            {"yen_weak": (yen_weak, data.bars["USDJPY"].close), "jgb_up": (jgb_up, data.bars[self.jgb].close)},
        )
        crash = (drawdown(nikkei, self.dd_window) < -self.crash_dd) | (rolling_vol(nikkei, self.vol_window) > self.vol_max)
        recent_crash = crash.astype(float).rolling(self.cooldown, min_periods=1).max() > 0
        macro = state_on(seen["yen_weak"] & seen["jgb_up"], nikkei.index)
        hold = above_sma(nikkei, self.trend_window) & macro & ~recent_crash
        return Signals(close=nikkei, entries=hold, exits=~hold)

    def benchmark(self, data) -> pd.Series:
        return buy_and_hold(data.close("NIKKEI225"), self.benchmark_name)

    @property
    def benchmark_name(self) -> str:
        return "buy and hold NIKKEI225"
